"""Scoring predicted graphs against gold ones: the RadGraph metrics.

- Entity micro F1: an entity counts when its exact span and label are right.
- Relation micro F1: a relation counts when its type and both of its entities (span and label)
  are right.
- Per-label F1 for both, and the F1RadGraph rewards of the `radgraph` package (`rewards.py`):
  simple (entity tokens and label), partial (also whether the entity has a relation) and
  complete (also each relation's type and target tokens), computed per report, then averaged.
  These follow that file exactly, its quirks included: a report where either side has no
  entity scores 0, and `complete` lower-cases tokens in relation tuples only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import InputError
from kb.radgraph import LABELERS, iter_entries, read_radgraph
from kb.report import Report
from kb.schema import Label, RelationType

REWARDS = ("simple", "partial", "complete")


@dataclass(frozen=True)
class Counts:
    tp: int = 0
    pred: int = 0
    gold: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.pred + other.pred, self.gold + other.gold)

    @property
    def precision(self) -> float:
        return self.tp / self.pred if self.pred else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        return 2 * self.tp / (self.pred + self.gold) if self.pred + self.gold else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1,
                "tp": self.tp, "pred": self.pred, "gold": self.gold}


@dataclass(frozen=True)
class Scores:
    reports: int
    entity: Counts
    relation: Counts
    entity_by_label: dict[str, Counts] = field(default_factory=dict)
    relation_by_type: dict[str, Counts] = field(default_factory=dict)
    rewards: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"reports": self.reports, "entity": self.entity.to_json(),
                "relation": self.relation.to_json(),
                "entity_by_label": {k: v.to_json() for k, v in self.entity_by_label.items()},
                "relation_by_type": {k: v.to_json() for k, v in self.relation_by_type.items()},
                "rewards": dict(self.rewards)}


EntityKey = tuple[int, int, str]


def entity_keys(report: Report) -> set[EntityKey]:
    return {(e.start, e.end, e.label.value) for e in report.entities}


def relation_keys(report: Report) -> set[tuple[EntityKey, str, EntityKey]]:
    by_id = {e.id: (e.start, e.end, e.label.value) for e in report.entities}
    return {(by_id[r.source], r.type.value, by_id[r.target]) for r in report.relations}


def _count(gold: set[Any], pred: set[Any], key: Any) -> dict[str, Counts]:
    """Counts per value of key(item)."""
    out: dict[str, Counts] = defaultdict(Counts)
    for item in gold | pred:
        out[key(item)] += Counts(int(item in gold and item in pred), int(item in pred), int(item in gold))
    return out


def score(gold: Sequence[Report], predicted: Mapping[str, Report]) -> Scores:
    """Micro F1 and rewards of the predictions for the gold reports (a missing prediction
    counts as a report with nothing found)."""
    ents: dict[str, Counts] = {label.value: Counts() for label in Label}
    rels: dict[str, Counts] = {kind.value: Counts() for kind in RelationType}
    rewards = [0.0, 0.0, 0.0]
    for g in gold:
        p = predicted.get(g.key) or Report(g.key, g.text)
        if p.text != g.text:
            raise InputError(f"report {g.key!r}: the prediction's text differs from the gold text; "
                             "extract from the gold file itself so both share their text")
        for label, c in _count(entity_keys(g), entity_keys(p), lambda e: e[2]).items():
            ents[label] += c
        for kind, c in _count(relation_keys(g), relation_keys(p), lambda r: r[1]).items():
            rels[kind] += c
        rewards = [a + b for a, b in zip(rewards, reward(p, g))]
    n = len(gold)
    return Scores(n, sum(ents.values(), Counts()), sum(rels.values(), Counts()), ents, rels,
                  {name: (total / n if n else 0.0) for name, total in zip(REWARDS, rewards)})


# --- F1RadGraph rewards (radgraph package, rewards.py) -------------------------------------

def reward(hypothesis: Report, reference: Report) -> tuple[float, float, float]:
    """(simple, partial, complete) for one report, as `radgraph.rewards.compute_reward`."""
    if not hypothesis.entities or not reference.entities:
        return 0.0, 0.0, 0.0
    hyp, ref = _reward_items(hypothesis), _reward_items(reference)
    return tuple(_set_f1(h, r) for h, r in zip(hyp, ref))  # type: ignore[return-value]


def _reward_items(report: Report) -> tuple[set[Any], set[Any], set[Any]]:
    by_id = {e.id: e for e in report.entities}
    outgoing: dict[str, list[Any]] = defaultdict(list)
    for r in report.relations:
        outgoing[r.source].append(r)
    simple, partial, complete = set(), set(), set()
    for e in report.entities:
        plain = (e.text, e.label.value)
        simple.add(plain)
        partial.add((*plain, True) if outgoing[e.id] else plain)
        if not outgoing[e.id]:
            complete.add(plain)
        complete |= {(e.text.lower(), e.label.value, r.type.value, by_id[r.target].text.lower())
                     for r in outgoing[e.id]}
    return simple, partial, complete


def _set_f1(hypothesis: set[Any], reference: set[Any]) -> float:
    hits = len(hypothesis & reference)
    precision = hits / len(hypothesis) if hypothesis else 0.0
    recall = hits / len(reference) if reference else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


# --- files ------------------------------------------------------------------------------------

def labelers_of(path: str | Path) -> tuple[str, ...]:
    """("labeler_1", "labeler_2") for a two-labeler file (RadGraph test.json), else ("",)."""
    with open(path, "rb") as fp:
        for _, data in iter_entries(fp, path):
            if isinstance(data, dict) and "entities" not in data and any(k in data for k in LABELERS):
                return tuple(k for k in LABELERS if k in data)
            return ("",)
    return ("",)


def evaluate_files(gold_path: str | Path, pred_path: str | Path) -> dict[str, Scores]:
    """Scores of a predicted RadGraph file against a gold one, per labeler of the gold file
    (`"gold"` for a one-labeler file)."""
    predicted = {r.key: r for r in read_radgraph(pred_path)}
    out = {}
    for labeler in labelers_of(gold_path):
        gold = list(read_radgraph(gold_path, labeler or "labeler_1"))
        out[labeler or "gold"] = score(gold, predicted)
    return out


def mean_scores(scores: Iterable[Scores]) -> dict[str, float]:
    """The mean of the headline numbers over labelers."""
    rows = [headline(s) for s in scores]
    return {k: sum(r[k] for r in rows) / len(rows) for k in rows[0]} if rows else {}


def headline(s: Scores) -> dict[str, float]:
    return {"entity_f1": s.entity.f1, "relation_f1": s.relation.f1,
            **{f"entity_f1[{k}]": v.f1 for k, v in s.entity_by_label.items()},
            **{f"relation_f1[{k}]": v.f1 for k, v in s.relation_by_type.items()},
            **{f"reward_{k}": v for k, v in s.rewards.items()}}

