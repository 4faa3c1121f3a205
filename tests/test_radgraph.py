from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.errors import InputError, ReportError
from kb.radgraph import parse_report, read_radgraph, to_radgraph, write_radgraph
from kb.report import Report, split_key
from kb.schema import Certainty, Label
from tests.corpus import corpus

XL = {"ANAT-DP": "Anatomy::definitely present", "OBS-DP": "Observation::definitely present",
      "OBS-U": "Observation::uncertain", "OBS-DA": "Observation::definitely absent"}


def _roundtrip(entries: dict, tmp_path: Path, labeler: str = "labeler_1") -> tuple[list[Report], list[Report]]:
    source = tmp_path / "in.json"
    source.write_text(json.dumps(entries))
    first = list(read_radgraph(source, labeler))
    written = tmp_path / "out.json"
    assert write_radgraph(first, written) == len(first)
    return first, list(read_radgraph(written))


def test_radgraph_roundtrip_one_set(tmp_path: Path) -> None:
    first, second = _roundtrip(corpus(), tmp_path)
    assert first == second
    assert json.loads((tmp_path / "out.json").read_text()) == corpus()


def test_radgraph_roundtrip_xl_labels(tmp_path: Path) -> None:
    entries = corpus()
    for entry in entries.values():
        for entity in entry["entities"].values():
            entity["label"] = XL[entity["label"]]
    first, second = _roundtrip(entries, tmp_path)
    v1, _ = _roundtrip(corpus(), tmp_path / ".." / tmp_path.name)
    assert first == second == v1


@pytest.mark.parametrize("label,expected", [
    ("Observation::measurement::definitely present", Label.OBS_DP),
    ("Anatomy::measurement::definitely present", Label.ANAT_DP),
    ("Anatomy::uncertain", Label.ANAT_DP),
    ("Observation::uncertain", Label.OBS_U),
    ("OBS-DA", Label.OBS_DA),
])
def test_schema_parses_upstream_labels(label: str, expected: Label) -> None:
    assert Label.parse(label) is expected


def test_schema_certainty_of_labels() -> None:
    assert Label.OBS_DA.certainty is Certainty.ABSENT and Label.ANAT_DP.certainty is None


def test_radgraph_two_labelers(tmp_path: Path) -> None:
    entry = corpus()["s1"]
    second = copy.deepcopy(entry["entities"])
    second["5"]["label"] = "OBS-U"
    two = {"s1": {"text": entry["text"], "labeler_1": {"entities": entry["entities"]},
                  "labeler_2": {"entities": second}, "data_split": "test"}}
    one = parse_report("s1", two["s1"])
    other = parse_report("s1", two["s1"], "labeler_2")
    assert one.entities[4].label is Label.OBS_DA and other.entities[4].label is Label.OBS_U
    assert one.metadata == {"data_split": "test"}
    _, back = _roundtrip(two, tmp_path, "labeler_2")
    assert back[0].entities == other.entities


@pytest.mark.parametrize("key,study,subject", [
    ("p10/p10003412/s59172281.txt", "s59172281", "p10003412"),
    ("files/p10/p10003412/s59172281.txt", "s59172281", "p10003412"),
    ("iu-25", "iu-25", None),
])
def test_report_split_key(key: str, study: str, subject: str | None) -> None:
    assert split_key(key) == (study, subject)


def _broken(mutate) -> dict:
    entry = corpus()["s1"]
    mutate(entry)
    return entry


@pytest.mark.parametrize("mutate,message", [
    (lambda e: e["entities"]["1"].update(label="OBS-MAYBE"),
     "report 's1': entity '1': unknown label 'OBS-MAYBE'; allowed: ANAT-DP, OBS-DP, OBS-U, OBS-DA, "
     "Observation::definitely present, Observation::uncertain"),
    (lambda e: e["entities"]["2"].update(start_ix=11, end_ix=12),
     "report 's1': entity '2': span 11..12 out of range (text has 10 tokens, end inclusive)"),
    (lambda e: e["entities"]["2"].update(tokens="right"),
     "report 's1': entity '2': tokens 'right' do not match the text at 3..3, which reads 'left'"),
    (lambda e: e["entities"]["4"].update(relations=[["located_at", "9"]]),
     "report 's1': entity '4': located_at relation points to entity '9', which does not exist"),
    (lambda e: e["entities"]["4"].update(relations=[["next_to", "3"]]),
     "report 's1': entity '4': unknown relation type 'next_to'; allowed: modify, located_at, suggestive_of"),
    (lambda e: e.pop("text"), "report 's1': 'text' is missing or not a string"),
    (lambda e: e.update(text=" "), "report 's1': 'text' is empty"),
    (lambda e: e["entities"]["3"].update(start_ix="4"),
     "report 's1': entity '3': start_ix/end_ix must be integers, got '4'/4"),
])
def test_radgraph_malformed_report_errors(mutate, message: str) -> None:
    with pytest.raises(ReportError) as caught:
        parse_report("s1", _broken(mutate))
    assert str(caught.value).startswith(message)
    assert caught.value.key == "s1"


def test_radgraph_truncated_file_names_file(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text(json.dumps(corpus())[:-200])
    reports = []
    with pytest.raises(InputError, match="cut.json: not valid RadGraph JSON"):
        for report in read_radgraph(path):
            reports.append(report)
    assert [r.key for r in reports] == ["s1", "s2", "s3", "s4"]


def test_radgraph_entity_offsets_slice_text() -> None:
    for key, entry in corpus().items():
        report = parse_report(key, entry)
        for entity in report.entities:
            assert report.text[entity.start:entity.end] == entity.text


def test_report_json_roundtrip() -> None:
    for key, entry in corpus().items():
        report = parse_report(key, entry)
        assert Report.from_json(json.loads(json.dumps(report.to_json()))) == report


_word = st.text(alphabet=st.characters(categories=["L", "N", "P"], exclude_characters=" "), min_size=1, max_size=8)


@st.composite
def _entries(draw):
    tokens = draw(st.lists(_word, min_size=1, max_size=30))
    starts = sorted(draw(st.sets(st.integers(0, len(tokens) - 1), max_size=len(tokens))))
    entities = {}
    for n, start in enumerate(starts, 1):
        label = draw(st.sampled_from(["ANAT-DP", "OBS-DP", "OBS-U", "OBS-DA"]))
        entities[str(n)] = {"tokens": tokens[start], "label": label, "start_ix": start,
                            "end_ix": start, "relations": []}
    return {"text": " ".join(tokens), "entities": entities}


@settings(max_examples=60, deadline=None)
@given(_entries())
def test_radgraph_roundtrip_property(entry: dict) -> None:
    report = parse_report("k", entry)
    assert to_radgraph(report) == entry
    buffer = io.StringIO()
    write_radgraph([report], buffer)
    assert parse_report("k", json.loads(buffer.getvalue())["k"]) == report
