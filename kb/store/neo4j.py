"""The Neo4j store: a Neo4j 5 server over Bolt, with the official `neo4j` driver.

Opening the store for writing creates the constraints and indexes of `cypher/schema/neo4j`.
A write splits its batch into transactions of `Settings.neo4j_batch_size` studies; each is one
managed write transaction that deletes the earlier version of its studies and creates the new
one (`write/neo4j_studies`: each study's nodes and relationships in one `UNWIND $studies`
statement), so a study is replaced whole or not at all. `Settings.neo4j_writers` of them run
at once: the server runs a transaction on one thread, so one at a time leaves its other cores
idle while kb prepares the next (20,000 reports on fresh servers sharing this project's 2
cores with kb, nine runs each, alternating: median 258 reports/s with two, 247 with one, for a
fifth more server CPU; more cores should gain more). Transactions hold disjoint studies, so
they never wait on each other's nodes. Reads run in read transactions.
Managed transactions retry transient failures and a lost server with backoff for `retry_s`
seconds (a server restart mid-ingest is ridden out); after that, and for a wrong password or
an unreachable server, a `StoreError` says in one line which URI failed and why.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import numpy as np
from neo4j import READ_ACCESS, Driver, GraphDatabase, ManagedTransaction
from neo4j.exceptions import (AuthError, ClientError, DriverError, IncompleteCommit, Neo4jError,
                              ServiceUnavailable, SessionExpired)

from kb.cypher import statement, statements
from kb.errors import StoreError
from kb.settings import Settings
from kb.store.base import fingerprints, is_empty
from kb.tables import EDGE_KINDS, GraphTables

# The driver logs each retry and dropped connection as a warning; without logging configured
# Python would print those to stderr. The outcome reaches the user as one StoreError line.
logging.getLogger("neo4j").addHandler(logging.NullHandler())

CRITERION_INDEX = "observation_finding_location"  # schema/neo4j; cohort criteria read it
RETRY_S = 60.0  # how long managed transactions retry a lost server before giving up
CONNECT_TIMEOUT_S = 10.0


def _auth_hint(settings: Settings) -> str:
    if not settings.neo4j_password:
        return f"for user {settings.neo4j_user!r}: NEO4J_PASSWORD is not set"
    return f"for user {settings.neo4j_user!r}: check NEO4J_USER and NEO4J_PASSWORD"


class Neo4jStore:
    def __init__(self, uri: str, driver: Driver, database: str, batch_size: int, writers: int) -> None:
        self.uri = uri
        self._driver = driver
        self._database = database
        self._batch_size = max(1, batch_size)
        self._writers = max(1, writers)
        self._columns: dict[str, list[str]] = {}  # RETURN names of the queries read so far

    @classmethod
    def connect(cls, uri: str, settings: Settings, read_only: bool = False,
                retry_s: float = RETRY_S) -> Neo4jStore:
        """A store on the server at `uri`; checks the credentials and, unless read-only,
        creates the schema."""
        driver = GraphDatabase.driver(
            uri, auth=(settings.neo4j_user, settings.neo4j_password),
            max_transaction_retry_time=retry_s, connection_timeout=CONNECT_TIMEOUT_S,
            connection_acquisition_timeout=CONNECT_TIMEOUT_S, notifications_min_severity="OFF",
            user_agent="radkb")
        store = cls(uri, driver, settings.neo4j_database, settings.neo4j_batch_size, settings.neo4j_writers)
        try:
            with store._errors("connecting", _auth_hint(settings)):
                driver.verify_connectivity()
            if not read_only:
                store._create_schema()
            else:
                store._check_index()
        except BaseException:
            driver.close()
            raise
        return store

    def read(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return self._read(query, params or {})[1]

    def _read(self, query: str, params: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
        """The columns and rows of a query (reads run in several threads at once: the
        columns learnt are looked up once)."""
        known = self._columns.get(query)
        with self._errors("reading"), self._session(read=True) as session:
            if known is not None:
                return known, session.execute_read(_collected, query, known, params)
            columns, rows = session.execute_read(_rows, query, params)
            if _collectable(query):
                if len(self._columns) >= 512:
                    self._columns.clear()
                self._columns[query] = columns
            return columns, rows

    def read_columns(self, query: str, params: dict[str, Any] | None = None) -> dict[str, np.ndarray]:
        columns = self._columns.get(query)
        if columns is not None:  # collected: one list per column
            with self._errors("reading"), self._session(read=True) as session:
                lists = session.execute_read(_collected_columns, query, columns, params or {})
            return {name: np.array(values, dtype=np.int64) for name, values in zip(columns, lists)}
        columns, rows = self._read(query, params or {})  # the first read of a query learns its columns
        return {name: np.array([r[name] for r in rows], dtype=np.int64) for name in columns}

    def fingerprints(self, study_ids: Sequence[str]) -> dict[str, str]:
        return fingerprints(self, study_ids)

    def write(self, tables: GraphTables) -> None:
        """The batch's transactions, up to `writers` at once; the first failure is raised
        once those running have ended, and the transactions not yet started are dropped."""
        with ThreadPoolExecutor(self._writers, thread_name_prefix="kb-neo4j-write") as pool:
            running = [pool.submit(self._write_part, part) for part in _parts(tables, self._batch_size)]
            try:
                for transaction in running:
                    transaction.result()
            except BaseException:
                for transaction in running:
                    transaction.cancel()
                raise

    def bulk_load(self) -> AbstractContextManager[None]:
        return nullcontext()  # each write is stored as it comes

    def _write_part(self, part: GraphTables) -> None:
        work = _statements(part)
        with self._errors(f"writing a batch of {part.studies.num_rows} studies"):
            self._write_atomically(work)

    def clear(self) -> None:
        """Delete the whole graph (tests; starting over). The schema stays."""
        with self._errors("clearing the graph"), self._session() as session:
            session.run(statement("write/neo4j_clear")).consume()

    def close(self) -> None:
        self._driver.close()

    def _write_atomically(self, work: list[tuple[str, dict[str, Any]]]) -> None:
        with self._session() as session:
            try:
                session.execute_write(_run_all, work)
            except IncompleteCommit:  # the commit may or may not have landed; the work is
                session.execute_write(_run_all, work)  # idempotent, so do it again

    def _create_schema(self) -> None:
        with self._errors("creating the schema"), self._session() as session:
            if CRITERION_INDEX not in self._indexes():  # a new store, or written by an older RadKB
                session.run(statement("write/neo4j_location_text"),
                            {"max": LOCATION_TEXT_MAX, "long": LONG_LOCATIONS}).consume()
            for query in statements("schema/neo4j"):
                session.run(query).consume()
            session.run("CALL db.awaitIndexes(300)").consume()

    def _indexes(self) -> set[str]:
        return {row["name"] for row in self.read(statement("schema/neo4j_indexes"))}

    def _check_index(self) -> None:
        """Opened read-only, a store written by an older RadKB (studies, but not the index
        that cohort criteria read) cannot be upgraded here: say what to run."""
        with self._errors("connecting"):
            if CRITERION_INDEX in self._indexes() or is_empty(self):
                return
        raise StoreError(f"{self.uri} was written by an older RadKB and lacks the index that cohort "
                         f"queries read ({CRITERION_INDEX}): run `kb ingest` into it once (your last "
                         "ingest again will do: unchanged studies are skipped), which adds it")

    def _session(self, read: bool = False) -> Any:
        if read:
            return self._driver.session(database=self._database, default_access_mode=READ_ACCESS,
                                        fetch_size=-1)
        return self._driver.session(database=self._database)

    def _errors(self, doing: str, hint: str = "") -> AbstractContextManager[None]:
        return _translated(self.uri, doing, hint)


@contextmanager
def _translated(uri: str, doing: str, hint: str) -> Iterator[None]:
    """Driver errors → a one-line StoreError naming the URI and the cause."""
    try:
        yield
    except (Neo4jError, DriverError) as err:
        raise StoreError(f"{uri}: {describe(err, doing, hint)}") from err


def describe(err: BaseException, doing: str, hint: str = "") -> str:
    """The cause of a driver error, in one line, with what to do about it."""
    if isinstance(err, AuthError):
        return f"authentication failed {hint}".rstrip()
    if isinstance(err, (ServiceUnavailable, SessionExpired)):
        reason = _reason(str(err))
        if doing == "connecting":
            return f"cannot reach the Neo4j server ({reason}): is it running at this address?"
        return (f"the Neo4j server went away while {doing} ({reason}); gave up after retrying. "
                "Re-run the same command when it is back: unchanged studies are skipped")
    if isinstance(err, ClientError) and doing == "reading":
        return f"query failed: {err.message or err}"
    return f"{doing} failed: {_one_line(str(err))}"


_REASON = re.compile(r"\(reason ([^)]*)\)")


def _reason(text: str) -> str:
    """`Connection refused` out of the driver's multi-line connection failure message."""
    found = _REASON.findall(text)
    if found:
        return re.sub(r"^\[Errno \d+\]\s*", "", found[-1])
    return _one_line(text) or "connection lost"


