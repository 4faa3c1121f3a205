"""Killing `kb ingest` (SIGKILL) part-way and running the same command again gives exactly the
studies, nodes and relationships of an uninterrupted run."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from pathlib import Path

from bench.make_corpus import write
from tests.test_cli import KB, kb

STATS = ("studies", "observations", "anatomies", "relations")


def _stats(store: str) -> dict[str, int]:
    numbers = json.loads(kb("stats", "--store", store, "--format", "json").stdout)
    return {k: numbers[k] for k in STATS}


def test_resume_after_sigkill_matches_uninterrupted_run(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.json"
    write(2000, corpus)
    reference = str(tmp_path / "reference")
    assert kb("ingest", str(corpus), "--store", reference, "--batch-size", "200").returncode == 0
    expected = _stats(reference)
    assert expected["studies"] == 2000

    delay = random.uniform(2.0, 6.0)  # the CLI starts in ~1.5 s; the load takes several s more
    for attempt in range(4):
        store = str(tmp_path / f"killed-{attempt}")
        process = subprocess.Popen([KB, "ingest", str(corpus), "--store", store, "--batch-size", "200"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if process.poll() is None:  # still loading: kill it there
            break
        delay /= 2  # it finished first: try again, sooner
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    again = kb("ingest", str(corpus), "--store", store, "--batch-size", "200")
    assert again.returncode == 0, again.stderr
    print(again.stderr)  # how much the killed run had stored: "loaded N, skipped M (unchanged)"
    assert _stats(store) == expected
