"""The embedded store: a ladybug graph database in one file on disk, no server.

Writes use ladybug's bulk path: each batch becomes Arrow tables, written as Parquet files that
`COPY` loads inside one transaction that first removes the earlier version of the batch's
studies. Ladybug allows one
read-write process at a time; readers open the file read-only.

A first load (an ingest into an empty store, `bulk_load`) holds its batches back as Parquet
files in a folder beside the store (`STORE.staged/`) and copies them all in with one `COPY` per
table when it ends. ladybug 0.22's `COPY` into a relationship table that already holds rows
keeps the table's node groups it touches in memory until the database is closed (150-360 MB a
copy at 220,000 reports, whatever the batch's size): batch by batch, a 220,000-report load
peaked at 4.0 GB against 1.3 GB at 22,000 and took 284 s; staged, 1.2 GB and about 170 s. A
first load that is killed leaves its staged batches; the next ingest into the store finds them
and skips their studies, as it skips studies already stored.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ladybug
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kb.cypher import statements
from kb.errors import StoreError
from kb.store.base import fingerprints, is_empty
from kb.tables import EDGE_KINDS, GRAPH_VERSION, EdgeKind, GraphTables


class EmbeddedStore:
    def __init__(self, path: str | Path, *, read_only: bool = False, buffer_mb: int = 1024) -> None:
        self.uri = str(path)
        existed = Path(path).exists()
        if read_only and not existed:
            raise StoreError(f"no knowledge base at {self.uri}: run `kb ingest … --store {self.uri}` first")
        self._staging = Path(f"{path}.staged")
        self._staged: _Staged | None = None  # inside bulk_load, into an empty store
        self._buffer_mb = buffer_mb
        try:
            self._db, self._conn = _connect(self.uri, read_only, buffer_mb)
        except RuntimeError as err:
            raise StoreError(f"cannot open the embedded store at {self.uri}: {err}") from err
        if not read_only and not existed:  # batches staged for a store that was deleted since
            shutil.rmtree(self._staging, ignore_errors=True)
        self._check_shape()

    def _check_shape(self) -> None:
        """A store written by an older RadKB lacks columns or keys that queries need: say so."""
        def columns(table: str) -> dict[str, bool]:  # name → is the primary key
            return dict(self._conn.execute(
                f"CALL table_info('{table}') RETURN name, `primary key`").get_all())

        if not ({"finding", "study_key"} <= columns("Observation").keys()
                and columns("Study").get("study_key", False)):
            raise StoreError(f"{self.uri} was built by an older RadKB (graph version < {GRAPH_VERSION}): "
                             "ingest your corpus again into a new store")

    def read(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return self._arrow(query, params or {}).to_pylist()  # 3x faster than get_all() for large answers

    def read_columns(self, query: str, params: dict[str, Any] | None = None) -> dict[str, np.ndarray]:
        """Cohort criteria: kb's own statements, their integer parameters (finding keys) written
        in as literals (_integer_literals). ladybug 0.22 tests a literal `o.finding = 123`
        inside its scan and then reads other columns only for the mentions that pass; with
        `= $finding` it reads a string or list column for every mention (220,000 reports,
        effusion located at pleura: 25 ms against 93). A statement left with no parameter goes
        through ladybug's native Arrow collector, 2-3x faster than execute().get_as_arrow(),
        which converts row by row (246,827 mentions of one term: 36 ms against 84 for three
        integer columns)."""
        query, params = _integer_literals(query, params or {})
        if params:
            table = self._arrow(query, params)
        else:
            with self._errors():
                table = self._conn.query_as_arrow(query, _ARROW_CHUNK).get_as_arrow()
        return {name: table.column(name).to_numpy().astype(np.int64, copy=False)
                for name in table.column_names}

    def _arrow(self, query: str, params: dict[str, Any]) -> pa.Table:
        with self._errors():
            return self._conn.execute(query, params).get_as_arrow()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except RuntimeError as err:
            raise StoreError(f"{self.uri}: {err}") from err

    def fingerprints(self, study_ids: Sequence[str]) -> dict[str, str]:
        if self._staged is not None:  # the store is empty
            return {s: self._staged.studies[s] for s in study_ids if s in self._staged.studies}
        return fingerprints(self, study_ids)

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Writes inside the block into an empty store are staged (see the module docstring)
        and copied in when the block ends, also when it ends with an error (what was written
        before a bad report stays, as batch by batch); a KeyboardInterrupt or SystemExit
        leaves them staged for the next ingest. Into a store that holds studies, writes go in
        batch by batch."""
        if not is_empty(self):
            shutil.rmtree(self._staging, ignore_errors=True)  # left by a load that had committed
            yield
            return
        self._staged = _Staged(self._staging)
        try:
            yield
        except Exception:
            self._copy_staged()
            raise
        except BaseException:
            self._staged = None  # its batches stay staged
            raise
        self._copy_staged()

    def interrupted_load(self) -> Path | None:
        """The folder where the batches of an interrupted first load wait, while the store is
        empty (the next ingest into it resumes them); None when there is none."""
        return self._staging if self._staging.is_dir() and is_empty(self) else None

    def write(self, tables: GraphTables) -> None:
        if not tables.studies.num_rows:
            return
        if self._staged is not None:
            if not self._staged.studies.keys() & set(tables.study_ids):
                self._staged.add(tables)
                return
            self._copy_staged()  # a staged study changed since: replace it the usual way
        stale = sorted(self.fingerprints(tables.study_ids))
        with tempfile.TemporaryDirectory(prefix="kb-batch-") as folder:
            files = _parquet_files(tables, Path(folder))
            self._copy([(i, [path]) for i, path in files], f"writing a batch of {tables.studies.num_rows} "
                       "studies", stale)

    def _copy_staged(self) -> None:
        """Build a new database from every staged batch and put it in place of the empty
        store; then no more staging. Each table is copied in its own transaction (ladybug
        holds a transaction's copies in memory until it commits: a 220,000-report first load
        peaked at 3.4 GB with one transaction, 1.2 GB with one a table), so the copies go into
        a database of their own that replaces the store only once whole."""
        staged, self._staged = self._staged, None
        if staged is None:
            return
        if staged.studies:
            built = staged.folder / "store"
            try:
                _build(built, staged.files(), self._buffer_mb)
            except RuntimeError as err:
                raise StoreError(f"{self.uri}: copying {len(staged.studies):,} staged studies from "
                                 f"{staged.folder} failed: {err}; to start over, delete that folder "
                                 f"and {self.uri}") from err
            self.close()
            os.replace(built, self.uri)
            self._db, self._conn = _connect(self.uri, False, self._buffer_mb)
        shutil.rmtree(staged.folder)

    def _copy(self, files: list[tuple[int, list[Path]]], doing: str, stale: Sequence[str] = ()) -> None:
        """COPY each (target, files) in one transaction that first deletes the stale studies."""
        self._conn.execute("BEGIN TRANSACTION")
        try:
            for query in statements("write/delete_studies_embedded") if stale else ():
                self._conn.execute(query, {"ids": list(stale)})
            for target, paths in files:
                self._conn.execute(_copy_statement(target, paths))
            self._conn.execute("COMMIT")
        except Exception as err:
            self._conn.execute("ROLLBACK")
            raise StoreError(f"{self.uri}: {doing} failed: {err}") from err
        self._conn.execute("CHECKPOINT")  # into the file, its log emptied: ~10% faster batch by batch

    def close(self) -> None:
        self._conn.close()
        self._db.close()


