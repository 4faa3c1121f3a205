"""The GraphQL schema: one type per concept, each built from a store record by `from_record`.
Resolvers stay thin: input types become `kb.cohort` filters, `kb.cohort.select` answers (the
same implementation as `kb query`), nested fields come through the request's DataLoaders."""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry import UNSET
from strawberry.scalars import JSON
from strawberry.types import ExecutionContext

from api.cache import ResultCache
from api.filters import cohort_filter
from api.limits import extensions, log_unexpected, page_size
from api.loaders import Context
from api.outage import OutageStatus
from api.pagination import decode_cursor, encode_cursor
from api.text import TextVariables
from kb import cohort as kbc
from kb.errors import QueryError
from kb.schema import Certainty as KBCertainty
from kb.settings import Settings
from kb.store.base import stats as store_stats
from kb.terms import normalize_term

Info = strawberry.Info[Context, None]

Certainty = strawberry.enum(
    Enum("Certainty", {c.name: c.value for c in KBCertainty}),  # type: ignore[misc]
    description="How sure a report is of an observation: RadGraph definitely present (DP), "
                "uncertain (U), definitely absent (DA).")


@strawberry.enum(description="Which vocabulary: observation terms or anatomy terms.")
class TermKind(Enum):
    OBSERVATION = "read/observation_terms"
    ANATOMY = "read/anatomy_terms"


# -- input ------------------------------------------------------------------------------------

def _given(value: object) -> bool:
    """Whether an optional input was given (neither left out nor null)."""
    return value is not None and value is not UNSET


@strawberry.input(name="Criterion", description="One cohort criterion: an observation term "
                  "with its certainty, location and modifiers. Terms are normalised the way "
                  "reports are (case, plural, synonyms): `Effusions` finds `effusion`.")
class CriterionInput:
    observation: str = strawberry.field(description="Observation term, e.g. `effusion`.")
    certainty: list[Certainty] | None = strawberry.field(  # type: ignore[valid-type]
        default=UNSET, description="Certainties that count; default [PRESENT].")
    located_at: list[str] | None = strawberry.field(
        default=UNSET, description="Location words that ONE located_at head of the mention "
                                  "(with its modifiers) must all carry, e.g. [\"left\", \"base\"].")
    modifiers: list[str] | None = strawberry.field(
        default=UNSET, description="Modifier terms the mention must all carry, e.g. [\"small\"].")
    section: str | None = strawberry.field(
        default=UNSET, description="Report section the mention must be in, e.g. IMPRESSION.")
    expand: bool | None = strawberry.field(
        default=UNSET, description="Let a location word be met by its parts too (lung: lobe, "
                                   "base, …); default false.")

    def spec(self) -> dict[str, Any]:
        """The criterion as `kb.cohort.parse_where` reads it."""
        spec = {"observation": self.observation, "locatedAt": self.located_at,
                "modifiers": self.modifiers, "section": self.section, "expand": self.expand,
                "certainty": [c.value for c in self.certainty] if _given(self.certainty) else None}
        return {k: v for k, v in spec.items() if _given(v)}


@strawberry.input(name="CohortFilter", description="Studies that meet every allOf criterion, "
                  "at least one anyOf criterion, and no noneOf criterion. `phrase` "
                  "(`definitely present effusion located at left base without pneumothorax`) "
                  "adds the criteria it reads to the others.")
class CohortFilterInput:
    all_of: list[CriterionInput] | None = UNSET
    any_of: list[CriterionInput] | None = UNSET
    none_of: list[CriterionInput] | None = UNSET
    phrase: str | None = UNSET

    def to_filter(self) -> kbc.CohortFilter:
        groups = {"allOf": self.all_of, "anyOf": self.any_of, "noneOf": self.none_of}
        spec = {name: [c.spec() for c in group] for name, group in groups.items() if group}
        return cohort_filter(spec, self.phrase if _given(self.phrase) else None)


# -- studies and their mentions ---------------------------------------------------------------

@strawberry.type(description="A mention that met a positive criterion of the cohort; "
                             "`text[start:end]` of the study's report is the mention.")
