"""Stores: the embedded ladybug store (a path) and Neo4j (`bolt://…`, `neo4j://…`)."""

from __future__ import annotations

from kb.settings import Settings
from kb.store.base import Store, is_server_uri


def open_store(uri: str, *, read_only: bool = False, settings: Settings | None = None) -> Store:
    """Open the store a `--store` URI names: a path means the embedded store."""
    if is_server_uri(uri):
        from kb.store.neo4j import Neo4jStore

        return Neo4jStore.connect(uri, settings or Settings(), read_only=read_only)
    from kb.store.embedded import EmbeddedStore

    return EmbeddedStore(uri, read_only=read_only, buffer_mb=(settings or Settings()).kb_buffer_mb)


__all__ = ["Store", "open_store", "is_server_uri"]
