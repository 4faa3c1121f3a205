"""The Neo4j store on a real server: the same graph as the embedded store node for node and
edge for edge, batches split into transactions, the schema and the index the cohort criteria
use, read-only reads, and the collected read path answering as the plain one does.
(The cohort answers themselves are in the contract suite, test_store_contract.py.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest

from bench.make_corpus import write
from ingest.pipeline import IngestOptions, ingest
from kb.cohort import Criterion, _render, criterion_queries, parse_where, select
from kb.errors import StoreError
from kb.settings import Settings
from kb.store.embedded import EmbeddedStore
from kb.store.neo4j import CRITERION_INDEX, LONG_LOCATIONS, Neo4jStore, location_text

pytestmark = pytest.mark.neo4j

# The whole graph, one query per node label and relationship, in a form both stores answer.
GRAPH = {
    "Study": "MATCH (n:Study) RETURN n.study_id AS study_id, n.subject_id AS subject_id, "
             "n.source AS source, n.text AS text, n.extractor AS extractor, "
             "n.extractor_version AS extractor_version, n.metadata AS metadata, "
             "n.fingerprint AS fingerprint ORDER BY study_id",
    "Observation": "MATCH (n:Observation) RETURN n.id AS id, n.study_id AS study_id, "
                   "n.subject_id AS subject_id, n.text AS text, n.term AS term, "
                   "n.certainty AS certainty, n.start AS start, n.`end` AS `end`, "
                   "n.section AS section, n.locations AS locations, n.modifiers AS modifiers "
                   "ORDER BY id",
    "Anatomy": "MATCH (n:Anatomy) RETURN n.id AS id, n.study_id AS study_id, n.text AS text, "
               "n.term AS term, n.start AS start, n.`end` AS `end`, n.section AS section, "
               "n.phrase_terms AS phrase_terms ORDER BY id",
    **{name: f"MATCH (a:{a})-[:{rel}]->(b:{b}) RETURN {ka} AS source, {kb} AS target "
             "ORDER BY source, target"
       for name, a, rel, b, ka, kb in [
           ("HAS_OBSERVATION", "Study", "HAS_OBSERVATION", "Observation", "a.study_id", "b.id"),
           ("HAS_ANATOMY", "Study", "HAS_ANATOMY", "Anatomy", "a.study_id", "b.id"),
           ("LOCATED_AT", "Observation", "LOCATED_AT", "Anatomy", "a.id", "b.id"),
           ("SUGGESTIVE_OF", "Observation", "SUGGESTIVE_OF", "Observation", "a.id", "b.id"),
           ("MODIFY obs", "Observation", "MODIFY", "Observation", "a.id", "b.id"),
           ("MODIFY anat", "Anatomy", "MODIFY", "Anatomy", "a.id", "b.id")]},
}


@pytest.fixture
def neo4j_store(neo4j_uri: str) -> Iterator[Neo4jStore]:
    # batches of 10 reports: transactions of 7 and 3 studies, two at once
    store = Neo4jStore.connect(neo4j_uri, Settings(neo4j_batch_size=7, neo4j_writers=2))
    store.clear()
    yield store
    store.clear()
    store.close()


@pytest.fixture
def files(corpus_file: Path, tmp_path: Path) -> list[Path]:
    """The hand-checked corpus (no subjects, sections) and 40 MIMIC-keyed sample reports."""
    generated = tmp_path / "generated.json"
    write(40, generated)
    sample = tmp_path / "sample-40.json"  # study IDs apart from the hand-checked s50000001
    sample.write_text(json.dumps({k.replace("/s5", "/s6"): v
                                  for k, v in json.loads(generated.read_text()).items()}))
    return [corpus_file, sample]


def test_neo4j_same_graph_as_embedded(neo4j_store: Neo4jStore, embedded: EmbeddedStore,
                                      files: list[Path]) -> None:
    for store in (embedded, neo4j_store):
        ingest(files, store, IngestOptions(batch_size=10, workers=1, source="same"))
    for what, query in GRAPH.items():
        rows = neo4j_store.read(query)
        assert rows == embedded.read(query), what
        assert rows, what
    assert neo4j_store.read(GRAPH["Study"])[0]["subject_id"] is None  # a null, not missing


def test_neo4j_write_splits_batch_into_transactions(neo4j_store: Neo4jStore, files: list[Path],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = neo4j.Session.execute_write
    monkeypatch.setattr(neo4j.Session, "execute_write",
                        lambda self, fn, *a, **k: calls.append(1) or original(self, fn, *a, **k))
    summary = ingest(files[1:], neo4j_store, IngestOptions(batch_size=40, workers=1))
    assert summary.loaded == 40
    assert len(calls) == 6  # 40 studies in transactions of 7


def test_neo4j_schema_and_finding_index(neo4j_store: Neo4jStore, neo4j_uri: str) -> None:
    with neo4j.GraphDatabase.driver(neo4j_uri, auth=("neo4j", Settings().neo4j_password)) as driver:
        constraints = {tuple(r["labelsOrTypes"] + r["properties"])
                       for r in driver.execute_query("SHOW CONSTRAINTS").records}
        assert {("Study", "study_id"), ("Observation", "id"), ("Anatomy", "id")} <= constraints
        for criterion in (Criterion(observation="effusion"),
                          Criterion(observation="opacity", located_at=("left", "base"))):
            for query, params in criterion_queries(criterion, neo4j=True):
                plan = str(driver.execute_query(f"EXPLAIN {query}", params).summary.plan)
                # answered from the index: the seek yields what the criterion tests and returns
                assert "RANGE INDEX o:Observation(finding, location_text, study_key, start, end)" in plan, query
                assert "cache[o.study_key], cache[o.start], cache[o.end]" in plan, query


def test_neo4j_read_only_store_refuses_writes(neo4j_store: Neo4jStore, neo4j_uri: str) -> None:
    reader = Neo4jStore.connect(neo4j_uri, Settings(), read_only=True)
    with pytest.raises(StoreError, match="Writing in read access mode not allowed"):
        reader.read("CREATE (:Study {study_id: 'x'})")
    reader.close()
    assert neo4j_store.read("MATCH (s:Study) RETURN count(s) AS n") == [{"n": 0}]


def test_neo4j_collected_reads_answer_as_plain_ones(neo4j_store: Neo4jStore, files: list[Path]) -> None:
    ingest(files, neo4j_store, IngestOptions(batch_size=50, workers=1))
    query, params = criterion_queries(Criterion(observation="effusion"))[0]
    first = neo4j_store.read(query, params)  # as written; learns the columns
    again = neo4j_store.read(query, params)  # collected into one record
    key = lambda r: (r["study_key"], r["start"])  # noqa: E731
    assert sorted(again, key=key) == sorted(first, key=key) and len(first) > 3
    nodes = "MATCH (s:Study {study_id: 's1'}) RETURN s"  # nodes come back as property maps
    assert neo4j_store.read(nodes) == neo4j_store.read(nodes)
    assert neo4j_store.read(nodes)[0]["s"]["study_id"] == "s1"


@pytest.mark.parametrize("phrases,groups,matches", [
    (["left lung base"], [("left",), ("base",)], True),
    (["base of the left lung"], [("left",), ("base",)], True),  # any order
    (["left pleural", "right base"], [("left",), ("base",)], False),  # one phrase holds them all
    (["right base", "left base"], [("left",), ("base",)], True),
    (["cleft base"], [("left",), ("base",)], False), (["left basilar"], [("left",), ("base",)], False),
    (["left"], [("left",)], True), ([], [("left",)], False),
    (["left lung"], [("lobe", "base"), ("left",)], False), (["left lobe"], [("lobe", "base"), ("left",)], True),
    (["mid.lung zone"], [("mid.lung",)], True), (["midxlung"], [("mid.lung",)], False),
    (["left"], [("left",), ("left",)], True),  # one word may meet two groups
])
def test_neo4j_location_text_matches_one_phrase_holding_every_group(
        neo4j_store: Neo4jStore, phrases: list[str], groups: list[tuple[str, ...]], matches: bool) -> None:
    """Neo4j's located criteria (read/criterion_mentions_located_neo4j, over a mention's
    joined phrases, location_text): met when one phrase holds a word of every group as a
    whole word — the embedded store's phrase-by-phrase test."""
    assert _location_hit(neo4j_store, phrases, tuple(groups)) is matches