class Evidence:
    text: str
    start: int
    end: int
    certainty: Certainty  # type: ignore[valid-type]
    section: str | None

    @classmethod
    def from_record(cls, e: kbc.Evidence) -> Evidence:
        return cls(text=e.text, start=e.start, end=e.end, certainty=Certainty(e.certainty),
                   section=e.section)


@strawberry.type(description="An observation mention of a report, with character offsets "
                             "into the report text.")
class Observation:
    id: strawberry.ID
    text: str
    term: str
    certainty: Certainty  # type: ignore[valid-type]
    start: int
    end: int
    section: str | None
    located_at: list[str] = strawberry.field(
        description="Location phrases, one per located_at head with its modifiers (\"left lung base\").")
    modifiers: list[str] = strawberry.field(description="Modifier terms (\"small\").")
    study_id: strawberry.Private[str]
    suggests: strawberry.Private[list[str]]

    @classmethod
    def from_record(cls, row: dict[str, Any]) -> Observation:
        return cls(id=strawberry.ID(row["id"]), text=row["text"], term=row["term"],
                   certainty=Certainty(row["certainty"]), start=row["start"], end=row["end"],
                   section=row["section"], located_at=list(row["locations"] or []),
                   modifiers=list(row["modifiers"] or []), study_id=row["study_id"],
                   suggests=row["suggestive_of"])

    @strawberry.field(description="Observations of the same report this one is suggestive of "
                                  "(atelectasis → pneumonia).")
    async def suggestive_of(self, info: Info) -> list[Observation]:
        if not self.suggests:
            return []
        rows = await info.context.loaders.observations.load(self.study_id)
        return [Observation.from_record(r) for r in rows if r["id"] in self.suggests]


@strawberry.type(description="A study: one report, keyed by study ID.")
class Study:
    study_id: strawberry.ID
    subject_id: str | None

    @classmethod
    def from_record(cls, row: dict[str, Any]) -> Study:
        return cls(study_id=strawberry.ID(row["study_id"]), subject_id=row.get("subject_id"))

    async def _record(self, info: Info) -> dict[str, Any]:
        row = await info.context.loaders.studies.load(self.study_id)
        if row is None:
            raise QueryError(f"study {self.study_id!r} is no longer in the knowledge base")
        return row

    @strawberry.field(description="The report text; all offsets index into it.")
    async def text(self, info: Info) -> str:
        return (await self._record(info))["text"] or ""

    @strawberry.field(description="Where the study came from (the input file's data source).")
    async def source(self, info: Info) -> str | None:
        return (await self._record(info))["source"]

    @strawberry.field(description="What produced the annotations: `radgraph-json` or a model.")
    async def extractor(self, info: Info) -> str | None:
        row = await self._record(info)
        return " ".join(x for x in (row["extractor"], row["extractor_version"]) if x) or None

    @strawberry.field(description="When the study was ingested (ISO 8601).")
    async def ingested_at(self, info: Info) -> str | None:
        return (await self._record(info))["ingested_at"]

    @strawberry.field(description="Extra columns of the input kept with the study.")
    async def metadata(self, info: Info) -> JSON | None:
        text = (await self._record(info))["metadata"]
        return json.loads(text) if text else None

    @strawberry.field(description="Every observation mention of the report, in text order.")
    async def observations(self, info: Info) -> list[Observation]:
        rows = await info.context.loaders.observations.load(self.study_id)
        return [Observation.from_record(r) for r in rows]


# -- the cohort connection --------------------------------------------------------------------

@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="A study of the cohort with the mentions that put it there.")
class StudyEdge:
    cursor: str
    node: Study
    evidence: list[Evidence]


