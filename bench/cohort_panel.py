"""Cohort panel on real reports (not a test): how well cohort queries recover the Open-i MeSH
labels of the IU chest X-ray reports, next to a naive keyword matcher with a negation check.

The reports (`../shared/data/iu/iu_dev.jsonl`, FINDINGS and IMPRESSION) go through the default
extractor into an embedded store; each panel query is paired with a rule over the MeSH labels
that defines its truth (a rule names the MeSH headings the indexers use for the finding: an
opacity is indexed `Opacity` or `Density` after the word the report uses). Prints precision,
recall and F1 per query and micro-averaged on all reports, then F1 on the even ids (the half
that vocabulary and panel changes may be chosen by looking at), the odd ids (held out from
that) and the reports outside the team-annotated set the extractor was trained on.

Open-i indexers labelled hedged findings too (`may represent atelectasis` carries `Pulmonary
Atelectasis`), so the panel's criteria ask for present or uncertain mentions; the column
`present only` shows the same queries with the default certainty, for comparison. The keyword
baseline likewise only rejects negated mentions.

    python -m bench.cohort_panel [--iu ../shared/data/iu/iu_dev.jsonl] [--model DIR]
        [--store DIR] [--extractions FILE.jsonl] [--errors FILE [--errors-subset even|odd|all]]

`--extractions` keeps the extractor's output, so that a vocabulary change is measured in
seconds (the store is rebuilt from it) instead of minutes; `--errors` writes each query's false
positives and negatives with the report text, its MeSH labels and the study's mentions of the
query's terms (certainty, location phrases, modifiers).
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.pipeline import IngestOptions, build_reports, ingest
from ingest.raw import RawReport, extract_reports
from kb.cohort import Reader, parse_where, select
from kb.cypher import statement
from kb.extractor import load_extractor
from kb.keys import study_key
from kb.records import Provenance
from kb.report import Report
from kb.store import open_store
from kb.vocabulary import vocabulary

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
    Query("pleural effusion", {"observation": "pleural effusion"}, head("Pleural Effusion"), (r"effusions?",)),
    Query("pleural effusion, left", {"observation": "pleural effusion", "locatedAt": ["left"]},
          head("Pleural Effusion", qualifiers=("left", "bilateral")), (r"effusions?",), (r"left", r"bilateral")),
    Query("pleural effusion, right", {"observation": "pleural effusion", "locatedAt": ["right"]},
          head("Pleural Effusion", qualifiers=("right", "bilateral")), (r"effusions?",), (r"right", r"bilateral")),
    Query("pneumothorax", {"observation": "pneumothorax"}, head("Pneumothorax"), (r"pneumothora\w+",)),
    Query("atelectasis", {"observation": "atelectasis"}, head("Pulmonary Atelectasis"), (r"atelectasis",)),
    Query("atelectasis at a base", {"observation": "atelectasis", "locatedAt": ["base"]},
          head("Pulmonary Atelectasis", qualifiers=("base",)), (r"atelectasis",), (r"bases?", r"basilar", r"bibasilar")),
    Query("opacity at a base", {"observation": "opacity", "locatedAt": ["base"]},
          head("Opacity", "Density", qualifiers=("base",)), (r"opacit\w+", r"densit\w+"),
          (r"bases?", r"basilar", r"bibasilar")),
    Query("emphysema", {"observation": "emphysema"},
          head("Emphysema", "Pulmonary Emphysema", "Bullous Emphysema"), (r"emphysema",)),
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


def prf(tp: int, fp: int, fn: int, digits: int = 2) -> str:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return " ".join(f"{x:{digits + 3}.{digits}f}" for x in (p, r, f))


SUBSETS = ("all", "even ids (dev)", "odd ids (held out)", "not team-annotated")


def subsets(ids: dict[str, dict], annotated: set[str]) -> dict[str, set[str]]:
    """The reports each figure is computed on: all; even numeric ids, which vocabulary and panel
    changes may be chosen by looking at; odd ids, held out from that; those the extractor was
    not trained on."""
    even = {k for k, r in ids.items() if int(r["id"]) % 2 == 0}
    return dict(zip(SUBSETS, (set(ids), even, set(ids) - even, set(ids) - annotated)))


def build_store(ids: dict[str, dict], store_path: str, model: str | None, extractions: Path | None) -> None:
    """Extract the reports into a store. With `extractions` (one report per line with
    character offsets, as `kb extract --out F.jsonl` writes), the model runs only when the
    file does not exist yet; the store is built from it with the current vocabulary."""
    store = open_store(store_path)
    try:
        if extractions is None:
            work = Path(tempfile.mkdtemp(prefix="kb-panel-"))
            corpus = work / "iu.jsonl"
            corpus.write_text("".join(json.dumps({"study_id": k, "text": report_text(r)}) + "\n"
                                      for k, r in ids.items()))
            summary = ingest([corpus], store, IngestOptions(on_error="skip", model=model))
            print(f"ingest: {summary.line()}")
            return
        if not extractions.exists():
            extract_to(ids, extractions, model)
        reports = [Report.from_json(json.loads(line)) for line in extractions.read_text().splitlines()]
        provenance = Provenance(source=extractions.name, extractor="cached", ingested_at="")
        for first in range(0, len(reports), 500):
            rejected, tables = build_reports(list(reports[first:first + 500]), provenance)
            for key, error in rejected:
                print(f"rejected {key}: {error}")
            store.write(tables)
        print(f"built the store from {len(reports)} extracted reports in {extractions}")
    finally:
        store.close()


def extract_to(ids: dict[str, dict], path: Path, model: str | None) -> None:
    extractor = load_extractor(model)
    raws = [RawReport(k, report_text(r)) for k, r in ids.items()]
    with open(path, "w", encoding="utf-8") as fp:
        for report in extract_reports(raws, extractor):
            if isinstance(report, Report):
                fp.write(json.dumps(report.to_json()) + "\n")
    print(f"extracted {len(raws)} reports with {extractor.name} {extractor.version} → {path}")


Counts = dict[str, tuple[int, int, int]]  # method → (tp, fp, fn)


@dataclass
class Answers:
    """Per query, the studies each method selects (over all reports) and the truth."""

    truth: dict[str, set[str]]
    kb: dict[str, set[str]]
    present: dict[str, set[str]]
    keyword: dict[str, set[str]]

    def counts(self, name: str, keys: set[str]) -> Counts:
        truth = self.truth[name] & keys
        return {m: scores(getattr(self, m)[name] & keys, truth) for m in ("kb", "present", "keyword")}


def answer(store: Reader, ids: dict[str, dict]) -> Answers:
    a = Answers({}, {}, {}, {})
    for q in PANEL:
        a.truth[q.name] = {k for k, r in ids.items() if q.truth([m.split("/") for m in r["mesh"]])}
        hedged = parse_where({**q.where, "certainty": ["PRESENT", "UNCERTAIN"]})
        a.kb[q.name] = {s.study_id for s in select(store, hedged).studies} & set(ids)
        a.present[q.name] = {s.study_id for s in select(store, parse_where(q.where)).studies} & set(ids)
        a.keyword[q.name] = {k for k, r in ids.items() if keyword_match(q, report_text(r))}
    return a


def f1(tp: int, fp: int, fn: int, digits: int = 2) -> str:
    return prf(tp, fp, fn, digits).split()[-1]


def print_tables(a: Answers, split: dict[str, set[str]]) -> None:
    keys = split["all"]
    print(f"\nall: {len(keys)} reports")
    print(f"  {'query':24s}  RadKB P R F1         present only P R F1   keyword baseline P R F1    n")
    totals: dict[str, list[int]] = {}
    for q in PANEL:
        row = a.counts(q.name, keys)
        for m, s in row.items():
            totals[m] = [x + y for x, y in zip(totals.get(m, [0, 0, 0]), s)]
        print(f"  {q.name:24s}  {prf(*row['kb'])}     {prf(*row['present'])}      "
              f"{prf(*row['keyword'])}   {len(a.truth[q.name]):4d}")
    kb, present, keyword = totals["kb"], totals["present"], totals["keyword"]
    print(f"  {'micro average':24s}  {prf(*kb)}     {prf(*present)}      {prf(*keyword)}")
    print(f"  {'  to three places':24s}  {prf(*kb, 3)}  {prf(*present, 3)}   {prf(*keyword, 3)}")
    names = SUBSETS[1:]
    print("\nF1 by subset (RadKB / keyword baseline); " +
          "; ".join(f"{n}: {len(split[n])} reports" for n in names))
    print(f"  {'query':24s}  " + "  ".join(f"{n:>22s}" for n in names))
    sums = {n: {"kb": [0, 0, 0], "keyword": [0, 0, 0]} for n in names}
    for q in PANEL:
        cells = []
        for n in names:
            row = a.counts(q.name, split[n])
            for m in ("kb", "keyword"):
                sums[n][m] = [x + y for x, y in zip(sums[n][m], row[m])]
            cells.append(f"{f1(*row['kb']):>5s} / {f1(*row['keyword']):>5s} ({len(a.truth[q.name] & split[n]):3d})")
        print(f"  {q.name:24s}  " + "  ".join(f"{c:>22s}" for c in cells))
    print(f"  {'micro average':24s}  " + "  ".join(
        f"{f1(*sums[n]['kb'], 3) + ' / ' + f1(*sums[n]['keyword'], 3):>22s}" for n in names))


def dump_errors(a: Answers, store: Reader, ids: dict[str, dict], keys: set[str], path: Path) -> None:
    """Each query's false positives and negatives among `keys`: the report text, its MeSH
    labels and the study's mentions of the query's terms, any certainty, with their location
    phrases and modifiers (what the query saw, or missed)."""
    vocab = vocabulary()
    with open(path, "w", encoding="utf-8") as fp:
        for q in PANEL:
            terms = {t for p in vocab.patterns(q.where["observation"]) for t in p.terms}
            truth, found = a.truth[q.name] & keys, a.kb[q.name] & keys
            errors = [(kind, sid) for kind, studies in (("FP", found - truth), ("FN", truth - found))
                      for sid in sorted(studies, key=lambda k: int(ids[k]["id"]))]
            rows = store.read(statement("read/study_observations"), {"keys": [study_key(sid) for _, sid in errors]})
            for kind, sid in errors:
                fp.write(f"## {q.name} {kind} {sid}\nmesh: {'; '.join(ids[sid]['mesh'])}\n"
                         f"text: {report_text(ids[sid])}\n")
                for r in rows:
                    if r["study_id"] == sid and r["term"] in terms:
                        fp.write(f"  mention {r['text']!r} [{r['certainty']}] term={r['term']} "
                                 f"at={list(r['locations'])} mod={list(r['modifiers'])}\n")
                fp.write("\n")
    print(f"\nerrors ({len(keys)} reports) → {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iu", type=Path, default=ROOT.parent / "shared" / "data" / "iu" / "iu_dev.jsonl")
    parser.add_argument("--store", default="", help="the store to use; an existing one is queried as it "
                        "is (no ingest) unless --extractions is given")
    parser.add_argument("--extractions", type=Path, default=None,
                        help="extractor output cache (JSONL, one report per line): written by the first "
                             "run, then the store is rebuilt from it with the current vocabulary")
    parser.add_argument("--model", default=None, help="extractor model folder (default: the shipped model)")
    parser.add_argument("--errors", type=Path, default=None,
                        help="write each query's false positives and negatives to this file")
    parser.add_argument("--errors-subset", choices=("even", "odd", "all"), default="even",
                        help="the reports whose errors --errors writes (default: even ids, the dev half)")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.iu.read_text().splitlines()]
    ids = {f"iu-{r['id']}": r for r in rows}
    annotated = set(json.loads((ROOT / "data" / "radgraph" / "iu-dev-team.json").read_text()))
    store_path = args.store or str(Path(tempfile.mkdtemp(prefix="kb-panel-")) / "kb-store")
    if args.extractions or not Path(store_path).exists():
        build_store(ids, store_path, args.model, args.extractions)
    store = open_store(store_path, read_only=True)
    split = subsets(ids, annotated)
    answers = answer(store, ids)
    print_tables(answers, split)
    if args.errors:
        keys = {"even": split[SUBSETS[1]], "odd": split[SUBSETS[2]], "all": split["all"]}[args.errors_subset]
        dump_errors(answers, store, ids, keys, args.errors)
    store.close()


if __name__ == "__main__":
    main()