def test_neo4j_location_text_of_many_phrases_is_matched(neo4j_store: Neo4jStore) -> None:
    """A mention located at 20,000 anatomies (a hostile report) is matched like any other:
    its phrases, too long for an index entry, are tested from its `locations` instead."""
    many = ["right upper lobe"] * 20_000
    assert location_text(many) == LONG_LOCATIONS
    for phrases, matches in ((many, False), (many + ["left lung base"], True), (["left base"] + many, True)):
        assert _location_hit(neo4j_store, phrases, (("left",), ("base",))) is matches


def _location_hit(store: Neo4jStore, phrases: list[str], groups: tuple[tuple[str, ...], ...]) -> bool:
    """Whether the located criterion that Neo4j runs finds a mention located at these phrases."""
    store.clear()
    with store._session() as session:
        session.run("CREATE (:Observation {finding: 1, study_key: 2, start: 3, `end`: 4, locations: $phrases, "
                    "location_text: $text})", phrases=phrases, text=location_text(phrases)).consume()
    return bool(store.read(*_render([1], groups, (), None, neo4j=True)))


LOCATED = [{"observation": "effusion", "locatedAt": ["left", "base"]},
           {"observation": "effusion", "locatedAt": ["left", "pleural"]},
           {"observation": "effusion", "locatedAt": ["pleural"], "modifiers": ["small"]},
           {"observation": "opacity", "locatedAt": ["lung"], "expand": True},
           {"observation": "opacity", "certainty": ["PRESENT", "UNCERTAIN"], "locatedAt": ["right", "lobe"]},
           {"allOf": [{"observation": "atelectasis", "locatedAt": ["base"]}],
            "noneOf": [{"observation": "effusion", "locatedAt": ["right"]}]}]


