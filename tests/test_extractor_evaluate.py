"""RadGraph metrics: micro F1 by hand, F1RadGraph rewards against the radgraph package's own
`rewards.py` (vendored verbatim in tests/data/extractor), and `kb evaluate` on two labelers."""

from __future__ import annotations

import copy
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.extractor.evaluate import evaluate_files, reward, score
from kb.radgraph import parse_report, to_radgraph
from kb.report import Entity, Relation, Report
from kb.schema import Label, RelationType
from tests.corpus import corpus

KB = str(Path(sys.executable).parent / "kb")
_spec = importlib.util.spec_from_file_location(
    "radgraph_rewards", Path(__file__).parent / "data" / "extractor" / "radgraph_rewards.py")
radgraph_rewards = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(radgraph_rewards)  # type: ignore[union-attr]

WORDS = ["effusion", "Effusion", "left", "Left", "lung", "base", "small", "opacity", "no", "."]


@st.composite
def reports(draw: Any) -> Report:
    """A RadGraph-style report: tokens from a small vocabulary (case matters to `complete`),
    non-overlapping entities, any relations between them (rewards ignore the schema)."""
    tokens = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=12))
    text = " ".join(tokens)
    starts = [sum(len(t) + 1 for t in tokens[:i]) for i in range(len(tokens))]
    firsts = sorted(draw(st.sets(st.integers(0, len(tokens) - 1), max_size=6)))
    entities = []
    for k, first in enumerate(firsts):
        limit = firsts[k + 1] - 1 if k + 1 < len(firsts) else len(tokens) - 1
        last = draw(st.integers(first, min(limit, first + 2)))
        start, end = starts[first], starts[last] + len(tokens[last])
        entities.append(Entity(str(k + 1), draw(st.sampled_from(list(Label))), start, end, text[start:end]))
    ids = [e.id for e in entities]
    relations = draw(st.lists(st.builds(Relation, st.sampled_from(list(RelationType)),
                                        st.sampled_from(ids), st.sampled_from(ids)),
                              max_size=6)) if ids else []
    return Report("k", text, tuple(entities), tuple(relations))


@given(reports(), reports())
@settings(max_examples=400, deadline=None)
def test_evaluate_rewards_match_the_radgraph_package(hyp: Report, ref: Report) -> None:
    expected = radgraph_rewards.compute_reward(to_radgraph(hyp), to_radgraph(ref), "all")
    assert reward(hyp, ref) == expected


def _perturbed(report: Report) -> Report:
    entities = list(report.entities)
    if entities:
        e = entities[0]
        entities[0] = Entity(e.id, Label.OBS_U if e.label is not Label.OBS_U else Label.OBS_DP,
                             e.start, e.end, e.text)
    return Report(report.key, report.text, tuple(entities), report.relations[1:])


def test_evaluate_rewards_match_on_the_corpus() -> None:
    gold = [parse_report(k, v) for k, v in corpus().items()]
    for ref in gold:
        hyp = _perturbed(ref)
        for level, value in zip(("simple", "partial", "complete"), reward(hyp, ref)):
            assert value == radgraph_rewards.compute_reward(to_radgraph(hyp), to_radgraph(ref), level)


def test_evaluate_micro_f1_needs_exact_spans_types_and_both_entities() -> None:
    text = "Small left pleural effusion ."
    ents = (Entity("1", Label.OBS_DP, 0, 5, "Small"), Entity("2", Label.ANAT_DP, 6, 10, "left"),
            Entity("3", Label.ANAT_DP, 11, 18, "pleural"), Entity("4", Label.OBS_DP, 19, 27, "effusion"))
    rels = (Relation(RelationType.MODIFY, "1", "4"), Relation(RelationType.MODIFY, "2", "3"),
            Relation(RelationType.LOCATED_AT, "4", "3"))
    gold = Report("r", text, ents, rels)
    # "Small" gets the wrong label: the entity and the relation through it both miss.
    pred_ents = (Entity("1", Label.OBS_U, 0, 5, "Small"),) + ents[1:]
    pred = Report("r", text, pred_ents, rels[:2] + (Relation(RelationType.LOCATED_AT, "4", "2"),))
    s = score([gold], {"r": pred})
    assert (s.entity.tp, s.entity.pred, s.entity.gold) == (3, 4, 4)
    assert (s.relation.tp, s.relation.pred, s.relation.gold) == (1, 3, 3)
    assert s.entity_by_label["OBS-U"].f1 == 0.0 and s.entity_by_label["ANAT-DP"].f1 == 1.0
    assert s.relation_by_type["modify"].f1 == 0.5
    empty = score([gold], {})
    assert empty.entity.f1 == 0.0 and empty.rewards == {"simple": 0.0, "partial": 0.0, "complete": 0.0}


def test_evaluate_two_labelers_against_each_and_their_mean(tmp_path: Path) -> None:
    one = corpus()
    two = {}
    for key, entry in one.items():
        second = copy.deepcopy(entry)
        first_id = next(iter(second["entities"]))
        second["entities"][first_id]["label"] = "OBS-U"
        two[key] = {"text": entry["text"], "labeler_1": {"entities": entry["entities"]},
                    "labeler_2": {"entities": second["entities"]}, "data_split": "test"}
    gold, pred = tmp_path / "test.json", tmp_path / "pred.json"
    gold.write_text(json.dumps(two))
    pred.write_text(json.dumps(one))
    scores = evaluate_files(gold, pred)
    assert scores["labeler_1"].entity.f1 == 1.0 and scores["labeler_2"].entity.f1 < 1.0
    result = subprocess.run([KB, "evaluate", str(gold), str(pred), "--format", "json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["labeler_1"]["relation"]["f1"] == 1.0
    mean = (answer["labeler_1"]["entity"]["f1"] + answer["labeler_2"]["entity"]["f1"]) / 2
    assert abs(answer["mean"]["entity_f1"] - mean) < 1e-12
    table = subprocess.run([KB, "evaluate", str(gold), str(pred)], capture_output=True, text=True,
                           timeout=120).stdout
    for word in ("entity_f1", "relation_f1", "reward_complete", "labeler_2", "mean", "OBS-U"):
        assert word in table
