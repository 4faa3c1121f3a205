from __future__ import annotations

import pytest

from kb.cohort import Criterion
from kb.errors import QueryError
from kb.phrase import parse_phrase
from kb.schema import Certainty

P, U, A = Certainty.PRESENT, Certainty.UNCERTAIN, Certainty.ABSENT


@pytest.mark.parametrize("phrase,all_of,none_of", [
    ("definitely present effusion located at left base",
     [Criterion(observation="effusion", certainty=(P,), located_at=("left", "base"))], []),
    ("effusion", [Criterion(observation="effusion")], []),
    ("No pneumothorax", [Criterion(observation="pneumothorax", certainty=(A,))], []),
    ("possible pneumonia in the right lower lobe",
     [Criterion(observation="pneumonia", certainty=(U,), located_at=("right", "lower", "lobe"))], []),
    ("small effusion at left base without pneumothorax",
     [Criterion(observation="effusion", located_at=("left", "base"), modifiers=("small",))],
     [Criterion(observation="pneumothorax")]),
    ("effusion and atelectasis but no pneumothorax",
     [Criterion(observation="effusion"), Criterion(observation="atelectasis")],
     [Criterion(observation="pneumothorax")]),
    ("moderate pleural effusion", [Criterion(observation="pleural effusion", modifiers=("moderate",))], []),
])
def test_phrase_parses(phrase: str, all_of: list, none_of: list) -> None:
    cohort = parse_phrase(phrase)
    assert list(cohort.all_of) == all_of and list(cohort.none_of) == none_of


@pytest.mark.parametrize("phrase,message", [
    ("", "cannot read the phrase '': it has no words"),
    ("located at left base", "cannot read the phrase 'located at left base': no observation in 'located at left base'"),
    ("definitely present", "cannot read the phrase 'definitely present': no observation in 'definitely present'"),
    ("effusion and", "cannot read the phrase 'effusion and': a joiner has nothing to join"),
    ("effusion located at", "cannot read the phrase 'effusion located at': 'effusion located at' says where but not which anatomy"),
])
def test_phrase_errors_name_what_could_not_be_placed(phrase: str, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_phrase(phrase)
    assert str(caught.value) == message