def _connect(path: str, read_only: bool, buffer_mb: int) -> tuple[ladybug.Database, ladybug.Connection]:
    """The database at `path` and a connection to it; opened for writing, with the schema."""
    db = ladybug.Database(path, read_only=read_only, buffer_pool_size=buffer_mb << 20)
    conn = ladybug.Connection(db)
    if not read_only:
        for query in statements("schema/embedded"):
            conn.execute(query)
    return db, conn


def _build(path: Path, files: list[tuple[int, list[Path]]], buffer_mb: int) -> None:
    """A new database at `path` (replacing one cut short there) holding these COPY files,
    each COPY its own transaction."""
    path.unlink(missing_ok=True)
    Path(f"{path}.wal").unlink(missing_ok=True)
    db, conn = _connect(str(path), False, buffer_mb)
    try:
        for target, paths in files:
            conn.execute(_copy_statement(target, paths))
    finally:
        conn.close()
        db.close()


def _copy_statement(target: int, paths: list[Path]) -> str:
    """COPY these Parquet files into the table of _COPY_TARGETS[target]."""
    table, pair = _COPY_TARGETS[target]
    return f"COPY {table} FROM [{', '.join(map(_quoted, paths))}]{pair}"


class _Staged:
    """A first load's batches in a folder: one subfolder a batch (renamed from `.part` once
    whole), holding the Parquet file of each COPY target it has rows for."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(exist_ok=True)
        for part in folder.glob("*.part"):  # cut short by a kill
            shutil.rmtree(part)
        self._batches = sorted(folder.glob("b*"))
        self._next = int(self._batches[-1].name[1:]) + 1 if self._batches else 0  # the next batch's number
        self.studies: dict[str, str] = {}  # study ID → fingerprint
        for batch in self._batches:
            rows = pq.read_table(batch / _file_name(0), columns=["study_id", "fingerprint"])
            self.studies.update(zip(*(rows.column(c).to_pylist() for c in rows.column_names)))

    def add(self, tables: GraphTables) -> None:
        batch = self.folder / f"b{self._next:06d}"
        self._next += 1
        part = batch.with_suffix(".part")
        part.mkdir()
        _parquet_files(tables, part)
        part.rename(batch)
        self._batches.append(batch)
        self.studies.update(zip(tables.study_ids, tables.studies.column("fingerprint").to_pylist()))

    def files(self) -> list[tuple[int, list[Path]]]:
        """For each COPY target, in order, the staged files that have rows for it."""
        files = [(target, [p for b in self._batches if (p := b / _file_name(target)).exists()])
                 for target in range(len(_COPY_TARGETS))]
        return [(target, paths) for target, paths in files if paths]


_ARROW_CHUNK = 1 << 20  # rows per Arrow chunk of a native answer
_PARAMETER = re.compile(r"\$(\w+)")


def _integer_literals(query: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The statement with its integer parameters (and non-empty lists of integers) written in
    as literals, and the parameters left. Only integers are ever written into a statement:
    text, from a user or not, stays a parameter."""
    def literal(value: Any) -> str | None:
        if type(value) is int:  # not bool
            return str(value)
        if isinstance(value, list) and value and all(type(v) is int for v in value):
            return "[" + ", ".join(map(str, value)) + "]"
        return None

    literals = {name: text for name, value in params.items() if (text := literal(value)) is not None}
    query = _PARAMETER.sub(lambda m: literals.get(m.group(1), m.group(0)), query)
    return query, {name: value for name, value in params.items() if name not in literals}


