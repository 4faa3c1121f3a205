"""A small hand-checked corpus in the RadGraph format, written by the tests themselves.

Each report lists its entities as (token index, label, [(relation, token index of target)]),
with token indices into `text.split(" ")`, so a reader can check every entry against the text.
"""

from __future__ import annotations

from typing import Any

Spec = tuple[int, str, list[tuple[str, int]]]

REPORTS: dict[str, tuple[str, list[Spec]]] = {
    # effusion at the LEFT PLEURAL space: must not match "left base"
    "s1": ("FINDINGS : Small left pleural effusion . No pneumothorax .", [
        (2, "OBS-DP", [("modify", 5)]), (3, "ANAT-DP", [("modify", 4)]), (4, "ANAT-DP", []),
        (5, "OBS-DP", [("located_at", 4)]), (8, "OBS-DA", [])]),
    # opacity in the left lung base (base and left modify lung): matches "left base"
    "s2": ("FINDINGS : Opacity in the left lung base . Small effusion at the left base .", [
        (2, "OBS-DP", [("located_at", 6)]), (5, "ANAT-DP", [("modify", 6)]), (6, "ANAT-DP", []),
        (7, "ANAT-DP", [("modify", 6)]), (9, "OBS-DP", [("modify", 10)]),
        (10, "OBS-DP", [("located_at", 14)]), (13, "ANAT-DP", [("modify", 14)]), (14, "ANAT-DP", [])]),
    # uncertain opacity in the right lower lobe; effusions absent
    "s3": ("FINDINGS : Possible right lower lobe opacity . Effusions are absent .", [
        (3, "ANAT-DP", [("modify", 5)]), (4, "ANAT-DP", [("modify", 5)]), (5, "ANAT-DP", []),
        (6, "OBS-U", [("located_at", 5)]), (8, "OBS-DA", [])]),
    # bilateral effusions; atelectasis at the left lung base, likely pneumonia
    "s4": ("IMPRESSION : Bilateral pleural effusions . Left lung base atelectasis , likely pneumonia .", [
        (2, "ANAT-DP", [("modify", 3)]), (3, "ANAT-DP", []), (4, "OBS-DP", [("located_at", 3)]),
        (6, "ANAT-DP", [("modify", 7)]), (7, "ANAT-DP", []), (8, "ANAT-DP", [("modify", 7)]),
        (9, "OBS-DP", [("located_at", 7), ("suggestive_of", 12)]), (12, "OBS-U", [])]),
    # a MIMIC-style key: subject p10000001, study s50000001
    "p10/p10000001/s50000001.txt": ("FINDINGS : No focal consolidation . Heart size is normal .", [
        (3, "OBS-DA", [("modify", 4)]), (4, "OBS-DA", []), (6, "ANAT-DP", []),
        (7, "ANAT-DP", [("modify", 6)]), (9, "OBS-DP", [("located_at", 6)])]),
}


def radgraph_entry(text: str, specs: list[Spec], **extra: Any) -> dict[str, Any]:
    tokens = text.split(" ")
    ids = {index: str(n) for n, (index, _, _) in enumerate(specs, start=1)}
    entities = {
        ids[index]: {"tokens": tokens[index], "label": label, "start_ix": index, "end_ix": index,
                     "relations": [[kind, ids[target]] for kind, target in relations]}
        for index, label, relations in specs
    }
    return {"text": text, "entities": entities, "data_source": "test", "data_split": "dev", **extra}


def corpus() -> dict[str, Any]:
    return {key: radgraph_entry(text, specs) for key, (text, specs) in REPORTS.items()}
