"""What the API answers while its store is down. When the Neo4j server does not answer, each
request that needs it fails fast (reads retry for a quarter of the request's deadline) with
HTTP 503 and one line — `store unavailable: bolt://…: Connection refused; retry later` —
never a 500 or a stack trace. Nothing needs restarting: the driver reconnects by itself, and
an error is never cached, so the first request after the server is back gets its answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from graphql import GraphQLError
from neo4j.exceptions import ServiceUnavailable, SessionExpired
from strawberry.extensions import SchemaExtension

from kb.errors import StoreError, StoreUnavailable
from kb.settings import Settings

log = logging.getLogger("api")

_REASON = re.compile(r"\(reason ([^)]*)\)")


def read_retry_s(settings: Settings) -> float:
    """How long a read retries a lost server before its request is answered 503: a quarter of
    the request's deadline, so that the 503 comes well within it."""
    return settings.kb_query_timeout_s / 4


def outage(uri: str, err: StoreError) -> StoreUnavailable | None:
    """The outage `err` stands for when the server did not answer; None for other failures."""
    cause = err.__cause__
    if not isinstance(cause, (ServiceUnavailable, SessionExpired)):
        return None
    found = _REASON.findall(str(cause))
    reason = re.sub(r"^\[Errno \d+\]\s*", "", found[-1]) if found else "the server does not answer"
    return StoreUnavailable(f"store unavailable: {uri}: {reason}; retry later")


class OutageStatus(SchemaExtension):
    """A GraphQL request that met a store outage answers HTTP 503 with the outage's one line in
    place of a partial result (it runs before MaskErrors, which leaves StoreUnavailable shown)."""

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None) or []
        down = next((e.original_error for e in errors if isinstance(e.original_error, StoreUnavailable)), None)
        if down is None:
            return
        log.warning("GraphQL request answered 503: %s", down)
        result.data, result.errors = None, [GraphQLError(str(down), original_error=down)]  # type: ignore[union-attr]
        self.execution_context.context.response.status_code = 503
