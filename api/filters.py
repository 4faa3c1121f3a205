"""A cohort filter from what a client sends: criteria (`allOf` / `anyOf` / `noneOf`, read by
`kb.cohort.parse_where`, as `kb query --where` reads them) and a phrase (`kb.phrase`), the
criteria of both combined. GraphQL and the REST export read filters here."""

from __future__ import annotations

from typing import Any

from api.limits import criteria_count
from api.text import check_text
from kb.cohort import CohortFilter, parse_where
from kb.errors import QueryError


def cohort_filter(where: str | dict[str, Any] | None, phrase: str | None) -> CohortFilter:
    parts = []
    if where:
        parts.append(parse_where(where))
    if phrase is not None:
        from kb.phrase import parse_phrase  # the phrase parser is optional to the API

        parts.append(parse_phrase(phrase))
    if not parts:
        raise QueryError("the filter has no criterion: give allOf, anyOf, noneOf or phrase")
    cohort = CohortFilter(all_of=sum((p.all_of for p in parts), ()), any_of=sum((p.any_of for p in parts), ()),
                          none_of=sum((p.none_of for p in parts), ()))
    check_text(cohort.model_dump(), "the filter")
    return criteria_count(cohort)
