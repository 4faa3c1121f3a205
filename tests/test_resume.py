"""Killing `kb ingest` (SIGKILL) part-way and running the same command again gives exactly the
studies, nodes and relationships of an uninterrupted run, on the embedded store and on Neo4j."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from bench.make_corpus import write
from tests.stores import empty_neo4j
from tests.test_cli import KB, kb

STATS = ("studies", "observations", "anatomies", "relations")


def _stats(store: str) -> dict[str, int]:
    numbers = json.loads(kb("stats", "--store", store, "--format", "json").stdout)
    return {k: numbers[k] for k in STATS}


def _reference(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """A 2,000-report corpus and the counts of an uninterrupted embedded run over it (the
    stores hold the same graph: tests/test_store_contract.py)."""
    corpus = tmp_path / "corpus.json"
    write(2000, corpus)
    reference = str(tmp_path / "reference")
    assert kb("ingest", str(corpus), "--store", reference, "--batch-size", "200").returncode == 0
    expected = _stats(reference)
    assert expected["studies"] == 2000
    return corpus, expected


def _kill_midway(corpus: Path, store: str) -> None:
    """Start `kb ingest` and SIGKILL it while it is loading."""
    delay = random.uniform(2.0, 6.0)  # the CLI starts in ~1.5 s; the load takes several s more
    for _ in range(4):
        process = subprocess.Popen([KB, "ingest", str(corpus), "--store", store, "--batch-size", "200"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if process.poll() is None:  # still loading: kill it there
            break
        delay /= 2  # it finished first: try again, sooner (a finished run resumes trivially)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL


def _resume(corpus: Path, store: str, expected: dict[str, int]) -> None:
    again = kb("ingest", str(corpus), "--store", store, "--batch-size", "200")
    assert again.returncode == 0, again.stderr
    print(again.stderr)  # how much the killed run had stored: "loaded N, skipped M (unchanged)"
    assert _stats(store) == expected


def test_resume_after_sigkill_matches_uninterrupted_run(tmp_path: Path) -> None:
    corpus, expected = _reference(tmp_path)
    store = str(tmp_path / "killed")
    _kill_midway(corpus, store)
    _resume(corpus, store, expected)


@pytest.mark.neo4j
def test_resume_neo4j_after_sigkill_matches_uninterrupted_run(tmp_path: Path, neo4j_uri: str) -> None:
    corpus, expected = _reference(tmp_path)
    empty_neo4j(neo4j_uri)
    _kill_midway(corpus, neo4j_uri)
    _resume(corpus, neo4j_uri, expected)
