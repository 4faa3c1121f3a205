"""Raw reports (JSONL, CSV, MIMIC-CXR folders) through the extractor into a store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.failures import FailureLog
from ingest.pipeline import IngestOptions, ingest
from ingest.raw import RawCorpus, RawReport, is_raw
from kb.errors import InputError, ReportError
from kb.extractor import MissingExtra, require_extract

KB = str(Path(sys.executable).parent / "kb")

MIMIC = {
    "p10/p10000032/s50414267.txt": (
        "                                 FINAL REPORT\n EXAMINATION:  CHEST (PA AND LAT)\n\n"
        " INDICATION:  ___F with cough.\n\n COMPARISON:  None.\n\n FINDINGS: \n\n"
        " There is a small left pleural effusion.  No pneumothorax is seen.  The heart size\n"
        " is normal.\n\n IMPRESSION: \n\n Small left pleural effusion.\n"),
    "p10/p10000032/s53189527.txt": (
        "FINAL REPORT\n FINDINGS:  Lungs are clear.  No focal consolidation.\n"
        " IMPRESSION:  No acute cardiopulmonary process.\n"),
    "p11/p11000011/s51111111.txt": "   \n",  # empty: rejected, the rest goes through
}
CSV = ("study_id,text,site\n"
       "s1,\"FINDINGS: Mild cardiomegaly. No pleural effusion.\nIMPRESSION: Mild cardiomegaly.\",A\n"
       "s2,,B\n"
       "s3,\"Possible right lower lobe opacity, likely atelectasis.\",A\n")


def write_mimic(root: Path) -> Path:
    files = root / "files"
    for key, text in MIMIC.items():
        path = files / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return files


def write_csv(root: Path) -> Path:
    path = root / "reports.csv"
    path.write_text(CSV)
    return path


def test_raw_readers_keep_metadata_and_isolate_bad_records(tmp_path: Path) -> None:
    jsonl = tmp_path / "r.jsonl"
    jsonl.write_text('{"study_id": 7, "text": "No effusion.", "age": 50}\n{broken\n'
                     '{"study_id": "s8", "text": ""}\n\n{"text": "x"}\n')
    items = list(RawCorpus(jsonl))
    assert items[0] == RawReport("7", "No effusion.", {"age": 50})
    assert [(i.key, i.reason.split(" (")[0]) for i in items[1:]] == [
        ("r.jsonl:2", "not valid JSON"), ("s8", "'text' is missing or empty"),
        ("r.jsonl:5", "'study_id' is missing or empty")]
    rows = list(RawCorpus(write_csv(tmp_path)))
    assert rows[0].metadata == {"site": "A"} and isinstance(rows[1], ReportError) and rows[1].key == "s2"
    folder = list(RawCorpus(write_mimic(tmp_path)))
    assert [i.key for i in folder] == sorted(MIMIC)
    assert isinstance(folder[-1], ReportError)
    assert is_raw(tmp_path) and is_raw(jsonl) and not is_raw(tmp_path / "x.json")


def test_raw_csv_without_the_text_column_names_it(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("study_id,report\ns1,hello\n")
    with pytest.raises(InputError, match="no 'text' column"):
        list(RawCorpus(path))
    assert list(RawCorpus(path, text_field="report"))[0] == RawReport("s1", "hello", {})


def test_raw_ingest_without_torch_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(MissingExtra, match=r"pip install -e '\.\[extract\]'"):
        require_extract()
    script = ("import sys; sys.modules['torch'] = None; from kb.cli import app; "
              f"sys.argv = ['kb', 'ingest', {str(write_csv(tmp_path))!r}, '--store', "
              f"{str(tmp_path / 'store')!r}]; app()")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: the extractor needs torch, which is not installed: pip install -e '.[extract]'"]


def _studies(store) -> dict[str, dict]:
    rows = store.read("MATCH (s:Study) RETURN s.study_id AS id, s.subject_id AS subject, s.text AS text, "
                      "s.extractor AS extractor, s.extractor_version AS version, s.metadata AS metadata")
    return {r["id"]: r for r in rows}


def _mentions(store) -> list[dict]:
    return store.read("MATCH (s:Study)-[:HAS_OBSERVATION]->(m:Observation) RETURN s.study_id AS id, "
                      "s.text AS report, m.text AS text, m.start AS start, m.`end` AS stop, "
                      "m.certainty AS certainty, m.section AS section")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    from kb.extractor.train import TrainOptions, train
    from tests.test_extractor_model import gold_reports, make_tiny_encoder, tiny_config

    encoder = make_tiny_encoder(tmp_path_factory.mktemp("enc"))
    out = tmp_path_factory.mktemp("model")
    train(gold_reports(), None, out, tiny_config(encoder), TrainOptions(epochs=2, batch_size=2))
    return out


def test_raw_ingest_folder_and_csv_with_a_named_model(tiny_model: Path, tmp_path: Path, embedded) -> None:
    options = IngestOptions(on_error="skip", workers=1, model=str(tiny_model))
    log = FailureLog()
    summary = ingest([write_mimic(tmp_path), write_csv(tmp_path)], embedded, options, log)
    assert (summary.loaded, summary.failed) == (4, 2)
    studies = _studies(embedded)
    assert set(studies) == {"s50414267", "s53189527", "s1", "s3"}
    assert studies["s50414267"]["subject"] == "p10000032"
    assert studies["s50414267"]["text"] == MIMIC["p10/p10000032/s50414267.txt"]
    assert {s["extractor"] for s in studies.values()} == {"tiny"}
    assert all(s["version"].startswith("1.0+") for s in studies.values())
    assert json.loads(studies["s1"]["metadata"]) == {"site": "A"}
    # Idempotent: a second run skips every unchanged study.
    again = ingest([write_mimic(tmp_path), write_csv(tmp_path)], embedded, options, FailureLog())
    assert (again.loaded, again.skipped) == (0, 4)


@pytest.mark.slow
def test_raw_ingest_default_model_end_to_end(tmp_path: Path) -> None:
    """`kb ingest` a MIMIC-style folder and a CSV with the shipped model, then read the store."""
    pytest.importorskip("torch")
    from kb.store.embedded import EmbeddedStore

    store_path = tmp_path / "store"
    for source in (write_mimic(tmp_path), write_csv(tmp_path)):
        result = subprocess.run([KB, "ingest", str(source), "--store", str(store_path), "--on-error", "skip"],
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 1, result.stderr  # one empty report in each input
        assert "1 report(s) rejected" in result.stderr
    store = EmbeddedStore(store_path, read_only=True)
    studies = _studies(store)
    assert set(studies) == {"s50414267", "s53189527", "s1", "s3"}
    assert {s["extractor"] for s in studies.values()} == {"radkb-span-minilm"}
    mentions = _mentions(store)
    assert mentions and all(m["report"][m["start"]:m["stop"]] == m["text"] for m in mentions)
    found = {(m["id"], m["text"].lower(), m["certainty"], m["section"]) for m in mentions}
    assert ("s50414267", "effusion", "PRESENT", "FINDINGS") in found
    assert ("s50414267", "effusion", "PRESENT", "IMPRESSION") in found
    assert ("s50414267", "pneumothorax", "ABSENT", "FINDINGS") in found
    assert ("s1", "cardiomegaly", "PRESENT", "IMPRESSION") in found
    assert ("s3", "atelectasis", "UNCERTAIN", None) in found
    located = store.read("MATCH (o:Observation)-[:LOCATED_AT]->(a:Anatomy) WHERE o.study_id = 's50414267' "
                         "RETURN o.text AS o, a.text AS a")
    assert {"o": "effusion", "a": "pleural"} in located
    store.close()
