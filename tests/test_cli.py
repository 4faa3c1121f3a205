"""The real `kb` command, run as a user would, reading what it prints."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from kb.keys import finding_key

from tests.corpus import corpus

KB = str(Path(sys.executable).parent / "kb")


def kb(*args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KB, *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture
def loaded(corpus_file: Path, tmp_path: Path) -> str:
    store = str(tmp_path / "store")
    result = kb("ingest", str(corpus_file), "--store", store)
    assert result.returncode == 0, result.stderr
    return store


def test_cli_ingest_summary_line(corpus_file: Path, tmp_path: Path) -> None:
    result = kb("ingest", str(corpus_file), "--store", str(tmp_path / "store"))
    assert result.returncode == 0
    assert "loaded 5, skipped 0 (unchanged), failed 0" in result.stderr


def test_cli_query_json(loaded: str) -> None:
    where = json.dumps({"observation": "effusion", "certainty": ["PRESENT"], "locatedAt": ["left", "base"]})
    result = kb("query", "--store", loaded, "--where", where, "--format", "json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["total"] == 1
    assert answer["studies"][0]["study_id"] == "s2"
    assert answer["studies"][0]["evidence"][0] == {"text": "effusion", "start": 49, "end": 57,
                                                   "certainty": "PRESENT", "section": "FINDINGS"}


def test_cli_query_csv_and_table(loaded: str) -> None:
    where = json.dumps({"observation": "effusion"})
    rows = list(csv.DictReader(io.StringIO(kb("query", "--store", loaded, "--where", where, "--format", "csv").stdout)))
    assert [r["study_id"] for r in rows] == ["s1", "s2", "s4"]
    table = kb("query", "--store", loaded, "--where", where, "--limit", "1").stdout
    assert "3 studies" in table and "s1" in table and "s4" not in table


def test_cli_query_bad_where_is_one_line_error(loaded: str) -> None:
    result = kb("query", "--store", loaded, "--where", '{"observation": "effusion", "certainty": ["MAYBE"]}')
    assert result.returncode == 1
    assert result.stderr.startswith("error: invalid cohort filter: certainty.0: Input should be")
    assert "Traceback" not in result.stderr


def test_cli_query_missing_store(tmp_path: Path) -> None:
    result = kb("query", "--store", str(tmp_path / "nowhere"), "--where", '{"observation": "x"}')
    assert result.returncode == 1 and "no knowledge base at" in result.stderr


def test_cli_store_from_env(loaded: str) -> None:
    import os

    result = kb("stats", "--format", "json", env={**os.environ, "KB_STORE": loaded})
    numbers = json.loads(result.stdout)
    assert {k: numbers[k] for k in ("studies", "observations", "anatomies", "relations")} == {
        "studies": 5, "observations": 14, "anatomies": 17, "relations": 21}


def test_cli_stats_table(loaded: str) -> None:
    out = kb("stats", "--store", loaded).stdout
    assert "studies" in out and "effusion" in out


def test_cli_cypher_with_param(loaded: str) -> None:
    result = kb("cypher", "--store", loaded, "MATCH (o:Observation {term: $t}) RETURN o.study_id AS s ORDER BY s",
                "--param", "t=effusion", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert [r["s"] for r in json.loads(result.stdout)] == ["s1", "s2", "s3", "s4"]


def test_cli_ingest_skip_writes_failures(tmp_path: Path) -> None:
    entries = corpus()
    entries["s3"]["entities"]["1"]["label"] = "ANAT-XX"
    entries["s4"]["entities"]["2"]["end_ix"] = 99
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(entries))
    failures = tmp_path / "failures.jsonl"
    store = str(tmp_path / "store")
    result = kb("ingest", str(path), "--store", store, "--on-error", "skip", "--failures", str(failures))
    assert result.returncode == 1
    assert "loaded 3, skipped 0 (unchanged), failed 2" in result.stderr
    rows = [json.loads(line) for line in failures.read_text().splitlines()]
    assert [r["key"] for r in rows] == ["s3", "s4"]
    assert rows[0]["error"].startswith("report 's3': entity '1': unknown label 'ANAT-XX'")
    result = kb("stats", "--store", store, "--format", "json")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["studies"] == 3


def test_cli_ingest_raise_stops_with_key(tmp_path: Path) -> None:
    entries = corpus()
    entries["s2"]["entities"]["3"]["tokens"] = "heart"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(entries))
    result = kb("ingest", str(path), "--store", str(tmp_path / "store"))
    assert result.returncode == 1
    assert "error: report 's2': entity '3': tokens 'heart' do not match the text" in result.stderr


def test_cli_help_explains() -> None:
    out = kb("--help").stdout
    for command in ("ingest", "query", "stats", "cypher"):
        assert command in out
    assert "KB_STORE" in kb("query", "--help").stdout


def test_cli_query_phrase_and_explain(loaded: str) -> None:
    result = kb("query", "--store", loaded, "small effusion at left base", "--format", "json")
    assert [s["study_id"] for s in json.loads(result.stdout)["studies"]] == ["s2"]
    explained = json.loads(kb("query", "effusion without pneumothorax", "--explain").stdout)
    assert explained["filter"] == {"allOf": [{"observation": "effusion"}], "noneOf": [{"observation": "pneumothorax"}]}
    first = explained["queries"]["allOf"][0][0]
    assert "o.finding = $finding\n" in first["cypher"] and first["terms"] == ["effusion"]
    assert first["params"]["finding"] == finding_key("effusion", "PRESENT")
    bad = kb("query", "--store", loaded, "located at left base")
    assert bad.returncode == 1 and "no observation in 'located at left base'" in bad.stderr


def test_cli_terms_lists_counts_and_spellings(loaded: str) -> None:
    found = json.loads(kb("terms", "--store", loaded, "--format", "json").stdout)
    effusion = next(t for t in found["terms"] if t["term"] == "effusion")
    assert effusion["studies"] == 4 and "pleural effusion" in effusion["spellings"]
    anatomy = json.loads(kb("terms", "--store", loaded, "--kind", "anatomy", "--prefix", "le", "--format", "json").stdout)
    assert [t["term"] for t in anatomy["terms"]] == ["left"]
