"""The batch job: corpus → reports → graph records → store, in batches.

Stages are plain functions over batches. Reading is streamed (a 220k-report release never sits
in memory); parsing and building graph records, the CPU-bound part, runs in worker processes
with a bounded number of batches in flight; the store writes each batch in order (an empty
embedded store holds a first load's batches back and takes them in at the end, while the
summary says `storing`: Store.bulk_load).

Each report is checked on its own: with `on_error="skip"` a malformed one goes to the failures
log and the rest of the batch goes through; with `"raise"` the first one stops the job before
its batch is written (what was already written stays, whole). A study already stored with
the same content (fingerprint) is skipped, so re-running an interrupted ingest only writes
what is missing, and changed studies replace their old subgraph.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.entries import Raw, entry_value, iter_entry_texts
from ingest.failures import FailureLog
from ingest.raw import RawCorpus, extract_reports, is_raw
from kb.errors import InputError, ReportError
from kb.extractor import load_extractor
from kb.radgraph import parse_report
from kb.records import Provenance, build_records
from kb.report import Report
from kb.store.base import Store
from kb.tables import GRAPH_VERSION, GraphTables, to_tables
from kb.vocabulary import vocabulary

if TYPE_CHECKING:
    from kb.extractor.extract import Extractor

Entry = tuple[str, Any]  # report key, Raw entry text (or its value, in a damaged file)
Built = tuple[list[tuple[str, str]], GraphTables]  # (rejected (key, error), tables)
ProgressFn = Callable[["IngestSummary"], None]


@dataclass
class IngestSummary:
    loaded: int = 0
    skipped: int = 0  # already stored, unchanged
    failed: int = 0
    mentions: int = 0
    seconds: float = 0.0
    bytes_read: int = 0
    bytes_total: int = 0
    storing: bool = False  # every report read; the store is taking in what it held back

    @property
    def studies(self) -> int:
        return self.loaded + self.skipped

    def line(self) -> str:
        rate = self.studies / self.seconds if self.seconds else 0.0
        return (f"loaded {self.loaded}, skipped {self.skipped} (unchanged), failed {self.failed}; "
                f"{self.mentions} mentions in {self.seconds:.1f} s ({rate:,.0f} studies/s)")


@dataclass(frozen=True)
class IngestOptions:
    labeler: str = "labeler_1"
    on_error: str = "raise"  # or "skip"
    batch_size: int = 5000
    workers: int = 0  # processes that build records; 0: one per CPU, 1: in this process
    source: str = ""
    model: str | None = None  # extractor model folder for raw corpora; None: the shipped default
    device: str = "cpu"  # where the extractor runs
    id_field: str = "study_id"  # raw JSONL/CSV columns
    text_field: str = "text"


RAW_WRITE_BATCH = 256  # raw corpora: studies per write (extraction is the slow part)


def build_batch(entries: list[Entry], labeler: str, provenance: Provenance) -> Built:
    """Stage 2 (runs in a worker): raw entries → graph tables, and the entries rejected."""
    rejected, records = [], {}
    context = repr((labeler, provenance.source, provenance.extractor, provenance.extractor_version,
                    vocabulary().version, GRAPH_VERSION))
    for key, entry in entries:
        try:
            report = parse_report(key, entry_value(entry), labeler)
            content = entry.text if isinstance(entry, Raw) else repr(entry)
            built = build_records(report, provenance, fingerprint(content, context))
            first = records.setdefault(built.study.study_id, (key, built))
            if first[1].study.fingerprint != built.study.fingerprint:
                raise ReportError(key, _duplicate(built.study.study_id, f"first as {first[0]!r}"))
        except ReportError as err:
            rejected.append((err.key, str(err)))
    return rejected, to_tables([built for _, built in records.values()])


def _duplicate(study_id: str, first: str) -> str:
    return (f"study {study_id!r} occurs twice in the input with different content ({first}); "
            "the first was kept")


def fingerprint(*parts: str) -> str:
    """A hash of the input a study's subgraph is built from (the raw entry as read, and how it
    was read), so an unchanged study can be skipped on re-ingest."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def build_reports(items: list[Report | ReportError], provenance: Provenance) -> Built:
    """build_batch for reports that the extractor produced (raw corpora)."""
    rejected, records = [], []
    for item in items:
        try:
            if isinstance(item, ReportError):
                raise item
            records.append(build_records(item, provenance))
        except ReportError as err:
            rejected.append((err.key, str(err)))
    return rejected, to_tables(records)


def ingest(paths: Iterable[str | Path], store: Store, options: IngestOptions,
           failures: FailureLog | None = None, progress: ProgressFn | None = None) -> IngestSummary:
    """Load every report of the corpus files into the store; see the module docstring."""
    summary = IngestSummary()
    job = _Job(store, options, failures or FailureLog(), summary, progress, time.perf_counter())
    ingested_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    paths = [Path(p) for p in paths]
    summary.bytes_total = sum(p.stat().st_size for p in paths if not is_raw(p))
    with store.bulk_load():  # ends after the pool has: its workers' memory is given back first
        with _executor(options.workers, summary.bytes_total) as pool:
            for path in paths:
                if is_raw(path):
                    job.extractor = job.extractor or load_extractor(options.model, options.device)
                    job.run_raw(path, Provenance(source=options.source or path.name, ingested_at=ingested_at,
                                                 extractor=job.extractor.name,
                                                 extractor_version=job.extractor.version))
                    continue
                provenance = Provenance(source=options.source or path.name, ingested_at=ingested_at)
                job.run(path, pool, provenance)
        summary.storing = True
        if progress:
            progress(summary)
    summary.storing = False
    summary.seconds = time.perf_counter() - job.started
    return summary