def _one_line(text: str) -> str:
    return " ".join(text.split())


# Reads. The driver spends far more time per record than the server does, so a plain
# `MATCH … RETURN` without ORDER BY (cohort criteria, the study list) comes back as ONE record
# holding a list of rows: `CALL () { <query> } RETURN collect([<columns>])`, which the driver
# decodes in one go (measured: 7x less client CPU on a 30,000-row cohort). The first read of a
# query text runs it as written and learns its columns; later reads of it are collected. The
# rows of a `UNION ALL` (a located criterion's two parts) are collected alike.
_UNSAFE = re.compile(r"\b(ORDER\s+BY|UNION(?!\s+ALL\b)|CALL|USE|LOAD|FOREACH|CREATE|MERGE|DELETE|SET|REMOVE|"
                     r"EXPLAIN|PROFILE|SHOW)\b", re.IGNORECASE)
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _collectable(query: str) -> bool:
    return query.lstrip()[:5].upper() == "MATCH" and not _UNSAFE.search(query)


def _collected(tx: ManagedTransaction, query: str, columns: list[str],
               params: dict[str, Any]) -> list[dict[str, Any]]:
    names = ", ".join("`" + c.replace("`", "``") + "`" for c in columns)
    record = tx.run(f"CALL () {{\n{query}\n}}\nRETURN collect([{names}]) AS rows", params).single()
    rows = record[0] if record else []
    if not all(_SCALARS.issuperset(map(type, row)) or all(map(_is_plain, row)) for row in rows):
        return _rows(tx, query, params)[1]  # nodes, paths…: as Record.data() converts them
    return [dict(zip(columns, row, strict=True)) for row in rows]


