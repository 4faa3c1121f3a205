"""Reading a damaged RadGraph file: a fault inside one report costs that report only, a fault in
the file's structure ends it with the byte offset, and a clean file reads as JSON reads it —
for each reader: `kb.radgraph.iter_entries` (ijson, then kb.entries), `kb.entries.scan_entries`
itself, and the batch job's `ingest.entries.iter_entry_texts` (C JSON scanner, then kb.entries)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ingest.entries
from ingest.entries import Raw, entry_value, iter_entry_texts
from kb.entries import CHUNK, BadEntry, scan_entries
from kb.errors import InputError
from kb.radgraph import iter_entries


def texts(fp: Any, name: str) -> Any:
    """The batch job's reader, its Raw texts parsed as a worker parses them."""
    return ((key, entry_value(entry)) for key, entry in iter_entry_texts(fp, name))


READERS = [iter_entries, scan_entries, texts]


def _read(reader: Any, data: bytes) -> tuple[list[tuple[str, Any]], str | None]:
    entries: list[tuple[str, Any]] = []
    try:
        for entry in reader(io.BytesIO(data), "in.json"):
            entries.append(entry)
    except InputError as err:
        return entries, str(err)
    return entries, None


PREFIX = b'{"a": 1,\n"b": '


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("damaged,fault,reason", [
    (b'{"text": "a \xff b"}', b"\xff", "not valid UTF-8: byte 0xff"),
    (b'{"text": "a \xe2\x82"}', b"\xe2", "not valid UTF-8: byte 0xe2"),
    (b'{"text": "a", "entities": {,}}', b",}", "not valid JSON (Expecting property name enclosed in double quotes)"),
    (b'{"text": "a" "b"}', b'"b"', "not valid JSON (Expecting ',' delimiter)"),
])
def test_entries_fault_inside_a_report_costs_that_report(reader: Any, damaged: bytes, fault: bytes,
                                                        reason: str) -> None:
    entries, error = _read(reader, PREFIX + damaged + b', "c": {"text": "x"}}')
    assert error is None
    assert [k for k, _ in entries] == ["a", "b", "c"]
    at = len(PREFIX) + damaged.index(fault)
    assert entries[1][1] == BadEntry(f"{reason} at byte {at} of the file")
    assert entries[2][1] == {"text": "x"}


@pytest.mark.parametrize("reader", READERS)
def test_entries_raw_control_characters_read_as_they_are(reader: Any) -> None:
    data = b'{"a": {"text": "x\x00\x07\ty\nz"}, "b": 2}'
    assert _read(reader, data) == ([("a", {"text": "x\x00\x07\ty\nz"}), ("b", 2)], None)


@pytest.mark.parametrize("reader", READERS)
def test_entries_surrogate_escapes_read_as_json_does(reader: Any) -> None:
    data = b'{"a": "\\ud83d\\ude00", "b": "\\ud800", "c": "\\udcff x", "d": 4}'
    assert _read(reader, data) == (list(json.loads(data).items()), None)


@pytest.mark.parametrize("reader", READERS)
def test_entries_key_not_utf8_is_a_bad_entry(reader: Any) -> None:
    entries, error = _read(reader, b'{"a\xff": {"text": "x"}, "b": 2}')
    assert error is None and entries[1] == ("b", 2)
    assert entries[0][0] == "a\\xff" and "its key is not a valid JSON string in UTF-8" in entries[0][1].reason


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("data,kept,message", [
    (b'{"a": 1, "b": {"text": "x"', ["a"], "the file ends in the middle of a report after the entry 'a' "
                                           "(at byte 26); it looks truncated"),
    (b'{"a": "\xff", "b": {"t', ["a"], "the file ends in the middle of a report after the entry 'a' (at byte 19)"),
    (b'{"a": {"t', [], "the file ends in the middle of a report in its first entry (at byte 9)"),
    (b"", [], "the file is empty"),
])
def test_entries_truncated_file_keeps_what_came_before(reader: Any, data: bytes, kept: list[str],
                                                       message: str) -> None:
    entries, error = _read(reader, data)
    assert [k for k, _ in entries] == kept
    assert (error or "").startswith(f"in.json: not valid RadGraph JSON: {message}")


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("data,message", [
    (b'{"a": 1 "b": 2}', "at byte 8: expected ',' or '}' after the entry 'a', found '\"'"),
    (b'{"a": 1, }', "at byte 9: expected a quoted key, found '}'"),
    (b'{"a": 1, "b" 2}', "at byte 13: expected ':' after the key 'b', found '2'"),
    (b'{"a": 1} trailing', "at byte 9: nothing after the end of the object, found 't'"),
])
def test_entries_structure_fault_names_the_byte(reader: Any, data: bytes, message: str) -> None:
    entries, error = _read(reader, data)
    assert entries[:1] == [("a", 1)]
    assert error == f"in.json: not valid RadGraph JSON {message}"


@pytest.mark.parametrize("reader", [scan_entries, texts])
def test_entries_large_entry_spans_many_reads(reader: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest.entries, "CHUNK", CHUNK)
    value = {"text": 'a "quoted" {brace} [bracket] \\ ' * (3 * CHUNK // 20), "n": [1, {"x": "]"}]}
    data = json.dumps({"a": 1, "big": value, "c": None}, indent=1).encode()
    assert _read(reader, data) == ([("a", 1), ("big", value), ("c", None)], None)


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_entries_texts_are_the_entries_as_written(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest.entries, "CHUNK", chunk)
    data = rb'{"a": {"text": "caf\u00e9 \n"} , "b":[1, 2.5e3],"c" : 12 }'
    got = list(iter_entry_texts(io.BytesIO(data), "in.json"))
    assert got == [("a", Raw(r'{"text": "caf\u00e9 \n"}')), ("b", Raw("[1, 2.5e3]")), ("c", Raw("12"))]


def test_entries_texts_name_a_file_that_is_not_an_object() -> None:
    assert _read(texts, b"[1, 2]")[1] == ("in.json: not valid RadGraph JSON at byte 0: expected the file "
                                          "to hold one JSON object of reports, found '['")


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                     max_leaves=12)


@settings(max_examples=80, deadline=None)
@given(st.dictionaries(st.text(), _json, max_size=6), st.sampled_from([None, 1]), st.booleans())
def test_entries_scanner_reads_clean_json_as_json_does(obj: dict[str, Any], indent: int | None,
                                                        ascii_only: bool) -> None:
    data = json.dumps(obj, indent=indent, ensure_ascii=ascii_only).encode()
    expected = list(json.loads(data).items())
    assert _read(scan_entries, data) == (expected, None)
    assert _read(texts, data) == (expected, None)
