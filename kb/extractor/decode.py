"""Scores → entities and relations that obey the schema (pure functions; no model here).

Entities: every candidate span whose best label is not `none`, taken best score first, skipping
any that overlaps one already taken (entities never overlap). Relations: each ordered pair of
entities at most `max_sentence_gap` sentences apart gets its best relation type among those the
schema allows for the two labels (`RelationType.allows`); when both directions of a pair are
predicted only the more confident stays; optionally at most `max_modify_targets` modify edges
per source.

The tensor steps work on a whole batch at once (a few large operations rather than many small
ones); the choices after them are plain Python over the few candidates left.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from kb.schema import Label, RelationType

Candidate = tuple[int, int, float]  # (index, label or relation index, probability)


@dataclass(frozen=True)
class SpanGuess:
    first: int  # word index, inclusive
    last: int  # word index, inclusive
    label: int  # index into the entity label map (never 0, `none`)
    score: float


@dataclass(frozen=True)
class RelationGuess:
    source: int  # index into the decoded entities
    target: int
    kind: int  # index into the relation label map (never 0)
    score: float


def span_candidates(probs: Tensor, counts: Sequence[int]) -> list[list[Candidate]]:
    """probs (B, S, entity labels), counts: real spans per row → per row, the spans whose best
    label is not `none`, as (span index, label, probability)."""
    score, label = probs.max(dim=-1)  # (B, S)
    out: list[list[Candidate]] = [[] for _ in counts]
    for b, k in torch.nonzero(label).tolist():
        if k < counts[b]:
            out[b].append((k, int(label[b, k]), float(score[b, k])))
    return out


def decode_entities(spans: Sequence[tuple[int, int]], candidates: Sequence[Candidate]) -> list[SpanGuess]:
    """Non-overlapping entities, best first, returned in text order."""
    taken: set[int] = set()
    out = []
    for k, label, score in sorted(candidates, key=lambda c: (-c[2], c[0])):
        first, last = spans[k]
        words = set(range(first, last + 1))
        if taken.isdisjoint(words):
            taken |= words
            out.append(SpanGuess(first, last, label, score))
    return sorted(out, key=lambda g: g.first)


def allowed_table(entity_labels: Sequence[str], relation_labels: Sequence[str]) -> Tensor:
    """(entity labels, entity labels, relation labels) bool: may relation r go from a to b."""
    table = torch.zeros(len(entity_labels), len(entity_labels), len(relation_labels), dtype=torch.bool)
    table[:, :, 0] = True  # `none` is always allowed
    for a, src in enumerate(entity_labels[1:], 1):
        for b, dst in enumerate(entity_labels[1:], 1):
            for r, kind in enumerate(relation_labels[1:], 1):
                table[a, b, r] = RelationType(kind).allows(Label(src), Label(dst))
    return table


def candidate_pairs(sentences: Sequence[int], max_gap: int) -> list[tuple[int, int]]:
    """Ordered pairs (i, j), i != j, of entities at most `max_gap` sentences apart; the others
    are never related (negative gap: no limit)."""
    n = len(sentences)
    return [(i, j) for i in range(n) for j in range(n)
            if i != j and (max_gap < 0 or abs(sentences[i] - sentences[j]) <= max_gap)]


def pair_candidates(probs: Tensor, source_labels: Tensor, target_labels: Tensor, pairs: Tensor,
                    rows: int, allowed: Tensor) -> list[list[tuple[int, int, int, float]]]:
    """probs (K, relations) of the K pairs listed as (row, source, target) in `pairs` (K, 3),
    with the source and target entity label indices (K,) → per row, (source, target, relation,
    probability) of each pair whose best relation among those the schema allows for its labels
    is not `none`."""
    mask = allowed[source_labels, target_labels]  # (K, R)
    score, kind = (probs * mask).max(dim=-1)  # (K,)
    out: list[list[tuple[int, int, int, float]]] = [[] for _ in range(rows)]
    hits = torch.nonzero(kind).flatten()
    for (b, i, j), k, p in zip(pairs[hits].tolist(), kind[hits].tolist(), score[hits].tolist()):
        out[b].append((i, j, k, p))
    return out


def decode_relations(candidates: Sequence[tuple[int, int, int, float]], max_modify_targets: int = 0,
                     modify: int = 1) -> list[RelationGuess]:
    """One direction per pair (the more confident), then the optional modify cap."""
    found = {(i, j): (s, k) for i, j, k, s in candidates}
    kept = [RelationGuess(i, j, k, s) for (i, j), (s, k) in found.items()
            if (j, i) not in found or found[(j, i)][0] < s or (found[(j, i)][0] == s and i < j)]
    return _cap_modify(kept, max_modify_targets, modify) if max_modify_targets else kept


def _cap_modify(relations: list[RelationGuess], limit: int, modify: int) -> list[RelationGuess]:
    by_source: dict[int, list[RelationGuess]] = defaultdict(list)
    for r in relations:
        if r.kind == modify:
            by_source[r.source].append(r)
    dropped = {id(r) for group in by_source.values()
               for r in sorted(group, key=lambda g: -g.score)[limit:]}
    return [r for r in relations if id(r) not in dropped]
