"""The API's caches: a cached cohort pages exactly as `kb.cohort.select` does, and the memo
keeps to its age and size budget and runs concurrent misses of one key once."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from api.cache import CachedReader, CohortCache, Memo
from ingest.pipeline import IngestOptions, ingest
from kb.cohort import parse_where, select


@pytest.mark.parametrize("where", [
    {"observation": "effusion", "certainty": ["PRESENT", "UNCERTAIN", "ABSENT"]},
    {"noneOf": [{"observation": "pneumothorax", "certainty": ["UNCERTAIN"]}]},
    {"anyOf": [{"observation": "atelectasis"}, {"observation": "opacity", "certainty": ["UNCERTAIN"]}]},
])
def test_api_cache_cohort_pages_equal_select(embedded: Any, corpus_file: Path, where: dict[str, Any]) -> None:
    ingest([corpus_file], embedded, IngestOptions(workers=1))
    cohort = parse_where(where)
    cache = CohortCache(CachedReader(embedded, 60, 10_000), 60, 10_000)
    ids = [""] + [s.study_id for s in select(embedded, cohort).studies] + ["s0", "zzz"]
    for limit in (0, 1, 2, 5):
        for after in ids:
            assert cache.page(cohort, limit, after) == select(embedded, cohort, limit, after)


def test_api_cache_memo_expires_and_keeps_to_its_budget() -> None:
    calls: list[str] = []

    def compute(key: str, size: int) -> list[int]:
        calls.append(key)
        return [0] * size

    memo: Memo[str, list[int]] = Memo(0.2, 10, len)
    memo.get("a", lambda: compute("a", 4))
    memo.get("a", lambda: compute("a", 4))
    memo.get("b", lambda: compute("b", 4))
    memo.get("c", lambda: compute("c", 4))  # 12 > 10: a, the least recently used, goes
    memo.get("b", lambda: compute("b", 4))
    memo.get("a", lambda: compute("a", 4))
    memo.get("huge", lambda: compute("huge", 11))  # over the whole budget: never kept
    assert memo.lookup("huge") is None
    time.sleep(0.25)
    memo.get("a", lambda: compute("a", 4))
    assert calls == ["a", "b", "c", "a", "huge", "a"]


def test_api_cache_memo_runs_concurrent_misses_once() -> None:
    calls = []
    gate = threading.Event()

    def slow() -> str:
        calls.append(1)
        gate.wait(5)
        return "answer"

    memo: Memo[str, str] = Memo(60, 10, lambda _: 1)
    answers: list[str] = []
    threads = [threading.Thread(target=lambda: answers.append(memo.get("k", slow))) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    gate.set()
    for t in threads:
        t.join(5)
    assert answers == ["answer"] * 8 and calls == [1]


def test_api_cache_memo_off_computes_every_time() -> None:
    memo: Memo[str, int] = Memo(0, 10, lambda _: 1)
    calls = []
    for _ in range(3):
        memo.get("k", lambda: calls.append(1) or 1)
    assert len(calls) == 3 and memo.lookup("k") is None
