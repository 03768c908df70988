"""A question's hyphenated compound ("low-scoring") is one idea: the quote is the sentence that holds it, not one that
holds its second word in another compound ("high-score")."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.config import Settings
from assistant.embedding import get_embedder
from assistant.evidence import SentenceBank
from assistant.extractive import extractive_answer
from assistant.lexical import tokenize
from assistant.models import Hit
from assistant.params import DEFAULT_EXTRACTIVE
from assistant.word_forms import compounds, holds_compound

DETECTOR = Hit(paper_id="m", title="Test-time adaptation for monocular 3D object detection", score=1.0, abstract=(
    "Monocular 3D object detection identifies objects from a single image. "
    "Test data that differ from the training data lower the confidence of every detection. "
    "We propose an adaptation method based on two strategies. "
    "First, we empirically find that high-score objects are still reliable, and optimising them raises the confidence across all detections. "
    "The two strategies are trained jointly with the detector in a single pass over the test stream. "
    "Since high-score objects may be scarce, we also exploit the numerous low-score objects via negative learning, which prevents overfitting to noise. "
    "Experiments on two benchmarks show large gains."))


@pytest.fixture(scope="module")
def bank() -> SentenceBank:
    return SentenceBank(get_embedder(Settings(_env_file=None)))


def test_a_compound_is_held_only_where_its_words_stand_together_in_any_form():
    assert compounds("How does it handle low-scoring detections?") == [("low", "score")]
    assert holds_compound(tokenize(["the numerous low-score objects"])[0], ("low", "score"))
    assert not holds_compound(tokenize(["high-score objects, low confidence"])[0], ("low", "score"))


def test_the_quote_is_the_sentence_that_holds_the_question_s_compound(bank):
    question = "How does it handle low-scoring detections?"
    one_sentence = replace(DEFAULT_EXTRACTIVE, max_sentences_per_paper=1)  # the quote is the best sentence alone
    draft = extractive_answer(question, [DETECTOR], bank, question_vector=bank.embedder.embed([question])[0], restricted=True,
                              params=one_sentence)
    assert not draft.abstained
    assert "low-score objects via negative learning" in draft.citations[0].quote
