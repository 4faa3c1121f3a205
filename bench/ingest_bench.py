"""Ingest benchmark (not a test): a generated RadGraph corpus into a fresh embedded store.

Prints reports/s and mentions/s, peak memory, and the latency of cohort queries (median and
p95 over repeated runs). Run from the repository root:

    python -m bench.ingest_bench --reports 20000
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.make_corpus import write
from ingest.pipeline import IngestOptions, ingest
from kb.cohort import parse_where, select
from kb.store import open_store

QUERIES = {
    "single": {"observation": "effusion"},
    "located": {"observation": "opacity", "locatedAt": ["left", "base"]},
    "boolean": {"allOf": [{"observation": "effusion"}], "anyOf": [{"observation": "atelectasis"},
               {"observation": "opacity"}], "noneOf": [{"observation": "pneumothorax"}]},
    "broad": {"observation": "normal"},
}


def time_query(store, where: dict, runs: int) -> tuple[float, float, int]:
    cohort = parse_where(where)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        total = select(store, cohort, limit=50).total
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], total


def warm_queries(store, cohorts: dict[str, dict], runs: int) -> None:
    """Run every query `runs` times before any is timed: plans are compiled and caches filled,
    and a Neo4j server's JIT has compiled its read path (on a JVM that has just ingested, the
    first pass of these queries took three times the server CPU of later ones), as on a store that
    has been answering queries."""
    for where in cohorts.values():
        time_query(store, where, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--store", default="", help="a bolt:// URI to benchmark Neo4j instead")
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kb-bench-"))
    corpus = work / "corpus.json"
    write(args.reports, corpus)
    print(f"corpus: {args.reports} reports, {corpus.stat().st_size / 1e6:.0f} MB")
    store = open_store(args.store or str(work / "kb-store"))
    summary = ingest([corpus], store, IngestOptions(batch_size=args.batch_size))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"ingest: {summary.line()}")
    print(f"ingest: {summary.loaded / summary.seconds:,.0f} reports/s, "
          f"{summary.mentions / summary.seconds:,.0f} mentions/s, peak RSS {peak_mb:,.0f} MB")
    for name, where in QUERIES.items():
        median, p95, total = time_query(store, where, args.runs)
        print(f"query {name:8s} total={total:6d}  median {median:7.1f} ms  p95 {p95:7.1f} ms "
              f"(total + first page of 50 with evidence, {args.runs} runs)")
    store.close()
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
