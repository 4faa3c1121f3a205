"""Cohort selection: criteria, their combination, and their compilation into the Cypher that
both stores answer identically. This is the one implementation behind `kb query` and the API.

A criterion names an observation term, the certainties allowed (default: definitely present),
location words that one located_at head must carry all of, and modifier terms. Studies combine
criteria with allOf / anyOf / noneOf.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kb.cypher import statement
from kb.errors import QueryError
from kb.keys import finding_key, study_key
from kb.records import mention_id
from kb.schema import Certainty
from kb.vocabulary import vocabulary


class Criterion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    observation: str = Field(min_length=1)
    certainty: tuple[Certainty, ...] = Field((Certainty.PRESENT,), min_length=1)
    located_at: tuple[str, ...] = Field((), alias="locatedAt")
    modifiers: tuple[str, ...] = ()
    section: str | None = None
    expand: bool = False  # a location word is also met by its parts (lung: lobe, base, …)


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


_TAG = re.compile(r"\s*/\* (when|each) (\w+) \*/$")


def criterion_queries(c: Criterion) -> list[tuple[str, dict[str, Any]]]:
    """The Cypher and parameters that find the IDs of the mentions meeting one criterion: one
    query per way the observation is written (a derived concept has several). Only the shape
    of a query depends on the criterion; every value in it is a parameter."""
    vocab = vocabulary()
    groups = vocab.location_groups(c.located_at, c.expand)
    common = {
        "modifiers": [vocab.observation(m) for m in c.modifiers],
        "section": c.section.upper() if c.section else None,
    }
    certainty = [x.value for x in c.certainty]
    return [_render(_findings(p.terms, certainty), p.located + groups, common)
            for p in vocab.patterns(c.observation)]


def _findings(terms: tuple[str, ...], certainty: list[str]) -> list[int]:
    return [finding_key(t, x) for t in terms for x in certainty]


def _render(findings: list[int], groups: tuple[tuple[str, ...], ...],
            common: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    params = {"findings": findings, **common, **{f"located_{i}": list(g) for i, g in enumerate(groups)}}
    name = "read/criterion_mentions_located" if groups else "read/criterion_mentions"
    lines = []
    for line in statement(name).splitlines():
        tag = _TAG.search(line)
        body = _TAG.sub("", line)
        if tag is None:
            lines.append(body)
        elif tag.group(1) == "each":
            lines += [body.replace("{i}", str(i)) for i in range(len(groups))]
        elif params[tag.group(2)]:
            lines.append(body)
    return "\n".join(lines), {k: v for k, v in params.items() if v}


def explain_cohort(cohort: CohortFilter) -> dict[str, Any]:
    """The parsed filter and, per criterion, the Cypher and parameters it runs."""
    def queries(c: Criterion) -> list[dict[str, Any]]:
        written = vocabulary().patterns(c.observation)
        return [{"terms": list(w.terms), "certainty": [x.value for x in c.certainty],
                 "cypher": q, "params": p} for w, (q, p) in zip(written, criterion_queries(c))]

    return {"filter": cohort.model_dump(mode="json", by_alias=True, exclude_defaults=True),
            "queries": {part: [queries(c) for c in getattr(cohort, field)]
                        for part, field in (("allOf", "all_of"), ("anyOf", "any_of"), ("noneOf", "none_of"))
                        if getattr(cohort, field)}}


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


Span = tuple[int, int]  # a mention's start and end in its report


def mentions(store: Reader, criterion: Criterion) -> dict[int, list[Span]]:
    """The mentions meeting one criterion, by study key."""
    found: dict[int, list[Span]] = {}
    for query, params in criterion_queries(criterion):
        for row in store.read(query, params):
            found.setdefault(row["study_key"], []).append((row["start"], row["end"]))
    return found


LOOKUP_CHUNK = 10_000  # studies or mentions per lookup


@dataclass(frozen=True)
class CohortMatch:
    """Every study matching a filter, by study key in key order (kb.keys.study_key: stable,
    spread over the corpus), and the mentions each positive criterion found. Pages are cut
    from it, so paging through a cohort runs the criteria once and each page looks up only
    its own studies and evidence."""

    keys: list[int]
    found: tuple[dict[int, list[Span]], ...]  # per positive criterion: study key → spans

    def page(self, store: Reader, limit: int | None = None, after: str = "") -> CohortPage:
        """The studies after the study with ID `after` (keyset), at most `limit` of them."""
        first = bisect_right(self.keys, study_key(after)) if after else 0
        chosen = self.keys[first:] if limit is None else self.keys[first:first + limit]
        studies = {r["study_key"]: r for r in _lookup(store, "read/studies_by_key", "keys", chosen)}
        wanted = [mention_id(studies[k]["study_id"], *span) for k in chosen
                  for span in dict.fromkeys(self.evidence(k))]
        rows: dict[str, list[dict[str, Any]]] = {}
        for row in _lookup(store, "read/mentions_by_id", "ids", wanted):
            rows.setdefault(row["study_id"], []).append(row)
        page = tuple(_study(studies[k], rows.get(studies[k]["study_id"], [])) for k in chosen)
        return CohortPage(len(self.keys), page, first + len(chosen) < len(self.keys))

    def evidence(self, key: int) -> list[Span]:
        """The mentions of a matched study that meet its positive criteria."""
        return [span for by_study in self.found for span in by_study.get(key, ())]

    @property
    def size(self) -> int:
        """Studies and mentions held (what a cache counts)."""
        return len(self.keys) + sum(len(spans) for by_study in self.found for spans in by_study.values())


def _lookup(store: Reader, name: str, param: str, values: list[Any]) -> list[dict[str, Any]]:
    """The rows of a by-key statement for these values of its list parameter, in chunks."""
    return [row for at in range(0, len(values), LOOKUP_CHUNK)
            for row in store.read(statement(name), {param: values[at:at + LOOKUP_CHUNK]})]


def match(store: Reader, cohort: CohortFilter) -> CohortMatch:
    """The studies matching the filter, each with its evidence: the mentions meeting its
    positive criteria. Each criterion is one query per way it is written; the sets combine
    here, the same way for every store."""
    found = {c: mentions(store, c) for c in dict.fromkeys(cohort.positive)}
    keys = _combine(cohort, found)
    if keys is None:  # no positive criterion: start from every study
        keys = {r["study_key"] for r in store.read(statement("read/all_studies"), {})}
    for c in dict.fromkeys(cohort.none_of):
        keys -= set(found[c] if c in found else mentions(store, c))
    return CohortMatch(sorted(keys), tuple(found.values()))


def select(store: Reader, cohort: CohortFilter, limit: int | None = None,
           after: str = "") -> CohortPage:
    """The page of matching studies after the study with ID `after`, at most `limit` of
    them, in cohort order (by study key), each with its evidence."""
    return match(store, cohort).page(store, limit, after)


def _combine(cohort: CohortFilter, found: dict[Criterion, dict[int, list[Span]]]) -> set[int] | None:
    ids: set[int] | None = None
    for c in cohort.all_of:
        ids = set(found[c]) if ids is None else ids & set(found[c])
    if cohort.any_of:
        either = set().union(*(found[c] for c in cohort.any_of))
        ids = either if ids is None else ids & either
    return ids


def _study(study: dict[str, Any], rows: list[dict[str, Any]]) -> StudyMatch:
    unique = {(r["start"], r["end"]): r for r in rows}
    evidence = tuple(Evidence(r["text"], r["start"], r["end"], r["certainty"], r["section"])
                     for _, r in sorted(unique.items()))
    return StudyMatch(study["study_id"], study["subject_id"], evidence)
