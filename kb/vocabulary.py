"""The vocabulary: canonical observation and anatomy terms with their spellings, anatomy
expansions (laterality, compound anatomy), derived concepts, and a part-of hierarchy.

Loaded once from `kb/data/vocabulary.json` (versioned, validated on load) and applied by the
same code at ingest (mention terms, anatomy phrases) and at query time (criteria).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from kb.errors import KBError
from kb.terms import normalize_term


class _Pattern(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    observation: list[str] = Field(min_length=1)
    located_at: list[str] = Field([], alias="locatedAt")


class _VocabularyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int
    comment: str = ""
    observations: dict[str, list[str]]
    anatomy: dict[str, list[str]]
    expand: dict[str, list[str]]
    derived: dict[str, list[_Pattern]]
    part_of: dict[str, list[str]]

    @field_validator("observations", "anatomy")
    @classmethod
    def _no_spelling_twice(cls, terms: dict[str, list[str]]) -> dict[str, list[str]]:
        seen: dict[str, str] = {}
        for canonical, spellings in terms.items():
            for spelling in [canonical, *spellings]:
                key = normalize_term(spelling)
                if seen.setdefault(key, canonical) != canonical:
                    raise ValueError(f"{spelling!r} is a spelling of both {seen[key]!r} and {canonical!r}")
        return terms

    @model_validator(mode="after")
    def _derived_terms_match_themselves(self) -> _VocabularyFile:
        for concept, patterns in self.derived.items():
            key = normalize_term(concept)
            own = {normalize_term(t) for t in [key, *self.observations.get(key, [])]}
            written = {normalize_term(o) for p in patterns for o in p.observation}
            if key in self.observations and not own & written:
                raise ValueError(f"derived concept {concept!r} is an observation term but no pattern "
                                 f"lists {concept!r}: its own mentions would no longer match")
        return self


@dataclass(frozen=True)
class Pattern:
    """One way an observation is written: any of `terms`, at a head carrying every group of
    `located` (a group is met by any of its words)."""

    terms: tuple[str, ...]
    located: tuple[tuple[str, ...], ...] = ()


class Vocabulary:
    def __init__(self, data: _VocabularyFile) -> None:
        self.version = data.version
        self._observations = _spellings(data.observations)
        self._anatomy = _spellings(data.anatomy)
        self._expand = {normalize_term(k): tuple(v) for k, v in data.expand.items()}
        self._part_of = {k: tuple(v) for k, v in data.part_of.items()}
        self._derived = {normalize_term(k): v for k, v in data.derived.items()}
        self.observation_terms = sorted(data.observations)
        self.anatomy_terms = sorted(data.anatomy)

    def observation(self, text: str) -> str:
        """The canonical term of an observation (`Effusions` → `effusion`)."""
        term = normalize_term(text)
        return self._observations.get(term, term)

    def anatomy_word(self, word: str) -> str:
        return self._anatomy.get(word, word)

    def anatomy(self, text: str) -> str:
        """The canonical term of an anatomy mention (`lungs` → `lung`, `basilar` → `base`)."""
        whole = normalize_term(text)
        return self._anatomy.get(whole) or " ".join(self.anatomy_word(w) for w in whole.split())

    def anatomy_words(self, text: str) -> tuple[str, ...]:
        """The words an anatomy mention contributes to a phrase: each word's canonical form,
        then what it expands to (`bibasilar` → `bibasilar left right base`)."""
        whole = normalize_term(text)
        if whole in self._anatomy:
            return (self._anatomy[whole],)
        words: list[str] = []
        for word in whole.split():
            words.append(self.anatomy_word(word))
            words += [w for w in self._expand.get(word, ()) if w not in words]
        return tuple(words)

    def location_groups(self, places: tuple[str, ...], expand: bool) -> tuple[tuple[str, ...], ...]:
        """Required location words, each with the words that also meet it: with `expand`,
        a word is also met by its parts (`lung` by `lobe`, `base`, …)."""
        words = dict.fromkeys(w for place in places for w in self.anatomy_words(place))
        return tuple((w, *self._parts(w)) if expand else (w,) for w in words)

    def _parts(self, word: str) -> tuple[str, ...]:
        found: list[str] = []
        for part in self._part_of.get(word, ()):
            found += [part, *(p for p in self._parts(part) if p not in found)]
        return tuple(dict.fromkeys(found))

    def patterns(self, observation: str) -> list[Pattern]:
        """The ways an observation term is written: itself, or a derived concept's patterns.
        A spelling asks for the derived concept of its canonical term (`pleural effusion`
        → `effusion`: an effusion, or fluid located at the pleura)."""
        canonical = self.observation(observation)
        derived = self._derived.get(normalize_term(observation)) or self._derived.get(canonical)
        if derived is None:
            return [Pattern((canonical,))]
        return [Pattern(tuple(dict.fromkeys(self.observation(o) for o in p.observation)),
                        self.location_groups(tuple(p.located_at), expand=False)) for p in derived]

    def spellings(self, kind: str = "observation") -> dict[str, list[str]]:
        """Canonical term → its other spellings, for listing."""
        found: dict[str, list[str]] = {}
        for spelling, term in (self._observations if kind == "observation" else self._anatomy).items():
            if spelling != term:
                found.setdefault(term, []).append(spelling)
        return found


def _spellings(terms: dict[str, list[str]]) -> dict[str, str]:
    return {normalize_term(s): canonical for canonical, spellings in terms.items()
            for s in [canonical, *spellings]}


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The vocabulary shipped with RadKB, validated on first use."""
    text = files("kb").joinpath("data/vocabulary.json").read_text(encoding="utf-8")
    try:
        return Vocabulary(_VocabularyFile.model_validate(json.loads(text)))
    except (ValidationError, json.JSONDecodeError) as err:
        raise KBError(f"kb/data/vocabulary.json is invalid: {err}") from err
