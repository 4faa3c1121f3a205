"""Cohort panel on real reports (not a test): how well cohort queries recover the Open-i MeSH
labels of the IU chest X-ray reports, next to a naive keyword matcher with a negation check.

The reports (`../shared/data/iu/iu_dev.jsonl`, FINDINGS and IMPRESSION) go through the default
extractor into a fresh embedded store; each panel query is paired with a rule over the MeSH
labels that defines its truth. Prints precision, recall and F1 per query and micro-averaged,
on all reports and on those outside the team-annotated set the extractor was trained on.

Open-i indexers labelled hedged findings too (`may represent atelectasis` carries `Pulmonary
Atelectasis`), so the panel's criteria ask for present or uncertain mentions; the column
`present only` shows the same queries with the default certainty, for comparison. The keyword
baseline likewise only rejects negated mentions.

    python -m bench.cohort_panel [--iu ../shared/data/iu/iu_dev.jsonl] [--model DIR] [--store DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.pipeline import IngestOptions, ingest
from kb.cohort import parse_where, select
from kb.store import open_store

ROOT = Path(__file__).resolve().parents[1]
Mesh = list[list[str]]  # each label split on "/": head, then qualifiers


def head(*names: str, qualifiers: tuple[str, ...] = ()) -> Callable[[Mesh], bool]:
    """Truth rule: a MeSH label with one of these heads and, if given, any of the qualifiers."""
    return lambda mesh: any(m[0] in names and (not qualifiers or set(m[1:]) & set(qualifiers))
                            for m in mesh)


@dataclass(frozen=True)
class Query:
    name: str
    where: dict
    truth: Callable[[Mesh], bool]
    keywords: tuple[str, ...]  # the naive baseline's words (regular expressions)
    near: tuple[str, ...] = ()  # and one of these in the same sentence

PANEL = [
    Query("cardiomegaly", {"observation": "cardiomegaly"}, head("Cardiomegaly"), (r"cardiomegaly",)),
    Query("effusion", {"observation": "effusion"}, head("Pleural Effusion"), (r"effusions?",)),
    Query("effusion, left", {"observation": "effusion", "locatedAt": ["left"]},
          head("Pleural Effusion", qualifiers=("left", "bilateral")), (r"effusions?",), (r"left", r"bilateral")),
    Query("effusion, right", {"observation": "effusion", "locatedAt": ["right"]},
          head("Pleural Effusion", qualifiers=("right", "bilateral")), (r"effusions?",), (r"right", r"bilateral")),
    Query("pneumothorax", {"observation": "pneumothorax"}, head("Pneumothorax"), (r"pneumothora\w+",)),
    Query("atelectasis", {"observation": "atelectasis"}, head("Pulmonary Atelectasis"), (r"atelectasis",)),
    Query("atelectasis at a base", {"observation": "atelectasis", "locatedAt": ["base"]},
          head("Pulmonary Atelectasis", qualifiers=("base",)), (r"atelectasis",), (r"bases?", r"basilar", r"bibasilar")),
    Query("opacity at a base", {"observation": "opacity", "locatedAt": ["base"]},
          head("Opacity", qualifiers=("base",)), (r"opacit\w+",), (r"bases?", r"basilar", r"bibasilar")),
    Query("emphysema", {"observation": "emphysema"}, head("Emphysema", "Pulmonary Emphysema"), (r"emphysema",)),
    Query("granuloma", {"observation": "granuloma"},
          head("Calcified Granuloma", "Granuloma", "Granulomatous Disease"), (r"granulom\w+",)),
    Query("hiatal hernia", {"observation": "hiatal hernia"}, head("Hernia, Hiatal"), (r"hiatal hernia",)),
    Query("scoliosis", {"observation": "scoliosis"}, head("Scoliosis"), (r"scoliosis",)),
    Query("pulmonary edema", {"observation": "pulmonary edema"}, head("Pulmonary Edema"), (r"edema",)),
    Query("nodule", {"observation": "nodule"}, head("Nodule"), (r"nodules?",)),
    Query("hyperinflation", {"observation": "hyperinflation"},
          lambda mesh: any(m[0] == "Lung" and "hyperdistention" in m[1:] for m in mesh),
          (r"hyperinflat\w+", r"hyperexpan\w+")),
]

_NEGATION = re.compile(r"\b(no|not|without|negative for|free of|clear of|resolved)\b")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def report_text(row: dict) -> str:
    return f"FINDINGS: {row.get('findings') or ''} IMPRESSION: {row.get('impression') or ''}"


def keyword_match(query: Query, text: str) -> bool:
    """The naive baseline: a keyword in a sentence with no negation cue before it, and, for a
    located query, one of the location words in that sentence."""
    for sentence in _SENTENCE.split(text.lower()):
        for keyword in query.keywords:
            for hit in re.finditer(rf"\b{keyword}\b", sentence):
                if _NEGATION.search(sentence[:hit.start()]):
                    continue
                if not query.near or any(re.search(rf"\b{w}\b", sentence) for w in query.near):
                    return True
    return False


def scores(predicted: set[str], truth: set[str]) -> tuple[int, int, int]:
    return len(predicted & truth), len(predicted - truth), len(truth - predicted)


def prf(tp: int, fp: int, fn: int) -> str:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return f"{p:5.2f} {r:5.2f} {f:5.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iu", type=Path, default=ROOT.parent / "shared" / "data" / "iu" / "iu_dev.jsonl")
    parser.add_argument("--store", default="", help="an existing store with the IU reports (skips ingest)")
    parser.add_argument("--model", default=None, help="extractor model folder (default: the shipped model)")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.iu.read_text().splitlines()]
    ids = {f"iu-{r['id']}": r for r in rows}
    annotated = set(json.loads((ROOT / "data" / "radgraph" / "iu-dev-team.json").read_text()))
    store_path = args.store
    if not store_path:
        work = Path(tempfile.mkdtemp(prefix="kb-panel-"))
        corpus = work / "iu.jsonl"
        corpus.write_text("".join(json.dumps({"study_id": k, "text": report_text(r)}) + "\n" for k, r in ids.items()))
        store_path = str(work / "kb-store")
        store = open_store(store_path)
        summary = ingest([corpus], store, IngestOptions(on_error="skip", model=args.model))
        print(f"ingest: {summary.line()}")
        store.close()
    store = open_store(store_path, read_only=True)
    subsets = {"all": set(ids), "not team-annotated": set(ids) - annotated}
    for subset, keys in subsets.items():
        print(f"\n{subset}: {len(keys)} reports")
        print(f"  {'query':24s}  RadKB P R F1         present only P R F1   keyword baseline P R F1    n")
        totals = {"kb": [0, 0, 0], "dp": [0, 0, 0], "kw": [0, 0, 0]}
        for q in PANEL:
            truth = {k for k in keys if q.truth([m.split("/") for m in ids[k]["mesh"]])}
            hedged = parse_where({**q.where, "certainty": ["PRESENT", "UNCERTAIN"]})
            found = {s.study_id for s in select(store, hedged).studies} & keys
            present = {s.study_id for s in select(store, parse_where(q.where)).studies} & keys
            naive = {k for k in keys if keyword_match(q, report_text(ids[k]))}
            row = {"kb": scores(found, truth), "dp": scores(present, truth), "kw": scores(naive, truth)}
            for name, s in row.items():
                totals[name] = [a + b for a, b in zip(totals[name], s)]
            print(f"  {q.name:24s}  {prf(*row['kb'])}     {prf(*row['dp'])}      {prf(*row['kw'])}   {len(truth):4d}")
        print(f"  {'micro average':24s}  {prf(*totals['kb'])}     {prf(*totals['dp'])}      {prf(*totals['kw'])}")


if __name__ == "__main__":
    main()
