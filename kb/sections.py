"""Report sections: which header (FINDINGS, IMPRESSION, …) a character offset falls under."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

# The usual MIMIC-CXR and Open-i headers, as written in reports (any case), then a colon.
_HEADERS = (
    "FINAL REPORT", "EXAMINATION", "EXAM", "INDICATION", "CLINICAL INDICATION", "HISTORY",
    "CLINICAL HISTORY", "REASON FOR EXAMINATION", "REASON FOR EXAM", "TECHNIQUE", "COMPARISON",
    "COMPARISONS", "FINDINGS", "IMPRESSION", "IMPRESSIONS", "CONCLUSION", "RECOMMENDATION",
    "RECOMMENDATIONS", "NOTIFICATION", "WET READ", "ADDENDUM",
)
_BY_LENGTH = sorted(_HEADERS, key=len, reverse=True)


@dataclass(frozen=True)
class Sections:
    """Header positions of one report; `at(offset)` names the section of a character."""

    starts: tuple[int, ...]
    names: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> Sections:
        """Headers are found from the colons, which are few, rather than by scanning all text."""
        found = []
        colon = text.find(":")
        while colon != -1:
            origin = max(0, colon - 30)
            before = text[origin:colon].rstrip().upper()
            for header in _BY_LENGTH:
                start = len(before) - len(header)
                if before.endswith(header) and (start == 0 or before[start - 1] in " \n\t."):
                    found.append((origin + start, _canonical(header)))
                    break
            colon = text.find(":", colon + 1)
        return cls(tuple(s for s, _ in found), tuple(n for _, n in found))

    def at(self, offset: int) -> str | None:
        i = bisect_right(self.starts, offset)
        return self.names[i - 1] if i else None


def _canonical(header: str) -> str:
    name = " ".join(header.upper().split())
    return {"IMPRESSIONS": "IMPRESSION", "COMPARISONS": "COMPARISON", "EXAM": "EXAMINATION",
            "RECOMMENDATIONS": "RECOMMENDATION", "REASON FOR EXAM": "REASON FOR EXAMINATION",
            "CLINICAL INDICATION": "INDICATION", "CLINICAL HISTORY": "HISTORY"}.get(name, name)
