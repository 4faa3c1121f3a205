"""Vocabulary: spellings, anatomy expansion, the part-of hierarchy and derived concepts, at
ingest and at query time, on both stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.pipeline import IngestOptions, ingest
from kb.cohort import parse_where, select
from kb.vocabulary import vocabulary
from tests.corpus import radgraph_entry

REPORTS = {
    # bibasilar = left base and right base
    "v1": ("FINDINGS : Bibasilar opacities . No pneumothorax .",
           [(2, "ANAT-DP", []), (3, "OBS-DP", [("located_at", 2)]), (6, "OBS-DA", [])]),
    # cardiomegaly written as an enlarged cardiac silhouette
    "v2": ("IMPRESSION : The cardiac silhouette is enlarged .",
           [(3, "ANAT-DP", []), (4, "ANAT-DP", [("modify", 3)]), (6, "OBS-DP", [("located_at", 3)])]),
    # hyperexpanded lungs; granuloma in the right lower lobe
    "v3": ("FINDINGS : Hyperexpanded lungs . Calcified granuloma in the right lower lobe .",
           [(2, "OBS-DP", [("located_at", 3)]), (3, "ANAT-DP", []), (5, "OBS-DP", [("modify", 6)]),
            (6, "OBS-DP", [("located_at", 11)]), (9, "ANAT-DP", [("modify", 11)]),
            (10, "ANAT-DP", [("modify", 11)]), (11, "ANAT-DP", [])]),
    # cardiomegaly said as such; pleural fluid at the left base
    "v4": ("FINDINGS : Cardiomegaly . Small effusions at the left basilar region .",
           [(2, "OBS-DP", []), (4, "OBS-DP", [("modify", 5)]), (5, "OBS-DP", [("located_at", 9)]),
            (8, "ANAT-DP", [("modify", 9)]), (9, "ANAT-DP", [])]),
}


@pytest.fixture
def vocab_store(store, tmp_path: Path):
    path = tmp_path / "vocab.json"
    path.write_text(json.dumps({k: radgraph_entry(t, s) for k, (t, s) in REPORTS.items()}))
    ingest([path], store, IngestOptions(workers=1))
    return store


def _ids(store, where: dict) -> list[str]:
    return [s.study_id for s in select(store, parse_where(where)).studies]


@pytest.mark.parametrize("where,expected", [
    ({"observation": "opacity", "locatedAt": ["left", "base"]}, ["v1"]),
    ({"observation": "opacities", "locatedAt": ["right basilar"]}, ["v1"]),
    ({"observation": "densities", "locatedAt": ["bibasilar"]}, ["v1"]),
    ({"observation": "cardiomegaly"}, ["v2", "v4"]),
    ({"observation": "hyperinflation", "locatedAt": ["lungs"]}, ["v3"]),
    ({"observation": "pleural effusion", "locatedAt": ["left base"], "modifiers": ["small"]}, ["v4"]),
    ({"observation": "granuloma", "locatedAt": ["right", "lung"]}, []),
    ({"observation": "granuloma", "locatedAt": ["right", "lung"], "expand": True}, ["v3"]),
    ({"observation": "granuloma", "locatedAt": ["left", "lung"], "expand": True}, []),
])
def test_vocabulary_cohort_answers(vocab_store, where: dict, expected: list[str]) -> None:
    assert _ids(vocab_store, where) == expected


def test_vocabulary_derived_evidence_points_at_the_finding(vocab_store) -> None:
    result = select(vocab_store, parse_where({"observation": "cardiomegaly"}))
    assert [[e.text for e in s.evidence] for s in result.studies] == [["enlarged"], ["Cardiomegaly"]]


@pytest.mark.parametrize("spelling,term", [
    ("Effusions", "effusion"), ("pleural fluid", "effusion"), ("opacification", "opacity"),
    ("densities", "opacity"), ("hyperexpanded", "hyperinflation"), ("hyperinflated", "hyperinflation"),
    ("atelectatic", "atelectasis"), ("granulomas", "granuloma"),
])
def test_vocabulary_observation_spellings(spelling: str, term: str) -> None:
    assert vocabulary().observation(spelling) == term


@pytest.mark.parametrize("text,words", [
    ("basilar", ("base",)), ("bases", ("base",)), ("lungs", ("lung",)), ("pulmonary", ("lung",)),
    ("bibasilar", ("bibasilar", "left", "right", "base")), ("bilateral", ("bilateral", "left", "right")),
    ("Cardiomediastinal", ("cardiomediastinal", "heart", "mediastinum")),
])
def test_vocabulary_anatomy_words(text: str, words: tuple[str, ...]) -> None:
    assert vocabulary().anatomy_words(text) == words


def test_vocabulary_part_of_groups() -> None:
    groups = vocabulary().location_groups(("left lung",), expand=True)
    assert groups[0] == ("left",) and {"lung", "lobe", "base", "apex"} <= set(groups[1])
    assert vocabulary().location_groups(("left lung",), expand=False) == (("left",), ("lung",))


def test_vocabulary_file_is_valid_and_versioned() -> None:
    assert vocabulary().version >= 1 and "effusion" in vocabulary().observation_terms
