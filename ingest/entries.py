"""The entries of a RadGraph file as the batch job reads them: each entry's raw JSON text,
parsed later in a worker process (`entry_value`), so the main process neither builds the
reports' objects nor pickles them to the workers (both cost more than parsing there).

Entries are cut out with the standard library's C JSON scanner (`raw_decode`) over text
decoded as strict UTF-8, a chunk at a time. At the first thing that scanner does not accept
(bytes that are not UTF-8, a damaged entry, a fault between entries), the file is read again
from the entry after the last one given by `kb.entries.scan_entries`, exactly as
`kb.radgraph.iter_entries` reads a damaged file: those entries come out parsed, a damaged one
as a `BadEntry`, and structural faults with their byte offset. A file that ends inside an
entry raises `kb.entries.truncated` after the entries before it.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from kb.entries import scan_entries, truncated

CHUNK = 1 << 22  # bytes read at a time

_DECODER = json.JSONDecoder(strict=False)  # raw control characters inside strings are read
_SPACE = re.compile(r"[ \t\n\r]*")


class Raw(NamedTuple):
    """An entry's JSON text, not yet parsed."""

    text: str


def entry_value(entry: Raw | Any) -> Any:
    """The parsed value of an entry as `iter_entry_texts` gives it."""
    return json.loads(entry.text, strict=False) if isinstance(entry, Raw) else entry


def iter_entry_texts(fp: BinaryIO, name: str | Path) -> Iterator[tuple[str, Raw | Any]]:
    """(report key, Raw entry text) for each entry, in file order; after a fault, (key, value
    or BadEntry) as `kb.entries.scan_entries` reads the rest."""
    start, reader = fp.tell(), _Reader(fp)
    given, last = 0, None
    try:
        for key, text in reader.entries():
            yield key, Raw(text)
            given, last = given + 1, key
        return
    except _Truncated:
        raise truncated(name, last, fp.tell()) from None
    except _Fault:
        pass
    fp.seek(start)
    yield from scan_entries(fp, name, skip=given)


class _Fault(Exception):
    """Something the fast path does not read; the careful reader takes over."""


class _Truncated(Exception):
    """The file ends inside an entry."""


class _Reader:
    """A window of decoded text over the file, refilled as entries are read."""

    def __init__(self, fp: BinaryIO) -> None:
        self.fp = fp
        self.decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.buf, self.pos, self.eof = "", 0, False

    def entries(self) -> Iterator[tuple[str, str]]:
        self.expect("{")
        if self.next_is("}"):
            return self.expect_end()
        while True:
            key, _ = self.value()
            if not isinstance(key, str):
                raise _Fault
            self.expect(":")
            yield key, self.value()[1]
            if self.next_is("}"):
                return self.expect_end()
            self.expect(",")

    def value(self) -> tuple[Any, str]:
        """The JSON value at the read position and its text, refilling the window while the
        value runs past it (a refill drops the text before the read position)."""
        self.skip_space()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as err:
                if not self._cut_off(err):
                    raise _Fault from None
                at_end = self._cut_off(err, slack=0)
                if not self.fill():  # at the end of the file: cut short, or broken there
                    raise _Truncated if at_end else _Fault from None
                continue
            if end == len(self.buf) and self.fill():  # a number may go on in the next chunk
                continue
            text, self.pos = self.buf[self.pos:end], end
            return value, text

    def fill(self) -> bool:
        """Read the next chunk, dropping what has been read; False at the end of the file."""
        if self.eof:
            return False
        data = self.fp.read(max(CHUNK, len(self.buf) - self.pos))
        self.eof = not data
        try:
            self.buf = self.buf[self.pos:] + self.decoder.decode(data, final=self.eof)
        except UnicodeDecodeError:
            raise _Fault from None
        self.pos = 0
        return not self.eof

    def skip_space(self) -> None:
        while True:
            self.pos = _SPACE.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf) or not self.fill():
                return

    def next_is(self, char: str) -> bool:
        self.skip_space()
        if self.buf.startswith(char, self.pos):
            self.pos += 1
            return True
        return False

    def expect(self, char: str) -> None:
        if not self.next_is(char):
            raise _Truncated if self.pos >= len(self.buf) else _Fault

    def expect_end(self) -> None:
        self.skip_space()
        if self.pos < len(self.buf):
            raise _Fault

    def _cut_off(self, err: json.JSONDecodeError, slack: int = 8) -> bool:
        """Whether the scanner stopped because the window ended, not because the JSON is bad."""
        return err.pos >= len(self.buf) - slack or err.msg.startswith("Unterminated string")
