"""The entries of a damaged RadGraph JSON file, one at a time.

The fast reader (ijson, in `kb.radgraph.iter_entries`) stops at the first byte that is not
valid JSON or UTF-8, and every report after it would be lost. Such a file is read again here:
the top-level object is cut into its entries by quotes and brackets alone, and each entry is
decoded on its own, so a fault inside one report costs that report only. Its value comes out
as a `BadEntry` that names the fault and its byte offset in the file.

Control characters written raw inside a string (invalid JSON, but unambiguous) are read as
they are. A fault in the file's own structure (between entries, or brackets that never
close) ends the file with an `InputError` naming the byte offset, after the entries before
it; so does a file cut short.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn

from kb.errors import InputError

CHUNK = 1 << 16

_SPACE = re.compile(rb"[ \t\n\r]*")
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*"', re.S)  # after an opening quote, to the closing one
_BRACKET_OR_QUOTE = re.compile(rb'["{}\[\]]')
_SCALAR_END = re.compile(rb"[,}\] \t\n\r]")

EndOf = Callable[[bytes, int], int | None]


@dataclass(frozen=True)
class BadEntry:
    """The value of an entry that could not be decoded; `reason` says why and where."""

    reason: str


class _Incomplete(Exception):
    """The bytes read so far end before the item being read does."""


def scan_entries(fp: IO[bytes], name: str | Path, skip: int = 0) -> Iterator[tuple[str, Any]]:
    """(key, value or BadEntry) for each entry of the JSON object in `fp`, read from where `fp`
    stands, leaving out the first `skip` entries (those a faster reader already gave)."""
    window = _Window(fp, name)
    window.expect(b"{", "the file to hold one JSON object of reports")
    count = 0
    while window.peek() != b"}":
        if count:
            window.expect(b",", f"',' or '}}' after the entry {window.last!r}")
        key_raw, _ = window.item(_string_end, "a quoted key")
        key, valid = _key(key_raw)
        window.expect(b":", f"':' after the key {key!r}")
        value_raw, value_at = window.item(_value_end, "a value")
        window.last, count = key, count + 1
        if count > skip:
            yield key, _decoded(valid, value_raw, value_at)
    window.end_of_object()


def truncated(name: str | Path, last: str | None, size: int) -> InputError:
    """The error of a file that ends inside a report; `last` is the key of the last whole one."""
    if size == 0:
        return InputError(f"{name}: not valid RadGraph JSON: the file is empty")
    where = f"after the entry {last!r}" if last is not None else "in its first entry"
    return InputError(f"{name}: not valid RadGraph JSON: the file ends in the middle of a report "
                      f"{where} (at byte {size}); it looks truncated")


def _key(raw: bytes) -> tuple[str, bool]:
    """A quoted key as text, and whether it was valid; an invalid one is still made readable."""
    try:
        return str(json.loads(raw.decode("utf-8"), strict=False)), True
    except (UnicodeDecodeError, json.JSONDecodeError):
        return raw[1:-1].decode("utf-8", "backslashreplace"), False


def _decoded(key_valid: bool, raw: bytes, offset: int) -> Any:
    """An entry's value, or the BadEntry that says why it cannot be read."""
    if not key_valid:
        return BadEntry(f"its key is not a valid JSON string in UTF-8 (the entry's value starts at "
                        f"byte {offset} of the file)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return BadEntry(f"not valid UTF-8: byte 0x{raw[err.start]:02x} at byte {offset + err.start} of the file")
    try:
        return json.loads(text, strict=False)
    except json.JSONDecodeError as err:
        at = offset + len(text[:err.pos].encode("utf-8"))
        return BadEntry(f"not valid JSON ({err.msg}) at byte {at} of the file")


class _Window:
    """The unread part of the file: `data[pos:]`, which starts at file offset `base + pos`.
    Each read is at least as large as what is held, so a 1 MB entry costs few rescans."""

    def __init__(self, fp: IO[bytes], name: str | Path) -> None:
        self.fp, self.name = fp, name
        self.data, self.pos, self.base, self.eof = b"", 0, fp.tell(), False
        self.last: str | None = None  # the key of the last entry read

    def peek(self) -> bytes:
        self._skip_space()
        return self.data[self.pos:self.pos + 1]

    def expect(self, token: bytes, what: str) -> None:
        found = self.peek()
        if not found:
            raise self._truncated()
        if found != token:
            self._fault(f"expected {what}", found)
        self.pos += 1

    def item(self, end_of: EndOf, what: str) -> tuple[bytes, int]:
        """The bytes of the key or value that starts here, and its file offset."""
        self._skip_space()
        while True:
            try:
                end = end_of(self.data, self.pos)
                break
            except _Incomplete:
                if not self._more():
                    raise self._truncated() from None
        if end is None:
            self._fault(f"expected {what}", self.data[self.pos:self.pos + 1])
        raw, at = self.data[self.pos:end], self.base + self.pos
        self.pos = end
        return raw, at

    def end_of_object(self) -> None:
        if not self.peek():
            raise self._truncated()
        self.pos += 1
        if self.peek():
            self._fault("nothing after the end of the object", self.data[self.pos:self.pos + 1])

    def _skip_space(self) -> None:
        while True:
            self.pos = _SPACE.match(self.data, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.data) or not self._more():
                return

    def _more(self) -> bool:
        if self.eof:
            return False
        chunk = self.fp.read(max(CHUNK, len(self.data) - self.pos))
        self.data, self.base, self.pos = self.data[self.pos:] + chunk, self.base + self.pos, 0
        self.eof = not chunk
        return bool(chunk)

    def _fault(self, expected: str, found: bytes) -> NoReturn:
        seen = repr(found.decode("utf-8", "backslashreplace")) if found else "the end of the file"
        raise InputError(f"{self.name}: not valid RadGraph JSON at byte {self.base + self.pos}: "
                         f"{expected}, found {seen}")

    def _truncated(self) -> InputError:
        return truncated(self.name, self.last, self.base + len(self.data))


def _string_end(data: bytes, pos: int) -> int | None:
    """One past the closing quote of the string at `pos`; None when no string starts there."""
    if pos >= len(data):
        raise _Incomplete
    if data[pos] != 0x22:
        return None
    found = _STRING_REST.match(data, pos + 1)
    if found is None:
        raise _Incomplete
    return found.end()


def _value_end(data: bytes, pos: int) -> int | None:
    """One past the JSON value at `pos`, found by quotes and brackets only (what lies between
    them is judged when the entry is decoded)."""
    if pos >= len(data):
        raise _Incomplete
    if data[pos] == 0x22:
        return _string_end(data, pos)
    if data[pos] in b"{[":
        return _container_end(data, pos)
    end = _SCALAR_END.search(data, pos)
    if end is None:  # a number, true, null… runs on to a comma or bracket
        raise _Incomplete
    return end.start()


def _container_end(data: bytes, pos: int) -> int:
    depth = 0
    while True:
        found = _BRACKET_OR_QUOTE.search(data, pos)
        if found is None:
            raise _Incomplete
        byte = data[found.start()]
        if byte == 0x22:  # a string: skipped whole, so brackets inside it do not count
            rest = _STRING_REST.match(data, found.end())
            if rest is None:
                raise _Incomplete
            pos = rest.end()
            continue
        depth += 1 if byte in b"{[" else -1
        pos = found.end()
        if depth == 0:
            return pos
