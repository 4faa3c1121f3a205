"""Report text → the words the model reads, each with its character offsets in the original.

Two ways in: a RadGraph file's `text` is already tokenized (`text.split(" ")`, used as given);
a raw report is sectioned (FINDINGS and IMPRESSION when it has them, the whole text otherwise)
and split the way the team-annotated data is (punctuation split off, hyphenated words and
decimals kept whole). Either way every word is a `(start, end)` pair into the text, so any span
of words maps back to the exact characters it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate

from kb.sections import Sections

# Decimals and numbered ranges (`16.2`, `1,200`), words with inner hyphens or apostrophes
# (`x-XXXX`, `patient's`), then any other single non-space character (`.`, `:`, `/`).
_WORD = re.compile(r"\d+(?:[.,]\d+)+|\w+(?:['’-]\w+)*|[^\w\s]")
EXTRACTED_SECTIONS = ("FINDINGS", "IMPRESSION")


@dataclass(frozen=True)
class Document:
    """One report as the extractor reads it: its key, its original text and its words."""

    key: str
    text: str
    words: tuple[tuple[int, int], ...]  # (start, end) character offsets, end exclusive

    def word_texts(self) -> list[str]:
        return [self.text[s:e] for s, e in self.words]

    def char_span(self, first: int, last: int) -> tuple[int, int]:
        """Characters of words first..last (inclusive)."""
        return self.words[first][0], self.words[last][1]


def split_tokens(text: str) -> tuple[tuple[int, int], ...]:
    """The words of an already tokenized text (RadGraph `text`): exactly `text.split(" ")`."""
    tokens = text.split(" ")
    starts = [0, *accumulate(len(t) + 1 for t in tokens)]
    return tuple((s, s + len(t)) for s, t in zip(starts, tokens))


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Words of `text[start:end]` as offsets into `text`."""
    return [m.span() for m in _WORD.finditer(text, start, len(text) if end is None else end)]


def extraction_ranges(text: str, sections: tuple[str, ...] = EXTRACTED_SECTIONS) -> list[tuple[int, int]]:
    """The character ranges to extract from: each wanted section from its header to the next
    header, or the whole text when the report names none of them."""
    found = Sections.of(text)
    bounds = [*found.starts, len(text)]
    ranges = [(bounds[i], bounds[i + 1]) for i, name in enumerate(found.names) if name in sections]
    return ranges or [(0, len(text))]


def raw_document(key: str, text: str, sections: tuple[str, ...] = EXTRACTED_SECTIONS) -> Document:
    """A raw report: sectioned, then tokenized with offsets into the original text."""
    words = [w for s, e in extraction_ranges(text, sections) for w in tokenize(text, s, e)]
    return Document(key, text, tuple(words))


def radgraph_document(key: str, text: str) -> Document:
    """A RadGraph `text`: its space-separated tokens, used as given."""
    return Document(key, text, split_tokens(text))


def is_punctuation(word: str) -> bool:
    """Words that never start or end an entity: empty tokens and bare punctuation."""
    return not any(ch.isalnum() for ch in word)
