"""Store benchmark (not a test): one generated RadGraph file ingested into the embedded store
and into Neo4j in the same run, then the same cohort queries timed on each.

Prints, per store, reports/s and mentions/s of the ingest with the CPU seconds it took (this
process and its workers; the Neo4j server's JVM too when its pid is known) and the peak
resident memory of this process and its workers during the ingest, the median and p95
latency of each cohort query (total + first page of 50 with evidence, after --warmup-runs
untimed runs of every query), and the load average, since the machine may be shared. Neo4j is
the server --neo4j names (it is WIPED first), else a fresh one this script starts with
tests/neo4j/server and stops at the end. Before its timed ingest, Neo4j loads
--neo4j-warmup generated reports and is wiped again: a JVM started seconds before spends
its first minute compiling (20,000 reports on a fresh server: ~40 of ~105 server CPU-seconds
in the JIT compiler threads), which a server that has been running has done already; the
warm-up's own rate is printed too, as the fresh-JVM figure. Run from the repository root:

    python -m bench.stores_bench --reports 20000
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.ingest_bench import QUERIES, time_query, warm_queries
from bench.make_corpus import write
from ingest.pipeline import IngestOptions, ingest
from kb.settings import Settings
from kb.store import Store, open_store
from kb.store.base import stats
from kb.store.neo4j import Neo4jStore

SERVER = Path(__file__).resolve().parents[1] / "tests" / "neo4j" / "server"
COHORTS = {**QUERIES, "modified": {"observation": "effusion", "modifiers": ["small"]},
           "absent": {"observation": "pneumothorax", "certainty": ["ABSENT"]}}


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time of this process and its finished children, or of process `pid`."""
    if pid is None:
        usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
        return sum(u.ru_utime + u.ru_stime for u in usage)
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants (the ingest's worker processes)."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total / 1024


@contextmanager
def peak_memory() -> Iterator[list[float]]:
    """Samples this process tree's resident memory every 0.2 s; yields [peak MB] (kept up to
    date until the block ends)."""
    peak, done = [0.0], threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            peak[0] = max(peak[0], tree_rss_mb(os.getpid()))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        done.set()
        thread.join()


@contextmanager
def neo4j_server(uri: str, work: Path, pid: int | None) -> Iterator[tuple[str, int | None]]:
    """The Neo4j to benchmark, with its JVM's pid when known: the one given, or one started
    here for this run."""
    if uri:
        yield uri, pid
        return
    os.environ.setdefault("NEO4J_PASSWORD", "kb-test-password")
    data = work / "neo4j"
    started = time.perf_counter()
    out = subprocess.run([str(SERVER), "start", "--port", "17688", "--data", str(data)],
                         capture_output=True, text=True, check=True)
    uri = out.stdout.strip().splitlines()[-1]
    print(f"neo4j: started {uri} in {time.perf_counter() - started:.0f} s "
          f"(heap {os.environ.get('NEO4J_HEAP', '1g')})")
    try:
        yield uri, int((data / "neo4j.pid").read_text())
    finally:
        subprocess.run([str(SERVER), "stop", "--data", str(data)], capture_output=True)


def warm_up(store: Neo4jStore, reports: int, work: Path, server_pid: int | None) -> None:
    """Ingest `reports` generated reports into Neo4j and wipe them again (see above)."""
    corpus = work / "warm-up.json"
    write(reports, corpus)
    server_cpu = cpu_seconds(server_pid) if server_pid else 0.0
    summary = ingest([corpus], store, IngestOptions())
    server = f", server CPU {cpu_seconds(server_pid) - server_cpu:.0f} s" if server_pid else ""
    print(f"neo4j    warm-up: {summary.loaded:,} reports in {summary.seconds:.1f} s = "
          f"{summary.loaded / summary.seconds:,.0f} reports/s{server} (then wiped)")
    store.clear()


def bench_store(name: str, store: Store, corpus: Path, args: argparse.Namespace,
                server_pid: int | None = None) -> None:
    options = IngestOptions(batch_size=args.batch_size, workers=args.workers)
    cpu, server_cpu = cpu_seconds(), cpu_seconds(server_pid) if server_pid else 0.0
    with peak_memory() as peak:
        summary = ingest([corpus], store, options)
    cpu = cpu_seconds() - cpu
    server = f", server {cpu_seconds(server_pid) - server_cpu:.0f} s" if server_pid else ""
    numbers = stats(store)
    print(f"{name:8s} ingest: {summary.loaded:,} reports in {summary.seconds:.1f} s = "
          f"{summary.loaded / summary.seconds:,.0f} reports/s, "
          f"{summary.mentions / summary.seconds:,.0f} mentions/s "
          f"({numbers['studies']:,} studies, {numbers['observations']:,} observations, "
          f"{numbers['anatomies']:,} anatomies, {numbers['relations']:,} relations); "
          f"CPU: kb {cpu:.0f} s{server}; peak memory of kb and its workers {peak[0]:,.0f} MB; "
          f"load average {os.getloadavg()[0]:.1f}")
    warm_queries(store, COHORTS, args.warmup_runs)
    for query, where in COHORTS.items():
        median, p95, total = time_query(store, where, args.runs)
        print(f"{name:8s} query {query:8s} total={total:6d}  median {median:7.1f} ms  "
              f"p95 {p95:7.1f} ms ({args.runs} runs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--neo4j", default="", help="bolt:// URI of a Neo4j to WIPE and use; "
                                                    "default: start one with tests/neo4j/server")
    parser.add_argument("--batch-size", type=int, default=5000, help="studies per pipeline batch")
    parser.add_argument("--workers", type=int, default=0, help="record-building processes (0: one per CPU)")
    parser.add_argument("--neo4j-pid", type=int, default=None, help="pid of that server's JVM, "
                                                                        "to report its CPU time")
    parser.add_argument("--runs", type=int, default=50, help="timed runs per query")
    parser.add_argument("--stores", nargs="+", choices=("embedded", "neo4j"), default=["embedded", "neo4j"],
                        help="which stores to benchmark (default: both)")
    parser.add_argument("--warmup-runs", type=int, default=10,
                        help="untimed runs of every query before any is timed")
    parser.add_argument("--neo4j-warmup", type=int, default=4000,
                        help="reports Neo4j loads (and drops) before its timed ingest; 0: none")
    parser.add_argument("--corpus", type=Path, help="an existing RadGraph file to ingest instead of "
                                                    "generating --reports reports")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kb-stores-bench-"))
    try:
        corpus = args.corpus or work / "corpus.json"
        if not args.corpus:
            write(args.reports, corpus)
        settings = Settings()
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; corpus: "
              f"{corpus.name}, {corpus.stat().st_size / 1e6:.0f} MB; pipeline batch "
              f"{args.batch_size}, Neo4j transaction {settings.neo4j_batch_size} studies")
        if "embedded" in args.stores:
            embedded = open_store(str(work / "kb-store"))
            bench_store("embedded", embedded, corpus, args)
            embedded.close()
        if "neo4j" not in args.stores:
            return
        with neo4j_server(args.neo4j, work, args.neo4j_pid) as (uri, pid):
            neo4j = Neo4jStore.connect(uri, Settings())  # read again: a server started here sets the password
            neo4j.clear()
            if args.neo4j_warmup:
                warm_up(neo4j, args.neo4j_warmup, work, pid)
            bench_store("neo4j", neo4j, corpus, args, pid)
            neo4j.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
