"""Graph records of a batch of studies as Arrow tables: the columnar form that stores load
(ladybug `COPY`s them, Neo4j `UNWIND`s their rows) and that crosses process boundaries cheaply."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from kb.records import GraphRecords, Mention
from kb.schema import EntityType

# The shape of the stored graph; a change re-writes every study on its next ingest (it is
# part of each study's fingerprint). 2: Observation.finding, study_key. 3: the embedded store
# keys a Study by study_key (its primary key), and HAS_OBSERVATION/HAS_ANATOMY start from it.
GRAPH_VERSION = 3

_STR, _INT, _LIST = pa.string(), pa.int64(), pa.list_(pa.string())
STUDY = pa.schema([("study_id", _STR), ("subject_id", _STR), ("source", _STR), ("text", _STR),
                   ("extractor", _STR), ("extractor_version", _STR), ("ingested_at", _STR),
                   ("metadata", _STR), ("fingerprint", _STR), ("study_key", _INT)])
OBSERVATION = pa.schema([("id", _STR), ("study_id", _STR), ("subject_id", _STR), ("text", _STR),
                         ("term", _STR), ("certainty", _STR), ("start", _INT), ("end", _INT),
                         ("section", _STR), ("locations", _LIST), ("modifiers", _LIST),
                         ("finding", _INT), ("study_key", _INT)])
ANATOMY = pa.schema([("id", _STR), ("study_id", _STR), ("text", _STR), ("term", _STR),
                     ("start", _INT), ("end", _INT), ("section", _STR), ("phrase_terms", _LIST)])
EDGE = pa.schema([("from", _STR), ("to", _STR), ("study_id", _STR), ("type", _STR),
                  ("source_type", _STR), ("target_type", _STR)])


@dataclass(frozen=True)
class EdgeKind:
    """One kind of relationship the stores hold: its type and the labels of its ends. `name`
    is what the Neo4j study write calls its list of these (cypher/write/neo4j_studies)."""

    type: str
    source: EntityType
    target: EntityType
    name: str


_OBS, _ANAT = EntityType.OBSERVATION, EntityType.ANATOMY
# Every relationship kind, in the order the stores write them (the schemas define the same).
EDGE_KINDS = (EdgeKind("LOCATED_AT", _OBS, _ANAT, "located_at"),
              EdgeKind("SUGGESTIVE_OF", _OBS, _OBS, "suggestive_of"),
              EdgeKind("MODIFY", _OBS, _OBS, "modify_observation"),
              EdgeKind("MODIFY", _ANAT, _ANAT, "modify_anatomy"))


@dataclass(frozen=True)
class GraphTables:
    studies: pa.Table
    observations: pa.Table
    anatomies: pa.Table
    edges: pa.Table  # LOCATED_AT, MODIFY and SUGGESTIVE_OF, typed by column

    @property
    def study_ids(self) -> list[str]:
        return self.studies.column("study_id").to_pylist()

    def only(self, study_ids: Sequence[str]) -> GraphTables:
        """The part of the batch that belongs to these studies."""
        keep = pa.array(list(study_ids), _STR)
        return GraphTables(*(t.filter(pc.is_in(t.column("study_id"), keep)) for t in (
            self.studies, self.observations, self.anatomies, self.edges)))

    def edges_of(self, kind: EdgeKind) -> pa.Table:
        e = self.edges
        mask = pc.and_(pc.and_(pc.equal(e.column("type"), kind.type),
                               pc.equal(e.column("source_type"), kind.source.value)),
                       pc.equal(e.column("target_type"), kind.target.value))
        return e.filter(mask).select(["from", "to"])


def to_tables(batch: Sequence[GraphRecords]) -> GraphTables:
    """Columns of a batch; a study that occurs twice keeps its last version."""
    latest = list({r.study.study_id: r for r in batch}.values())
    studies = [r.study for r in latest]
    mentions = [m for r in latest for m in r.mentions]
    observations = [m for m in mentions if m.type == "Observation"]
    anatomies = [m for m in mentions if m.type == "Anatomy"]
    edges = [(e, r.study.study_id) for r in latest for e in r.edges]
    return GraphTables(
        studies=_table(STUDY, [[getattr(s, f) for s in studies] for f in STUDY.names]),
        observations=_table(OBSERVATION, _mention_columns(observations, OBSERVATION)),
        anatomies=_table(ANATOMY, _mention_columns(anatomies, ANATOMY)),
        edges=_table(EDGE, [[e.source for e, _ in edges], [e.target for e, _ in edges],
                            [sid for _, sid in edges], [e.type for e, _ in edges],
                            [e.source_type for e, _ in edges], [e.target_type for e, _ in edges]]),
    )


def _mention_columns(mentions: list[Mention], schema: pa.Schema) -> list[list]:
    return [[getattr(m, name) for m in mentions] for name in schema.names]


def _table(schema: pa.Schema, columns: list[list]) -> pa.Table:
    return pa.Table.from_arrays([pa.array(c, f.type) for c, f in zip(columns, schema)], schema=schema)