def _collected_columns(tx: ManagedTransaction, query: str, columns: list[str],
                       params: dict[str, Any]) -> list[list[Any]]:
    """As `_collected`, one list per column (`collect(a), collect(b)`): integer columns
    become flat lists the driver decodes fastest."""
    names = ["`" + c.replace("`", "``") + "`" for c in columns]
    record = tx.run(f"CALL () {{\n{query}\n}}\nRETURN " + ", ".join(f"collect({n})" for n in names),
                    params).single()
    return list(record.values()) if record else [[] for _ in columns]


def _is_plain(value: Any) -> bool:
    return type(value) in _SCALARS or (type(value) is list and _SCALARS.issuperset(map(type, value)))


def _rows(tx: ManagedTransaction, query: str,
          params: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    result = tx.run(query, params)
    return list(result.keys()), [record.data() for record in result]


def _run_all(tx: ManagedTransaction, work: list[tuple[str, dict[str, Any]]]) -> None:
    for query, params in work:
        tx.run(query, params).consume()


def _parts(tables: GraphTables, size: int) -> Iterator[GraphTables]:
    """The batch in slices of at most `size` studies (each slice is one transaction)."""
    ids = tables.study_ids
    if len(ids) <= size:
        if ids:
            yield tables
        return
    for first in range(0, len(ids), size):
        yield tables.only(ids[first:first + size])


def _statements(t: GraphTables) -> list[tuple[str, dict[str, Any]]]:
    """What one transaction runs: delete the studies' old subgraphs, then create each study's
    subgraph. Statement names are fixed here; every value is a parameter."""
    work: list[tuple[str, dict[str, Any]]] = [
        (query, {"ids": t.study_ids}) for query in statements("write/neo4j_delete_studies")]
    if t.studies.num_rows:
        work.append((statement("write/neo4j_studies"), {"studies": _subgraphs(t)}))
    return work


# Relationship lists of write/neo4j_studies: (type, source label, target label) → list name.
_EDGE_LISTS = {(k.type, k.source.value, k.target.value): k.name for k in EDGE_KINDS}


# An index entry holds at most ~8 KB (Neo4j's range index key limit; a longer value fails the
# transaction, or the index's population). LOCATION_TEXT_MAX characters take at most 4x as
# many bytes in UTF-8; a mention with longer phrases joined (a hostile report) gets LONG_LOCATIONS, and
# located criteria test its `locations` array instead.
LOCATION_TEXT_MAX = 1500
LONG_LOCATIONS = "*"


def location_text(phrases: list[str] | None) -> str:
    """An Observation's location phrases as the one string that Neo4j's located criteria
    test (read/criterion_mentions_located_neo4j): "|left lung base|right base|", "" without
    phrases, LONG_LOCATIONS when longer than LOCATION_TEXT_MAX."""
    text = "|" + "|".join(phrases) + "|" if phrases else ""
    return text if len(text) <= LOCATION_TEXT_MAX else LONG_LOCATIONS


def _subgraphs(t: GraphTables) -> list[dict[str, Any]]:
    """Each study's properties with its mentions and its relationships, these as [from, to]
    positions in the study's mention lists (what write/neo4j_studies takes)."""
    studies = {row["study_id"]: {**row, "observations": [], "anatomies": [],
                                 **{name: [] for name in _EDGE_LISTS.values()}}
               for row in t.studies.to_pylist()}
    position: dict[str, int] = {}  # mention ID → its place in its study's list
    for key, table in (("observations", t.observations), ("anatomies", t.anatomies)):
        for row in table.to_pylist():
            mentions = studies[row["study_id"]][key]
            position[row["id"]] = len(mentions)
            mentions.append(row)
            if key == "observations":
                row["location_text"] = location_text(row["locations"])
    for edge in t.edges.to_pylist():
        name = _EDGE_LISTS.get((edge["type"], edge["source_type"], edge["target_type"]))
        if name is not None:
            studies[edge["study_id"]][name].append([position[edge["from"]], position[edge["to"]]])
    return list(studies.values())
