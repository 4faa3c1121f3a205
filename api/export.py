"""The REST export for people who want a file: `GET /cohort.csv?where=<json>` (or `.jsonl`,
or `?phrase=…`) streams every study of the cohort with its evidence, in study ID order, a
chunk of studies at a time (the same pages GraphQL walks)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from api.backend import Backend
from api.filters import cohort_filter
from kb.cohort import CohortFilter, CohortPage, StudyMatch

CHUNK = 1000  # studies per select call while streaming

Where = Annotated[str | None, Query(
    description='A criterion or combination as JSON, as `kb query --where` takes it: '
                '{"observation": "effusion", "locatedAt": ["left", "base"]} or '
                '{"allOf": […], "anyOf": […], "noneOf": […]}.')]
Phrase = Annotated[str | None, Query(
    description="A cohort phrase: definitely present effusion located at left base without pneumothorax.")]


def study_record(s: StudyMatch) -> dict[str, Any]:
    return {"study_id": s.study_id, "subject_id": s.subject_id,
            "evidence": [{"text": e.text, "start": e.start, "end": e.end,
                          "certainty": e.certainty, "section": e.section} for e in s.evidence]}


def csv_lines(page: CohortPage, header: bool) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(["study_id", "subject_id", "evidence"])
    for s in page.studies:
        record = study_record(s)
        writer.writerow([s.study_id, s.subject_id or "", json.dumps(record["evidence"])])
    return buffer.getvalue()


def jsonl_lines(page: CohortPage, header: bool) -> str:
    return "".join(json.dumps(study_record(s)) + "\n" for s in page.studies)


async def _chunks(backend: Backend, cohort: CohortFilter, first: CohortPage,
                  render: Callable[[CohortPage, bool], str]) -> AsyncIterator[str]:
    page, header = first, True
    while True:
        yield render(page, header)
        if not page.has_next:
            return
        after, header = page.studies[-1].study_id, False
        page = await backend.cohort_page(backend.deadline(), cohort, CHUNK, after)


def export_router(backend: Backend) -> APIRouter:
    router = APIRouter(tags=["export"])

    async def stream(where: str | None, phrase: str | None, render: Callable[[CohortPage, bool], str],
                     media_type: str, filename: str) -> StreamingResponse:
        cohort = cohort_filter(where, phrase)
        first = await backend.cohort_page(backend.deadline(), cohort, CHUNK, "")
        return StreamingResponse(_chunks(backend, cohort, first, render), media_type=media_type,
                                 headers={"Content-Disposition": f'attachment; filename="{filename}"',
                                          "X-Total-Count": str(first.total)})

    @router.get("/cohort.csv", response_class=StreamingResponse,
                summary="Every study of a cohort as CSV: study_id, subject_id, evidence (JSON)")
    async def cohort_csv(where: Where = None, phrase: Phrase = None) -> StreamingResponse:
        return await stream(where, phrase, csv_lines, "text/csv; charset=utf-8", "cohort.csv")

    @router.get("/cohort.jsonl", response_class=StreamingResponse,
                summary="Every study of a cohort as JSON lines: {study_id, subject_id, evidence}")
    async def cohort_jsonl(where: Where = None, phrase: Phrase = None) -> StreamingResponse:
        return await stream(where, phrase, jsonl_lines, "application/x-ndjson", "cohort.jsonl")

    return router
