"""Read and write the RadGraph JSON format exactly as published.

Layouts: one annotation set per report (`train.json`, `dev.json`, `MIMIC-CXR_graphs.json`,
`CheXpert_graphs.json`) or two (`test.json`: `labeler_1` / `labeler_2`). Labels may be
RadGraph 1.0 (`OBS-DA`) or RadGraph-XL (`Observation::definitely absent`).
`text` is tokens joined by single spaces; `start_ix`/`end_ix` index `text.split(" ")`,
end inclusive. Readers stream the file, so a 220k-report release never sits in memory, and
a damaged file costs only its damaged reports (see `kb.entries`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from itertools import accumulate
from pathlib import Path
from typing import IO, Any

import ijson

from kb.entries import BadEntry, scan_entries, truncated
from kb.errors import InputError, ReportError
from kb.report import Entity, Relation, Report
from kb.schema import Label, RelationType

LABELERS = ("labeler_1", "labeler_2")
_REPORT_FIELDS = {"text", "entities", *LABELERS}
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # what an unpaired \udc80 escape decodes to
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_EOF_ERRORS = ("premature EOF", "Incomplete JSON content")  # ijson's C and Python backends


def parse_report(key: str, data: Any, labeler: str = "labeler_1") -> Report:
    """One RadGraph entry → Report; a ReportError names the key, the entity and the fault."""
    text = _text(key, data)
    annotation = _annotation(key, data, labeler)
    entities_in = annotation.get("entities")
    if not isinstance(entities_in, dict):
        raise ReportError(key, "'entities' is missing or not an object")
    tokens = text.split(" ")
    starts = [0, *accumulate(len(token) + 1 for token in tokens)]
    entities = tuple(_entity(key, eid, e, text, tokens, starts) for eid, e in entities_in.items())
    relations = tuple(r for eid, e in entities_in.items() for r in _relations(key, eid, e, entities_in))
    metadata = {k: v for k, v in data.items() if k not in _REPORT_FIELDS}
    return Report(key, text, entities, relations, metadata)


def _text(key: str, data: Any) -> str:
    """The report text of an entry, once the key and the entry are seen to make a report."""
    if isinstance(data, BadEntry):  # kb.entries could not read it
        raise ReportError(key, data.reason)
    if not key:
        raise ReportError(key, "the key (the study ID) is empty")
    if _LONE_SURROGATE.search(key):
        raise ReportError(key, "the key holds an unpaired surrogate escape (\\ud800-\\udfff), not text")
    if not isinstance(data, dict):
        raise ReportError(key, f"expected an object, got {type(data).__name__}")
    text = data.get("text")
    if not isinstance(text, str):
        raise ReportError(key, "'text' is missing or not a string")
    if not text.strip():
        raise ReportError(key, "'text' is empty")
    lone = _LONE_SURROGATE.search(text)
    if lone:
        raise ReportError(key, f"'text' holds an unpaired surrogate escape (\\u{ord(lone[0]):04x}) "
                               f"at character {lone.start()}, which is not text")
    return text


def _annotation(key: str, data: dict[str, Any], labeler: str) -> dict[str, Any]:
    if "entities" in data or not any(name in data for name in LABELERS):
        return data
    if labeler not in LABELERS:
        raise InputError(f"unknown labeler {labeler!r}; allowed: {', '.join(LABELERS)}")
    annotation = data.get(labeler)
    if not isinstance(annotation, dict):
        raise ReportError(key, f"{labeler!r} is missing or not an object")
    return annotation


def _entity(key: str, eid: str, e: Any, text: str, tokens: list[str], starts: list[int]) -> Entity:
    where = f"entity {eid!r}"
    if not isinstance(e, dict):
        raise ReportError(key, f"{where}: expected an object, got {type(e).__name__}")
    try:
        label = Label.parse(e.get("label"))  # type: ignore[arg-type]
    except InputError as err:
        raise ReportError(key, f"{where}: {err}") from None
    first, last = e.get("start_ix"), e.get("end_ix")
    if not (isinstance(first, int) and isinstance(last, int)) or bool in (type(first), type(last)):
        raise ReportError(key, f"{where}: start_ix/end_ix must be integers, got {first!r}/{last!r}")
    if not 0 <= first <= last < len(tokens):
        raise ReportError(key, f"{where}: span {first}..{last} out of range "
                               f"(text has {len(tokens)} tokens, end inclusive)")
    start, end = starts[first], starts[last + 1] - 1
    if e.get("tokens") != text[start:end]:
        raise ReportError(key, f"{where}: tokens {e.get('tokens')!r} do not match the text "
                               f"at {first}..{last}, which reads {text[start:end]!r}")
    return Entity(str(eid), label, start, end, text[start:end])


def _relations(key: str, eid: str, e: dict[str, Any], entities: dict[str, Any]) -> Iterator[Relation]:
    pairs = e.get("relations", [])
    if not isinstance(pairs, list):
        raise ReportError(key, f"entity {eid!r}: 'relations' must be a list")
    for pair in pairs:
        if not (isinstance(pair, list) and len(pair) == 2):
            raise ReportError(key, f"entity {eid!r}: relation {pair!r} is not [type, target_id]")
        try:
            kind = RelationType.parse(pair[0])
        except InputError as err:
            raise ReportError(key, f"entity {eid!r}: {err}") from None
        target = str(pair[1])
        if target not in entities:
            raise ReportError(key, f"entity {eid!r}: {kind.value} relation points to "
                                   f"entity {target!r}, which does not exist")
        yield Relation(kind, str(eid), target)


def iter_entries(fp: IO[bytes], name: str | Path) -> Iterator[tuple[str, Any]]:
    """Stream (key, raw entry) pairs of an open RadGraph JSON file. ijson reads it fast; at a
    fault it cannot read past (bytes that are not UTF-8, a raw control character, a damaged
    entry) the file is read again by `kb.entries`, from the entry after the last one given,
    so that a damaged entry comes out as a `BadEntry` and the rest still comes. A file cut
    short, or broken between entries, raises InputError naming it once the entries before
    the fault have been yielded."""
    start, given, last = fp.tell(), 0, None
    try:
        for key, data in ijson.kvitems(_Watched(fp), "", use_float=True):
            yield key, data
            given, last = given + 1, key
        return
    except ijson.IncompleteJSONError as err:
        if any(eof in str(err) for eof in _EOF_ERRORS):
            raise truncated(name, last, fp.tell()) from None
    except (ijson.JSONError, UnicodeDecodeError, _SurrogateEscape):
        pass
    fp.seek(start)
    yield from scan_entries(fp, name, skip=given)


class _SurrogateEscape(Exception):
    """ijson's C backend reads an unpaired \\ud800 escape as '?', and a \\udc80 one as an
    error: files that hold one are left to `kb.entries`, which reads them as JSON does."""


class _Watched:
    """The file as ijson reads it, stopping at the first \\uD800-\\uDFFF escape."""

    def __init__(self, fp: IO[bytes]) -> None:
        self.fp = fp
        self.tail = b""  # the last bytes of the previous read: an escape may straddle two

    def read(self, size: int = -1) -> bytes:
        chunk = self.fp.read(size)
        if _SURROGATE_ESCAPE.search(self.tail + chunk[:8]) or _SURROGATE_ESCAPE.search(chunk):
            raise _SurrogateEscape
        self.tail = chunk[-5:]
        return chunk


def read_radgraph(path: str | Path, labeler: str = "labeler_1") -> Iterator[Report]:
    """Every report of a RadGraph JSON file, raising on the first malformed one."""
    with open(path, "rb") as fp:
        for key, data in iter_entries(fp, path):
            yield parse_report(key, data, labeler)


def to_radgraph(report: Report) -> dict[str, Any]:
    """Report → RadGraph entry with RadGraph 1.0 labels (the inverse of `parse_report`)."""
    tokens = report.text.split(" ")
    starts = [0, *accumulate(len(token) + 1 for token in tokens)]
    token_at = {start: i for i, start in enumerate(starts[:-1])}
    token_ending = {start - 1: i - 1 for i, start in enumerate(starts) if i}
    outgoing: dict[str, list[list[str]]] = {e.id: [] for e in report.entities}
    for r in report.relations:
        outgoing[r.source].append([r.type.value, r.target])
    entities = {}
    for e in report.entities:
        if e.start not in token_at or e.end not in token_ending:
            raise ReportError(report.key, f"entity {e.id!r}: characters {e.start}..{e.end} do not "
                                          "fall on token boundaries of the space-joined text")
        entities[e.id] = {"tokens": e.text, "label": e.label.value, "start_ix": token_at[e.start],
                          "end_ix": token_ending[e.end], "relations": outgoing[e.id]}
    return {"text": report.text, "entities": entities, **report.metadata}


def write_radgraph(reports: Iterable[Report], out: str | Path | IO[str]) -> int:
    """Stream reports to a RadGraph JSON file; returns how many were written."""
    if isinstance(out, (str, Path)):
        with open(out, "w", encoding="utf-8") as fp:
            return write_radgraph(reports, fp)
    count = 0
    out.write("{")
    for report in reports:
        out.write(",\n" if count else "\n")
        out.write(f"{json.dumps(report.key)}: {json.dumps(to_radgraph(report))}")
        count += 1
    out.write("\n}\n")
    return count
