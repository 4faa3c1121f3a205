"""Every node and relationship of a store as rows, each tagged with the study it belongs to, and
the answer to one cohort: what tests compare to show that something left a store unchanged."""

from __future__ import annotations

import json
from typing import Any

from kb.cohort import parse_where, select
from kb.settings import Settings
from kb.store import open_store

Rows = dict[str, list[dict[str, Any]]]

GRAPH = {
    "Study": "MATCH (s:Study) RETURN s.study_id AS study, s.subject_id AS subject, s.text AS text, "
             "s.source AS source, s.ingested_at AS at, s.metadata AS metadata, s.fingerprint AS fingerprint",
    "Observation": "MATCH (o:Observation) RETURN o.study_id AS study, o.id AS id, o.text AS text, "
                   "o.term AS term, o.certainty AS certainty, o.start AS first, o.`end` AS last, "
                   "o.section AS section, o.locations AS locations, o.modifiers AS modifiers",
    "Anatomy": "MATCH (a:Anatomy) RETURN a.study_id AS study, a.id AS id, a.term AS term, "
               "a.start AS first, a.`end` AS last, a.phrase_terms AS phrase",
    "HAS_OBSERVATION": "MATCH (s:Study)-[:HAS_OBSERVATION]->(m:Observation) RETURN s.study_id AS study, m.id AS id",
    "HAS_ANATOMY": "MATCH (s:Study)-[:HAS_ANATOMY]->(m:Anatomy) RETURN s.study_id AS study, m.id AS id",
    "LOCATED_AT": "MATCH (a:Observation)-[:LOCATED_AT]->(b:Anatomy) RETURN a.study_id AS study, a.id AS src, b.id AS id",
    "SUGGESTIVE_OF": "MATCH (a:Observation)-[:SUGGESTIVE_OF]->(b:Observation) "
                     "RETURN a.study_id AS study, a.id AS src, b.id AS id",
    "MODIFY_OBS": "MATCH (a:Observation)-[:MODIFY]->(b:Observation) RETURN a.study_id AS study, a.id AS src, b.id AS id",
    "MODIFY_ANAT": "MATCH (a:Anatomy)-[:MODIFY]->(b:Anatomy) RETURN a.study_id AS study, a.id AS src, b.id AS id",
}
COHORT = {"observation": "effusion", "certainty": ["PRESENT"], "locatedAt": ["left", "base"]}


def snapshot(uri: str) -> tuple[Rows, list[Any]]:
    """The store's rows (GRAPH), and the studies with their evidence that COHORT finds."""
    store = open_store(uri, read_only=True, settings=Settings())
    try:
        rows = {name: sorted(store.read(q), key=json.dumps) for name, q in GRAPH.items()}
        found = select(store, parse_where(COHORT))
        return rows, [(s.study_id, s.evidence) for s in found.studies]
    finally:
        store.close()


def of(rows: Rows, studies: set[str]) -> Rows:
    """The rows that belong to these studies."""
    return {name: [r for r in part if r["study"] in studies] for name, part in rows.items()}
