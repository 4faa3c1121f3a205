"""`kb train`, `kb extract` and `kb evaluate` run as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

from tests.corpus import corpus  # noqa: E402
from tests.test_extractor_model import make_tiny_encoder  # noqa: E402

KB = str(Path(sys.executable).parent / "kb")


def kb(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KB, *args], capture_output=True, text=True, timeout=300)


def test_extractor_cli_train_extract_evaluate(corpus_file: Path, tmp_path: Path) -> None:
    encoder = make_tiny_encoder(tmp_path / "encoder")
    model = tmp_path / "model"
    trained = kb("train", "--train", str(corpus_file), "--dev", str(corpus_file), "--out", str(model),
                 "--encoder", str(encoder), "--epochs", "2", "--batch-size", "2", "--seed", "3")
    assert trained.returncode == 0, trained.stderr
    assert "epoch  2" in trained.stderr and f"saved {model}" in trained.stderr
    config = json.loads((model / "config.json").read_text())
    assert config["encoder"] == str(encoder.resolve()) and config["training"]["options"]["seed"] == 3

    pred = tmp_path / "pred.json"
    extracted = kb("extract", str(corpus_file), "--out", str(pred), "--model", str(model))
    assert extracted.returncode == 0, extracted.stderr
    assert "extracted 5 reports" in extracted.stderr and "reports/s" in extracted.stderr
    gold, found = json.loads(corpus_file.read_text()), json.loads(pred.read_text())
    assert list(found) == list(gold)
    assert all(found[k]["text"] == gold[k]["text"] for k in gold)

    scored = kb("evaluate", str(corpus_file), str(pred), "--format", "json")
    assert scored.returncode == 0, scored.stderr
    assert set(json.loads(scored.stdout)["gold"]) >= {"entity", "relation", "rewards", "entity_by_label"}


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model trained one epoch on the test corpus by `kb train` (shared: training is the
    slow part and these tests only run it)."""
    folder = tmp_path_factory.mktemp("tiny-model")
    source = folder / "corpus.json"
    source.write_text(json.dumps(corpus()))
    encoder = make_tiny_encoder(folder / "encoder")
    trained = kb("train", "--train", str(source), "--out", str(folder / "model"), "--encoder", str(encoder),
                 "--epochs", "1")
    assert trained.returncode == 0, trained.stderr
    return folder / "model"


def test_extractor_cli_raw_jsonl_keeps_character_offsets(model: Path, tmp_path: Path) -> None:
    source = tmp_path / "raw.jsonl"
    source.write_text(json.dumps({"study_id": "s1", "text": "FINDINGS:\n Small  left effusion."}) + "\n"
                      + json.dumps({"study_id": "s2", "text": ""}) + "\n")
    out = tmp_path / "out.jsonl"
    result = kb("extract", str(source), "--out", str(out), "--model", str(model))
    assert result.returncode == 1 and "1 report(s) skipped" in result.stderr
    [report] = [json.loads(line) for line in out.read_text().splitlines()]
    assert report["text"] == "FINDINGS:\n Small  left effusion."
    assert all(report["text"][e["start"]:e["end"]] == e["text"] for e in report["entities"])

    # A MIMIC-CXR folder to RadGraph JSON: the words of FINDINGS/IMPRESSION joined by spaces.
    from kb.radgraph import read_radgraph
    from tests.test_raw_ingest import write_mimic

    folder, radgraph = write_mimic(tmp_path), tmp_path / "mimic.json"
    result = kb("extract", str(folder), "--out", str(radgraph), "--model", str(model))
    assert result.returncode == 1 and "1 report(s) skipped" in result.stderr  # the empty report
    reports = {r.key: r for r in read_radgraph(radgraph)}  # parses: tokens agree with the text
    assert sorted(reports) == ["p10/p10000032/s50414267.txt", "p10/p10000032/s53189527.txt"]
    assert reports["p10/p10000032/s53189527.txt"].text == (
        "FINDINGS : Lungs are clear . No focal consolidation . IMPRESSION : No acute cardiopulmonary process .")


def test_extractor_cli_damaged_entry_is_reported_with_its_reason(model: Path, corpus_file: Path,
                                                                 tmp_path: Path) -> None:
    """A RadGraph file with one entry that is not valid UTF-8: that report is skipped with the
    real reason (not "'text' is missing"), the others are extracted."""
    good = json.loads(corpus_file.read_text())
    damaged = tmp_path / "damaged.json"
    body = json.dumps({"bad": {"text": "BAD_TEXT"}, **good}).encode()
    damaged.write_bytes(body.replace(b"BAD_TEXT", b"effusion \xff here"))
    out = tmp_path / "out.json"
    result = kb("extract", str(damaged), "--out", str(out), "--model", str(model))
    assert result.returncode == 1 and "1 report(s) skipped" in result.stderr
    assert "not valid UTF-8" in result.stderr and "missing" not in result.stderr
    assert list(json.loads(out.read_text())) == list(good)


def test_extractor_cli_errors_are_one_line(tmp_path: Path) -> None:
    result = kb("extract", str(tmp_path / "missing.json"), "--out", str(tmp_path / "o.json"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"error: no such file or folder: {tmp_path / 'missing.json'}"]
    result = kb("extract", str(tmp_path), "--out", str(tmp_path / "o.txt"))
    assert result.returncode == 1 and "name a .json (RadGraph) or .jsonl file" in result.stderr


@pytest.mark.slow
def test_extractor_cli_default_model_on_the_test_corpus(corpus_file: Path, tmp_path: Path) -> None:
    """The shipped model, no --model: RadGraph in, RadGraph out with the same keys and text."""
    pred = tmp_path / "pred.json"
    result = kb("extract", str(corpus_file), "--out", str(pred))
    assert result.returncode == 0, result.stderr
    assert "radkb-span-minilm" in result.stderr
    scored = json.loads(kb("evaluate", str(corpus_file), str(pred), "--format", "json").stdout)["gold"]
    assert scored["entity"]["f1"] > 0.85 and scored["relation"]["f1"] > 0.6
