"""The store contract: the same corpus gives the same counts, cohort answers and evidence on
every store (the embedded store always; Neo4j when NEO4J_TEST_URI names a running server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.pipeline import IngestOptions, ingest
from kb.keys import study_key
from kb.cohort import parse_where, select
from kb.store.base import stats
from tests.corpus import corpus

COUNTS = {"studies": 5, "observations": 14, "anatomies": 17, "relations": 21}


def _ingest(store, path: Path):
    return ingest([path], store, IngestOptions(batch_size=2, workers=1))


def _ids(store, where) -> list[str]:
    """The cohort's study IDs, sorted (select lists them in cohort order: by study key)."""
    return sorted(s.study_id for s in select(store, parse_where(where)).studies)


def _in_cohort_order(ids: list[str]) -> list[str]:
    return sorted(ids, key=study_key)


def _counts(store) -> dict[str, int]:
    numbers = stats(store)
    return {k: numbers[k] for k in COUNTS}


def test_store_counts_after_ingest(store, corpus_file: Path) -> None:
    summary = _ingest(store, corpus_file)
    assert (summary.loaded, summary.skipped, summary.failed) == (5, 0, 0)
    assert _counts(store) == COUNTS


def test_store_reingest_is_idempotent(store, corpus_file: Path) -> None:
    _ingest(store, corpus_file)
    again = _ingest(store, corpus_file)
    assert (again.loaded, again.skipped) == (0, 5)
    assert _counts(store) == COUNTS


def test_store_changed_report_replaces_subgraph(store, corpus_file: Path, tmp_path: Path) -> None:
    _ingest(store, corpus_file)
    changed = corpus()
    changed["s1"]["entities"]["5"]["label"] = "OBS-DP"  # pneumothorax now present
    del changed["s1"]["entities"]["1"]  # "Small" removed
    path = tmp_path / "changed.json"
    path.write_text(json.dumps({"s1": changed["s1"]}))
    summary = _ingest(store, path)
    assert (summary.loaded, summary.skipped) == (1, 0)
    assert _counts(store) == {**COUNTS, "observations": 13, "relations": 20}
    assert _ids(store, {"observation": "pneumothorax"}) == ["s1"]
    assert _ids(store, {"observation": "effusion", "modifiers": ["small"]}) == ["s2"]


@pytest.mark.parametrize("where,expected", [
    ({"observation": "effusion", "locatedAt": ["left", "base"]}, ["s2"]),
    ({"observation": "opacity", "locatedAt": ["left", "base"]}, ["s2"]),
    ({"observation": "atelectasis", "locatedAt": ["left base"]}, ["s4"]),
    ({"observation": "effusion", "locatedAt": ["left", "pleural"]}, ["s1", "s4"]),  # s4: bilateral
    ({"observation": "effusion", "locatedAt": ["right", "pleural"]}, ["s4"]),
    ({"observation": "effusion", "locatedAt": ["pleural"]}, ["s1", "s4"]),
    ({"observation": "effusion"}, ["s1", "s2", "s4"]),
    ({"observation": "Effusions"}, ["s1", "s2", "s4"]),
    ({"observation": "effusion", "certainty": ["ABSENT"]}, ["s3"]),
    ({"observation": "effusion", "certainty": ["PRESENT", "UNCERTAIN", "ABSENT"]}, ["s1", "s2", "s3", "s4"]),
    ({"observation": "opacity", "certainty": ["UNCERTAIN"], "locatedAt": ["right", "lobe"]}, ["s3"]),
    ({"observation": "opacity", "certainty": ["UNCERTAIN"], "locatedAt": ["left", "lobe"]}, []),
    ({"observation": "effusion", "modifiers": ["small"]}, ["s1", "s2"]),
    ({"observation": "effusion", "modifiers": ["large"]}, []),
    ({"observation": "effusion", "modifiers": ["'"]}, []),  # a modifier that normalises to ""
    ({"observation": "effusion", "modifiers": ["small", "left"]}, []),
    ({"observation": "normal", "locatedAt": ["heart"]}, ["s50000001"]),
    ({"observation": "consolidation", "certainty": ["ABSENT"], "modifiers": ["focal"]}, ["s50000001"]),
    ({"observation": "effusion", "section": "impression"}, ["s4"]),
    ({"allOf": [{"observation": "effusion"}], "noneOf": [{"observation": "pneumothorax", "certainty": ["ABSENT"]}]}, ["s2", "s4"]),
    ({"allOf": [{"observation": "effusion"}, {"observation": "atelectasis"}]}, ["s4"]),
    ({"anyOf": [{"observation": "atelectasis"}, {"observation": "opacity", "certainty": ["UNCERTAIN"]}]}, ["s3", "s4"]),
    ({"noneOf": [{"observation": "effusion"}]}, ["s3", "s50000001"]),
    ({"noneOf": [{"observation": "effusion", "certainty": ["ABSENT"]}]}, ["s1", "s2", "s4", "s50000001"]),
    ({"allOf": [{"observation": "pneumonia", "certainty": ["UNCERTAIN"]}], "anyOf": [{"observation": "effusion"}]}, ["s4"]),
])
def test_store_cohort_answers(store, corpus_file: Path, where: dict, expected: list[str]) -> None:
    _ingest(store, corpus_file)
    assert _ids(store, where) == expected


