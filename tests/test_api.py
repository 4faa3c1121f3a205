"""The GraphQL API over real HTTP: `kb serve`'s app runs in uvicorn on a free loopback port over
the hand-checked corpus (tests/corpus.py), opened read-only, and the tests post GraphQL."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.schema import build_schema
from bench.api_load import free_port
from ingest.pipeline import IngestOptions, ingest
from kb.keys import study_key
from kb.cohort import parse_where, select
from kb.settings import Settings
from kb.store import open_store
from tests.corpus import corpus
from tests.stores import load_corpus

GOLDEN_SDL = Path(__file__).parent / "golden" / "schema.graphql"
KEY = "s3cret-key"

PAGE = """query Page($where: CohortFilter!, $first: Int, $after: String) {
  cohort(where: $where, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { studyId subjectId text } evidence { text start end certainty section } }
  }
}"""


# -- servers ----------------------------------------------------------------------------------

class Server:
    """An app served by uvicorn in a background thread on a free 127.0.0.1 port."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> httpx.Client:
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                break
            time.sleep(0.05)
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)
        return self.client

    def __exit__(self, *_: object) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def kb_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The corpus ingested into an embedded store, the writer closed again."""
    folder = tmp_path_factory.mktemp("api")
    source = folder / "corpus.json"
    source.write_text(json.dumps(corpus()))
    path = str(folder / "kb-store")
    writer = open_store(path)
    ingest([source], writer, IngestOptions(workers=1))
    writer.close()
    return path


@pytest.fixture(scope="module")
def reader(kb_path: str) -> Iterator[Any]:
    store = open_store(kb_path, read_only=True)
    yield store
    store.close()


def serve(kb_path: str, store: Any = None, **settings: Any) -> Server:
    return Server(create_app(Settings(kb_store=kb_path, **settings), store=store))


@pytest.fixture(scope="module")
def api(kb_path: str) -> Iterator[httpx.Client]:
    with serve(kb_path, kb_max_first=100) as client:
        yield client


def gql(client: httpx.Client, query: str, variables: dict[str, Any] | None = None,
        **headers: str) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query, "variables": variables or {}},
                           headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def cohort(client: httpx.Client, where: dict[str, Any], first: int = 50,
           after: str | None = None) -> dict[str, Any]:
    body = gql(client, PAGE, {"where": where, "first": first, "after": after})
    assert "errors" not in body, body["errors"]
    return body["data"]["cohort"]


def walk(client: httpx.Client, where: dict[str, Any], first: int) -> list[dict[str, Any]]:
    edges: list[dict[str, Any]] = []
    after = None
    while True:
        page = cohort(client, where, first, after)
        edges += page["edges"]
        if not page["pageInfo"]["hasNextPage"]:
            return edges
        after = page["pageInfo"]["endCursor"]


def error_of(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    return body["errors"][0]["message"]


# -- cohorts ----------------------------------------------------------------------------------

@pytest.mark.parametrize("where,expected", [
    ({"allOf": [{"observation": "effusion", "locatedAt": ["left", "base"]}]}, ["s2"]),
    ({"allOf": [{"observation": "Effusions"}]}, ["s1", "s2", "s4"]),
    ({"allOf": [{"observation": "effusion", "certainty": ["ABSENT"]}]}, ["s3"]),
    ({"allOf": [{"observation": "effusion", "modifiers": ["small"]}]}, ["s1", "s2"]),
    ({"allOf": [{"observation": "effusion", "section": "impression"}]}, ["s4"]),
    ({"allOf": [{"observation": "effusion"}, {"observation": "atelectasis"}]}, ["s4"]),
    ({"anyOf": [{"observation": "atelectasis"}, {"observation": "opacity", "certainty": ["UNCERTAIN"]}]}, ["s3", "s4"]),
    ({"noneOf": [{"observation": "effusion"}]}, ["s3", "s50000001"]),
    ({"allOf": [{"observation": "effusion"}],
      "noneOf": [{"observation": "pneumothorax", "certainty": ["ABSENT"]}]}, ["s2", "s4"]),
    ({"allOf": [{"observation": "pneumonia", "certainty": ["UNCERTAIN"]}],
      "anyOf": [{"observation": "effusion"}]}, ["s4"]),
])
def test_api_cohort_combinators_match_kb_query(api: httpx.Client, reader: Any,
                                               where: dict[str, Any], expected: list[str]) -> None:
    page = cohort(api, where)
    ids = [e["node"]["studyId"] for e in page["edges"]]
    same = select(reader, parse_where(where))
    assert ids == sorted(expected, key=study_key) == [s.study_id for s in same.studies]
    assert page["totalCount"] == same.total
    assert [[(v["text"], v["start"], v["end"]) for v in e["evidence"]] for e in page["edges"]] == \
        [[(v.text, v.start, v.end) for v in s.evidence] for s in same.studies]


@pytest.mark.parametrize("where,first", [
    ({"allOf": [{"observation": "effusion", "certainty": ["PRESENT", "UNCERTAIN", "ABSENT"]}]}, 1),
    ({"noneOf": [{"observation": "pneumothorax", "certainty": ["UNCERTAIN"]}]}, 2),
    ({"noneOf": [{"observation": "pneumothorax", "certainty": ["UNCERTAIN"]}]}, 3),
])
def test_api_pages_walk_every_study_exactly_once(api: httpx.Client, reader: Any,
                                                 where: dict[str, Any], first: int) -> None:
    edges = walk(api, where, first)
    ids = [e["node"]["studyId"] for e in edges]
    assert len(ids) == len(set(ids))
    assert ids == [s.study_id for s in select(reader, parse_where(where)).studies]
    assert [e["cursor"] for e in edges] == [cohort(api, where, 1, e["cursor"])["pageInfo"]["startCursor"]
                                            for e in [{"cursor": None}] + edges[:-1]]


def test_api_page_info(api: httpx.Client) -> None:
    where = {"allOf": [{"observation": "effusion"}]}
    first = cohort(api, where, 2)
    assert (first["totalCount"], first["pageInfo"]["hasNextPage"], first["pageInfo"]["hasPreviousPage"]) == (3, True, False)
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]
    last = cohort(api, where, 2, first["pageInfo"]["endCursor"])
    assert ([e["node"]["studyId"] for e in last["edges"]], last["pageInfo"]["hasNextPage"],
            last["pageInfo"]["hasPreviousPage"]) == (["s4"], False, True)
    empty = cohort(api, where, 0)
    assert (empty["totalCount"], empty["edges"], empty["pageInfo"]["endCursor"]) == (3, [], None)


def test_api_evidence_offsets_slice_report_text(api: httpx.Client) -> None:
    edges = walk(api, {"anyOf": [{"observation": "effusion", "certainty": ["PRESENT", "ABSENT"]},
                                 {"observation": "opacity", "certainty": ["PRESENT", "UNCERTAIN"]},
                                 {"observation": "normal"}]}, 2)
    assert len(edges) == 5 and sum(len(e["evidence"]) for e in edges) >= 7
    for edge in edges:
        for evidence in edge["evidence"]:
            assert edge["node"]["text"][evidence["start"]:evidence["end"]] == evidence["text"]


@pytest.mark.parametrize("phrase,where", [
    ("effusion", {"allOf": [{"observation": "effusion"}]}),
    ("definitely present effusion located at left base",
     {"allOf": [{"observation": "effusion", "certainty": ["PRESENT"], "locatedAt": ["left", "base"]}]}),
    ("effusion without pneumothorax", {"allOf": [{"observation": "effusion"}],
                                       "noneOf": [{"observation": "pneumothorax"}]}),
])
def test_api_phrase_reads_like_criteria(api: httpx.Client, phrase: str, where: dict[str, Any]) -> None:
    by_phrase = cohort(api, {"phrase": phrase})
    assert by_phrase == cohort(api, where)
    assert by_phrase["totalCount"] > 0


def test_api_phrase_adds_to_criteria(api: httpx.Client) -> None:
    page = cohort(api, {"phrase": "effusion", "allOf": [{"observation": "atelectasis"}]})
    assert [e["node"]["studyId"] for e in page["edges"]] == ["s4"]


# -- one study, vocabulary, size, health ------------------------------------------------------

def test_api_study_with_observations(api: httpx.Client) -> None:
    body = gql(api, """{ study(studyId: "s4") { studyId subjectId text source extractor metadata
        observations { id text term certainty start end section locatedAt modifiers
                       suggestiveOf { term certainty } } }
      missing: study(studyId: "nope") { studyId } }""")
    study = body["data"]["study"]
    assert body["data"]["missing"] is None
    assert study["studyId"] == "s4" and study["text"].startswith("IMPRESSION : Bilateral")
    by_term = {o["term"]: o for o in study["observations"]}
    assert by_term["atelectasis"]["suggestiveOf"] == [{"term": "pneumonia", "certainty": "UNCERTAIN"}]
    assert by_term["atelectasis"]["locatedAt"] == ["left lung base"]
    assert by_term["effusion"]["section"] == "IMPRESSION"
    assert [o["start"] for o in study["observations"]] == sorted(o["start"] for o in study["observations"])
    for o in study["observations"]:
        assert study["text"][o["start"]:o["end"]] == o["text"]


def test_api_terms_for_autocomplete(api: httpx.Client) -> None:
    body = gql(api, """{ obs: terms(prefix: "EFF") { term studies }
                         all: terms(first: 3) { term studies }
                         anat: terms(kind: ANATOMY, prefix: "lun") { term studies } }""")["data"]
    assert body["obs"] == [{"term": "effusion", "studies": 4}]
    assert len(body["all"]) == 3 and body["all"][0]["studies"] >= body["all"][-1]["studies"]
    assert body["anat"] == [{"term": "lung", "studies": 2}]


def test_api_stats_and_health(api: httpx.Client) -> None:
    stats = gql(api, """{ stats { studies observations anatomies relations
        relationsByType { locatedAt suggestiveOf modify } observationsByCertainty { certainty count }
        topPresentTerms { term studies } } }""")["data"]["stats"]
    assert (stats["studies"], stats["observations"], stats["anatomies"], stats["relations"]) == (5, 14, 17, 21)
    assert sum(c["count"] for c in stats["observationsByCertainty"]) == 14
    health = api.get("/health")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "store": "embedded",
                             "counts": {"studies": 5, "observations": 14, "anatomies": 17}}


# -- malformed input, limits, errors ----------------------------------------------------------

DEPTH_BOMB = ('{ study(studyId: "s4") { observations { ' + "suggestiveOf { " * 12 + "term"
              + " }" * 12 + " } } }")


@pytest.mark.parametrize("query,variables,message", [
    ('{ cohort(where: {allOf: [{observation: "effusion", certainty: [MAYBE]}]}) { totalCount } }', None,
     "Value 'MAYBE' does not exist in 'Certainty' enum"),
    ('{ cohort(where: {allOf: [{certainty: [PRESENT]}]}) { totalCount } }', None,
     "Expected value of type 'Criterion' to include required field 'observation'"),
    ("{ cohort { totalCount } }", None, "Argument 'Query.cohort(where:)' of type 'CohortFilter!' is required"),
    (PAGE, {"where": {"allOf": [{"observation": "effusion"}]}, "after": "bm90LWEtY3Vyc29y"}, "invalid cursor"),
    (PAGE, {"where": {"allOf": [{"observation": "effusion"}]}, "after": "%%%"}, "invalid cursor"),
    (DEPTH_BOMB, None, "exceeds maximum operation depth of 10"),
    (PAGE, {"where": {"allOf": [{"observation": "effusion"}]}, "first": 100_000},
     "first must be between 0 and 100 (KB_MAX_FIRST), got 100000"),
    (PAGE, {"where": {"allOf": [{"observation": "effusion"}]}, "first": -1}, "first must be between 0 and 100"),
    (PAGE, {"where": {}}, "the filter has no criterion"),
    (PAGE, {"where": {"allOf": [{"observation": ""}]}}, "invalid cohort filter: allOf.0.observation"),
    (PAGE, {"where": {"allOf": [{"observation": "effusion", "certainty": []}]}}, "invalid cohort filter: allOf.0.certainty"),
    (PAGE, {"where": {"phrase": "located at left base"}}, "cannot read the phrase"),
    (PAGE, {"where": {"anyOf": [{"observation": f"t{i}"} for i in range(21)]}}, "at most 20 criteria"),
    ("{ " + " ".join(f"a{i}: stats {{ studies }}" for i in range(16)) + " }", None, "aliases"),
    ("{ stats { " + "studies " * 2100 + "} }", None, "Document contains more than 2000 tokens"),
    ("{ cohort(where: {phrase: \"effusion\"}) { nope } }", None, "Cannot query field 'nope'"),
    ("{ cohort(where: ", None, "Syntax Error"),
])
def test_api_malformed_input_is_a_graphql_error(api: httpx.Client, query: str,
                                                variables: dict[str, Any] | None, message: str) -> None:
    response = api.post("/graphql", json={"query": query, "variables": variables or {}})
    assert response.status_code in (200, 400), response.text
    body = response.json()
    assert message in error_of(body)
    assert "Traceback" not in response.text and not body.get("data")


def test_api_bad_json_body_is_400(api: httpx.Client) -> None:
    response = api.post("/graphql", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400


class Flaky:
    """A store wrapper: counts reads, and can be slow or broken."""

    def __init__(self, store: Any, delay: float = 0.0, broken: bool = False) -> None:
        self.store, self.delay, self.broken, self.reads = store, delay, broken, 0
        self.uri = store.uri

    def read(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        self._visit()
        return self.store.read(query, params)

    def read_columns(self, query: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self._visit()
        return self.store.read_columns(query, params)

    def _visit(self) -> None:
        self.reads += 1
        time.sleep(self.delay)
        if self.broken:
            raise RuntimeError("disk on fire at /secret/path")

    def close(self) -> None:
        self.store.close()


def test_api_timeout_is_a_graphql_error(kb_path: str) -> None:
    slow = Flaky(open_store(kb_path, read_only=True), delay=1.0)
    with serve(kb_path, slow, kb_query_timeout_s=0.2) as client:
        body = gql(client, '{ cohort(where: {phrase: "effusion"}) { totalCount } }')
    assert "the query took longer than 0.2 s (KB_QUERY_TIMEOUT_S)" in error_of(body)
    slow.close()


def test_api_internal_errors_are_masked(kb_path: str) -> None:
    broken = Flaky(open_store(kb_path, read_only=True), broken=True)
    with serve(kb_path, broken) as client:
        body = gql(client, '{ cohort(where: {phrase: "effusion"}) { totalCount } }')
        assert error_of(body).startswith("internal error")
        assert "fire" not in json.dumps(body) and "Traceback" not in json.dumps(body)
        export = client.get("/cohort.csv", params={"where": '{"observation": "effusion"}'})
        assert export.status_code >= 500 and "fire" not in export.text
    broken.close()


# -- N+1 ---------------------------------------------------------------------------------------

NESTED = """query($first: Int) { cohort(where: {noneOf: [{observation: "nothing-like-this"}]}, first: $first) {
  edges { node { studyId text source observations { term locatedAt suggestiveOf { term } } }
          evidence { text } } } }"""


@pytest.mark.parametrize("first", [1, 5])
def test_api_nested_fields_cost_a_fixed_number_of_store_reads(kb_path: str, first: int) -> None:
    counting = Flaky(open_store(kb_path, read_only=True))
    with serve(kb_path, counting, kb_cache_s=0) as client:
        body = gql(client, NESTED, {"first": first})
    assert len(body["data"]["cohort"]["edges"]) == first
    # 1 criterion + 1 universe of studies (a none-of-only cohort) + 1 page of study IDs by key
    # (no evidence lookup: a none-of-only cohort has none) + 1 studies + 2 observations
    assert counting.reads == 6
    counting.close()


# -- the REST export ---------------------------------------------------------------------------

def test_api_csv_export_equals_graphql_answer(api: httpx.Client) -> None:
    where = {"anyOf": [{"observation": "effusion", "certainty": ["PRESENT", "ABSENT"]},
                       {"observation": "normal"}]}
    edges = walk(api, where, 2)
    expected = [(e["node"]["studyId"], e["node"]["subjectId"] or "", e["evidence"]) for e in edges]
    response = api.get("/cohort.csv", params={"where": json.dumps(where)})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.headers["x-total-count"] == str(len(edges))
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["study_id"], r["subject_id"], json.loads(r["evidence"])) for r in rows] == expected
    lines = api.get("/cohort.jsonl", params={"where": json.dumps(where)}).text.splitlines()
    assert [(x["study_id"], x["subject_id"] or "", x["evidence"])
            for x in map(json.loads, lines)] == expected


def test_api_export_takes_a_phrase_and_a_single_criterion(api: httpx.Client) -> None:
    by_phrase = api.get("/cohort.jsonl", params={"phrase": "effusion located at left base"})
    by_where = api.get("/cohort.jsonl", params={"where": '{"observation": "effusion", "locatedAt": ["left", "base"]}'})
    assert by_phrase.text == by_where.text and json.loads(by_phrase.text)["study_id"] == "s2"


@pytest.mark.parametrize("params,message", [
    ({"where": "{nope"}, "not valid JSON"),
    ({}, "the filter has no criterion"),
    ({"where": '{"observation": "effusion", "certainty": ["MAYBE"]}'}, "invalid cohort filter"),
])
def test_api_export_bad_filter_is_400(api: httpx.Client, params: dict[str, str], message: str) -> None:
    response = api.get("/cohort.csv", params=params)
    assert response.status_code == 400 and message in response.json()["detail"]


def test_api_openapi_lists_the_rest_routes(api: httpx.Client) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    assert {"/cohort.csv", "/cohort.jsonl", "/health"} <= set(paths) and "/graphql" not in paths


# -- API key and CORS --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def keyed(kb_path: str) -> Iterator[httpx.Client]:
    with serve(kb_path, kb_api_key=KEY, kb_cors_origins=["http://notebook.example"]) as client:
        yield client


@pytest.mark.parametrize("headers,status", [
    ({}, 401),
    ({"X-API-Key": "wrong"}, 401),
    ({"Authorization": f"Basic {KEY}"}, 401),
    ({"X-API-Key": KEY}, 200),
    ({"Authorization": f"Bearer {KEY}"}, 200),
])
def test_api_key_when_set(keyed: httpx.Client, headers: dict[str, str], status: int) -> None:
    query = {"query": '{ cohort(where: {phrase: "effusion"}) { totalCount } }'}
    assert keyed.post("/graphql", json=query, headers=headers).status_code == status
    assert keyed.get("/cohort.csv", params={"phrase": "effusion"}, headers=headers).status_code == status
    assert keyed.get("/health", headers=headers).status_code == status


def test_api_key_unset_lets_requests_through(api: httpx.Client) -> None:
    assert api.get("/health").status_code == 200


def test_api_key_leaves_the_graphiql_page_and_docs_open(keyed: httpx.Client) -> None:
    page = keyed.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    assert keyed.get("/docs").status_code == 200
    assert keyed.get("/graphql", params={"query": "{ stats { studies } }"},
                     headers={"Accept": "text/html"}).status_code == 401


def test_api_cors_preflight_from_allowed_origin(keyed: httpx.Client) -> None:
    headers = {"Origin": "http://notebook.example", "Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "content-type,x-api-key"}
    allowed = keyed.options("/graphql", headers=headers)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://notebook.example"
    other = keyed.options("/graphql", headers={**headers, "Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in other.headers


# -- the schema and the command ----------------------------------------------------------------

def test_api_schema_sdl_matches_golden() -> None:
    """The SDL is the contract. KB_UPDATE_GOLDEN=1 rewrites the golden file."""
    sdl = build_schema(Settings()).as_str() + "\n"
    if os.environ.get("KB_UPDATE_GOLDEN") == "1":
        GOLDEN_SDL.parent.mkdir(exist_ok=True)
        GOLDEN_SDL.write_text(sdl)
    assert sdl == GOLDEN_SDL.read_text()


def test_api_kb_serve_command(kb_path: str) -> None:
    port = free_port()
    kb = Path(sys.executable).parent / "kb"
    server = subprocess.Popen([str(kb), "serve", "--store", kb_path, "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(150):
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                time.sleep(0.1)
        assert health.json()["counts"]["studies"] == 5
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_api_kb_serve_missing_store_fails_cleanly(tmp_path: Path) -> None:
    kb = Path(sys.executable).parent / "kb"
    done = subprocess.run([str(kb), "serve", "--store", str(tmp_path / "none")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "no knowledge base at" in done.stderr
    assert "Traceback" not in done.stderr


# -- Neo4j -------------------------------------------------------------------------------------

PARITY = [
    (PAGE, {"where": {"allOf": [{"observation": "effusion", "locatedAt": ["left", "base"]}]}}),
    (PAGE, {"where": {"anyOf": [{"observation": "atelectasis"}, {"observation": "opacity", "certainty": ["UNCERTAIN"]}]}}),
    (PAGE, {"where": {"noneOf": [{"observation": "effusion"}]}, "first": 1}),
    (PAGE, {"where": {"phrase": "effusion without pneumothorax"}}),
    ('{ study(studyId: "s4") { text observations { id text term certainty start end section '
     "locatedAt modifiers suggestiveOf { id } } } }", None),
    ('{ o: terms(prefix: "e") { term studies } a: terms(kind: ANATOMY) { term studies } }', None),
    ("{ stats { studies observations anatomies relations relationsByType { locatedAt suggestiveOf modify } "
     "observationsByCertainty { certainty count } topPresentTerms { term studies } } }", None),
]


@pytest.mark.neo4j
def test_api_serves_neo4j_as_it_serves_the_embedded_store(api: httpx.Client, neo4j_uri: str,
                                                         tmp_path: Path) -> None:
    load_corpus(neo4j_uri, tmp_path)
    with serve(neo4j_uri, kb_max_first=100) as neo4j:
        for query, variables in PARITY:
            assert gql(neo4j, query, variables) == gql(api, query, variables), query
        where = {"where": '{"observation": "effusion", "certainty": ["PRESENT", "ABSENT"]}'}
        assert neo4j.get("/cohort.csv", params=where).text == api.get("/cohort.csv", params=where).text
        assert neo4j.get("/health").json() == {**api.get("/health").json(), "store": "neo4j"}
