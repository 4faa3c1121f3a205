"""The embedded store: a ladybug graph database in one file on disk, no server.

Writes use ladybug's bulk path: each batch becomes Arrow tables that `COPY` loads, inside one
transaction that first removes the earlier version of the batch's studies. Ladybug allows one
read-write process at a time; readers open the file read-only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ladybug
import pyarrow as pa

from kb.cypher import statement, statements
from kb.errors import StoreError
from kb.records import GraphRecords, Mention
from kb.schema import EntityType

_LIST = pa.list_(pa.string())


class EmbeddedStore:
    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.uri = str(path)
        if read_only and not Path(path).exists():
            raise StoreError(f"no knowledge base at {self.uri}: run `kb ingest … --store {self.uri}` first")
        try:
            self._db = ladybug.Database(str(path), read_only=read_only)
            self._conn = ladybug.Connection(self._db)
        except RuntimeError as err:
            raise StoreError(f"cannot open the embedded store at {self.uri}: {err}") from err
        if not read_only:
            for query in statements("schema/embedded"):
                self._conn.execute(query)

    def read(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        try:
            result = self._conn.execute(query, params or {})
        except RuntimeError as err:
            raise StoreError(f"{self.uri}: {err}") from err
        columns = result.get_column_names()
        return [dict(zip(columns, row)) for row in result.get_all()]

    def fingerprints(self, study_ids: Sequence[str]) -> dict[str, str]:
        rows = self.read(statement("read/study_fingerprints"), {"ids": list(study_ids)})
        return {r["study_id"]: r["fingerprint"] for r in rows}

    def write(self, batch: Sequence[GraphRecords]) -> None:
        batch = list({r.study.study_id: r for r in batch}.values())  # last version of a study wins
        if not batch:
            return
        stale = sorted(self.fingerprints([r.study.study_id for r in batch]))
        self._conn.execute("BEGIN TRANSACTION")
        try:
            for query in statements("write/delete_studies_embedded") if stale else ():
                self._conn.execute(query, {"ids": stale})
            for table, rows, pair in _tables(batch):
                if rows.num_rows:
                    self._conn.execute(f"COPY {table} FROM $rows{pair}", {"rows": rows})
            self._conn.execute("COMMIT")
        except Exception as err:
            self._conn.execute("ROLLBACK")
            raise StoreError(f"{self.uri}: writing a batch of {len(batch)} studies failed: {err}") from err

    def close(self) -> None:
        self._conn.close()
        self._db.close()


def _tables(batch: Sequence[GraphRecords]) -> list[tuple[str, pa.Table, str]]:
    """The Arrow tables one batch copies into, in an order that puts nodes before edges.
    Table names come from the schema, never from input."""
    studies = [r.study for r in batch]
    mentions = [m for r in batch for m in r.mentions]
    observations = [m for m in mentions if m.type is EntityType.OBSERVATION]
    anatomies = [m for m in mentions if m.type is EntityType.ANATOMY]
    edges = [e for r in batch for e in r.edges]
    study_table = pa.table({name: [getattr(s, name) for s in studies] for name in (
        "study_id", "subject_id", "source", "text", "extractor", "extractor_version",
        "ingested_at", "metadata", "fingerprint")})

    def edge_table(kind: str, src: EntityType, dst: EntityType) -> pa.Table:
        chosen = [e for e in edges if e.type == kind and e.source_type is src and e.target_type is dst]
        return pa.table({"from": [e.source for e in chosen], "to": [e.target for e in chosen]},
                        schema=pa.schema([("from", pa.string()), ("to", pa.string())]))

    obs, anat = EntityType.OBSERVATION, EntityType.ANATOMY
    return [
        ("Study", study_table, ""),
        ("Observation", _mention_table(observations, obs), ""),
        ("Anatomy", _mention_table(anatomies, anat), ""),
        ("HAS_OBSERVATION", pa.table({"from": [m.study_id for m in observations],
                                      "to": [m.id for m in observations]}), ""),
        ("HAS_ANATOMY", pa.table({"from": [m.study_id for m in anatomies],
                                  "to": [m.id for m in anatomies]}), ""),
        ("LOCATED_AT", edge_table("LOCATED_AT", obs, anat), ""),
        ("SUGGESTIVE_OF", edge_table("SUGGESTIVE_OF", obs, obs), ""),
        ("MODIFY", edge_table("MODIFY", obs, obs), " (from='Observation', to='Observation')"),
        ("MODIFY", edge_table("MODIFY", anat, anat), " (from='Anatomy', to='Anatomy')"),
    ]


def _mention_table(mentions: list[Mention], kind: EntityType) -> pa.Table:
    columns: dict[str, pa.Array] = {
        "id": pa.array([m.id for m in mentions], pa.string()),
        "study_id": pa.array([m.study_id for m in mentions], pa.string()),
        "text": pa.array([m.text for m in mentions], pa.string()),
        "term": pa.array([m.term for m in mentions], pa.string()),
    }
    if kind is EntityType.OBSERVATION:
        columns["certainty"] = pa.array([m.certainty for m in mentions], pa.string())
    columns |= {
        "start": pa.array([m.start for m in mentions], pa.int64()),
        "end": pa.array([m.end for m in mentions], pa.int64()),
        "section": pa.array([m.section for m in mentions], pa.string()),
    }
    if kind is EntityType.OBSERVATION:
        columns["locations"] = pa.array([list(m.locations) for m in mentions], _LIST)
        columns["modifiers"] = pa.array([list(m.modifiers) for m in mentions], _LIST)
    else:
        columns["phrase_terms"] = pa.array([list(m.phrase_terms) for m in mentions], _LIST)
    return pa.table(columns)
