"""Stores as tests set them up: a Neo4j emptied first, or the hand-checked corpus loaded."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.pipeline import IngestOptions, ingest
from kb.settings import Settings
from kb.store import is_server_uri, open_store
from tests.corpus import corpus


def empty_neo4j(uri: str) -> str:
    """Delete the whole graph of the Neo4j at `uri` (the schema stays); returns `uri`."""
    store = open_store(uri, settings=Settings())
    store.clear()  # type: ignore[attr-defined]
    store.close()
    return uri


def load_corpus(uri: str, folder: Path) -> str:
    """The hand-checked corpus (tests/corpus.py), written to `folder` and ingested into the
    store at `uri` (a Neo4j is emptied first); returns `uri`."""
    source = folder / "corpus.json"
    source.write_text(json.dumps(corpus()))
    if is_server_uri(uri):
        empty_neo4j(uri)
    store = open_store(uri, settings=Settings())
    ingest([source], store, IngestOptions(workers=1))
    store.close()
    return uri
