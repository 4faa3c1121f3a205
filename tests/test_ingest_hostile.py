"""Hostile input (tests/hostile.py) through `kb ingest --on-error skip --failures F`, into a store
that already holds the hand-checked corpus: every bad report is one line of the failures file
with its key and reason, every good one loads whole, the reports before a truncation are kept,
and nothing that was in the store changes — on the embedded store and on Neo4j."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.corpus import corpus
from tests.hostile import write_hostile
from tests.snapshot import of, snapshot
from tests.stores import empty_neo4j
from tests.test_cli import kb

GOOD = {"s1", "s2", "s3", "s4", "s50000001"}  # the study IDs of tests/corpus.py


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store of each kind, named as `--store` takes it."""
    if request.param == "embedded":
        return str(tmp_path / "kb-store")
    return empty_neo4j(request.getfixturevalue("neo4j_uri"))


def test_ingest_hostile_corpus_rejects_each_bad_report(store_uri: str, tmp_path: Path) -> None:
    source = tmp_path / "corpus.json"
    source.write_text(json.dumps(corpus()))
    assert kb("ingest", str(source), "--store", store_uri).returncode == 0
    before, answer = snapshot(store_uri)
    assert answer[0][0] == "s2" and len(answer) == 1

    hostile = write_hostile(tmp_path / "hostile.json")
    failures = tmp_path / "failures.jsonl"
    started = time.perf_counter()
    result = kb("ingest", str(hostile.path), "--store", store_uri, "--on-error", "skip",
                "--failures", str(failures))
    seconds = time.perf_counter() - started
    assert result.returncode == 1, result.stderr  # something failed, and the exit code says so
    assert "Traceback" not in result.stderr
    assert f"loaded {len(hostile.loads)}, skipped 0 (unchanged), failed {len(hostile.rejects)}" in result.stderr
    assert seconds < 60, f"a 1 MB report and a 10,000-entity report took {seconds:.0f} s"

    rows = [json.loads(line) for line in failures.read_text().splitlines()]
    assert Counter(r["key"] for r in rows) == Counter(list(hostile.rejects))  # one line each
    for row in rows:
        assert hostile.rejects[row["key"]] in row["error"], row

    after, answer_after = snapshot(store_uri)
    assert answer_after == answer
    assert of(after, GOOD) == of(before, GOOD)  # the corpus is untouched, "s1" included
    loaded = set(hostile.loads)
    assert {r["study"] for r in after["Study"]} == GOOD | loaded
    assert {r["study"]: r["text"] for r in of(after, loaded)["Study"]} == hostile.loads
    for name, part in after.items():  # no node or relationship but the new studies' own
        assert len(part) == len(before[name]) + len(of(after, loaded)[name]), name
    big = of(after, {"h-10k-entities"})
    assert (len(big["Observation"]), len(big["Anatomy"]), len(big["LOCATED_AT"])) == (5000, 5000, 5000)
    wide = of(after, {"h-2k-locations"})
    assert (len(wide["Observation"]), len(wide["LOCATED_AT"])) == (1, 2000)
