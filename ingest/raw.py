"""Raw report corpora (no annotations): JSONL, CSV and the MIMIC-CXR `files/` folder layout,
and their extraction into Reports by a loaded extractor, in batches.

- JSONL: one object per line with a study ID field and a text field (`study_id`, `text` by
  default); every other field is kept as study metadata.
- CSV: a header row with those columns; the other columns are kept as metadata.
- MIMIC-CXR: a folder holding `p10/p10000032/s50414267.txt` files (at any depth, usually
  under `files/`); the key is that relative path, so the study and subject IDs follow.

A record without an ID or with empty text becomes a ReportError naming it, and the rest go on.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from kb.errors import InputError, ReportError
from kb.report import Report

if TYPE_CHECKING:
    from kb.extractor.extract import Extractor

RAW_SUFFIXES = (".jsonl", ".csv")
_MIMIC_FILE = re.compile(r"p\d+/p\d+/s\d+\.txt$")


@dataclass(frozen=True)
class RawReport:
    key: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


def is_raw(path: Path) -> bool:
    """Whether a path is a raw corpus (the extractor must run) rather than RadGraph JSON."""
    return path.is_dir() or path.suffix.lower() in RAW_SUFFIXES


class RawCorpus:
    """Iterate the records of one raw corpus; `bytes_read`/`bytes_total` follow the reading."""

    def __init__(self, path: Path, id_field: str = "study_id", text_field: str = "text") -> None:
        if not is_raw(path):
            raise InputError(f"{path}: not a raw corpus; expected .jsonl, .csv or a MIMIC-CXR folder")
        self.path, self.id_field, self.text_field = path, id_field, text_field
        self.files = _mimic_files(path) if path.is_dir() else [path]
        self.bytes_total = sum(f.stat().st_size for f in self.files)
        self.bytes_read = 0

    def __iter__(self) -> Iterator[RawReport | ReportError]:
        if self.path.is_dir():
            yield from self._mimic()
        elif self.path.suffix.lower() == ".jsonl":
            yield from self._jsonl()
        else:
            yield from self._csv()

    def _lines(self, fp: IO[str]) -> Iterator[str]:
        for line in fp:
            self.bytes_read += len(line.encode("utf-8"))
            yield line

    def _jsonl(self) -> Iterator[RawReport | ReportError]:
        with open(self.path, encoding="utf-8") as fp:
            for number, line in enumerate(self._lines(fp), 1):
                if not line.strip():
                    continue
                where = f"{self.path.name}:{number}"
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as err:
                    yield ReportError(where, f"not valid JSON ({err})")
                    continue
                if not isinstance(row, dict):
                    yield ReportError(where, f"expected a JSON object, got {type(row).__name__}")
                    continue
                yield self._record(row, where)

    def _csv(self) -> Iterator[RawReport | ReportError]:
        with open(self.path, encoding="utf-8", newline="") as fp:
            reader = csv.DictReader(self._lines(fp))
            for fieldname in (self.id_field, self.text_field):
                if fieldname not in (reader.fieldnames or []):
                    raise InputError(f"{self.path}: no {fieldname!r} column; columns are "
                                     f"{', '.join(reader.fieldnames or [])}")
            for number, row in enumerate(reader, 2):
                yield self._record(row, f"{self.path.name}:{number}")

    def _record(self, row: dict[str, Any], where: str) -> RawReport | ReportError:
        key, text = row.get(self.id_field), row.get(self.text_field)
        if key is None or str(key).strip() == "":
            return ReportError(where, f"{self.id_field!r} is missing or empty")
        if not isinstance(text, str) or not text.strip():
            return ReportError(str(key), f"{self.text_field!r} is missing or empty")
        metadata = {k: v for k, v in row.items() if k not in (self.id_field, self.text_field)}
        return RawReport(str(key).strip(), text, metadata)

    def _mimic(self) -> Iterator[RawReport | ReportError]:
        for file in self.files:
            key = "/".join(file.parts[-3:])
            try:
                text = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as err:
                yield ReportError(key, f"cannot read {file} ({err})")
                continue
            finally:
                self.bytes_read += file.stat().st_size
            yield RawReport(key, text) if text.strip() else ReportError(key, "the report file is empty")


def _mimic_files(folder: Path) -> list[Path]:
    files = sorted(f for f in folder.rglob("s*.txt") if _MIMIC_FILE.search(f.as_posix()))
    if not files:
        raise InputError(f"{folder}: no MIMIC-CXR report files (p10/p10000032/s50414267.txt) in it")
    return files


def extract_reports(records: Iterable[RawReport | ReportError], extractor: Extractor,
                    batch_size: int = 256, model_batch: int = 32) -> Iterator[Report | ReportError]:
    """Reports with the extractor's entities and relations, in input order; errors pass through."""
    from kb.extractor.text import raw_document

    items = iter(records)
    while block := list(islice(items, batch_size)):
        raws = [r for r in block if isinstance(r, RawReport)]
        docs = [raw_document(r.key, r.text) for r in raws]
        found = iter(extractor.extract(docs, [r.metadata for r in raws], batch_size=model_batch))
        for item in block:
            yield next(found) if isinstance(item, RawReport) else item