def _pair(kind: EdgeKind) -> str:
    """A relationship table with more than one pair of end labels (MODIFY) is told which pair
    a copy holds."""
    if sum(k.type == kind.type for k in EDGE_KINDS) == 1:
        return ""
    return f" (from='{kind.source.value}', to='{kind.target.value}')"


# What a batch is copied into, nodes before edges: (table, end labels). Table names come from
# the schema, never from input.
_COPY_TARGETS = [("Study", ""), ("Observation", ""), ("Anatomy", ""), ("HAS_OBSERVATION", ""),
                 ("HAS_ANATOMY", ""), *((kind.type, _pair(kind)) for kind in EDGE_KINDS)]


def _file_name(target: int) -> str:
    return f"{target}-{_COPY_TARGETS[target][0]}.parquet"


def _quoted(path: Path) -> str:
    """A path as a Cypher string literal (a staged file's folder is named after the store)."""
    return "'" + str(path).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _parquet_files(t: GraphTables, folder: Path) -> list[tuple[int, Path]]:
    """The batch's tables as Parquet files for `COPY … FROM 'file'`, with their _COPY_TARGETS
    index. (COPY from an Arrow table passed as a parameter keeps the table alive inside
    ladybug 0.22: memory grew by about the batch's size on every batch, 4.4 GB after 100,000
    reports; from files it stays flat.) The paths are this process's own files, never input."""
    files = []
    for target, rows in enumerate(_rows(t)):
        if rows.num_rows:
            path = folder / _file_name(target)
            pq.write_table(rows, path, compression="none", use_dictionary=False, write_statistics=False)
            files.append((target, path))
    return files


def _rows(t: GraphTables) -> list[pa.Table]:
    """The batch's rows for each of _COPY_TARGETS."""

    def has(mentions: pa.Table) -> pa.Table:  # from the Study's key (its primary key)
        study = pc.index_in(mentions.column("study_id"), value_set=t.studies.column("study_id"))
        return pa.table({"from": pc.take(t.studies.column("study_key"), study), "to": mentions.column("id")})

    return [t.studies, t.observations, t.anatomies, has(t.observations), has(t.anatomies),
            *(t.edges_of(kind) for kind in EDGE_KINDS)]
