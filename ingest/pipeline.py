"""The batch job: corpus → reports → graph records → store, in batches.

Each report is checked on its own: with `on_error="skip"` a malformed one goes to the
failures log and the rest of the batch goes through; with `"raise"` the first one stops the
job (what was already written stays, whole). A study already stored with the same content is
skipped, so re-running an interrupted ingest only writes what is missing.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path

from ingest.failures import FailureLog
from kb.errors import InputError, ReportError
from kb.radgraph import iter_entries, parse_report
from kb.records import GraphRecords, Provenance, build_records
from kb.report import Report
from kb.store.base import Store

Item = Report | ReportError
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
    errors: list[tuple[str, str]] = field(default_factory=list)

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
    source: str = ""


def read_corpus(path: Path, options: IngestOptions, summary: IngestSummary) -> Iterator[Item]:
    """The reports of one corpus file, each parsed alone so one bad report spoils nothing else."""
    if path.suffix.lower() != ".json":
        raise InputError(f"{path}: only RadGraph JSON (.json) can be ingested without an extractor")
    summary.bytes_total += path.stat().st_size
    done = summary.bytes_read
    with open(path, "rb") as fp:
        for key, data in iter_entries(fp, path):
            summary.bytes_read = done + fp.tell()
            try:
                yield parse_report(key, data, options.labeler)
            except ReportError as err:
                yield err
    summary.bytes_read = done + path.stat().st_size


def ingest(paths: Iterable[str | Path], store: Store, options: IngestOptions,
           failures: FailureLog | None = None, progress: ProgressFn | None = None) -> IngestSummary:
    """Load every report of the corpus files into the store; see the module docstring."""
    summary = IngestSummary()
    failures = failures or FailureLog()
    started = time.perf_counter()
    ingested_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for path in map(Path, paths):
        provenance = Provenance(source=options.source or path.name, ingested_at=ingested_at)
        items = read_corpus(path, options, summary)
        try:
            while batch := list(islice(items, options.batch_size)):
                _load_batch(batch, store, provenance, options, failures, summary)
                summary.seconds = time.perf_counter() - started
                if progress:
                    progress(summary)
        except InputError as err:  # the file itself is broken (truncated, not JSON)
            _reject(str(path), str(err), options, failures, summary)
    summary.seconds = time.perf_counter() - started
    return summary


def _reject(key: str, error: str, options: IngestOptions, failures: FailureLog,
            summary: IngestSummary) -> None:
    failures.add(key, error)
    summary.failed += 1
    if options.on_error != "skip":
        raise InputError(error if error.startswith("report ") else f"{key}: {error}")


def _load_batch(batch: list[Item], store: Store, provenance: Provenance, options: IngestOptions,
                failures: FailureLog, summary: IngestSummary) -> None:
    records: dict[str, GraphRecords] = {}
    for item in batch:
        if isinstance(item, ReportError):
            _reject(item.key, str(item), options, failures, summary)
            continue
        try:
            built = build_records(item, provenance)
        except ReportError as err:
            _reject(err.key, str(err), options, failures, summary)
            continue
        records[built.study.study_id] = _fingerprinted(built, item)
    stored = store.fingerprints(list(records))
    fresh = [r for sid, r in records.items() if stored.get(sid) != r.study.fingerprint]
    store.write(fresh)
    summary.loaded += len(fresh)
    summary.skipped += len(records) - len(fresh)
    summary.mentions += sum(len(r.mentions) for r in fresh)


def _fingerprinted(records: GraphRecords, report: Report) -> GraphRecords:
    """Stamp the study with a hash of what defines its subgraph (the report as parsed)."""
    content = json.dumps([report.to_json(), records.study.source, records.study.extractor,
                          records.study.extractor_version], sort_keys=True)
    digest = hashlib.blake2b(content.encode(), digest_size=16).hexdigest()
    return replace(records, study=replace(records.study, fingerprint=digest))
