"""The store as the API uses it: opened read-only, behind a read-through cache, its blocking
calls run in a thread pool and bounded by each request's deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from api.cache import CachedReader, CohortCache, Rows
from api.limits import timeout_error
from api.outage import outage
from kb.cohort import CohortFilter, CohortPage
from kb.cypher import statement
from kb.errors import StoreError
from kb.settings import Settings
from kb.store.base import Store

T = TypeVar("T")


class Backend:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.reader = CachedReader(store, settings.kb_cache_s, settings.kb_cache_rows)
        self.cohorts = CohortCache(self.reader, settings.kb_cache_s, settings.kb_cache_rows)
        self.timeout_s = settings.kb_query_timeout_s
        # One store connection, shared: ladybug runs one connection's calls one at a time
        # (each query uses every core), and per-thread connections served 50 clients no
        # better (see the issue note); the Neo4j driver pools its own connections.
        self._pool = ThreadPoolExecutor(settings.kb_api_threads, thread_name_prefix="kb-store")

    def deadline(self) -> float:
        """When the store work of a request starting now must be done (event-loop time)."""
        return asyncio.get_running_loop().time() + self.timeout_s

    async def call(self, deadline: float, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking store function off the event loop, within the deadline. A server that
        does not answer is a StoreUnavailable (HTTP 503)."""
        loop = asyncio.get_running_loop()
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise timeout_error(self.timeout_s)
        try:
            return await asyncio.wait_for(loop.run_in_executor(self._pool, fn, *args), remaining)
        except TimeoutError:
            raise timeout_error(self.timeout_s) from None
        except StoreError as err:
            down = outage(self.store.uri, err)
            if down is None:
                raise
            raise down from err

    async def read(self, deadline: float, name: str, params: dict[str, Any]) -> Rows:
        """Run the named statement of `cypher/` with its parameters (through the cache)."""
        return await self.call(deadline, self.reader.read, statement(name), params)

    async def cohort_page(self, deadline: float, cohort: CohortFilter, limit: int,
                          after: str) -> CohortPage:
        """A page of a cohort, as `kb.cohort.select(store, cohort, limit, after)` gives it."""
        return await self.call(deadline, self.cohorts.page, cohort, limit, after)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.store.close()
