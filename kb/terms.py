"""Term normalisation: one function used at ingest and at query time, so that the words a
report uses and the words a query uses meet in the same form (case, punctuation, plural)."""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+(?:[-'.][a-z0-9]+)*")

# Plurals that the suffix rules below would get wrong.
_IRREGULAR = {
    "apices": "apex", "vertebrae": "vertebra", "hila": "hilum", "pleurae": "pleura",
    "bronchi": "bronchus", "diagnoses": "diagnosis", "sinuses": "sinus", "viruses": "virus",
}
_KEEP = ("ss", "us", "is", "as", "ys", "os")


def singular(word: str) -> str:
    """`effusions` → `effusion`, `opacities` → `opacity`, `bases` → `base`; words that only
    look plural (`atelectasis`, `mass`, `thorax`) are left alone."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or not word.endswith("s") or word.endswith(_KEEP):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    return word[:-1]


@lru_cache(maxsize=65536)
def term_words(text: str) -> tuple[str, ...]:
    """The normalised words of a mention or query term."""
    return tuple(singular(word) for word in _WORD.findall(text.lower()))


def normalize_term(text: str) -> str:
    """The canonical form of a term: normalised words joined by single spaces."""
    return " ".join(term_words(text))
