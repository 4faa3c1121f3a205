"""Cohort selection: criteria, their combination, and their compilation into the Cypher that
both stores answer identically. This is the one implementation behind `kb query` and the API.

A criterion names an observation term, the certainties allowed (default: definitely present),
location words that one located_at head must carry all of, and modifier terms. Studies combine
criteria with allOf / anyOf / noneOf.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kb.cypher import statement
from kb.errors import QueryError
from kb.schema import Certainty
from kb.terms import normalize_term, term_words


class Criterion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    observation: str = Field(min_length=1)
    certainty: tuple[Certainty, ...] = Field((Certainty.PRESENT,), min_length=1)
    located_at: tuple[str, ...] = Field((), alias="locatedAt")
    modifiers: tuple[str, ...] = ()
    section: str | None = None


class CohortFilter(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    all_of: tuple[Criterion, ...] = Field((), alias="allOf")
    any_of: tuple[Criterion, ...] = Field((), alias="anyOf")
    none_of: tuple[Criterion, ...] = Field((), alias="noneOf")

    @property
    def positive(self) -> tuple[Criterion, ...]:
        return self.all_of + self.any_of


def parse_where(where: str | dict[str, Any]) -> CohortFilter:
    """A criterion or a combination, as JSON text or a dict, → CohortFilter."""
    if isinstance(where, str):
        try:
            where = json.loads(where)
        except json.JSONDecodeError as err:
            raise QueryError(f"--where is not valid JSON: {err}") from None
    if not isinstance(where, dict):
        raise QueryError("a cohort filter is a JSON object: a criterion "
                         '{"observation": …} or {"allOf": […], "anyOf": […], "noneOf": […]}')
    try:
        if "observation" in where:
            return CohortFilter(all_of=(Criterion.model_validate(where),))
        cohort = CohortFilter.model_validate(where)
    except ValidationError as err:
        raise QueryError(_validation_message(err)) from None
    if not (cohort.all_of or cohort.any_of or cohort.none_of):
        raise QueryError("the filter has no criterion: give allOf, anyOf or noneOf")
    return cohort


def _validation_message(err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "filter"
        parts.append(f"{where}: {e['msg']}")
    return "invalid cohort filter: " + "; ".join(parts)


@dataclass(frozen=True)
class CompiledCohort:
    """Cypher predicates over `s` (Study) and `o` (Observation), and their parameters."""

    study_filter: str
    mention_filter: str  # the positive criteria, for evidence
    params: dict[str, Any]

    def query(self, name: str) -> str:
        return (statement(name).replace("{{study_filter}}", self.study_filter)
                .replace("{{mention_filter}}", self.mention_filter))


def compile_cohort(cohort: CohortFilter) -> CompiledCohort:
    params: dict[str, Any] = {}
    mention: dict[Criterion, str] = {}
    for i, criterion in enumerate(dict.fromkeys(cohort.all_of + cohort.any_of + cohort.none_of)):
        mention[criterion] = _mention_filter(f"c{i}", criterion, params)

    def exists(c: Criterion) -> str:
        return statement("read/criterion_study").replace("{{mention_filter}}", mention[c])

    parts = [exists(c) for c in cohort.all_of]
    if cohort.any_of:
        parts.append("(" + " OR ".join(exists(c) for c in cohort.any_of) + ")")
    parts += [f"NOT {exists(c)}" for c in cohort.none_of]
    positive = " OR ".join(f"({mention[c]})" for c in dict.fromkeys(cohort.positive))
    return CompiledCohort(" AND ".join(parts), positive or "false", params)


_WHEN = re.compile(r"\s*/\* when (\w+) \*/$")


def _mention_filter(name: str, c: Criterion, params: dict[str, Any]) -> str:
    located = [w for place in c.located_at for w in term_words(place)]
    values: dict[str, Any] = {
        "terms": [normalize_term(c.observation)],
        "certainty": [x.value for x in c.certainty],
        "modifiers": [normalize_term(m) for m in c.modifiers],
        "located": located,
        "section": c.section.upper() if c.section else None,
    }
    lines = []
    for line in statement("read/criterion_mention").splitlines():
        tag = _WHEN.search(line)
        if tag and not values[tag.group(1)]:
            continue
        lines.append(_WHEN.sub("", line).replace("{{c}}", name))
    params.update({f"{name}_{k}": v for k, v in values.items() if v})
    return " ".join(lines)


class Reader(Protocol):
    """What cohort selection needs from a store."""

    def read(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Evidence:
    text: str
    start: int
    end: int
    certainty: str
    section: str | None


@dataclass(frozen=True)
class StudyMatch:
    study_id: str
    subject_id: str | None
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class CohortPage:
    total: int
    studies: tuple[StudyMatch, ...]
    has_next: bool


def count(store: Reader, compiled: CompiledCohort) -> int:
    rows = store.read(compiled.query("read/cohort_count"), compiled.params)
    return int(rows[0]["total"])


def page(store: Reader, compiled: CompiledCohort, after: str = "", limit: int = 50) -> tuple[list[dict[str, Any]], bool]:
    """Up to `limit` matching studies after the study ID `after`, and whether more follow."""
    params = {**compiled.params, "after": after, "limit": limit + 1}
    rows = store.read(compiled.query("read/cohort_page"), params)
    return rows[:limit], len(rows) > limit


def evidence(store: Reader, compiled: CompiledCohort, study_ids: list[str]) -> dict[str, list[Evidence]]:
    found: dict[str, list[Evidence]] = {sid: [] for sid in study_ids}
    if not study_ids or compiled.mention_filter == "false":
        return found
    rows = store.read(compiled.query("read/cohort_evidence"), {**compiled.params, "ids": study_ids})
    for r in rows:
        found[r["study_id"]].append(Evidence(r["text"], r["start"], r["end"], r["certainty"], r["section"]))
    return found


def select(store: Reader, cohort: CohortFilter, limit: int | None = None, after: str = "",
           page_size: int = 1000) -> CohortPage:
    """Every matching study (or the first `limit`) with its evidence, in study ID order."""
    compiled = compile_cohort(cohort)
    total = count(store, compiled)
    studies: list[StudyMatch] = []
    has_next = True
    while has_next and (limit is None or len(studies) < limit):
        size = page_size if limit is None else min(page_size, limit - len(studies))
        rows, has_next = page(store, compiled, after, size)
        found = evidence(store, compiled, [r["study_id"] for r in rows])
        studies += [StudyMatch(r["study_id"], r["subject_id"], tuple(found[r["study_id"]])) for r in rows]
        after = rows[-1]["study_id"] if rows else after
    return CohortPage(total, tuple(studies), has_next)
