"""Cohort phrases: `definitely present effusion located at left base without pneumothorax`
read into a CohortFilter.

    phrase    := clause (joiner clause)*
    joiner    := "and" | "without" | "but no" | "and no" | "but not"
    clause    := [certainty] [modifier…] observation [("located" ("at"|"in") | "at" | "in") anatomy]

Certainty words: `definitely present`, `present` → PRESENT; `possible`, `uncertain`,
`probable`, `likely` → UNCERTAIN; `no`, `absent`, `definitely absent` → ABSENT. A clause
after `without` / `but no` is a none-of criterion (present); others are all-of criteria.
"""

from __future__ import annotations

import re

from kb.cohort import CohortFilter, Criterion
from kb.errors import QueryError
from kb.schema import Certainty

_CERTAINTY = [
    ("definitely present", Certainty.PRESENT), ("present", Certainty.PRESENT),
    ("definitely absent", Certainty.ABSENT), ("absent", Certainty.ABSENT), ("no", Certainty.ABSENT),
    ("possible", Certainty.UNCERTAIN), ("possibly", Certainty.UNCERTAIN),
    ("uncertain", Certainty.UNCERTAIN), ("probable", Certainty.UNCERTAIN),
    ("likely", Certainty.UNCERTAIN), ("questionable", Certainty.UNCERTAIN),
]
MODIFIERS = frozenset({
    "small", "moderate", "large", "mild", "severe", "trace", "tiny", "minimal", "massive",
    "acute", "chronic", "new", "stable", "increased", "decreased", "focal", "diffuse",
    "patchy", "streaky", "calcified", "bilateral", "subsegmental", "worsening", "improving",
})
_FILLER = frozenset({"the", "a", "an", "of"})
_JOINER = re.compile(r"\s+(?:(and no|but no|but not|without)|and)\s+")
_LOCATION = re.compile(r"\s+(?:located\s+(?:at|in)|at|in)\s+")
_WORDS = re.compile(r"[a-z0-9][a-z0-9\-']*")


def parse_phrase(text: str) -> CohortFilter:
    """Read a cohort phrase; an error names the words that could not be placed."""
    phrase = " ".join(_WORDS.findall(text.lower()))
    if not phrase:
        raise QueryError(f"cannot read the phrase {text!r}: it has no words")
    all_of, none_of = [], []
    pieces = _JOINER.split(" " + phrase + " ")
    negated = False
    for i, piece in enumerate(pieces):
        if i % 2:
            negated = piece is not None
            continue
        clause = piece.strip()
        if not clause:
            raise QueryError(f"cannot read the phrase {text!r}: a joiner has nothing to join")
        (none_of if negated else all_of).append(_clause(clause, text))
    return CohortFilter(all_of=tuple(all_of), none_of=tuple(none_of))


def _clause(clause: str, text: str) -> Criterion:
    head, *place = _LOCATION.split(" " + clause + " ", maxsplit=1)
    words = [w for w in head.split() if w not in _FILLER]
    certainty = None
    for spelling, value in _CERTAINTY:
        if words[: len(spelling.split())] == spelling.split():
            certainty, words = value, words[len(spelling.split()):]
            break
    modifiers = []
    while len(words) > 1 and words[0] in MODIFIERS:
        modifiers.append(words.pop(0))
    location = [w for w in place[0].split() if w not in _FILLER] if place else []
    if not words:
        raise QueryError(f"cannot read the phrase {text!r}: no observation in {clause!r}")
    if place and not location:
        raise QueryError(f"cannot read the phrase {text!r}: {clause!r} says where but not which anatomy")
    return Criterion(observation=" ".join(words), certainty=(certainty or Certainty.PRESENT,),
                     located_at=tuple(location), modifiers=tuple(modifiers))
