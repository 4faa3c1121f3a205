"""Neo4j failures as a user meets them: a wrong password, a server that is not there, and a
server that goes away in the middle of an ingest. Each is one line naming the URI and the
cause; an interrupted ingest re-run completes with no duplicates, and a short outage is
ridden out by retrying.

The outage is a TCP proxy in front of the test Neo4j that drops every connection and refuses
new ones, which is what the driver sees when the server process dies; it leaves the shared
test server running for the other tests.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bench.api_load import free_port
from bench.make_corpus import write
from ingest.pipeline import IngestOptions, IngestSummary, ingest
from kb.errors import StoreError
from kb.settings import Settings
from kb.store.base import stats
from kb.store.embedded import EmbeddedStore
from kb.store.neo4j import Neo4jStore

pytestmark = pytest.mark.neo4j

KB = str(Path(sys.executable).parent / "kb")


class Proxy:
    """127.0.0.1:port → the Neo4j at `target`, until `down()`; `up()` listens again."""

    def __init__(self, target: str) -> None:
        host, port = target.rsplit("/", 1)[-1].rsplit(":", 1)
        self.target = (host, int(port))
        self.port = free_port()
        self.uri = f"bolt://127.0.0.1:{self.port}"
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.cut_after: int | None = None  # bytes from the client, then drop everything
        self._sent = 0

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        with self._lock:
            if self._listener is not None:
                try:  # wakes the accept() blocked on it (close alone does not, on Linux)
                    self._listener.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                self._listener.close()
                self._listener = None
            for s in self._sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                if self._listener is not listener:  # went down meanwhile
                    client.close()
                    return
                server = socket.create_connection(self.target)
                self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, upstream: bool) -> None:
        while True:
            try:
                data = src.recv(65536)
                if not data:
                    break
                if upstream and self.cut_after is not None:
                    self._sent += len(data)
                    if self._sent >= self.cut_after:
                        self.cut_after = None
                        threading.Thread(target=self.down, daemon=True).start()
                        return
                dst.sendall(data)
            except OSError:
                break
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def kb(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KB, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_neo4j_wrong_password_is_one_line_error(neo4j_uri: str) -> None:
    line = _one_line_error(kb("stats", "--store", neo4j_uri, NEO4J_PASSWORD="not-the-password"))
    assert f"error: {neo4j_uri}: authentication failed for user 'neo4j'" in line
    assert "NEO4J_PASSWORD" in line


def test_neo4j_unreachable_server_is_one_line_error(corpus_file: Path) -> None:
    uri = f"bolt://127.0.0.1:{free_port()}"
    line = _one_line_error(kb("ingest", str(corpus_file), "--store", uri))
    assert line == (f"error: {uri}: cannot reach the Neo4j server (Connection refused): "
                    "is it running at this address?")


@pytest.fixture
def corpus_60(tmp_path: Path) -> Path:
    path = tmp_path / "corpus-60.json"
    write(60, path)
    return path


@pytest.fixture
def expected(corpus_60: Path, tmp_path: Path) -> dict:
    """What the 60 reports give in the embedded store: the counts Neo4j must end with."""
    store = EmbeddedStore(tmp_path / "kb-store")
    ingest([corpus_60], store, IngestOptions(batch_size=20, workers=1))
    numbers = stats(store)
    store.close()
    return numbers


@pytest.fixture
def proxy(neo4j_uri: str):
    proxy = Proxy(neo4j_uri)
    proxy.up()
    store = Neo4jStore.connect(neo4j_uri, Settings())
    store.clear()
    store.close()
    yield proxy
    proxy.down()


def _connect(uri: str, retry_s: float) -> Neo4jStore:
    return Neo4jStore.connect(uri, Settings(neo4j_batch_size=10), retry_s=retry_s)


def test_neo4j_server_gone_mid_ingest_then_rerun_completes(proxy: Proxy, corpus_60: Path,
                                                          expected: dict, neo4j_uri: str) -> None:
    store = _connect(proxy.uri, retry_s=1.0)

    def cut_during_next_batch(summary: IngestSummary) -> None:
        if summary.loaded == 20:  # the first batch is in; the next one dies mid-transaction
            proxy.cut_after = 3000

    with pytest.raises(StoreError) as failed:
        ingest([corpus_60], store, IngestOptions(batch_size=20, workers=1),
               progress=cut_during_next_batch)
    store.close()
    message = str(failed.value)
    assert "\n" not in message
    assert message.startswith(f"{proxy.uri}: the Neo4j server went away while writing a batch")
    assert "Re-run the same command" in message

    direct = _connect(neo4j_uri, retry_s=5.0)
    partial = stats(direct)["studies"]
    assert 20 <= partial < 60 and partial % 10 == 0  # whole transactions only
    again = ingest([corpus_60], direct, IngestOptions(batch_size=20, workers=1))
    assert (again.skipped, again.loaded) == (partial, 60 - partial)
    assert stats(direct) == expected
    direct.close()


def test_neo4j_ingest_rides_out_a_short_outage(proxy: Proxy, corpus_60: Path, expected: dict) -> None:
    store = _connect(proxy.uri, retry_s=30.0)

    def outage(summary: IngestSummary) -> None:
        if summary.loaded == 20:
            proxy.down()
            threading.Timer(1.5, proxy.up).start()

    summary = ingest([corpus_60], store, IngestOptions(batch_size=20, workers=1), progress=outage)
    assert (summary.loaded, summary.failed) == (60, 0)
    assert stats(store) == expected
    store.close()
