"""Decoding obeys the schema: no overlapping entities, only allowed label pairs per relation."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from kb.extractor.config import ENTITY_LABELS, RELATION_LABELS  # noqa: E402
from kb.extractor.decode import (allowed_table, candidate_pairs, decode_entities,  # noqa: E402
                                 decode_relations, pair_candidates, span_candidates)

ANAT, OBS_DP, OBS_U, OBS_DA = (ENTITY_LABELS.index(x) for x in ("ANAT-DP", "OBS-DP", "OBS-U", "OBS-DA"))
MODIFY, LOCATED_AT, SUGGESTIVE_OF = (RELATION_LABELS.index(x) for x in ("modify", "located_at", "suggestive_of"))
ALLOWED = allowed_table(ENTITY_LABELS, RELATION_LABELS)


def probs(rows: list[dict[int, float]], width: int) -> torch.Tensor:
    out = torch.zeros(len(rows), width)
    for i, row in enumerate(rows):
        out[i, 0] = 1.0 - sum(row.values())
        for k, v in row.items():
            out[i, k] = v
    return out


def test_decode_entities_keeps_the_best_of_overlapping_spans() -> None:
    spans = [(0, 1), (1, 1), (2, 2), (3, 4)]
    p = probs([{ANAT: 0.7}, {OBS_DP: 0.9}, {OBS_DA: 0.6}, {}], len(ENTITY_LABELS))
    found = decode_entities(spans, span_candidates(p[None], [len(spans)])[0])
    assert [(g.first, g.last, g.label) for g in found] == [(1, 1, OBS_DP), (2, 2, OBS_DA)]


def test_decode_allowed_table_follows_the_guidelines() -> None:
    assert ALLOWED[OBS_DP, ANAT, LOCATED_AT] and not ALLOWED[ANAT, OBS_DP, LOCATED_AT]
    assert ALLOWED[OBS_DP, OBS_U, SUGGESTIVE_OF] and not ALLOWED[OBS_DP, ANAT, SUGGESTIVE_OF]
    assert ALLOWED[ANAT, ANAT, MODIFY] and ALLOWED[OBS_DA, OBS_DP, MODIFY]
    assert not ALLOWED[ANAT, OBS_DP, MODIFY] and ALLOWED[:, :, 0].all()


def pair_probs(n: int, entries: dict[tuple[int, int], dict[int, float]]) -> torch.Tensor:
    out = torch.zeros(n, n, len(RELATION_LABELS))
    out[:, :, 0] = 1.0
    for (i, j), row in entries.items():
        out[i, j] = probs([row], len(RELATION_LABELS))[0]
    return out


def relations(labels: list[int], p: torch.Tensor, cap: int = 0):
    """p: (E, E, R) dense pair probabilities → decoded relations over all ordered pairs."""
    pairs = candidate_pairs([0] * len(labels), max_gap=0)
    probs = torch.stack([p[i, j] for i, j in pairs])  # (K, R)
    index = torch.tensor(labels)
    source, target = (index[[pair[side] for pair in pairs]] for side in (0, 1))
    flat = torch.tensor([(0, i, j) for i, j in pairs])
    return decode_relations(pair_candidates(probs, source, target, flat, 1, ALLOWED)[0], cap)


def test_decode_relations_never_break_the_schema() -> None:
    labels = [ANAT, OBS_DP]
    # The model prefers located_at from the anatomy to the observation, which is not allowed.
    p = pair_probs(2, {(0, 1): {LOCATED_AT: 0.6, MODIFY: 0.1}, (1, 0): {LOCATED_AT: 0.8}})
    found = relations(labels, p)
    assert [(r.source, r.target, r.kind) for r in found] == [(1, 0, LOCATED_AT)]


def test_decode_relations_keep_one_direction_and_no_self_loops() -> None:
    labels = [OBS_DP, OBS_DP, OBS_U]
    p = pair_probs(3, {(0, 1): {MODIFY: 0.9}, (1, 0): {MODIFY: 0.6}, (2, 2): {MODIFY: 0.99},
                       (1, 2): {SUGGESTIVE_OF: 0.7}})
    found = {(r.source, r.target, r.kind) for r in relations(labels, p)}
    assert found == {(0, 1, MODIFY), (1, 2, SUGGESTIVE_OF)}


def test_decode_relations_cap_modify_targets_per_source() -> None:
    labels = [ANAT, ANAT, ANAT]
    p = pair_probs(3, {(0, 1): {MODIFY: 0.9}, (0, 2): {MODIFY: 0.8}})
    assert len(relations(labels, p)) == 2
    capped = relations(labels, p, cap=1)
    assert [(r.source, r.target) for r in capped] == [(0, 1)]


def test_decode_candidate_pairs_stay_within_the_sentence_gap() -> None:
    assert candidate_pairs([0, 0, 1, 3], max_gap=1) == [(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)]
    assert len(candidate_pairs([0, 5, 9], max_gap=-1)) == 6
