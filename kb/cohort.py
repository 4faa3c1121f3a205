"""Cohort selection: criteria, their combination, and their compilation into the Cypher that
both stores answer identically. This is the one implementation behind `kb query` and the API.

A criterion names an observation term, the certainties allowed (default: definitely present),
location words that one located_at head must carry all of, and modifier terms. Studies combine
criteria with allOf / anyOf / noneOf.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kb.cypher import statement
from kb.errors import QueryError
from kb.keys import finding_key, study_key
from kb.records import mention_id
from kb.schema import Certainty
from kb.store.base import is_server_uri
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


def criterion_queries(c: Criterion, neo4j: bool = False) -> list[tuple[str, dict[str, Any]]]:
    """The Cypher and parameters that find the IDs of the mentions meeting one criterion: one
    query per way the observation is written (a derived concept has several). Only the shape
    of a query depends on the criterion; every value in it is a parameter. A location is
    tested one way on the embedded store and another on Neo4j (`neo4j`), with the same
    answer."""
    vocab = vocabulary()
    groups = vocab.location_groups(c.located_at, c.expand)
    modifiers = tuple(dict.fromkeys(vocab.observation(m) for m in c.modifiers))
    section = c.section.upper() if c.section else None
    certainty = [x.value for x in c.certainty]
    return [_render(_findings(p.terms, certainty), p.located + groups, modifiers, section, neo4j)
            for p in vocab.patterns(c.observation)]


def _findings(terms: tuple[str, ...], certainty: list[str]) -> list[int]:
    return [finding_key(t, x) for t in terms for x in certainty]


def _render(findings: list[int], groups: tuple[tuple[str, ...], ...], modifiers: tuple[str, ...],
            section: str | None, neo4j: bool = False) -> tuple[str, dict[str, Any]]:
    """A criterion file with the lines its parts need: a line tagged `each <part>` once per
    location group ($located_i) or modifier ($modifier_i), one tagged `when section` if the
    criterion names a section, and of the two finding tests the one that fits: `when finding`
    (`=`) for a single finding, `when findings` (`IN`) otherwise, and on Neo4j (`neo4j`) the
    lines tagged `when neo4j`. A location group is a regular expression on the embedded store
    and a list of space-padded words on Neo4j: each store's fastest test of the same thing."""
    one = len(findings) == 1
    located = {f"located_{i}": _padded(g) if neo4j else _any_word(g) for i, g in enumerate(groups)}
    params = {"finding": findings[0] if one else None, "findings": None if one else findings,
              "section": section, **located,
              **{f"modifier_{i}": m for i, m in enumerate(modifiers)}}
    each = {"located": len(groups), "modifier": len(modifiers)}
    when = {**{part: value is not None for part, value in params.items()}, "neo4j": neo4j}
    name = "read/criterion_mentions"
    if groups:
        name += "_located_neo4j" if neo4j else "_located_embedded"
    lines = []
    for line in statement(name).splitlines():
        tag = _TAG.search(line)
        body = _TAG.sub("", line)
        if tag is None:
            lines.append(body)
        elif tag.group(1) == "each":
            lines += [body.replace("{i}", str(i)) for i in range(each[tag.group(2)])]
        elif when[tag.group(2)]:
            lines.append(body)
    return "\n".join(lines), {k: v for k, v in params.items() if v is not None}  # "" is a value


def _any_word(words: tuple[str, ...]) -> str:
    """A regular expression that a space-separated phrase matches, whole, when one of its
    words is one of these (the embedded store's test of a location group)."""
    return "(.* )?(" + "|".join(re.escape(w) for w in words) + ")( .*)?"


def _padded(words: tuple[str, ...]) -> list[str]:
    """The words with a space on each side: a space-separated phrase, padded the same way,
    contains one of them when one of its words is one of these (Neo4j's test of a location
    group, the same as _any_word's)."""
    return [f" {w} " for w in words]


def explain_cohort(cohort: CohortFilter, neo4j: bool = False) -> dict[str, Any]:
    """The parsed filter and, per criterion, the Cypher and parameters it runs (on Neo4j
    with `neo4j`, else on the embedded store)."""
    def queries(c: Criterion) -> list[dict[str, Any]]:
        written = vocabulary().patterns(c.observation)
        return [{"terms": list(w.terms), "certainty": [x.value for x in c.certainty],
                 "cypher": q, "params": p} for w, (q, p) in zip(written, criterion_queries(c, neo4j))]

    return {"filter": cohort.model_dump(mode="json", by_alias=True, exclude_defaults=True),
            "queries": {part: [queries(c) for c in getattr(cohort, field)]
                        for part, field in (("allOf", "all_of"), ("anyOf", "any_of"), ("noneOf", "none_of"))
                        if getattr(cohort, field)}}


class Reader(Protocol):
    """What cohort selection needs from a store."""

    uri: str  # bolt://… or neo4j://… for Neo4j (kb.store.is_server_uri), else a path

    def read(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]: ...

    def read_columns(self, query: str, params: dict[str, Any]) -> dict[str, np.ndarray]:
        """A query whose columns are all integers, as one int64 array per RETURN name."""


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


