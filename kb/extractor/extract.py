"""Batched, length-sorted inference: documents → entities and relations in character offsets."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from kb.errors import InputError
from kb.extractor.batch import Pieces, Window, collate, make_windows
from kb.extractor.config import ModelConfig
from kb.extractor.decode import (SpanGuess, allowed_table, candidate_pairs, decode_entities,
                                 decode_relations, pair_candidates, span_candidates)
from kb.extractor.model import SpanRelationModel, load
from kb.extractor.text import Document
from kb.report import Entity, Relation, Report
from kb.schema import Label, RelationType

DEFAULT_MODEL = Path(__file__).resolve().parent / "default"
Progress = Callable[[int], None]  # called with how many more documents are done


@dataclass(frozen=True)
class Prediction:
    """What the model found in one document, in word indices (inclusive)."""

    entities: tuple[tuple[int, int, str, float], ...]  # (first, last, label, score)
    relations: tuple[tuple[int, int, str, float], ...]  # (source, target, type, score); entity indices


class Extractor:
    """A loaded model ready to extract; `name` and `version` go on every Study it writes."""

    def __init__(self, model: SpanRelationModel, tokenizer: Any, weights_sha256: str = "",
                 device: str = "cpu") -> None:
        self.device = _device(device)
        self.model = model.to(self.device).eval()
        self.config: ModelConfig = model.config
        self.pieces = Pieces(tokenizer, self.config.max_word_pieces)
        self.allowed = allowed_table(self.config.entity_labels, self.config.relation_labels)
        positions = getattr(model.encoder.config, "max_position_embeddings", self.config.max_pieces)
        self.limit = min(self.config.max_pieces, positions) - self.pieces.specials
        self.name = self.config.name
        self.version = f"{self.config.version}+{weights_sha256[:12]}" if weights_sha256 else self.config.version

    @classmethod
    def load(cls, folder: str | Path | None = None, device: str = "cpu",
             encoder: str | None = None) -> Extractor:
        model, tokenizer, sha = load(Path(folder) if folder else DEFAULT_MODEL, encoder)
        return cls(model, tokenizer, sha, device)

    def predict(self, docs: Sequence[Document], batch_size: int = 32,
                progress: Progress | None = None) -> list[Prediction]:
        """Predictions for each document, in order; windows are batched shortest first."""
        windows = [w for d, doc in enumerate(docs) for w in self._windows(d, doc)]
        left = [0] * len(docs)
        for w in windows:
            left[w.doc] += 1
        found: list[tuple[Window, list[SpanGuess], list[tuple[int, int, int, float]]]] = []
        if progress and left.count(0):
            progress(left.count(0))  # documents without a word are done already
        order = sorted(windows, key=lambda w: w.size)
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            found.extend(zip(chunk, *self._predict_batch(chunk)))
            done = 0
            for w in chunk:
                left[w.doc] -= 1
                done += left[w.doc] == 0
            if progress:
                progress(done)
        return _merge(len(docs), found, self.config)

    def extract(self, docs: Sequence[Document], metadata: Sequence[dict[str, Any]] | None = None,
                batch_size: int = 32, progress: Progress | None = None) -> list[Report]:
        """Reports whose entities point at the exact characters of each document's text."""
        predictions = self.predict(docs, batch_size, progress)
        metas = metadata or [{} for _ in docs]
        return [to_report(d, p, m) for d, p, m in zip(docs, predictions, metas)]

    def _windows(self, d: int, doc: Document) -> list[Window]:
        words = doc.word_texts()
        if not words:
            return []
        return make_windows(d, words, self.pieces(words), self.limit, self.config.max_span_width)

    @torch.inference_mode()
    def _predict_batch(self, windows: list[Window]) -> tuple[list[list[SpanGuess]], list[list[Any]]]:
        batch = collate(windows, self.pieces).to(self.device)
        states = self.model.encode(batch)
        span_probs = self.model.span_logits(states, batch).softmax(-1).float().cpu()  # (B, S, L)
        candidates = span_candidates(span_probs, [len(w.spans) for w in windows])
        entities = [decode_entities(w.spans, c) for w, c in zip(windows, candidates)]
        pairs = [candidate_pairs([w.sentences[g.first] for g in guesses], self.config.max_sentence_gap)
                 for w, guesses in zip(windows, entities)]
        if not any(pairs):
            return entities, [[] for _ in windows]
        E = max(len(e) for e in entities)
        first, last, label = (_padded([[getattr(g, f) for g in e] for e in entities], E)
                              for f in ("first", "last", "label"))  # (B, E)
        flat = torch.tensor([(b, i, j) for b, p in enumerate(pairs) for i, j in p], dtype=torch.long)  # (K, 3)
        to = self.device
        pair_probs = self.model.pair_logits(states, batch, first.to(to), last.to(to), label.to(to),
                                            flat.to(to)).softmax(-1).float().cpu()  # (K, R)
        found = pair_candidates(pair_probs, label[flat[:, 0], flat[:, 1]], label[flat[:, 0], flat[:, 2]],
                                flat, len(windows), self.allowed)
        relations = [[(r.source, r.target, r.kind, r.score)
                      for r in decode_relations(p, self.config.max_modify_targets)] for p in found]
        return entities, relations


def _padded(rows: list[list[int]], width: int) -> torch.Tensor:
    return torch.tensor([row + [0] * (width - len(row)) for row in rows], dtype=torch.long)


def _device(name: str) -> torch.device:
    try:
        device = torch.device(name)
    except RuntimeError:
        raise InputError(f"unknown device {name!r}; use cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"device {name!r} asked for, but PyTorch sees no CUDA GPU here; use --device cpu")
    return device


def _merge(n_docs: int, found: list[Any], config: ModelConfig) -> list[Prediction]:
    """Window results → document predictions (word and entity indices made document-wide)."""
    entities: list[list[tuple[int, int, str, float]]] = [[] for _ in range(n_docs)]
    relations: list[list[tuple[int, int, str, float]]] = [[] for _ in range(n_docs)]
    for window, guesses, rels in sorted(found, key=lambda f: (f[0].doc, f[0].offset)):
        base, off = len(entities[window.doc]), window.offset
        entities[window.doc] += [(g.first + off, g.last + off, config.entity_labels[g.label], g.score)
                                 for g in guesses]
        relations[window.doc] += [(s + base, t + base, config.relation_labels[k], p) for s, t, k, p in rels]
    return [Prediction(tuple(e), tuple(r)) for e, r in zip(entities, relations)]


def to_report(doc: Document, prediction: Prediction, metadata: dict[str, Any] | None = None) -> Report:
    """Entity ids are 1, 2, … in text order; offsets are characters of `doc.text`."""
    entities = []
    for k, (first, last, label, _) in enumerate(prediction.entities):
        start, end = doc.char_span(first, last)
        entities.append(Entity(str(k + 1), Label(label), start, end, doc.text[start:end]))
    relations = tuple(Relation(RelationType(kind), str(s + 1), str(t + 1))
                      for s, t, kind, _ in prediction.relations)
    return Report(doc.key, doc.text, tuple(entities), relations, dict(metadata or {}))
