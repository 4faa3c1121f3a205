"""What keeps one request from taking the service down: query depth, tokens and aliases, the
page size, the number of criteria, a per-request deadline on store work, and errors that say
what went wrong without a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)

from kb.cohort import CohortFilter
from kb.errors import InputError, StoreUnavailable
from kb.settings import Settings

log = logging.getLogger("api")

MAX_ALIASES = 15
MAX_CRITERIA = 20
INTERNAL_ERROR = "internal error: the service could not answer this query (see the server log)"


class LimitError(InputError):
    """A request over one of the service's limits; the message names the limit."""


def page_size(first: int, max_first: int) -> int:
    if first < 0 or first > max_first:
        raise LimitError(f"first must be between 0 and {max_first} (KB_MAX_FIRST), got {first}; "
                         "walk larger cohorts page by page with `after`, or use /cohort.csv")
    return first


def criteria_count(cohort: CohortFilter) -> CohortFilter:
    n = len(cohort.all_of) + len(cohort.any_of) + len(cohort.none_of)
    if n > MAX_CRITERIA:
        raise LimitError(f"a cohort filter may hold at most {MAX_CRITERIA} criteria, got {n}")
    return cohort


def timeout_error(seconds: float) -> LimitError:
    return LimitError(f"the query took longer than {seconds:g} s (KB_QUERY_TIMEOUT_S); "
                      "narrow the cohort or ask for a smaller page")


def is_user_error(error: GraphQLError) -> bool:
    """Parse and validation errors, errors RadKB raises about the input, and a store outage
    (answered 503, see `api.outage`) are shown as they are; anything else is an internal error
    whose details stay in the server log."""
    return error.original_error is None or isinstance(error.original_error,
                                                      (InputError, GraphQLError, StoreUnavailable))


def log_unexpected(errors: list[GraphQLError]) -> None:
    for error in errors:
        if not is_user_error(error):
            log.error("GraphQL resolver failed at %s", error.path, exc_info=error.original_error)


def extensions(settings: Settings) -> list[Any]:
    """Factories of the schema extensions that enforce the limits, cheapest check first
    (strawberry builds a fresh set per request). The depth and alias rules are built once, so
    that the validation cache, keyed by the rules too, finds a query validated before."""
    rules = [*QueryDepthLimiter(max_depth=settings.kb_max_depth).validation_rules,
             *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules]
    return [
        lambda: MaxTokensLimiter(max_token_count=settings.kb_max_tokens),
        lambda: ParserCache(maxsize=256),
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=256),
        lambda: MaskErrors(should_mask_error=lambda e: not is_user_error(e), error_message=INTERNAL_ERROR),
    ]
