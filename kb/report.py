"""Domain objects: a report with its entities and relations, in character offsets.

Character offsets into the original report text are the canonical coordinates; token
indices belong to file formats (see `kb.radgraph`) and stay there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kb.schema import Label, RelationType

_MIMIC_KEY = re.compile(r"(?:^|/)(p\d+)/(s\d+)(?:\.txt)?$")


def split_key(key: str) -> tuple[str, str | None]:
    """`p10/p10003412/s59172281.txt` → (`s59172281`, `p10003412`); any other key is the
    study ID as given, with no subject."""
    match = _MIMIC_KEY.search(key)
    if match is None:
        return key, None
    return match.group(2), match.group(1)


@dataclass(frozen=True)
class Entity:
    id: str
    label: Label
    start: int  # character offset of the first character
    end: int  # character offset one past the last character
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label.value, "start": self.start, "end": self.end,
                "text": self.text}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entity:
        return cls(data["id"], Label(data["label"]), data["start"], data["end"], data["text"])


@dataclass(frozen=True)
class Relation:
    type: RelationType
    source: str  # entity id
    target: str  # entity id

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type.value, "source": self.source, "target": self.target}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Relation:
        return cls(RelationType(data["type"]), data["source"], data["target"])


@dataclass(frozen=True)
class Report:
    """One report: its key in the corpus, its text, and what was found in it."""

    key: str
    text: str
    entities: tuple[Entity, ...] = ()
    relations: tuple[Relation, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def study_id(self) -> str:
        return split_key(self.key)[0]

    @property
    def subject_id(self) -> str | None:
        return split_key(self.key)[1]

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "text": self.text,
                "entities": [e.to_json() for e in self.entities],
                "relations": [r.to_json() for r in self.relations],
                "metadata": dict(self.metadata)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        return cls(data["key"], data["text"],
                   tuple(Entity.from_json(e) for e in data["entities"]),
                   tuple(Relation.from_json(r) for r in data["relations"]),
                   dict(data.get("metadata", {})))
