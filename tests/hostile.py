"""Hostile input in the RadGraph JSON format, built by the tests themselves (nothing large sits
in git): one file holding every way a report can be wrong, among reports that are right but
extreme, ending cut short in the middle of a report as a truncated download does.

`write_hostile(path)` writes it byte by byte (raw control characters, bytes that are not
UTF-8, a key met twice) and returns what ingesting it must give: the text of every report
that must load, and for every report that must be rejected a fragment of its reason.

What each case must give: a report whose bytes are not UTF-8, or whose JSON is broken inside
it, is rejected alone and the reports after it load; control characters (escaped, or raw
inside a string) load as they are; relation cycles load (the schema allows them) but a
self-loop is rejected; a study met twice with different text keeps the first; a 1 MB report
a 10,000-entity report and a finding located at 2,000 anatomies load, an entity or a study ID
longer than 1,000 characters is rejected; the truncated end is one failure naming the file.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.corpus import radgraph_entry

# No report here mentions an effusion, so the corpus' effusion cohorts cannot change.
TEXT = "FINDINGS : Small nodule in the right upper lobe . No pneumothorax ."
#       0        1 2     3      4  5   6     7     8    9 10 11           12
SPECS = [(2, "OBS-DP", [("modify", 3)]), (3, "OBS-DP", [("located_at", 8)]),
         (6, "ANAT-DP", [("modify", 8)]), (7, "ANAT-DP", [("modify", 8)]), (8, "ANAT-DP", []),
         (11, "OBS-DA", [])]
# entity ids: "1" Small, "2" nodule, "3" right, "4" upper, "5" lobe, "6" pneumothorax


@dataclass
class Hostile:
    path: Path
    loads: dict[str, str] = field(default_factory=dict)  # study ID → the text it must hold
    rejects: dict[str, str] = field(default_factory=dict)  # key → fragment of its reason
    entries: list[tuple[str, bytes]] = field(default_factory=list)

    def good(self, key: str, entry: dict[str, Any], raw: bytes | None = None) -> None:
        self.entries.append((key, raw if raw is not None else _json(entry)))
        self.loads[key] = entry["text"]

    def bad(self, key: str, reason: str, value: Any = None, raw: bytes | None = None) -> None:
        self.entries.append((key, raw if raw is not None else _json(value)))
        self.rejects[key] = reason


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def entry(text: str = TEXT, specs: list = SPECS) -> dict[str, Any]:
    return radgraph_entry(text, specs)


def mutated(change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    e = copy.deepcopy(entry())
    change(e)
    return e


def _set(entity: str, **fields: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda e: e["entities"][entity].update(fields)


WRONG = [  # key, change to a good entry, fragment of the reason
    ("h-entities-list", lambda e: e.update(entities=[]), "'entities' is missing or not an object"),
    ("h-text-number", lambda e: e.update(text=42), "'text' is missing or not a string"),
    ("h-start-string", _set("2", start_ix="3"), "start_ix/end_ix must be integers, got '3'/3"),
    ("h-end-bool", _set("1", end_ix=True), "start_ix/end_ix must be integers, got 2/True"),
    ("h-entity-string", lambda e: e["entities"].update({"2": "nodule"}), "expected an object, got str"),
    ("h-relations-object", _set("2", relations={}), "'relations' must be a list"),
    ("h-relation-short", _set("2", relations=[["modify"]]), "is not [type, target_id]"),
    ("h-label-unknown", _set("2", label="OBS-MAYBE"), "unknown label 'OBS-MAYBE'; allowed: ANAT-DP"),
    ("h-label-number", _set("2", label=7), "unknown label 7"),
    ("h-relation-unknown", _set("2", relations=[["next_to", "5"]]), "unknown relation type 'next_to'"),
    ("h-span-past-end", _set("6", start_ix=12, end_ix=13), "span 12..13 out of range (text has 13 tokens"),
    ("h-span-negative", _set("6", start_ix=-1), "span -1..11 out of range"),
    ("h-span-reversed", _set("5", start_ix=8, end_ix=6), "span 8..6 out of range"),
    ("h-span-huge", _set("5", start_ix=10**30, end_ix=10**30), "out of range"),
    ("h-tokens-mismatch", _set("3", tokens="left"), "tokens 'left' do not match the text"),
    ("h-relation-dangling", _set("2", relations=[["located_at", "99"]]), "entity '99', which does not exist"),
    ("h-relation-labels", _set("5", relations=[["located_at", "2"]]), "located_at may not go from ANAT-DP to OBS-DP"),
    # A self-loop is rejected: the stores' relations join two mentions, and RadGraph's
    # guidelines have no mention that modifies, locates or suggests itself.
    ("h-self-loop", _set("2", relations=[["modify", "2"]]), "modify relation to itself"),
    ("h-same-characters", lambda e: e["entities"].update({"7": dict(e["entities"]["2"], relations=[])}),
     "two entities cover the same characters"),
    ("h-empty-text", lambda e: e.update(text="", entities={}), "'text' is empty"),
    ("h-blank-text", lambda e: e.update(text=" \n\t ", entities={}), "'text' is empty"),
]


def write_hostile(path: Path) -> Hostile:
    h = Hostile(path)
    h.good("h-ok-first", entry())
    _bytes_and_characters(h)
    h.good("h-after-bad-bytes", entry())
    _extremes(h)
    _wrong(h)
    _duplicates(h)
    h.good("h-ok-last", entry())
    body = b",\n".join(json.dumps(key).encode() + b": " + raw for key, raw in h.entries)
    cut = b',\n"h-cut": ' + _json(entry())[:40]  # a truncated download: ends inside a report
    path.write_bytes(b"{\n" + body + cut)
    h.rejects[str(path)] = "truncated"  # the failure names the file, not a report
    return h


def _bytes_and_characters(h: Hostile) -> None:
    """Text that is not UTF-8, not Unicode, or full of control characters."""
    raw = _json(entry()).replace(b"Small nodule", b"Small \xff\xfe nodule")
    h.bad("h-utf8", "UTF-8", raw=raw)
    h.bad("h-utf8-cut-sequence", "UTF-8", raw=_json(entry()).replace(b"right", b"ri\xe2\x82ght"))
    h.bad("h-utf8-overlong", "UTF-8", raw=_json(entry()).replace(b"lobe", b"lo\xc0\xafbe"))
    h.bad("h-lone-surrogate", "'text' holds an unpaired surrogate escape (\\udcff) at character 11",
          raw=_json(entry()).replace(b"Small", b"\\udcffSmall", 1))
    h.bad("h-json-inside", "not valid JSON",  # broken inside one report: the rest still loads
          raw=b'{"text": "FINDINGS : Nodule .", "entities": {,}}')
    h.bad("", "the key (the study ID) is empty", entry())
    # Control characters load as they are, written as JSON escapes or (invalid JSON, but
    # unambiguous) raw inside the string.
    controlled = TEXT.replace("Small", "Sm\x00all\x07").replace("upper", "up\tper\x1b[0m").replace("No", "No\x7f\n")
    h.good("h-control-escaped", entry(controlled))
    escaped = _json(entry(controlled))
    for char in "\x00\x07\x1b":
        escaped = escaped.replace(json.dumps(char)[1:-1].encode(), char.encode())
    h.good("h-control-raw", entry(controlled), raw=escaped.replace(b"\\t", b"\t").replace(b"\\n", b"\n"))
    h.good("h-unicode", entry(TEXT.replace("Small", "Petite\u00e9\u4e2d\U0001f600")))


def _extremes(h: Hostile) -> None:
    """Well-formed but large, and relation cycles (valid: the schema allows them)."""
    filler = " Heart size is normal ." * (1_000_000 // 23)
    h.good("h-1mb", entry(TEXT + filler, SPECS + [(len((TEXT + filler).split(" ")) - 2, "OBS-DP", [])]))
    words, specs = [], []
    for i in range(5000):
        words += [f"opacity{i}", f"lobe{i}"]
        specs += [(2 * i, "OBS-DP", [("located_at", 2 * i + 1)]), (2 * i + 1, "ANAT-DP", [])]
    h.good("h-10k-entities", entry(" ".join(words), specs))
    # one finding located at 2,000 anatomies: its phrases joined (10 KB) outgrow an index entry
    located = [(0, "OBS-DP", [("located_at", j) for j in range(1, 2001)])]
    located += [(j, "ANAT-DP", []) for j in range(1, 2001)]
    h.good("h-2k-locations", entry(" ".join(["opacity"] + ["lobe"] * 2000), located))
    # Longer than an index entry can hold (Neo4j: the transaction would fail, batch and all):
    # a 24 KB entity, a 10,000-character study ID; rejected alone, on both stores
    wide = ["opacity"] * 3000
    h.bad("h-24kb-entity", "entity '1' is 23,999 characters long; at most 1,000",
          entry(" ".join(wide), [(0, "OBS-DP", [])]) | {"entities": {"1": {
              "tokens": " ".join(wide), "label": "OBS-DP", "start_ix": 0, "end_ix": 2999, "relations": []}}})
    h.bad("s" * 10_000, "the study ID is 10,000 characters long; at most 1,000", entry())
    h.good("h-cycle-modify", mutated(_cycle("1", "2", "modify")))
    h.good("h-cycle-suggestive", mutated(_cycle("2", "6", "suggestive_of")))


def _cycle(a: str, b: str, kind: str) -> Callable[[dict[str, Any]], Any]:
    def change(e: dict[str, Any]) -> None:
        e["entities"][a]["relations"] = [[kind, b]]
        e["entities"][b]["relations"] = [r for r in e["entities"][b]["relations"] if r[1] != a] + [[kind, a]]
    return change


def _wrong(h: Hostile) -> None:
    """Wrong types, unknown labels, spans out of range, relations the schema does not allow."""
    h.bad("h-entry-list", "expected an object, got list", [1, 2])
    h.bad("h-entry-null", "expected an object, got NoneType", None)
    for key, change, reason in WRONG:
        h.bad(key, reason, mutated(change))


def _duplicates(h: Hostile) -> None:
    """A study met twice with different text keeps its first version; an identical repeat is
    no fault; a bad report under the ID of a stored study leaves that study alone."""
    first = entry()
    h.good("h-dup", first)
    h.entries.append(("h-dup", _json(entry(TEXT.replace("Small", "Large")))))
    h.rejects["h-dup"] = "occurs twice in the input with different content"
    h.good("h-repeat", first)
    h.entries.append(("h-repeat", _json(first)))
    h.bad("s1", "unknown label 'OBS-MAYBE'", mutated(_set("2", label="OBS-MAYBE")))