@dataclass
class _Job:
    store: Store
    options: IngestOptions
    failures: FailureLog
    summary: IngestSummary
    progress: ProgressFn | None
    started: float
    done_bytes: int = field(default=0)
    seen: dict[str, str] = field(default_factory=dict)  # study ID → fingerprint, this run
    extractor: Extractor | None = None

    def run_raw(self, path: Path, provenance: Provenance) -> None:
        """A raw corpus (JSONL, CSV, MIMIC-CXR folder): extracted in batches in this process."""
        corpus = RawCorpus(path, self.options.id_field, self.options.text_field)
        self.summary.bytes_total += corpus.bytes_total
        items = extract_reports(corpus, self.extractor)  # type: ignore[arg-type]
        for batch in _batches(items, min(self.options.batch_size, RAW_WRITE_BATCH)):  # type: ignore[arg-type]
            self._write(build_reports(batch, provenance), corpus.bytes_read)
        self.done_bytes += corpus.bytes_total

    def run(self, path: Path, pool: Executor | None, provenance: Provenance) -> None:
        if path.suffix.lower() != ".json":
            raise InputError(f"{path}: expected RadGraph JSON (.json), or raw reports as .jsonl, .csv "
                             "or a MIMIC-CXR folder")
        # Batches are built in the pool and written, in order, by one writer thread, so that
        # reading the next batches overlaps the store's work on this one (a Neo4j server or
        # ladybug's COPY runs without holding the GIL).
        pending: deque[Future[None]] = deque()
        window = max(2, getattr(pool, "_max_workers", 1) + 1)
        with open(path, "rb") as fp, ThreadPoolExecutor(1, thread_name_prefix="kb-write") as writer:
            failed = threading.Event()

            def write(built: Future[Built], position: int) -> None:
                if failed.is_set():  # an earlier write failed: its error stops the job
                    return
                try:
                    self._write(built.result(), position)
                except BaseException:
                    failed.set()
                    raise

            batches = _batches(iter_entry_texts(fp, path), self.options.batch_size)
            broken: InputError | None = None  # the file itself is broken (truncated, not JSON)
            try:
                while True:
                    try:
                        batch = next(batches, None)
                    except InputError as err:
                        broken = err
                        break
                    if batch is None:
                        break
                    built = _submit(pool, batch, self.options.labeler, provenance)
                    pending.append(writer.submit(write, built, fp.tell()))
                    while len(pending) >= window:
                        pending.popleft().result()
                while pending:
                    pending.popleft().result()
            except BaseException:  # a write failed (or the job was stopped): write no more
                for future in pending:
                    future.cancel()
                raise
        if broken is not None:
            self._reject(str(path), str(broken))
        self.done_bytes += path.stat().st_size

    def _write(self, built: Built, position: int) -> None:
        rejected, tables = built
        for key, error in rejected:
            self._reject(key, error)
        fingerprints = dict(zip(tables.study_ids, tables.studies.column("fingerprint").to_pylist()))
        for sid, fp in list(fingerprints.items()):
            if self.seen.setdefault(sid, fp) != fp:  # met in an earlier batch of this run
                del fingerprints[sid]
                self._reject(sid, _duplicate(sid, "first in an earlier batch"))
        stored = self.store.fingerprints(list(fingerprints))
        fresh = [sid for sid, fp in fingerprints.items() if stored.get(sid) != fp]
        if len(fresh) < tables.studies.num_rows:
            tables = tables.only(fresh)
        self.store.write(tables)
        s = self.summary
        s.loaded += len(fresh)
        s.skipped += len(fingerprints) - len(fresh)
        s.mentions += tables.observations.num_rows + tables.anatomies.num_rows
        s.bytes_read = self.done_bytes + position
        s.seconds = time.perf_counter() - self.started
        if self.progress:
            self.progress(s)

    def _reject(self, key: str, error: str) -> None:
        self.failures.add(key, error)
        self.summary.failed += 1
        if self.options.on_error != "skip":
            raise InputError(error)


def _batches(entries: Iterator[Entry], size: int) -> Iterator[list[Entry]]:
    """Groups of `size` entries; on a broken file, the entries read before the fault come
    out as a last group before the error does."""
    batch: list[Entry] = []
    try:
        for entry in entries:
            batch.append(entry)
            if len(batch) == size:
                yield batch
                batch = []
    except InputError:
        if batch:
            yield batch
        raise
    if batch:
        yield batch


_POOL_MIN_BYTES = 8_000_000  # below this (about 2,500 RadGraph reports) a pool costs more than it saves


def _executor(workers: int, size: int) -> Any:
    count = workers or (os.cpu_count() or 1 if size >= _POOL_MIN_BYTES else 1)
    if count <= 1:
        return _Inline()
    return ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("forkserver"))


def _submit(pool: Executor | None, batch: list[Entry], labeler: str, provenance: Provenance) -> Future[Built]:
    if pool is None or isinstance(pool, _Inline):
        done: Future[Built] = Future()
        done.set_result(build_batch(batch, labeler, provenance))
        return done
    return pool.submit(build_batch, batch, labeler, provenance)


class _Inline:
    """The no-pool case: batches are built in this process as they are submitted."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