@strawberry.type(description="One page of a cohort, in study ID order.")
class StudyConnection:
    total_count: int = strawberry.field(description="Studies in the whole cohort.")
    page_info: PageInfo
    edges: list[StudyEdge]

    @classmethod
    def from_page(cls, page: kbc.CohortPage, after: bool) -> StudyConnection:
        edges = [StudyEdge(cursor=encode_cursor(s.study_id),
                           node=Study(study_id=strawberry.ID(s.study_id), subject_id=s.subject_id),
                           evidence=[Evidence.from_record(e) for e in s.evidence])
                 for s in page.studies]
        info = PageInfo(has_next_page=page.has_next, has_previous_page=after,
                        start_cursor=edges[0].cursor if edges else None,
                        end_cursor=edges[-1].cursor if edges else None)
        return cls(total_count=page.total, page_info=info, edges=edges)


# -- vocabulary and size ----------------------------------------------------------------------

@strawberry.type(description="A normalised term and the number of studies that mention it.")
class TermCount:
    term: str
    studies: int


@strawberry.type
class CertaintyCount:
    certainty: Certainty  # type: ignore[valid-type]
    count: int


@strawberry.type
class RelationCounts:
    located_at: int
    suggestive_of: int
    modify: int


@strawberry.type(description="The size of the knowledge base.")
class KBStats:
    studies: int
    observations: int
    anatomies: int
    relations: int
    relations_by_type: RelationCounts
    observations_by_certainty: list[CertaintyCount]
    top_present_terms: list[TermCount]

    @classmethod
    def from_record(cls, s: dict[str, Any]) -> KBStats:
        return cls(studies=s["studies"], observations=s["observations"], anatomies=s["anatomies"],
                   relations=s["relations"], relations_by_type=RelationCounts(**s["relations_by_type"]),
                   observations_by_certainty=[CertaintyCount(certainty=Certainty(k), count=n)
                                              for k, n in s["observations_by_certainty"].items()],
                   top_present_terms=[TermCount(**t) for t in s["top_present_terms"]])


# -- the root ---------------------------------------------------------------------------------

@strawberry.type
class Query:
    @strawberry.field(description="The studies matching a cohort filter, a page at a time, "
                                  "each with its evidence. `after` is the endCursor of the "
                                  "previous page.")
    async def cohort(self, info: Info, where: CohortFilterInput, first: int | None = 50,
                     after: str | None = UNSET) -> StudyConnection:
        ctx = info.context
        cohort = where.to_filter()
        limit = page_size(50 if first is None else first, ctx.max_first)
        start = decode_cursor(after) if _given(after) else ""
        page = await ctx.backend.cohort_page(ctx.deadline, cohort, limit, start)
        return StudyConnection.from_page(page, bool(start))

    @strawberry.field(description="One study with its report text and observations; null when "
                                  "the knowledge base does not hold it.")
    async def study(self, info: Info, study_id: strawberry.ID) -> Study | None:
        row = await info.context.loaders.studies.load(study_id)
        return Study.from_record(row) if row is not None else None

    @strawberry.field(description="The vocabulary with study counts, most frequent first "
                                  "(autocomplete): normalised terms starting with `prefix`.")
    async def terms(self, info: Info, kind: TermKind | None = TermKind.OBSERVATION,
                    prefix: str | None = UNSET, first: int | None = 20) -> list[TermCount]:
        ctx = info.context
        kind = kind or TermKind.OBSERVATION
        params = {"prefix": normalize_term(prefix or ""),
                  "limit": page_size(20 if first is None else first, ctx.max_first)}
        rows = await ctx.backend.read(ctx.deadline, kind.value, params)
        return [TermCount(term=r["term"], studies=r["studies"]) for r in rows]

    @strawberry.field(description="Studies, mentions by type and certainty, relations, top terms.")
    async def stats(self, info: Info) -> KBStats:
        ctx = info.context
        numbers = await ctx.backend.call(ctx.deadline, store_stats, ctx.backend.reader)
        return KBStats.from_record(numbers)


class KBSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError],
                       execution_context: ExecutionContext | None = None) -> None:
        log_unexpected(errors)  # input errors are the client's to read, not the server log's


def build_schema(settings: Settings) -> strawberry.Schema:
    results = ResultCache(settings.kb_cache_s, settings.kb_result_cache)
    return KBSchema(query=Query, extensions=[*extensions(settings), TextVariables, results.extension,
                                             OutageStatus])