def test_store_cohort_evidence_slices_text(store, corpus_file: Path) -> None:
    _ingest(store, corpus_file)
    texts = {key.split("/")[-1].removesuffix(".txt"): e["text"] for key, e in corpus().items()}
    result = select(store, parse_where({"anyOf": [{"observation": "effusion"}, {"observation": "opacity"}]}))
    assert result.total == 3
    evidence = {s.study_id: [(e.text, e.certainty, e.section) for e in s.evidence] for s in result.studies}
    assert evidence == {
        "s1": [("effusion", "PRESENT", "FINDINGS")],
        "s2": [("Opacity", "PRESENT", "FINDINGS"), ("effusion", "PRESENT", "FINDINGS")],
        "s4": [("effusions", "PRESENT", "IMPRESSION")],
    }
    for study in result.studies:
        for e in study.evidence:
            assert texts[study.study_id][e.start:e.end] == e.text


def test_store_cohort_subject_and_limit(store, corpus_file: Path) -> None:
    _ingest(store, corpus_file)
    result = select(store, parse_where({"observation": "normal"}))
    assert [(s.study_id, s.subject_id) for s in result.studies] == [("s50000001", "p10000001")]
    limited = select(store, parse_where({"observation": "effusion"}), limit=2)
    first_two = _in_cohort_order(["s1", "s2", "s4"])[:2]
    assert (limited.total, [s.study_id for s in limited.studies], limited.has_next) == (3, first_two, True)


def test_store_cypher_explore_queries_run(store, corpus_file: Path) -> None:
    from kb.cypher import names, statement

    _ingest(store, corpus_file)
    params = {"term": "effusion", "limit": 5, "study_id": "s2"}
    results = {name: store.read(statement(name), params) for name in names("explore")}
    assert results["explore/study_graph"][0]["locations"] == ["left lung base"]
    assert {r["term"] for r in results["explore/cooccurrence"]} >= {"opacity", "atelectasis"}


def test_store_cohort_pages_walk_every_study_once(store, corpus_file: Path) -> None:
    _ingest(store, corpus_file)
    cohort = parse_where({"observation": "effusion", "certainty": ["PRESENT", "ABSENT"]})
    seen, after, has_next = [], "", True
    while has_next:
        page = select(store, cohort, limit=1, after=after)
        assert page.total == 4
        seen += [s.study_id for s in page.studies]
        after, has_next = seen[-1], page.has_next
    assert seen == _in_cohort_order(["s1", "s2", "s3", "s4"])


def test_store_ingest_in_worker_processes_matches_inline(store, corpus_file: Path, tmp_path: Path) -> None:
    summary = ingest([corpus_file], store, IngestOptions(batch_size=2, workers=2))
    assert (summary.loaded, summary.failed) == (5, 0)
    assert _counts(store) == COUNTS
    assert _ids(store, {"observation": "effusion", "locatedAt": ["left", "base"]}) == ["s2"]


