from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.corpus import corpus


@pytest.fixture
def corpus_file(tmp_path: Path) -> Path:
    """The hand-checked corpus as a RadGraph JSON file."""
    path = tmp_path / "corpus.json"
    path.write_text(json.dumps(corpus(), indent=1))
    return path


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator["EmbeddedStore"]:
    from kb.store.embedded import EmbeddedStore

    store = EmbeddedStore(tmp_path / "kb-store")
    yield store
    store.close()


def _neo4j_store():
    import os

    from kb.settings import Settings
    from kb.store import open_store

    uri = os.environ.get("NEO4J_TEST_URI")
    if not uri:
        pytest.skip("Neo4j contract tests need NEO4J_TEST_URI (see .ci/run)")
    store = open_store(uri, settings=Settings())
    store.clear()
    return store


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request, tmp_path: Path):
    """Each store the contract suite runs against, empty."""
    if request.param == "embedded":
        from kb.store.embedded import EmbeddedStore

        kb = EmbeddedStore(tmp_path / "kb-store")
    else:
        kb = _neo4j_store()
    yield kb
    kb.close()
