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


NEO4J_SERVER = Path(__file__).parent / "neo4j" / "server"


@pytest.fixture(scope="session")
def neo4j_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running Neo4j: the one NEO4J_TEST_URI names, else one this session starts and stops."""
    import os
    import subprocess

    from bench.api_load import free_port

    if os.environ.get("NEO4J_TEST_URI"):
        yield os.environ["NEO4J_TEST_URI"]
        return
    os.environ.setdefault("NEO4J_PASSWORD", "kb-test-password")
    port = free_port()
    data = tmp_path_factory.mktemp("neo4j")
    started = subprocess.run([str(NEO4J_SERVER), "start", "--port", str(port), "--data", str(data)],
                             capture_output=True, text=True, timeout=900)
    if started.returncode:
        pytest.fail(f"could not start the test Neo4j:\n{started.stderr[-3000:]}")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([str(NEO4J_SERVER), "stop", "--data", str(data)], capture_output=True, timeout=120)


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest, tmp_path: Path):
    """Each store the contract suite runs against, empty."""
    if request.param == "embedded":
        from kb.store.embedded import EmbeddedStore

        kb = EmbeddedStore(tmp_path / "kb-store")
    else:
        from kb.settings import Settings
        from kb.store import open_store

        kb = open_store(request.getfixturevalue("neo4j_uri"), settings=Settings())
        kb.clear()
    yield kb
    kb.close()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With KB_FAIL_ON_SKIP=1 (CI), a skipped test fails the run: every test is required."""
    import os

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("KB_FAIL_ON_SKIP") == "1" and skipped and exitstatus == 0:
        reporter.write_line(f"FAILED: {len(skipped)} test(s) skipped; CI requires every test to run", red=True)
        session.exitstatus = 1
