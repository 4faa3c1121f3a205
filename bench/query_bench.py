"""Query benchmark (not a test): the cohort queries of bench.stores_bench, timed on a store
that is already built (a path or a bolt:// URI; opened read-only). Prints each query's total
and the median and p95 latency of total + first page of 50 with evidence, after
--warmup-runs untimed runs of every query, and the load average. Run from the repository root:

    python -m bench.query_bench --store /path/to/kb-store --runs 20
"""

from __future__ import annotations

import argparse
import os

from bench.ingest_bench import time_query, warm_queries
from bench.stores_bench import COHORTS
from kb.settings import Settings
from kb.store import open_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", required=True, help="embedded store path or bolt:// URI")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per query")
    parser.add_argument("--warmup-runs", type=int, default=10,
                        help="untimed runs of every query before any is timed")
    args = parser.parse_args()
    store = open_store(args.store, read_only=True, settings=Settings())
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; store {args.store}")
    warm_queries(store, COHORTS, args.warmup_runs)
    for name, where in COHORTS.items():
        median, p95, total = time_query(store, where, args.runs)
        print(f"query {name:8s} total={total:7d}  median {median:7.1f} ms  p95 {p95:7.1f} ms ({args.runs} runs)")
    store.close()


if __name__ == "__main__":
    main()
