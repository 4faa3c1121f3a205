"""The optional API key (KB_API_KEY): when set, every request must carry it, as
`X-API-Key: <key>` or `Authorization: Bearer <key>`, or gets 401. Only pages without data stay
open: the OpenAPI docs and the GraphiQL page itself (GraphiQL then sends the key you give it)."""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

OPEN_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
MESSAGE = ("missing or wrong API key: send it as the X-API-Key header or as "
           "Authorization: Bearer <key>")


class ApiKeyMiddleware:
    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app = app
        self.key = key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._open(scope) or self._carries_key(Headers(scope=scope)):
            await self.app(scope, receive, send)
            return
        response = JSONResponse({"detail": MESSAGE}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        await response(scope, receive, send)

    def _carries_key(self, headers: Headers) -> bool:
        given = headers.get("x-api-key") or ""
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if not given and scheme.lower() == "bearer":
            given = token.strip()
        return hmac.compare_digest(given.encode(), self.key)

    @staticmethod
    def _open(scope: Scope) -> bool:
        path = scope["path"]
        if path in OPEN_PATHS:
            return True
        ide = (scope["method"] == "GET" and path.rstrip("/") == "/graphql"
               and b"query=" not in scope.get("query_string", b"")
               and "text/html" in Headers(scope=scope).get("accept", ""))
        return ide