def test_neo4j_located_criteria_answer_as_the_embedded_store_also_on_older_graphs(
        neo4j_store: Neo4jStore, embedded: EmbeddedStore, files: list[Path], neo4j_uri: str) -> None:
    """Located cohorts on Neo4j (location_text) give the embedded store's studies and evidence,
    and so does a graph written by an older RadKB (no location_text, or one too long for an
    index entry, and not the criterion index) once kb has opened it for writing; opened
    read-only before that, it is refused with what to run."""
    for store in (embedded, neo4j_store):
        ingest(files, store, IngestOptions(batch_size=50, workers=1))

    def answers(store: Neo4jStore | EmbeddedStore) -> list[tuple]:
        return [(study.study_id, study.evidence) for where in LOCATED
                for study in select(store, parse_where(where)).studies]

    expected = answers(embedded)
    assert len(expected) > 10  # the cases find something (17 studies)
    assert answers(neo4j_store) == expected
    with neo4j_store._session() as session:
        session.run(f"DROP INDEX {CRITERION_INDEX}").consume()
        session.run("MATCH (o:Observation) REMOVE o.location_text").consume()
        session.run("MATCH (o:Observation) WITH o LIMIT 1 SET o.location_text = $long",
                    long="|" + "right upper lobe|" * 500).consume()  # 8.5 KB: no index could hold it
    with pytest.raises(StoreError, match="older RadKB.*run `kb ingest` into it once"):
        Neo4jStore.connect(neo4j_uri, Settings(), read_only=True)
    Neo4jStore.connect(neo4j_uri, Settings()).close()  # for writing: upgrades the graph
    assert neo4j_store.read("MATCH (o:Observation) WHERE o.location_text IS NULL RETURN count(o) AS n") == [{"n": 0}]
    assert neo4j_store.read("SHOW INDEXES YIELD name, state WHERE name = $name RETURN state",
                            {"name": CRITERION_INDEX}) == [{"state": "ONLINE"}]
    assert answers(neo4j_store) == expected
