"""Every file in `cypher/` runs against the real Neo4j, so none can rot: the schema, the
writes and the cohort criteria through the code that uses them (ingest, re-ingest, cohort
selection, clear), and every other read and exploration query directly. A spy on the driver
records what was sent; each statement of each file must be among it, line for line.

Files are found by globbing, so a new one is covered (or fails here) without editing this
test. Ladybug-only files carry `embedded` in their name and are left out.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import neo4j
import pytest

from ingest.pipeline import IngestOptions, ingest
from kb.cohort import _TAG, parse_where, select  # _TAG: the line tags _render reads
from kb.cypher import statements
from kb.keys import study_key
from kb.settings import Settings
from kb.store.neo4j import CRITERION_INDEX, Neo4jStore
from tests.corpus import corpus

pytestmark = pytest.mark.neo4j

LADYBUG_ONLY = "embedded"  # in the file name: a statement only the embedded store speaks
# Parameters for the queries run directly: one value per name any read or explore file uses.
_STUDIES = ("s1", "s2", "s3", "s4", "s50000001")
PARAMS = {"ids": [*_STUDIES, "s2:11-18"], "study_id": "s2", "term": "effusion",
          "keys": [study_key(s) for s in _STUDIES],
          "pages": [{"key": study_key("s2"), "spans": [[11, 18]]}],
          "prefix": "", "limit": 10, "certainty": "PRESENT"}
# Criteria that together use every line of the criterion files (all optional parts; one
# finding, tested with `=`, and two, tested with `IN`).
COHORT = {"allOf": [{"observation": "effusion", "modifiers": ["small"], "section": "findings",
                     "certainty": ["PRESENT", "UNCERTAIN"]},
                    {"observation": "effusion", "locatedAt": ["left", "pleural"],
                     "modifiers": ["small"], "section": "findings"},
                    {"observation": "effusion", "locatedAt": ["left", "pleural"],
                     "certainty": ["PRESENT", "UNCERTAIN"]},
                    {"observation": "effusion", "section": "findings"}]}


def cypher_files() -> list[str]:
    root = Path(str(files("cypher")))
    return sorted(str(p.relative_to(root).with_suffix("")) for p in root.rglob("*.cypher")
                  if LADYBUG_ONLY not in p.name)


def _lines(statement: str, tagged: bool) -> list[str]:
    """A statement's untagged (always sent) or tagged (optional) lines as they are sent:
    tags dropped, a repeated line's first copy."""
    lines = (_TAG.sub("", line).replace("{i}", "0") for line in statement.splitlines()
             if line.strip() and bool(_TAG.search(line)) == tagged)
    return [" ".join(line.split()) for line in lines]


def _was_sent(statement: str, sent: list[str]) -> bool:
    """Some query sent holds the statement's fixed lines, and each optional line was sent
    with them (optional lines may be alternatives: `= $finding` or `IN $findings`)."""
    fixed = _lines(statement, tagged=False)
    runs = [query for query in sent if all(line in query for line in fixed)]
    return bool(runs) and all(any(line in query for query in runs) for line in _lines(statement, tagged=True))


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every query text the driver is asked to run, whitespace-normalised."""
    seen: list[str] = []
    for cls in (neo4j.Session, neo4j.ManagedTransaction):
        original = cls.run

        def spy(self, query, *args, __original=original, **kwargs):
            seen.append(" ".join(str(query).split()))
            return __original(self, query, *args, **kwargs)

        monkeypatch.setattr(cls, "run", spy)
    return seen


def test_neo4j_every_cypher_file_runs(neo4j_uri: str, sent: list[str], corpus_file: Path,
                                      tmp_path: Path) -> None:
    with neo4j.GraphDatabase.driver(neo4j_uri, auth=("neo4j", Settings().neo4j_password)) as driver:
        driver.execute_query(f"DROP INDEX {CRITERION_INDEX} IF EXISTS")  # as an older RadKB left it
    store = Neo4jStore.connect(neo4j_uri, Settings())  # schema, after readying the graph for it
    store.clear()
    ingest([corpus_file], store, IngestOptions(batch_size=2, workers=1))  # writes
    changed = corpus()
    changed["s1"]["entities"]["5"]["label"] = "OBS-DP"
    (tmp_path / "changed.json").write_text(json.dumps({"s1": changed["s1"]}))
    ingest([tmp_path / "changed.json"], store, IngestOptions(workers=1))  # replaces s1
    assert [s.study_id for s in select(store, parse_where(COHORT)).studies] == ["s1"]
    select(store, parse_where({"noneOf": [{"observation": "effusion"}]}))  # all_studies
    empty = []
    for name in cypher_files():
        if name.split("/")[0] in ("read", "explore") and not name.startswith("read/criterion_"):
            for query in statements(name):
                if not store.read(query, PARAMS):
                    empty.append(name)
    store.clear()
    store.close()
    assert not empty, f"these queries found nothing in the test corpus: {empty}"

    missing = [name for name in cypher_files() for statement in statements(name)
               if not _was_sent(statement, sent)]
    assert not missing, f"never run against Neo4j: {sorted(set(missing))}"


def test_neo4j_cypher_files_are_found() -> None:
    names = cypher_files()
    assert {"schema/neo4j", "write/neo4j_delete_studies", "read/criterion_mentions",
            "explore/study_graph"} <= set(names)
    assert not [n for n in names if LADYBUG_ONLY in n]
