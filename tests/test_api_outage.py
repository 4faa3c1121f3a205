"""`kb serve` over Neo4j while the server goes away and comes back: every request that needs the
store answers HTTP 503 with one line saying so (never a 500 or a stack trace), and the service
recovers by itself, with the right answers, when the server is back. The outage is the TCP
proxy of tests/test_neo4j_errors.py in front of the shared test Neo4j: it drops every
connection and refuses new ones, which is what the driver sees when the server dies."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.api_load import free_port
from tests.stores import load_corpus
from tests.test_cli import KB
from tests.test_neo4j_errors import Proxy

pytestmark = pytest.mark.neo4j

UNCERTAIN_PNEUMONIA = {"where": '{"observation": "pneumonia", "certainty": ["UNCERTAIN"]}'}
COHORT = "query($o: String!) { cohort(where: {allOf: [{observation: $o}]}) { totalCount edges { node { studyId } } } }"


@pytest.fixture
def served(neo4j_uri: str, tmp_path: Path) -> Iterator[tuple[Proxy, httpx.Client, subprocess.Popen[str]]]:
    """The corpus in Neo4j, served by `kb serve` through the proxy (reads give up after 1 s)."""
    load_corpus(neo4j_uri, tmp_path)
    proxy = Proxy(neo4j_uri)
    proxy.up()
    port = free_port()
    server = subprocess.Popen([KB, "serve", "--store", proxy.uri, "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, "KB_QUERY_TIMEOUT_S": "4"})
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    try:
        _wait_for(client, server)
        yield proxy, client, server
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=20)
        proxy.down()


def _wait_for(client: httpx.Client, server: subprocess.Popen[str]) -> None:
    for _ in range(300):
        try:
            client.get("/health")
            return
        except httpx.TransportError:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            time.sleep(0.1)
    pytest.fail("kb serve did not start")


def _cohort(client: httpx.Client, observation: str) -> httpx.Response:
    return client.post("/graphql", json={"query": COHORT, "variables": {"o": observation}})


def _studies(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [e["node"]["studyId"] for e in response.json()["data"]["cohort"]["edges"]]


def _outage_line(text: str, uri: str) -> str:
    assert "Traceback" not in text and "internal error" not in text
    line = json.loads(text)
    message = line["errors"][0]["message"] if "errors" in line else line.get("detail") or line["error"]
    assert message.startswith(f"store unavailable: {uri}: ") and message.endswith("; retry later"), message
    assert "\n" not in message
    return message


def test_api_store_outage_is_503_then_recovers(served: tuple[Proxy, httpx.Client, subprocess.Popen[str]]) -> None:
    proxy, client, server = served
    assert _studies(_cohort(client, "effusion")) == ["s1", "s2", "s4"]

    proxy.down()
    down = _cohort(client, "atelectasis")  # not asked before: no cached answer to fall back on
    assert down.status_code == 503
    message = _outage_line(down.text, proxy.uri)
    assert down.json() == {"data": None, "errors": [{"message": message}]}
    assert "Connection refused" in message
    stats = client.post("/graphql", json={"query": "{ stats { studies } }"})
    assert stats.status_code == 503 and _outage_line(stats.text, proxy.uri)
    health = client.get("/health")
    assert health.status_code == 503 and _outage_line(health.text, proxy.uri)
    assert health.json()["status"] == "unavailable" and health.json()["store"] == "neo4j"
    export = client.get("/cohort.csv", params=UNCERTAIN_PNEUMONIA)
    assert export.status_code == 503 and _outage_line(export.text, proxy.uri)

    proxy.up()  # the same `kb serve`, no restart: the next requests are answered, not the cached errors
    assert _studies(_cohort(client, "atelectasis")) == ["s4"]
    assert _studies(_cohort(client, "effusion")) == ["s1", "s2", "s4"]
    stats = client.post("/graphql", json={"query": "{ stats { studies } }"})
    assert stats.status_code == 200 and stats.json() == {"data": {"stats": {"studies": 5}}}
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["counts"]["studies"] == 5
    assert client.get("/cohort.csv", params=UNCERTAIN_PNEUMONIA).text.splitlines()[1].startswith("s4,")

    server.terminate()
    log = server.communicate(timeout=20)[0]
    assert "Traceback" not in log and " 500 " not in log
