from __future__ import annotations

import pytest

from kb.errors import ReportError
from kb.radgraph import parse_report
from kb.records import Provenance, build_records
from kb.sections import Sections
from kb.terms import normalize_term
from tests.corpus import corpus

PROVENANCE = Provenance(source="test")


def _records(key: str):
    return build_records(parse_report(key, corpus()[key]), PROVENANCE)


def _mention(records, text: str, occurrence: int = 0):
    return [m for m in records.mentions if m.text == text][occurrence]


def test_records_location_phrases_follow_modify_to_the_head() -> None:
    s2 = _records("s2")
    assert _mention(s2, "Opacity").locations == ("left lung base",)
    assert _mention(s2, "effusion").locations == ("left base",)
    assert _mention(s2, "lung").phrase_terms == ("left", "lung", "base")
    assert _mention(_records("s1"), "effusion").locations == ("left pleura",)


def test_records_modifier_terms_and_certainty() -> None:
    s1 = _records("s1")
    effusion = _mention(s1, "effusion")
    assert (effusion.modifiers, effusion.certainty, effusion.term) == (("small",), "PRESENT", "effusion")
    assert _mention(s1, "pneumothorax").certainty == "ABSENT"
    assert _mention(s1, "left").certainty is None


def test_records_ids_are_deterministic_from_study_and_span() -> None:
    first, second = _records("p10/p10000001/s50000001.txt"), _records("p10/p10000001/s50000001.txt")
    assert [m.id for m in first.mentions] == [m.id for m in second.mentions]
    assert first.study.study_id == "s50000001" and first.study.subject_id == "p10000001"
    assert _mention(first, "normal").id == "s50000001:50-56"


def test_records_edges_by_type() -> None:
    kinds = sorted(e.type for e in _records("s4").edges)
    assert kinds == ["LOCATED_AT", "LOCATED_AT", "MODIFY", "MODIFY", "MODIFY", "SUGGESTIVE_OF"]


def test_records_reject_disallowed_label_pair() -> None:
    entry = corpus()["s1"]
    entry["entities"]["2"]["relations"] = [["located_at", "3"]]  # anatomy located_at anatomy
    with pytest.raises(ReportError, match="located_at may not go from ANAT-DP to ANAT-DP"):
        build_records(parse_report("s1", entry), PROVENANCE)


def test_records_reject_self_loop() -> None:
    entry = corpus()["s1"]
    entry["entities"]["4"]["relations"] = [["modify", "4"]]
    with pytest.raises(ReportError, match="modify relation to itself"):
        build_records(parse_report("s1", entry), PROVENANCE)


def test_records_modifier_cycle_terminates() -> None:
    entry = corpus()["s1"]
    entry["entities"]["3"]["relations"] = [["modify", "2"]]  # left <-> pleural
    records = build_records(parse_report("s1", entry), PROVENANCE)
    assert _mention(records, "effusion").locations == ("left pleura",)


@pytest.mark.parametrize("text,term", [
    ("Effusions", "effusion"), ("opacities", "opacity"), ("bases", "base"), ("lungs", "lung"),
    ("atelectasis", "atelectasis"), ("mass", "mass"), ("pneumothorax", "pneumothorax"),
    ("apices", "apex"), ("ET tube", "et tube"), ("x-ray", "x-ray"), ("Changes", "change"),
])
def test_terms_normalize(text: str, term: str) -> None:
    assert normalize_term(text) == term


def test_sections_find_headers() -> None:
    text = "EXAMINATION: chest. FINDINGS : Clear lungs. IMPRESSION: Normal."
    sections = Sections.of(text)
    assert [sections.at(text.index(w)) for w in ("chest", "Clear", "Normal")] == [
        "EXAMINATION", "FINDINGS", "IMPRESSION"]
    assert Sections.of("no header here").at(3) is None