def test_store_duplicate_study_with_other_content_is_rejected(store, tmp_path: Path) -> None:
    from ingest.failures import FailureLog

    entries = corpus()
    changed = json.loads(json.dumps(entries["s1"]))
    changed["entities"]["5"]["label"] = "OBS-DP"
    mimic = "p10/p10000001/s50000001.txt"
    text = json.dumps(entries)[:-1] + f', "files/{mimic}": ' + json.dumps(entries[mimic]) + \
        ', "s1": ' + json.dumps(changed) + "}"
    path = tmp_path / "dupes.json"
    path.write_text(text)  # s50000001 again, identical, under another key; s1 again, changed
    log = FailureLog(tmp_path / "failures.jsonl")
    summary = ingest([path], store, IngestOptions(on_error="skip", workers=1, batch_size=3), log)
    log.close()
    assert (summary.loaded, summary.failed) == (5, 1)
    failures = [json.loads(line) for line in (tmp_path / "failures.jsonl").read_text().splitlines()]
    assert failures[0]["error"].startswith("study 's1' occurs twice in the input with different content")
    assert _ids(store, {"observation": "pneumothorax"}) == []  # the first version stayed


@pytest.mark.parametrize("phrase,words,matches", [
    ("left lung base", ("left",), True), ("upper left", ("left",), True), ("left", ("left",), True),
    ("cleft", ("left",), False), ("lefty base", ("left",), False), ("left lung base", ("lobe", "base"), True),
    ("left lung", ("lobe", "base"), False), ("mid.lung zone", ("mid.lung",), True), ("midxlung", ("mid.lung",), False),
])
def test_store_location_words_match_whole_words(store, phrase: str, words: tuple[str, ...], matches: bool) -> None:
    """A located criterion's word test, each store's own (the embedded store's regular
    expression, kb.cohort._any_word; Neo4j's padded words, kb.cohort._padded, as
    read/criterion_mentions_located_neo4j tests them): whole words only, any of the group's
    words, metacharacters taken literally."""
    from kb.cohort import _any_word, _padded
    from kb.store.base import is_server_uri

    if is_server_uri(store.uri):
        [row] = store.read("RETURN any(word IN $words WHERE (' ' + $phrase + ' ') CONTAINS word) AS hit",
                           {"phrase": phrase, "words": _padded(words)})
    else:
        [row] = store.read("RETURN $phrase =~ $pattern AS hit", {"phrase": phrase, "pattern": _any_word(words)})
    assert row["hit"] is matches


def test_embedded_store_writes_only_integers_into_statements() -> None:
    """The embedded store writes the integer parameters of its cohort criteria into the
    statement as literals (ladybug filters a literal inside its scan); every other value stays
    a parameter, so no text from a user is ever written into Cypher."""
    from kb.store.embedded import _integer_literals

    assert _integer_literals("WHERE o.finding IN $findings AND o.x = $x", {"findings": [3, -4], "x": 5}) == \
        ("WHERE o.finding IN [3, -4] AND o.x = 5", {})
    text = "'] DETACH DELETE o //"
    assert _integer_literals("WHERE $m IN o.modifiers AND o.finding = $f", {"m": text, "f": 1}) == \
        ("WHERE $m IN o.modifiers AND o.finding = 1", {"m": text})
    for value in (True, [1, "2"], [], 1.5):
        assert _integer_literals("WHERE o.v = $v", {"v": value}) == ("WHERE o.v = $v", {"v": value})
    assert _integer_literals("WHERE o.finding = $missing", {}) == ("WHERE o.finding = $missing", {})


def test_embedded_store_built_by_an_older_radkb_is_refused(tmp_path: Path) -> None:
    """A store whose studies are keyed by study_id (graph version 2) cannot answer a cohort
    page's key lookups: opening it says to ingest again, it does not fail on a later query."""
    import ladybug

    from kb.errors import StoreError
    from kb.store.embedded import EmbeddedStore

    path = tmp_path / "old-store"
    db = ladybug.Database(str(path))
    conn = ladybug.Connection(db)
    conn.execute("CREATE NODE TABLE Study(study_id STRING PRIMARY KEY, study_key INT64)")
    conn.execute("CREATE NODE TABLE Observation(id STRING PRIMARY KEY, finding INT64, study_key INT64)")
    conn.close()
    db.close()
    with pytest.raises(StoreError, match="older RadKB .* ingest your corpus again"):
        EmbeddedStore(path)