@dataclass(frozen=True)
class Found:
    """The mentions meeting one criterion, ordered by study key: parallel arrays (numpy, so
    that a criterion met by 200,000 mentions is combined and paged without a Python object
    per mention)."""

    keys: np.ndarray  # study key of each mention, ascending
    spans: np.ndarray  # start and end of each mention, shape (n, 2)

    def studies(self) -> np.ndarray:
        """The distinct study keys, ascending."""
        return _distinct(self.keys)

    def of(self, chosen: np.ndarray) -> list[list[Span]]:
        """The spans of each of these studies."""
        first = np.searchsorted(self.keys, chosen, "left")
        last = np.searchsorted(self.keys, chosen, "right")
        return [[(s, e) for s, e in self.spans[i:j].tolist()] for i, j in zip(first, last)]


SERVER_READS = 4  # reads sent to a Neo4j server at once


def mentions(store: Reader, criteria: list[Criterion]) -> dict[Criterion, Found]:
    """The mentions meeting each criterion. The queries that test nothing but the finding
    (no location, modifier or section) are run once per finding or set of findings, and each
    criterion takes its own findings' rows from them. The embedded store scans every mention
    whatever it looks for, so there they share one scan, for the findings of all of them: in
    ladybug a scan for two findings or for twenty costs about the same (35-40 ms over 2.8
    million mentions; the rows it returns cost extra; one finding, tested with `=`, 8-12 ms),
    a criterion is often written several ways, and a cohort has several criteria. Neo4j seeks
    its index per finding, and its server answers several reads at once, on its own cores:
    there each finding is its own read, and all of a cohort's reads are sent SERVER_READS at a
    time (220,000 reports, the four findings of the boolean query: 82-94 ms so, 112-138 as one
    read)."""
    neo4j = is_server_uri(store.uri)
    planned = {c: criterion_queries(c, neo4j) for c in criteria}
    plain = sorted({f for queries in planned.values() for _, params in queries if _plain(params)
                    for f in _findings_of(params)})
    scans = [[f] for f in plain] if neo4j else [plain] if plain else []
    others = [(query, params) for queries in planned.values() for query, params in queries if not _plain(params)]
    answers = _read_all(store, [_render(s, (), (), None, neo4j) for s in scans] + others,
                        SERVER_READS if neo4j else 1)
    scanned, rest = answers[:len(scans)], iter(answers[len(scans):])

    def rows(params: dict[str, Any]) -> list[dict[str, np.ndarray]]:
        if not _plain(params):
            return [next(rest)]  # the answers to `others`, in their order
        mine = _findings_of(params)
        if neo4j:
            return [scanned[plain.index(f)] for f in mine]
        [shared] = scanned
        if "finding" not in shared:  # a scan for one finding: every row is this criterion's
            return [shared]
        keep = np.isin(shared["finding"], mine)
        return [{name: column[keep] for name, column in shared.items()}]

    return {c: _found([part for _, params in queries for part in rows(params)]) for c, queries in planned.items()}


def _read_all(store: Reader, reads: list[tuple[str, dict[str, Any]]], at_once: int) -> list[dict[str, np.ndarray]]:
    """The answers to these criterion queries, in order, `at_once` of them running together."""
    if at_once <= 1 or len(reads) <= 1:
        return [store.read_columns(query, params) for query, params in reads]
    with ThreadPoolExecutor(min(at_once, len(reads)), thread_name_prefix="kb-cohort-read") as pool:
        return list(pool.map(lambda read: store.read_columns(*read), reads))


def _plain(params: dict[str, Any]) -> bool:
    """Whether a criterion query tests the finding only (no location, modifier or section)."""
    return set(params) <= {"finding", "findings"}


def _findings_of(params: dict[str, Any]) -> list[int]:
    return params["findings"] if "findings" in params else [params["finding"]]


def _found(parts: list[dict[str, np.ndarray]]) -> Found:
    keys, starts, ends = (np.concatenate([p[name] for p in parts]) for name in ("study_key", "start", "end"))
    order = np.argsort(keys)  # not stable: _evidence puts a study's spans in order
    # each column taken in order on its own: numpy gathers rows of an (n, 2) array 50x slower
    return Found(keys[order], np.column_stack((starts[order], ends[order])))


def _distinct(keys: np.ndarray) -> np.ndarray:
    """The distinct values of an ascending array. (np.unique hashes its input first since numpy
    2.3: 70 ms for 250,000 keys, against 2 ms for this.)"""
    if not len(keys):
        return keys
    return keys[np.concatenate(([True], keys[1:] != keys[:-1]))]


def _union(sets: list[np.ndarray]) -> np.ndarray:
    """The distinct values of these arrays, ascending (np.union1d goes through np.unique)."""
    return _distinct(np.sort(np.concatenate(sets)))


LOOKUP_CHUNK = 10_000  # studies or mentions per lookup


