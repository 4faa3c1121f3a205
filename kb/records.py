"""Graph records: a report turned into the nodes and edges of its study subgraph.

Besides the mentions and relations as annotated, each record carries what cohort queries
filter on, computed here once at ingest with the vocabulary (`kb.vocabulary`): the canonical
term of every mention, an anatomy's phrase (its own words and those of the anatomies that
modify it, expanded: `left lung base`, `bibasilar left right base`), an observation's location
phrases (one per located_at head) and its modifier terms (`small`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from kb.errors import ReportError
from kb.report import Report
from kb.schema import Label, RelationType
from kb.sections import Sections
from kb.keys import finding_key, study_key
from kb.vocabulary import vocabulary

_TYPE = {label: label.entity_type.value for label in Label}
_CERTAINTY = {label: label.certainty.value if label.certainty else None for label in Label}
_ALLOWED = {(t, a, b) for t in RelationType for a in Label for b in Label if t.allows(a, b)}
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
    study_key: int = 0  # kb.keys.study_key(study_id)


class Mention(NamedTuple):  # a NamedTuple, not a dataclass: millions are built at ingest
    id: str
    study_id: str
    subject_id: str | None
    type: str  # Observation or Anatomy (EntityType value)
    text: str
    term: str
    certainty: str | None  # None for anatomy
    start: int
    end: int
    section: str | None
    locations: tuple[str, ...]  # observations: one phrase per located_at head
    modifiers: tuple[str, ...]  # observations: terms of the observations that modify it
    phrase_terms: tuple[str, ...]  # anatomies: the words of its phrase
    finding: int  # observations: finding_key(term, certainty), what cohort queries select on
    study_key: int  # kb.keys.study_key(study_id)


class Edge(NamedTuple):
    type: str  # LOCATED_AT, MODIFY or SUGGESTIVE_OF
    source: str  # mention id
    target: str
    source_type: str  # EntityType values
    target_type: str


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


# Neo4j indexes study IDs (in mention IDs too) and entity terms, and an index entry holds
# ~8 KB: a longer value fails the whole transaction it is written in. Both stores reject a
# report that exceeds these (4 bytes a character at most), alone, at any size of batch.
MAX_ID_CHARS = 1000
MAX_ENTITY_CHARS = 1000  # a RadGraph entity is a word or a short phrase


def _check_sizes(report: Report) -> None:
    if len(report.study_id) > MAX_ID_CHARS:
        raise ReportError(report.key, f"the study ID is {len(report.study_id):,} characters long; "
                                      f"at most {MAX_ID_CHARS:,}")
    for e in report.entities:
        if len(e.text) > MAX_ENTITY_CHARS:
            raise ReportError(report.key, f"entity {e.id!r} is {len(e.text):,} characters long; at most "
                                          f"{MAX_ENTITY_CHARS:,} (an entity is a word or a short phrase)")


def build_records(report: Report, provenance: Provenance, fingerprint: str = "") -> GraphRecords:
    """The study subgraph of one report; rejects reports whose graph the stores cannot hold.
    `fingerprint` identifies the input the report came from (see `ingest.pipeline`)."""
    _check_sizes(report)
    study_id, subject_id = report.study_id, report.subject_id
    key = study_key(study_id)
    by_id = {e.id: e for e in report.entities}
    ids = {e.id: mention_id(study_id, e.start, e.end) for e in report.entities}
    if len(set(ids.values())) != len(ids):
        raise ReportError(report.key, "two entities cover the same characters")
    modifiers_of: dict[str, list[str]] = defaultdict(list)
    located: dict[str, list[str]] = defaultdict(list)
    edges = []
    for r in report.relations:
        source, target = by_id[r.source], by_id[r.target]
        if r.source == r.target:
            raise ReportError(report.key, f"entity {r.source!r}: {r.type.value} relation to itself")
        if (r.type, source.label, target.label) not in _ALLOWED:
            raise ReportError(report.key, f"entity {r.source!r}: {r.type.value} may not go from "
                                          f"{source.label.value} to {target.label.value}")
        if r.type is RelationType.MODIFY:
            modifiers_of[r.target].append(r.source)
        elif r.type is RelationType.LOCATED_AT:
            located[r.source].append(r.target)
        edges.append(Edge(EDGE_TYPES[r.type], ids[r.source], ids[r.target],
                          _TYPE[source.label], _TYPE[target.label]))
    sections = Sections.of(report.text)
    vocab = vocabulary()
    phrases: dict[str, tuple[str, ...]] = {}

    def phrase(eid: str) -> tuple[str, ...]:
        if eid not in phrases:
            parts = sorted(_modifier_closure(eid, modifiers_of), key=lambda i: by_id[i].start)
            words = (w for i in parts for w in vocab.anatomy_words(by_id[i].text))
            phrases[eid] = tuple(dict.fromkeys(words))
        return phrases[eid]

    def modifier_terms(eid: str) -> tuple[str, ...]:
        if eid not in modifiers_of:
            return ()
        closure = _modifier_closure(eid, modifiers_of) - {eid}
        return tuple(sorted({vocab.observation(by_id[m].text) for m in closure}))

    mentions = []
    for e in report.entities:
        observation = e.label is not Label.ANAT_DP
        heads = sorted(located[e.id], key=lambda i: by_id[i].start) if e.id in located else ()
        term = vocab.observation(e.text) if observation else vocab.anatomy(e.text)
        certainty = _CERTAINTY[e.label]
        mentions.append(Mention(
            ids[e.id], study_id, subject_id, _TYPE[e.label], e.text, term,
            certainty, e.start, e.end, sections.at(e.start),
            tuple(" ".join(phrase(h)) for h in heads),
            modifier_terms(e.id) if observation else (),
            () if observation else phrase(e.id),
            finding_key(term, certainty or ""), key,
        ))
    metadata = json.dumps(report.metadata, sort_keys=True, default=str) if report.metadata else "{}"
    study = StudyNode(study_id, subject_id, provenance.source, report.text, provenance.extractor,
                      provenance.extractor_version, provenance.ingested_at, metadata, fingerprint, key)
    return GraphRecords(study, tuple(mentions), tuple(edges))


def mention_id(study_id: str, start: int, end: int) -> str:
    """The ID of a mention node: its study and its character span, `s59172281:120-129`."""
    return f"{study_id}:{start}-{end}"


def _modifier_closure(eid: str, modifiers_of: dict[str, list[str]]) -> set[str]:
    """The entity and everything that modifies it, directly or through a chain."""
    seen, stack = {eid}, [eid]
    while stack:
        for m in modifiers_of.get(stack.pop(), ()):
            if m not in seen:
                seen.add(m)
                stack.append(m)
    return seen
