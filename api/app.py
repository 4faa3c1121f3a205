"""The service: a FastAPI app with the GraphQL endpoint (`/graphql`, GraphiQL in a browser),
the REST export (`/cohort.csv`, `/cohort.jsonl`, documented at `/docs`) and `/health`, over a
store opened read-only.

    from api.app import create_app
    app = create_app(Settings(kb_store="./kb-store"))   # uvicorn.run(app)
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from strawberry.fastapi import GraphQLRouter

import kb
from api.backend import Backend
from api.export import export_router
from api.loaders import Context
from api.outage import read_retry_s
from api.schema import build_schema
from api.security import ApiKeyMiddleware
from kb.cypher import statements
from kb.errors import InputError, KBError, StoreUnavailable
from kb.settings import Settings
from kb.store import Store, is_server_uri, open_store

log = logging.getLogger("api")


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """The app over `store`, or over the store `settings.kb_store` names, opened read-only
    (and closed when the app shuts down)."""
    settings = settings or Settings()
    owned = store is None
    store = store or _open(settings)
    backend = Backend(store, settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        backend.close()
        if owned:
            store.close()

    app = FastAPI(title="RadKB", version=kb.__version__, lifespan=lifespan,
                  description="Cohort selection over a graph of radiology findings. The GraphQL "
                              "API is at /graphql; these are the REST routes.")

    async def context() -> Context:  # async: the deadline is read off the event loop
        return Context(backend, settings)

    graphql = Router(build_schema(settings), graphql_ide="graphiql", include_in_schema=False,
                     context_getter=context)
    app.include_router(graphql, prefix="/graphql")
    app.include_router(export_router(backend))
    app.add_api_route("/health", _health(backend), methods=["GET"], tags=["service"],
                      summary="Whether the store answers, and how much it holds")
    app.add_exception_handler(KBError, _kb_error)
    if settings.kb_api_key:
        app.add_middleware(ApiKeyMiddleware, key=settings.kb_api_key)
    if settings.kb_cors_origins:  # outermost, so that preflight requests need no key
        app.add_middleware(CORSMiddleware, allow_origins=settings.kb_cors_origins,
                           allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type", "Authorization", "X-API-Key"])
    return app


def _open(settings: Settings) -> Store:
    """The store, read-only; a Neo4j server's reads retry an outage briefly (`api.outage`)."""
    if is_server_uri(settings.kb_store):
        from kb.store.neo4j import Neo4jStore

        return Neo4jStore.connect(settings.kb_store, settings, read_only=True,
                                  retry_s=read_retry_s(settings))
    return open_store(settings.kb_store, read_only=True, settings=settings)


class Router(GraphQLRouter):
    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)  # a page of 50 studies encodes ten times faster than with json


def _health(backend: Backend) -> Any:
    kind = "neo4j" if is_server_uri(backend.store.uri) else "embedded"

    def counts() -> dict[str, int]:
        return {r["what"]: int(r["n"]) for q in statements("read/health_counts")
                for r in backend.store.read(q)}

    async def health() -> JSONResponse:
        try:
            numbers = await backend.call(backend.deadline(), counts)
        except KBError as err:
            log.warning("health check failed: %s", err)
            return JSONResponse({"status": "unavailable", "store": kind, "error": str(err)}, 503)
        return JSONResponse({"status": "ok", "store": kind, "counts": numbers})

    return health


async def _kb_error(_: Request, err: Exception) -> JSONResponse:
    if isinstance(err, InputError):
        return JSONResponse({"detail": str(err)}, status_code=400)
    if isinstance(err, StoreUnavailable):
        log.warning("request answered 503: %s", err)
        return JSONResponse({"detail": str(err)}, 503)
    log.error("request failed: %s", err, exc_info=err)
    return JSONResponse({"detail": "the knowledge base could not answer (see the server log)"}, 503)