@dataclass(frozen=True)
class CohortMatch:
    """Every study matching a filter, by study key in key order (kb.keys.study_key: stable,
    spread over the corpus), and the mentions each positive criterion found. Pages are cut
    from it, so paging through a cohort runs the criteria once and each page looks up only
    its own studies and evidence."""

    keys: np.ndarray  # study keys, ascending
    found: tuple[Found, ...]  # per positive criterion

    def page(self, store: Reader, limit: int | None = None, after: str = "") -> CohortPage:
        """The studies after the study with ID `after` (keyset), at most `limit` of them."""
        first = int(np.searchsorted(self.keys, study_key(after), "right")) if after else 0
        chosen = self.keys[first:] if limit is None else self.keys[first:first + limit]
        keys, spans = chosen.tolist(), self._evidence(chosen)
        read = _page_neo4j if is_server_uri(store.uri) else _page_embedded
        rows = read(store, keys, spans)
        page = tuple(_study(*rows[k]) for k in keys)
        return CohortPage(len(self.keys), page, first + len(chosen) < len(self.keys))

    def evidence(self, key: int) -> list[Span]:
        """The mentions of a matched study that meet its positive criteria."""
        return self._evidence(np.array([key], dtype=np.int64))[0]

    def _evidence(self, chosen: np.ndarray) -> list[list[Span]]:
        per_criterion = [found.of(chosen) for found in self.found]
        return [sorted(set(span for spans in each for span in spans))
                for each in zip(*per_criterion)] if per_criterion else [[] for _ in chosen]

    @property
    def size(self) -> int:
        """Studies and mentions held (what a cache counts)."""
        return len(self.keys) + sum(len(found.keys) for found in self.found)


StudyRows = dict[int, tuple[dict[str, Any], list[dict[str, Any]]]]  # study key: (study, evidence rows)


def _page_embedded(store: Reader, keys: list[int], spans: list[list[Span]]) -> StudyRows:
    """These studies and the mentions at these spans of each, by two primary-key lookups."""
    studies = {r["study_key"]: r for r in _lookup(store, "read/studies_by_key", "keys", keys)}
    wanted = [mention_id(studies[k]["study_id"], *span) for k, found in zip(keys, spans) for span in found]
    rows: dict[str, list[dict[str, Any]]] = {}
    for row in _lookup(store, "read/mentions_by_id", "ids", wanted):
        rows.setdefault(row["study_id"], []).append(row)
    return {k: (study, rows.get(study["study_id"], [])) for k, study in studies.items()}


def _page_neo4j(store: Reader, keys: list[int], spans: list[list[Span]]) -> StudyRows:
    """The same in one statement (read/cohort_page_neo4j)."""
    pages = [{"key": k, "spans": [list(span) for span in found]} for k, found in zip(keys, spans)]
    return {r["study_key"]: (r, r["evidence"]) for r in _lookup(store, "read/cohort_page_neo4j", "pages", pages)}


def _lookup(store: Reader, name: str, param: str, values: list[Any]) -> list[dict[str, Any]]:
    """The rows of a by-key statement for these values of its list parameter, in chunks."""
    return [row for at in range(0, len(values), LOOKUP_CHUNK)
            for row in store.read(statement(name), {param: values[at:at + LOOKUP_CHUNK]})]


def match(store: Reader, cohort: CohortFilter) -> CohortMatch:
    """The studies matching the filter, each with its evidence: the mentions meeting its
    positive criteria. Each criterion is one query per way it is written; the sets combine
    here, the same way for every store."""
    found = mentions(store, list(dict.fromkeys(cohort.positive + cohort.none_of)))
    keys = _combine(cohort, found)
    if keys is None:  # no positive criterion: start from every study
        keys = _distinct(np.sort(store.read_columns(statement("read/all_studies"), {})["study_key"]))
    for c in dict.fromkeys(cohort.none_of):
        keys = np.setdiff1d(keys, found[c].studies(), assume_unique=True)
    return CohortMatch(keys, tuple(found[c] for c in dict.fromkeys(cohort.positive)))


def select(store: Reader, cohort: CohortFilter, limit: int | None = None,
           after: str = "") -> CohortPage:
    """The page of matching studies after the study with ID `after`, at most `limit` of
    them, in cohort order (by study key), each with its evidence."""
    return match(store, cohort).page(store, limit, after)


def _combine(cohort: CohortFilter, found: dict[Criterion, Found]) -> np.ndarray | None:
    """The study keys meeting every allOf criterion and one anyOf criterion (None: no
    positive criterion)."""
    keys: np.ndarray | None = None
    for c in cohort.all_of:
        studies = found[c].studies()
        keys = studies if keys is None else np.intersect1d(keys, studies, assume_unique=True)
    if cohort.any_of:
        either = _union([found[c].studies() for c in cohort.any_of])
        keys = either if keys is None else np.intersect1d(keys, either, assume_unique=True)
    return keys


def _study(study: dict[str, Any], rows: list[dict[str, Any]]) -> StudyMatch:
    unique = {(r["start"], r["end"]): r for r in rows}
    evidence = tuple(Evidence(r["text"], r["start"], r["end"], r["certainty"], r["section"])
                     for _, r in sorted(unique.items()))
    return StudyMatch(study["study_id"], study["subject_id"], evidence)
