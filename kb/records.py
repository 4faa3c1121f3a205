"""Graph records: a report turned into the nodes and edges of its study subgraph.

Besides the mentions and relations as annotated, each record carries what cohort queries
filter on, computed here once at ingest: the normalised term of every mention, an anatomy's
phrase (its own words and those of the anatomies that modify it, `left lung base`), an
observation's location phrases (one per located_at head) and its modifier terms (`small`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from kb.errors import ReportError
from kb.report import Entity, Report
from kb.schema import EntityType, RelationType
from kb.sections import Sections
from kb.terms import normalize_term, term_words

EDGE_TYPES = {RelationType.LOCATED_AT: "LOCATED_AT", RelationType.MODIFY: "MODIFY",
              RelationType.SUGGESTIVE_OF: "SUGGESTIVE_OF"}


@dataclass(frozen=True)
class StudyNode:
    study_id: str
    subject_id: str | None
    source: str
    text: str
    extractor: str
    extractor_version: str
    ingested_at: str
    metadata: str  # JSON object of the corpus' extra fields
    fingerprint: str = ""  # hash of the content the subgraph was built from


@dataclass(frozen=True)
class Mention:
    id: str
    study_id: str
    type: EntityType
    text: str
    term: str
    certainty: str | None  # None for anatomy
    start: int
    end: int
    section: str | None
    locations: tuple[str, ...]  # observations: one phrase per located_at head
    modifiers: tuple[str, ...]  # observations: terms of the observations that modify it
    phrase_terms: tuple[str, ...]  # anatomies: the words of its phrase


@dataclass(frozen=True)
class Edge:
    type: str  # LOCATED_AT, MODIFY or SUGGESTIVE_OF
    source: str  # mention id
    target: str
    source_type: EntityType
    target_type: EntityType


@dataclass(frozen=True)
class GraphRecords:
    study: StudyNode
    mentions: tuple[Mention, ...]
    edges: tuple[Edge, ...]


@dataclass(frozen=True)
class Provenance:
    """Where the graph of a study came from, stored on its Study node."""

    source: str
    extractor: str = "annotation"
    extractor_version: str = ""
    ingested_at: str = ""


def mention_id(study_id: str, entity: Entity) -> str:
    return f"{study_id}:{entity.start}-{entity.end}"


def build_records(report: Report, provenance: Provenance) -> GraphRecords:
    """The study subgraph of one report; rejects reports whose graph the stores cannot hold."""
    study_id, subject_id = report.study_id, report.subject_id
    by_id = {e.id: e for e in report.entities}
    ids = {e.id: mention_id(study_id, e) for e in report.entities}
    if len(set(ids.values())) != len(ids):
        raise ReportError(report.key, "two entities cover the same characters")
    modifiers_of: dict[str, list[str]] = defaultdict(list)
    located: dict[str, list[str]] = defaultdict(list)
    edges = []
    for r in report.relations:
        source, target = by_id[r.source], by_id[r.target]
        if not r.type.allows(source.label, target.label):
            raise ReportError(report.key, f"entity {r.source!r}: {r.type.value} may not go from "
                                          f"{source.label.value} to {target.label.value}")
        if r.source == r.target:
            raise ReportError(report.key, f"entity {r.source!r}: {r.type.value} relation to itself")
        if r.type is RelationType.MODIFY:
            modifiers_of[r.target].append(r.source)
        elif r.type is RelationType.LOCATED_AT:
            located[r.source].append(r.target)
        edges.append(Edge(EDGE_TYPES[r.type], ids[r.source], ids[r.target],
                          source.label.entity_type, target.label.entity_type))
    sections = Sections.of(report.text)

    def phrase(eid: str) -> tuple[str, ...]:
        parts = sorted(_modifier_closure(eid, modifiers_of), key=lambda i: by_id[i].start)
        return tuple(w for i in parts for w in term_words(by_id[i].text))

    mentions = []
    for e in report.entities:
        observation = e.label.entity_type is EntityType.OBSERVATION
        heads = sorted(located.get(e.id, ()), key=lambda i: by_id[i].start)
        mentions.append(Mention(
            id=ids[e.id], study_id=study_id, type=e.label.entity_type, text=e.text,
            term=normalize_term(e.text),
            certainty=e.label.certainty.value if e.label.certainty else None,
            start=e.start, end=e.end, section=sections.at(e.start),
            locations=tuple(" ".join(phrase(h)) for h in heads) if observation else (),
            modifiers=tuple(sorted({normalize_term(by_id[m].text) for m in
                                    _modifier_closure(e.id, modifiers_of) if m != e.id}))
            if observation else (),
            phrase_terms=() if observation else phrase(e.id),
        ))
    study = StudyNode(study_id, subject_id, provenance.source, report.text, provenance.extractor,
                      provenance.extractor_version, provenance.ingested_at,
                      json.dumps(report.metadata, sort_keys=True, default=str))
    return GraphRecords(study, tuple(mentions), tuple(edges))


def _modifier_closure(eid: str, modifiers_of: dict[str, list[str]]) -> set[str]:
    """The entity and everything that modifies it, directly or through a chain."""
    seen, stack = {eid}, [eid]
    while stack:
        for m in modifiers_of.get(stack.pop(), ()):
            if m not in seen:
                seen.add(m)
                stack.append(m)
    return seen


def records_json(records: GraphRecords) -> dict[str, Any]:
    """A plain-JSON view of the records (golden files, debugging)."""
    def row(obj: Any) -> dict[str, Any]:
        return {k: (v.value if isinstance(v, EntityType) else list(v) if isinstance(v, tuple) else v)
                for k, v in vars(obj).items()}
    return {"study": row(records.study), "mentions": [row(m) for m in records.mentions],
            "edges": [row(e) for e in records.edges]}
