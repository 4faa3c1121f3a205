"""Sectioning and tokenization keep character offsets into the original text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.extractor.extract import Prediction, to_report
from kb.extractor.text import extraction_ranges, radgraph_document, raw_document, split_tokens, tokenize

# Report-like text: words, numbers, punctuation, newlines, accents, zero-width and odd spaces.
_PIECES = st.sampled_from(["effusion", "Left", "x-XXXX", "16.2", "patient's", "___", "No", "é",
                           "\u200b", "—", "(", ")", ".", ",", ":", " ", "  ", "\n", "\t", "\u00a0",
                           "FINDINGS:", "IMPRESSION:", "INDICATION:", "1,200", "T-spine"])
report_text = st.lists(st.one_of(_PIECES, st.text(max_size=4)), max_size=40).map("".join)


@given(report_text)
@settings(max_examples=300, deadline=None)
def test_text_raw_words_point_at_their_characters(text: str) -> None:
    doc = raw_document("r", text)
    previous_end = 0
    for start, end in doc.words:
        word = text[start:end]
        assert word and not any(ch.isspace() for ch in word)
        assert start >= previous_end
        previous_end = end


@given(report_text, st.data())
@settings(max_examples=300, deadline=None)
def test_text_alignment_keeps_entity_characters(text: str, data: st.DataObject) -> None:
    """Any span of words the model may predict maps to exactly text[start:end]."""
    doc = raw_document("r", text)
    n = len(doc.words)
    if not n:
        return
    firsts = sorted(data.draw(st.sets(st.integers(0, n - 1), max_size=8)))
    spans = []
    for i, first in enumerate(firsts):
        limit = (firsts[i + 1] - 1) if i + 1 < len(firsts) else n - 1
        spans.append((first, data.draw(st.integers(first, min(limit, first + 7)))))
    prediction = Prediction(tuple((f, l, "OBS-DP", 1.0) for f, l in spans), ())
    report = to_report(doc, prediction)
    for entity, (first, last) in zip(report.entities, spans):
        assert report.text == text
        assert text[entity.start:entity.end] == entity.text
        assert entity.start == doc.words[first][0] and entity.end == doc.words[last][1]


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters=" "), max_size=6), min_size=1, max_size=20))
def test_text_radgraph_tokens_are_split_on_single_spaces(tokens: list[str]) -> None:
    text = " ".join(tokens)
    doc = radgraph_document("k", text)
    assert doc.word_texts() == text.split(" ")
    assert [text[s:e] for s, e in split_tokens(text)] == tokens


@pytest.mark.parametrize("text, words", [
    ("Small left-sided effusion, 16.2 cm.", ["Small", "left-sided", "effusion", ",", "16.2", "cm", "."]),
    ("Normal chest x-XXXX.", ["Normal", "chest", "x-XXXX", "."]),
    ("The patient's heart is normal (stable).", ["The", "patient's", "heart", "is", "normal", "(",
                                                  "stable", ")", "."]),
])
def test_text_tokenize_follows_the_team_layout(text: str, words: list[str]) -> None:
    assert [text[s:e] for s, e in tokenize(text)] == words


def test_text_sections_pick_findings_and_impression() -> None:
    text = ("FINAL REPORT\nINDICATION: cough.\nCOMPARISON: none.\n\nFINDINGS: Lungs are clear.\n"
            "IMPRESSION: No acute process.\n")
    doc = raw_document("s1", text)
    assert " ".join(doc.word_texts()) == "FINDINGS : Lungs are clear . IMPRESSION : No acute process ."
    assert text[doc.words[0][0]:doc.words[0][1]] == "FINDINGS"


def test_text_without_known_sections_is_read_whole() -> None:
    text = "Lungs are clear. No effusion."
    assert extraction_ranges(text) == [(0, len(text))]
    assert raw_document("k", text).word_texts()[0] == "Lungs"
