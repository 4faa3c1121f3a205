"""The API under attack, over real HTTP against a running `kb serve`: schemathesis generates
GraphQL queries from the schema and none gets a 5xx; injection attempts through every string
argument (Cypher fragments, quotes, backticks, NUL, unpaired surrogates…) each get an answer or
a GraphQL error, never a 5xx, and leave every node, relationship and cohort answer as it was."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from api.limits import INTERNAL_ERROR
from bench.api_load import free_port
from api.pagination import encode_cursor
from tests.stores import load_corpus
from tests.snapshot import snapshot
from tests.test_cli import KB

PAYLOADS = [
    "'", '"', "\\", "`", "effusion'", 'effusion"', "effusion`",
    "}) DETACH DELETE n //", "effusion'}) DETACH DELETE n //", '"}) MATCH (n) DETACH DELETE n //',
    "'; MATCH (n) DETACH DELETE n; //", "` DETACH DELETE n //", "`) CREATE (x:Study {study_id: 'pwned'}) //",
    "$terms", "{terms: ['x']}", "effusion OR 1=1", ".*", "%", "effusion\x00", "\x00", "\x1b[2J",
    "effusion\u202e", "épanchement 胸腔积液 🫁", "\ufeff", "\ud800", "x" * 5000, "",
]


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)], scope="module")
def store_uri(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The corpus in each kind of store."""
    folder = tmp_path_factory.mktemp("attack")
    uri = str(folder / "kb-store") if request.param == "embedded" else request.getfixturevalue("neo4j_uri")
    return load_corpus(uri, folder)


@pytest.fixture(scope="module")
def served(store_uri: str) -> Iterator[str]:
    """`kb serve` over the store; its base URL."""
    port = free_port()
    server = subprocess.Popen([KB, "serve", "--store", store_uri, "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, "KB_MAX_FIRST": "100"})
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{url}/health", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        log = server.communicate(timeout=20)[0]
        assert "Traceback" not in log, log[-3000:]


# -- schemathesis -------------------------------------------------------------------------------
# Generated queries of every root field, valid ones and invalid ones, 100 in all: none may get a
# 5xx, nor a masked internal error (what an unexpected exception becomes). Errors about the
# input are fine: schemathesis' own `not_a_server_error` counts every GraphQL error with a path
# as a server error, which "the filter has no criterion" is not. (The schema is loaded with
# `graphql.from_url` and its cases drawn with `@given`: schemathesis' pytest loaders fail under
# pytest 9.)

def test_api_schemathesis_finds_no_server_error(served: str) -> None:
    schema = schemathesis.graphql.from_url(f"{served}/graphql")
    cases = st.one_of(schema.as_strategy(GenerationMode.POSITIVE), schema.as_strategy(GenerationMode.NEGATIVE))
    checked = []

    @given(case=cases)
    @settings(max_examples=100, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def no_server_error(case: Any) -> None:
        response = case.call(timeout=30)
        assert response.status_code < 500, (case.body, response.text)
        assert INTERNAL_ERROR not in response.text, (case.body, response.text)  # an unexpected exception
        checked.append(response.status_code)

    no_server_error()
    assert len(checked) >= 80 and 200 in checked


# -- injection ----------------------------------------------------------------------------------

CRITERION = "query($v: String!) { cohort(where: {allOf: [%s]}) { totalCount edges { node { studyId } } } }"
ARGUMENTS = {  # each string argument of the schema, as a query taking the payload as $v
    "observation": CRITERION % "{observation: $v}",
    "noneOf.observation": "query($v: String!) { cohort(where: {noneOf: [{observation: $v}]}) { totalCount } }",
    "locatedAt": CRITERION % '{observation: "effusion", locatedAt: [$v, "left"]}',
    "modifiers": CRITERION % '{observation: "effusion", modifiers: [$v]}',
    "section": CRITERION % '{observation: "effusion", section: $v}',
    "phrase": "query($v: String!) { cohort(where: {phrase: $v}) { totalCount } }",
    "after": 'query($v: String!) { cohort(where: {phrase: "effusion"}, after: $v) { totalCount edges { cursor } } }',
    "studyId": "query($v: ID!) { study(studyId: $v) { studyId text observations { term } } }",
    "prefix": "query($v: String!) { o: terms(prefix: $v) { term } a: terms(kind: ANATOMY, prefix: $v) { term } }",
}


def _post(client: httpx.Client, query: str, variables: dict[str, Any]) -> httpx.Response:
    """JSON with ASCII escapes, so that an unpaired surrogate reaches the server as `\\ud800`."""
    return client.post("/graphql", content=json.dumps({"query": query, "variables": variables}),
                       headers={"Content-Type": "application/json"})


def _inline(query: str, value: str) -> str:
    """The query with the payload written into it as a GraphQL string literal."""
    return query.replace("query($v: String!) ", "").replace("query($v: ID!) ", "").replace("$v", json.dumps(value))


def _fault(response: httpx.Response) -> str | None:
    """What is wrong with the response to an attack: None for an answer or an error about the input."""
    if response.status_code >= 500 or "Traceback" in response.text or INTERNAL_ERROR in response.text:
        return f"{response.status_code}: {response.text[:300]}"
    if response.status_code != 200 and not (response.json().get("errors") or response.json().get("detail")):
        return f"{response.status_code} without an error message: {response.text[:300]}"
    return None


def test_api_injection_leaves_the_store_unchanged(served: str, store_uri: str) -> None:
    before = snapshot(store_uri)
    faults = []
    with httpx.Client(base_url=served, timeout=30) as client:
        for payload in PAYLOADS:
            for argument, query in ARGUMENTS.items():
                for sent in (_post(client, query, {"v": payload}), _post(client, _inline(query, payload), {})):
                    faults.append((argument, payload[:40], _fault(sent)))
            raw = [] if "\ud800" in payload else [payload]  # a URL holds UTF-8, which has no surrogates
            for where in raw + [json.dumps({"observation": payload}),
                                json.dumps({"observation": "effusion", "locatedAt": [payload]})]:
                faults.append(("export where", where[:60], _fault(client.get("/cohort.csv", params={"where": where}))))
            if raw:
                faults.append(("export phrase", payload[:40], _fault(client.get("/cohort.jsonl", params={"phrase": payload}))))
        for cursor in [encode_cursor(p) for p in PAYLOADS if "\ud800" not in p]:  # cursors it could have issued
            faults.append(("after", cursor[:40], _fault(_post(client, ARGUMENTS["after"], {"v": cursor}))))
        stats = _post(client, "{ stats { studies observations anatomies relations } }", {}).json()
        unpaired = _post(client, ARGUMENTS["studyId"], {"v": "s1\ud800"}).json()
    assert [f for f in faults if f[2]] == []
    assert "a variable holds an unpaired surrogate (\\ud800) at character 2" in unpaired["errors"][0]["message"]
    assert stats["data"]["stats"] == {"studies": 5, "observations": 14, "anatomies": 17, "relations": 21}
    assert snapshot(store_uri) == before
