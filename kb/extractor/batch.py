"""Words → subword windows → padded tensors: the word-to-subword alignment.

A document's words are tokenized one by one (cached), so every word knows its first and last
subword whatever the encoder's tokenizer does; a word the tokenizer drops entirely (a
zero-width character) becomes the unknown token instead of vanishing. Documents longer than
the encoder's window are cut into windows at sentence ends. Each window lists its candidate
spans (up to `max_span_width` words, not starting or ending on punctuation, not crossing a
sentence end).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import torch
from torch import Tensor

from kb.extractor.text import is_punctuation

BREAKS = frozenset({".", ":", ";", "?", "!"})  # words that end a sentence or a header
_CACHE_LIMIT = 500_000


class Pieces:
    """The subword ids of each word, cached; never empty, at most `max_word_pieces` long."""

    def __init__(self, tokenizer: Any, max_word_pieces: int) -> None:
        self.tokenizer = tokenizer
        self.max_word_pieces = max_word_pieces
        self.unk = tokenizer.unk_token_id if tokenizer.unk_token_id is not None else 0
        self.cls = _first_id(tokenizer, "cls_token_id", "bos_token_id")
        self.sep = _first_id(tokenizer, "sep_token_id", "eos_token_id")
        self.pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self._cache: dict[str, tuple[int, ...]] = {}

    def __call__(self, words: Sequence[str]) -> list[tuple[int, ...]]:
        missing = list({w for w in words if w not in self._cache})
        if missing:
            if len(self._cache) + len(missing) > _CACHE_LIMIT:
                self._cache.clear()
                missing = list(set(words))
            ids = self.tokenizer(missing, add_special_tokens=False)["input_ids"]
            for word, pieces in zip(missing, ids):
                self._cache[word] = tuple(pieces[: self.max_word_pieces]) or (self.unk,)
        return [self._cache[w] for w in words]

    @property
    def specials(self) -> int:
        return (self.cls is not None) + (self.sep is not None)


def _first_id(tokenizer: Any, *names: str) -> int | None:
    for name in names:
        value = getattr(tokenizer, name, None)
        if value is not None:
            return int(value)
    return None


@dataclass(frozen=True)
class Window:
    """A run of words of one document that the encoder reads at once."""

    doc: int  # which document of the batch
    offset: int  # index of the window's first word in the document
    words: tuple[str, ...]
    pieces: tuple[tuple[int, ...], ...]
    spans: tuple[tuple[int, int], ...]  # candidate (first, last) word indices, inclusive
    sentences: tuple[int, ...]  # per word: how many sentence ends come before it
    entities: tuple[tuple[int, int, int], ...] = ()  # gold (first, last, label index)
    relations: tuple[tuple[int, int, int], ...] = ()  # gold (source, target, relation index)

    @property
    def size(self) -> int:
        return sum(len(p) for p in self.pieces)


def split_windows(words: Sequence[str], pieces: Sequence[tuple[int, ...]],
                  limit: int) -> list[tuple[int, int]]:
    """Word ranges [start, end) of at most `limit` subwords each, cut after a sentence end
    where one falls inside the window."""
    ranges, start, used, last_break = [], 0, 0, -1
    for i, p in enumerate(pieces):
        if used + len(p) > limit and i > start:
            cut = last_break + 1 if last_break >= start else i
            carried = sum(len(q) for q in pieces[cut:i])
            if carried + len(p) > limit:  # cutting at the sentence end would not make room
                cut, carried = i, 0
            ranges.append((start, cut))
            used, start = carried, cut
        used += len(p)
        if words[i] in BREAKS:
            last_break = i
    ranges.append((start, len(words)))
    return ranges


def candidate_spans(words: Sequence[str], width: int) -> list[tuple[int, int]]:
    """Every span the model scores: not on punctuation at either end, not across a break."""
    punctuation = [is_punctuation(w) for w in words]
    spans = []
    for i in range(len(words)):
        if punctuation[i]:
            continue
        for j in range(i, min(len(words), i + width)):
            if j > i and words[j] in BREAKS:
                break
            if not punctuation[j]:
                spans.append((i, j))
    return spans


def sentence_ids(words: Sequence[str]) -> list[int]:
    ids, count = [], 0
    for word in words:
        ids.append(count)
        count += word in BREAKS
    return ids


def make_windows(doc: int, words: Sequence[str], pieces: Sequence[tuple[int, ...]], limit: int,
                 width: int) -> list[Window]:
    """The windows of one document (no gold)."""
    out = []
    for start, end in split_windows(words, pieces, limit):
        ws = tuple(words[start:end])
        out.append(Window(doc, start, ws, tuple(pieces[start:end]), tuple(candidate_spans(ws, width)),
                          tuple(sentence_ids(ws))))
    return out


@dataclass
class Batch:
    """Padded tensors for a list of windows; shapes in the comments (B windows)."""

    input_ids: Tensor  # (B, T) subword ids
    attention_mask: Tensor  # (B, T)
    word_first: Tensor  # (B, N) position of each word's first subword
    word_last: Tensor  # (B, N) position of each word's last subword
    word_mask: Tensor  # (B, N)
    sentence: Tensor  # (B, N) sentence index of each word
    span_first: Tensor  # (B, S) first word of each candidate span
    span_last: Tensor  # (B, S) last word
    span_mask: Tensor  # (B, S)
    span_labels: Tensor | None = None  # (B, S) gold label index, -100 on padding
    ent_first: Tensor | None = None  # (B, E) gold entities
    ent_last: Tensor | None = None  # (B, E)
    ent_label: Tensor | None = None  # (B, E)
    ent_mask: Tensor | None = None  # (B, E)
    pair_labels: Tensor | None = None  # (B, E, E) gold relation index, -100 on diagonal/padding

    def to(self, device: torch.device | str) -> Batch:
        moved = {f.name: getattr(self, f.name) for f in fields(self)}
        return Batch(**{k: v.to(device, non_blocking=True) if v is not None else None
                        for k, v in moved.items()})


def collate(windows: Sequence[Window], pieces: Pieces, gold: bool = False) -> Batch:
    """Pad a list of windows into one Batch (with gold entity/relation targets if asked)."""
    front = 1 if pieces.cls is not None else 0
    T = max(w.size for w in windows) + pieces.specials
    N = max(len(w.words) for w in windows)
    S = max(max(len(w.spans) for w in windows), 1)
    B = len(windows)
    input_ids = torch.full((B, T), pieces.pad, dtype=torch.long)
    attention = torch.zeros((B, T), dtype=torch.long)
    word_first = torch.zeros((B, N), dtype=torch.long)
    word_last = torch.zeros((B, N), dtype=torch.long)
    sentence = torch.zeros((B, N), dtype=torch.long)
    span_first = torch.zeros((B, S), dtype=torch.long)
    span_last = torch.zeros((B, S), dtype=torch.long)
    for b, w in enumerate(windows):
        ids = ([pieces.cls] if front else []) + [i for p in w.pieces for i in p]
        ids += [pieces.sep] if pieces.sep is not None else []
        input_ids[b, : len(ids)] = torch.tensor(ids)
        attention[b, : len(ids)] = 1
        lengths = torch.tensor([len(p) for p in w.pieces])
        ends = torch.cumsum(lengths, 0) + front
        word_first[b, : len(w.words)] = ends - lengths
        word_last[b, : len(w.words)] = ends - 1
        sentence[b, : len(w.words)] = torch.tensor(w.sentences)
        if w.spans:
            span_first[b, : len(w.spans)] = torch.tensor([s for s, _ in w.spans])
            span_last[b, : len(w.spans)] = torch.tensor([e for _, e in w.spans])
    word_mask = _lengths_mask([len(w.words) for w in windows], N)
    span_mask = _lengths_mask([len(w.spans) for w in windows], S)
    batch = Batch(input_ids, attention, word_first, word_last, word_mask, sentence,
                  span_first, span_last, span_mask)
    return _with_gold(batch, windows) if gold else batch


def _lengths_mask(lengths: list[int], size: int) -> Tensor:
    return torch.arange(size)[None, :] < torch.tensor(lengths)[:, None]  # (B, size)


def _with_gold(batch: Batch, windows: Sequence[Window]) -> Batch:
    B, S = batch.span_first.shape
    E = max(max(len(w.entities) for w in windows), 1)
    span_labels = torch.full((B, S), -100, dtype=torch.long)
    pair_labels = torch.full((B, E, E), -100, dtype=torch.long)
    ent = torch.zeros((3, B, E), dtype=torch.long)
    for b, w in enumerate(windows):
        labels = {(f, l): y for f, l, y in w.entities}
        span_labels[b, : len(w.spans)] = torch.tensor([labels.get(s, 0) for s in w.spans] or [0])[: len(w.spans)]
        n = len(w.entities)
        if n:
            ent[:, b, :n] = torch.tensor(w.entities).T
            pair_labels[b, :n, :n] = 0
            pair_labels[b, range(n), range(n)] = -100
        for src, dst, kind in w.relations:
            pair_labels[b, src, dst] = kind
    ent_mask = _lengths_mask([len(w.entities) for w in windows], E)
    batch.span_labels, batch.pair_labels = span_labels, pair_labels
    batch.ent_first, batch.ent_last, batch.ent_label, batch.ent_mask = ent[0], ent[1], ent[2], ent_mask
    return batch
