"""Read-through caches in front of the store. The API answers the same questions again and
again (every page of a cohort is the same cohort, every page's evidence the same criterion
mentions), and each distinct question is worth answering once: answers are kept for `ttl_s`
seconds, within a size budget, least recently used out first, and concurrent misses of one
key share a single computation. Three are kept: store reads (statement and parameters →
rows), whole cohorts (filter → every matching study with its evidence), and whole GraphQL
results (document and variables → result, as envelop's useResponseCache does), which spare
the per-field execution cost of a page asked for again.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable
from concurrent.futures import Future
from typing import Any, Generic, TypeVar

import numpy as np
from graphql import ExecutionResult
from strawberry.extensions import SchemaExtension

from kb.cohort import CohortFilter, CohortMatch, CohortPage, match
from kb.store.base import Store

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Rows = list[dict[str, Any]]


class Memo(Generic[K, V]):
    """Computed values by key, for `ttl_s` seconds (`<= 0`: not kept), at most `budget` in
    all as `size(value)` counts them. Values are shared: callers must not change them."""

    def __init__(self, ttl_s: float, budget: int, size: Callable[[V], int]) -> None:
        self.ttl_s, self.budget, self.size = ttl_s, budget, size
        self._entries: OrderedDict[K, tuple[float, int, V]] = OrderedDict()
        self._held = 0
        self._pending: dict[K, Future[V]] = {}
        self._lock = threading.Lock()

    def get(self, key: K, compute: Callable[[], V]) -> V:
        if self.ttl_s <= 0:
            return compute()
        with self._lock:
            found = self._lookup(key)
            if found is not None:
                return found
            pending = self._pending.get(key)
            if pending is None:
                self._pending[key] = Future()
        if pending is not None:  # another thread is computing it
            return pending.result()
        return self._fill(key, compute)

    def lookup(self, key: K) -> V | None:
        """The value kept for `key`, if any (no computing)."""
        with self._lock:
            return self._lookup(key) if self.ttl_s > 0 else None

    def keep(self, key: K, value: V) -> None:
        if self.ttl_s > 0:
            with self._lock:
                self._put(key, value)

    def _lookup(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry[0] > self.ttl_s:
            return None
        self._entries.move_to_end(key)
        return entry[2]

    def _fill(self, key: K, compute: Callable[[], V]) -> V:
        future = self._pending[key]
        try:
            value = compute()
        except BaseException as err:
            with self._lock:
                del self._pending[key]
            future.set_exception(err)
            raise
        with self._lock:
            del self._pending[key]
            self._put(key, value)
        future.set_result(value)
        return value

    def _put(self, key: K, value: V) -> None:
        if key in self._entries:
            self._drop(key)
        size = self.size(value)
        if size > self.budget:
            return
        self._entries[key] = (time.monotonic(), size, value)
        self._held += size
        while self._held > self.budget:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: K) -> None:
        _, size, _ = self._entries.pop(key)
        self._held -= size


class CachedReader:
    """A store `Reader` (what `kb.cohort.select` needs) whose answers are remembered."""

    def __init__(self, store: Store, ttl_s: float, max_rows: int) -> None:
        self.store = store
        self.uri = store.uri  # which store's statements kb.cohort sends
        self._memo: Memo[str, Rows] = Memo(ttl_s, max_rows, len)
        self._columns: Memo[str, dict[str, np.ndarray]] = Memo(
            ttl_s, max_rows, lambda columns: max(map(len, columns.values()), default=0))

    def read(self, query: str, params: dict[str, Any] | None = None) -> Rows:
        key = json.dumps([query, params or {}], sort_keys=True, default=str)
        return self._memo.get(key, lambda: self.store.read(query, params or {}))

    def read_columns(self, query: str, params: dict[str, Any] | None = None) -> dict[str, np.ndarray]:
        key = json.dumps(["columns", query, params or {}], sort_keys=True, default=str)
        return self._columns.get(key, lambda: self.store.read_columns(query, params or {}))


class CohortCache:
    """Whole cohort matches (`kb.cohort.match`: study keys and their evidence spans), so
    that paging through a cohort runs its criteria once: each page is then cut from the match
    by `CohortMatch.page`, as `select` does, its evidence read through the cached reader."""

    def __init__(self, reader: CachedReader, ttl_s: float, max_rows: int) -> None:
        self.reader = reader
        self._memo: Memo[CohortFilter, CohortMatch] = Memo(
            ttl_s, max_rows, lambda found: found.size)

    def page(self, cohort: CohortFilter, limit: int, after: str) -> CohortPage:
        found = self._memo.get(cohort, lambda: match(self.reader, cohort))
        return found.page(self.reader, limit, after)


class ResultCache:
    """Whole GraphQL results by (document, variables, operation name). A result being
    computed is awaited by the requests that ask for it meanwhile (clients paging through the
    same cohort together execute each page once)."""

    def __init__(self, ttl_s: float, max_results: int) -> None:
        self.memo: Memo[tuple[str, str, str], ExecutionResult] = Memo(
            ttl_s if max_results > 0 else 0, max_results, lambda _: 1)
        self.pending: dict[tuple[str, str, str], asyncio.Future[ExecutionResult | None]] = {}

    def extension(self) -> CachedResults:
        return CachedResults(self)


class CachedResults(SchemaExtension):
    """Serves a query asked before (same document, variables and operation) from the cache
    without executing it; results with errors are never kept. One per request."""

    def __init__(self, cache: ResultCache) -> None:
        self.cache = cache

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        key = (context.query or "", json.dumps(context.variables, sort_keys=True, default=str),
               context.operation_name or "")
        hit = self.cache.memo.lookup(key)
        if hit is None and key in self.cache.pending:
            hit = await asyncio.shield(self.cache.pending[key])
        if hit is not None or self.cache.memo.ttl_s <= 0:
            if hit is not None:
                context.result = hit  # strawberry skips execution when a result is set
            yield
            return
        done: asyncio.Future[ExecutionResult | None] = asyncio.get_running_loop().create_future()
        self.cache.pending[key] = done
        try:
            yield
        finally:
            del self.cache.pending[key]
            result = context.result
            kept = result if isinstance(result, ExecutionResult) and not result.errors else None
            if kept is not None:
                self.cache.memo.keep(key, kept)
            done.set_result(kept)
