"""What a question asks for, and a full text that never speaks of it: "What odds ratio ...?" of a paper that reports no
odds, "Which eye tracker ...?" of one that names no eye tracker, are not answered from it."""

from __future__ import annotations

import pytest

from assistant.answering.asked_thing import unspoken_asked_for
from assistant.answering.extractive import extractive_answer
from assistant.config import Settings
from assistant.embedding import get_embedder
from assistant.evidence import SentenceBank
from assistant.models import Hit

SLEEP = ("We studied workday sleep duration and blood pressure in 5,000 NHANES adults. Short workday sleep was associated "
         "with hypertension (prevalence ratio 1.21, 95% CI 1.05-1.39). Participants watched the screen while a fixation "
         "cross was shown. Behavioural measures were recorded by trained staff.")


@pytest.mark.parametrize("question, missing", [
    ("What odds ratio for hypertension did short workday sleep give?", ["odds"]),
    ("Which eye tracker was used to record the participants' fixations?", ["eye", "tracker"]),
    ("What prevalence ratio for hypertension did short workday sleep give?", []),  # the text reports one
    ("What behavioral measures were recorded?", []),  # British and American spelling are one word
    ("What organ was studied?", []),  # one word asked for: too little to tell ("the lung")
    ("What software version was used?", []),  # generic words name no kind a text must write
    ("Which instrument took the blood pressure readings of the adults?", []),  # not a noun phrase before its verb
    ("What percentage of smokers had hypertension?", []),  # what a share is of: worded in many ways
    ("What actual blood pressure was measured?", []),  # a qualifier says which one, not what kind
])
def test_what_a_question_asks_for_is_looked_for_in_the_text(question, missing):
    assert unspoken_asked_for(question, SLEEP) == missing


@pytest.fixture(scope="module")
def bank() -> SentenceBank:
    return SentenceBank(get_embedder(Settings(_env_file=None)))


def test_a_full_text_that_never_speaks_of_what_is_asked_for_does_not_answer_it_but_an_abstract_may(bank):
    full_text = Hit(paper_id="s", title="Workday sleep and blood pressure", score=1.0, abstract=SLEEP, pages=[(0, 1)], body_start=0)
    abstract = full_text.model_copy(update={"pages": [], "body_start": None})
    question = "What odds ratio for hypertension did short workday sleep give?"
    vector = bank.embedder.embed([question])[0]
    draft = extractive_answer(question, [full_text], bank, question_vector=vector, confidence=0.9, min_confidence=0.1,
                              sure_confidence=0.5)
    assert draft.abstained and "does not mention “odds”" in draft.text and not draft.citations
    # An abstract is too short to tell, and a paper the user chose is asked anyway: the usual rules decide.
    assert not extractive_answer(question, [abstract], bank, question_vector=vector, confidence=0.9, min_confidence=0.1,
                                 sure_confidence=0.5).abstained
    assert not extractive_answer(question, [full_text], bank, question_vector=vector, confidence=0.9, min_confidence=0.1,
                                 sure_confidence=0.5, restricted=True).abstained
    asked = "What prevalence ratio for hypertension did short workday sleep give?"
    found = extractive_answer(asked, [full_text], bank, question_vector=bank.embedder.embed([asked])[0], confidence=0.9,
                              min_confidence=0.1, sure_confidence=0.5)
    assert not found.abstained and "1.21" in found.citations[0].quote


def test_a_full_text_never_naming_what_is_counted_gives_no_count_of_it_however_sure(bank):
    """"How many participants were in the controlled user study?" of a paper reporting no study was answered at a
    confidence above the "sure" one, where the counted-noun rule did not look; over a full text it looks whatever the
    confidence (not at a unit: "How many minutes ...?" is answered "12 min")."""
    full_text = Hit(paper_id="s", title="Workday sleep and blood pressure", score=1.0, abstract=SLEEP, pages=[(0, 1)], body_start=0)
    question = "How many nurses measured the blood pressure of the adults?"
    vector = bank.embedder.embed([question])[0]
    draft = extractive_answer(question, [full_text], bank, question_vector=vector, confidence=0.9, min_confidence=0.1,
                              sure_confidence=0.5)
    assert draft.abstained and "does not mention “nurses”" in draft.text
    assert not extractive_answer(question, [full_text], bank, question_vector=vector, confidence=0.9, min_confidence=0.1,
                                 sure_confidence=0.5, restricted=True).abstained  # a paper the user chose is asked anyway
    asked = "How many adults were studied?"
    found = extractive_answer(asked, [full_text], bank, question_vector=bank.embedder.embed([asked])[0], confidence=0.9,
                              min_confidence=0.1, sure_confidence=0.5)
    assert not found.abstained and "5,000" in found.citations[0].quote
