"""`kb serve`: the API over a store, with uvicorn. kb/cli.py declares the command and imports
this module only when it runs, so `kb` works without the `api` extra installed."""

from __future__ import annotations

import os

from kb.settings import Settings


def serve(store: str, host: str, port: int, access_log: bool = False, workers: int = 1) -> None:
    """Serve the GraphQL API and the REST export over `store`, opened read-only, until stopped.
    With several workers, each process opens the store read-only and keeps its own caches."""
    import uvicorn

    from api.app import create_app

    options = {"host": host, "port": port, "log_level": "info", "access_log": access_log}
    if workers > 1:  # worker processes build the app themselves, from the environment
        os.environ["KB_STORE"] = store
        uvicorn.run("api.app:create_app", factory=True, workers=workers, **options)
    else:
        uvicorn.run(create_app(Settings(kb_store=store)), **options)
