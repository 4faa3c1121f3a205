"""Vocabulary: spellings, anatomy expansion, the part-of hierarchy and derived concepts, at
ingest and at query time, on both stores."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import pytest
from pydantic import ValidationError

from ingest.pipeline import IngestOptions, ingest
from kb.cohort import parse_where, select
from kb.vocabulary import Pattern, _VocabularyFile, vocabulary
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
    # pleural fluid is a pleural effusion; a nodular opacity is an opacity, not a nodule
    "v5": ("FINDINGS : Small right pleural fluid . Nodular opacity in the left base .",
           [(2, "OBS-DP", [("modify", 5)]), (3, "ANAT-DP", [("modify", 4)]), (4, "ANAT-DP", []),
            (5, "OBS-DP", [("located_at", 4)]), (7, "OBS-DP", [("modify", 8)]),
            (8, "OBS-DP", [("located_at", 12)]), (11, "ANAT-DP", [("modify", 12)]), (12, "ANAT-DP", [])]),
    # borderline heart size is borderline cardiomegaly; airspace disease is not an opacity
    "v6": ("IMPRESSION : Borderline heart size . Left basilar airspace disease .",
           [(2, "OBS-DP", [("located_at", 3)]), (3, "ANAT-DP", []), (4, "ANAT-DP", [("modify", 3)]),
            (6, "ANAT-DP", [("modify", 8)]), (7, "ANAT-DP", [("modify", 8)]), (8, "ANAT-DP", []),
            (9, "OBS-DP", [("located_at", 8)])]),
}


@pytest.fixture
def vocab_store(store, tmp_path: Path):
    path = tmp_path / "vocab.json"
    path.write_text(json.dumps({k: radgraph_entry(t, s) for k, (t, s) in REPORTS.items()}))
    ingest([path], store, IngestOptions(workers=1))
    return store


def _ids(store, where: dict) -> list[str]:
    return sorted(s.study_id for s in select(store, parse_where(where)).studies)


@pytest.mark.parametrize("where,expected", [
    ({"observation": "opacity", "locatedAt": ["left", "base"]}, ["v1", "v5"]),
    ({"observation": "opacities", "locatedAt": ["right basilar"]}, ["v1"]),
    ({"observation": "densities", "locatedAt": ["bibasilar"]}, ["v1"]),
    ({"observation": "cardiomegaly"}, ["v2", "v4", "v6"]),
    ({"observation": "hyperinflation", "locatedAt": ["lungs"]}, ["v3"]),
    ({"observation": "pleural effusion", "locatedAt": ["left base"], "modifiers": ["small"]}, ["v4"]),
    ({"observation": "granuloma", "locatedAt": ["right", "lung"]}, []),
    ({"observation": "granuloma", "locatedAt": ["right", "lung"], "expand": True}, ["v3"]),
    ({"observation": "granuloma", "locatedAt": ["left", "lung"], "expand": True}, []),
    ({"observation": "effusion"}, ["v4", "v5"]),
    ({"observation": "pleural effusion", "locatedAt": ["right"]}, ["v5"]),
    ({"observation": "pleural fluid", "locatedAt": ["left"]}, ["v4"]),
    ({"observation": "nodule"}, []),
    ({"observation": "opacity", "modifiers": ["nodular"]}, ["v5"]),
    ({"observation": "opacity", "locatedAt": ["base"]}, ["v1", "v5"]),
    ({"observation": "airspace disease", "locatedAt": ["left", "base"]}, ["v6"]),
    ({"observation": "airspace disease", "locatedAt": ["right"]}, []),
])
def test_vocabulary_cohort_answers(vocab_store, where: dict, expected: list[str]) -> None:
    assert _ids(vocab_store, where) == expected


def test_vocabulary_derived_evidence_points_at_the_finding(vocab_store) -> None:
    result = select(vocab_store, parse_where({"observation": "cardiomegaly"}))
    evidence = {s.study_id: [e.text for e in s.evidence] for s in result.studies}
    assert evidence == {"v2": ["enlarged"], "v4": ["Cardiomegaly"], "v6": ["Borderline"]}


@pytest.mark.parametrize("spelling,term", [
    ("Effusions", "effusion"), ("pleural fluid", "effusion"), ("opacification", "opacity"),
    ("densities", "opacity"), ("hyperexpanded", "hyperinflation"), ("hyperinflated", "hyperinflation"),
    ("atelectatic", "atelectasis"), ("granulomas", "granuloma"),
    ("nodules", "nodule"), ("micronodules", "nodule"), ("nodular", "nodular"), ("nodularity", "nodular"),
    ("dextrocurvature", "scoliosis"), ("levocurvature", "scoliosis"), ("curvature", "curvature"),
    ("airspace disease", "airspace disease"), ("air space opacity", "opacity"), ("haziness", "opacity"),
])
def test_vocabulary_observation_spellings(spelling: str, term: str) -> None:
    assert vocabulary().observation(spelling) == term


@pytest.mark.parametrize("text,words", [
    ("basilar", ("base",)), ("bases", ("base",)), ("lungs", ("lung",)), ("pulmonary", ("lung",)),
    ("bibasilar", ("bibasilar", "left", "right", "base")), ("bilateral", ("bilateral", "left", "right")),
    ("Cardiomediastinal", ("cardiomediastinal", "heart", "mediastinum")),
    ("air space", ("airspace",)), ("air-space", ("airspace",)), ("lingular", ("lingula",)),
    ("bihilar", ("bihilar", "left", "right", "hilum")),
])
def test_vocabulary_anatomy_words(text: str, words: tuple[str, ...]) -> None:
    assert vocabulary().anatomy_words(text) == words


def test_vocabulary_part_of_groups() -> None:
    groups = vocabulary().location_groups(("left lung",), expand=True)
    assert groups[0] == ("left",) and {"lung", "lobe", "base", "apex"} <= set(groups[1])
    assert vocabulary().location_groups(("left lung",), expand=False) == (("left",), ("lung",))


def test_vocabulary_file_is_valid_and_versioned() -> None:
    assert vocabulary().version >= 1 and "effusion" in vocabulary().observation_terms


@pytest.mark.parametrize("asked", ["effusion", "Effusions", "pleural effusion", "pleural fluid"])
def test_vocabulary_spelling_asks_for_the_derived_concept_of_its_term(asked: str) -> None:
    assert vocabulary().patterns(asked) == [Pattern(("effusion",)), Pattern(("fluid",), (("pleura",),))]


@pytest.mark.parametrize("asked,patterns", [
    ("cardiomegaly", [Pattern(("cardiomegaly",)),
                      Pattern(("enlarged", "prominent", "large", "increased", "borderline"), (("heart",),))]),
    ("airspace disease", [Pattern(("disease",), (("airspace",),))]),
    ("nodule", [Pattern(("nodule",))]),
    ("opacities", [Pattern(("opacity",))]),
])
def test_vocabulary_derived_patterns(asked: str, patterns: list[Pattern]) -> None:
    assert vocabulary().patterns(asked) == patterns


def test_vocabulary_derived_term_must_match_its_own_mentions() -> None:
    data = json.loads(files("kb").joinpath("data/vocabulary.json").read_text(encoding="utf-8"))
    data["derived"]["effusion"] = [{"observation": ["fluid"], "locatedAt": ["pleura"]}]
    with pytest.raises(ValidationError, match="derived concept 'effusion' is an observation term"):
        _VocabularyFile.model_validate(data)
