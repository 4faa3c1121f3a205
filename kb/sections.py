"""Report sections: which header (FINDINGS, IMPRESSION, …) a character offset falls under."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

# The usual MIMIC-CXR and Open-i headers, as written in reports (any case), then a colon.
_HEADERS = (
    "FINAL REPORT", "EXAMINATION", "EXAM", "INDICATION", "CLINICAL INDICATION", "HISTORY",
    "CLINICAL HISTORY", "REASON FOR EXAMINATION", "REASON FOR EXAM", "TECHNIQUE", "COMPARISON",
    "COMPARISONS", "FINDINGS", "IMPRESSION", "IMPRESSIONS", "CONCLUSION", "RECOMMENDATION",
    "RECOMMENDATIONS", "NOTIFICATION", "WET READ", "ADDENDUM",
)
_HEADER = re.compile(
    r"(?:^|(?<=[\s.]))(" + "|".join(sorted(map(re.escape, _HEADERS), key=len, reverse=True))
    + r")\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class Sections:
    """Header positions of one report; `at(offset)` names the section of a character."""

    starts: tuple[int, ...]
    names: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> Sections:
        found = [(m.start(), _canonical(m.group(1))) for m in _HEADER.finditer(text)]
        return cls(tuple(s for s, _ in found), tuple(n for _, n in found))

    def at(self, offset: int) -> str | None:
        i = bisect_right(self.starts, offset)
        return self.names[i - 1] if i else None


def _canonical(header: str) -> str:
    name = " ".join(header.upper().split())
    return {"IMPRESSIONS": "IMPRESSION", "COMPARISONS": "COMPARISON", "EXAM": "EXAMINATION",
            "RECOMMENDATIONS": "RECOMMENDATION", "REASON FOR EXAM": "REASON FOR EXAMINATION",
            "CLINICAL INDICATION": "INDICATION", "CLINICAL HISTORY": "HISTORY"}.get(name, name)
