"""The reader at answer time, with a fake scorer: what it reads, how its scores choose quotes, and how it grounds claims."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pytest
from pydantic import ValidationError

from assistant.answering.citations import keep_supported
from assistant.config import Settings
from assistant.embedding import get_embedder
from assistant.evidence import READ_BUDGET, SentenceBank, read
from assistant.answering.extractive import extractive_answer
from assistant.answering.generation import reader_judge
from assistant.models import Hit

ABSTRACT = ("We study object detection under shift. High-score objects are reliable and guide adaptation. "
            "Our method is fast. We exploit the numerous low-score objects via negative learning. Gains are large.")
HITS = [Hit(paper_id="m", title="Mono", score=1.0, abstract=ABSTRACT),
        Hit(paper_id="o", title="Other", score=0.5, abstract="Cats sleep a lot. Dogs bark at night.")]


class WordScorer:
    """Scores a pair by how many of its given words the passage holds (and the question too, with both=True); records
    every batch it was given."""

    def __init__(self, words: Sequence[str], both: bool = False):
        self.words = [w.lower() for w in words]
        self.both = both
        self.batches: list[list[tuple[str, str]]] = []

    def score_pairs(self, pairs):
        self.batches.append(list(pairs))
        return np.array([4.0 * sum(w in passage.lower() and (not self.both or w in question.lower()) for w in self.words) - 1.0
                         for question, passage in pairs], dtype=np.float32)


@pytest.fixture(scope="module")
def bank() -> SentenceBank:
    return SentenceBank(get_embedder(Settings(_env_file=None)))


def test_every_candidate_is_read_in_one_batch_within_the_budget(bank):
    question = "How are low-score detections used?"
    vector = bank.embedder.embed([question])[0]
    scorer = WordScorer(["negative learning"])
    reading = read(scorer, question, HITS, bank.sentences(HITS), vector)
    assert len(scorer.batches) == 1 and len(scorer.batches[0]) <= READ_BUDGET
    assert len(reading.logits["m"]) == 5  # two papers: both read whole, within the budget
    assert [pid for pid, _ in reading.ranked(["o", "m"])] == ["m", "o"]


def test_the_quote_is_the_sentence_the_reader_scores_highest(bank):
    question = "How does it handle high-score and low-score objects?"
    vector = bank.embedder.embed([question])[0]
    scorer = WordScorer(["negative learning"])
    draft = extractive_answer(question, HITS[:1], bank, question_vector=vector, restricted=True,
                              reading=read(scorer, question, HITS[:1], bank.sentences(HITS[:1]), vector))
    assert draft.citations[0].quote == "We exploit the numerous low-score objects via negative learning."


def test_two_quoted_sentences_that_are_not_neighbours_are_joined_with_an_ellipsis(bank):
    question = "What do high-score and low-score objects do?"
    vector = bank.embedder.embed([question])[0]
    scorer = WordScorer(["reliable", "negative learning"])
    draft = extractive_answer(question, HITS[:1], bank, question_vector=vector, restricted=True,
                              reading=read(scorer, question, HITS[:1], bank.sentences(HITS[:1]), vector))
    assert draft.citations[0].quote == ("High-score objects are reliable and guide adaptation. … "
                                        "We exploit the numerous low-score objects via negative learning.")
    scorer = WordScorer(["reliable", "fast"])  # neighbours: as the abstract has them
    draft = extractive_answer(question, HITS[:1], bank, question_vector=vector, restricted=True,
                              reading=read(scorer, question, HITS[:1], bank.sentences(HITS[:1]), vector))
    assert draft.citations[0].quote == "High-score objects are reliable and guide adaptation. Our method is fast."


def test_claims_are_kept_only_when_the_reader_finds_a_cited_sentence_supports_them(bank):
    scorer = WordScorer(["negative learning"], both=True)
    judge = reader_judge(HITS, bank, scorer, threshold=0.0)
    text = "Mono uses negative learning on low-score objects [1]. Mono was trained on Mars rover images [1]."
    kept = keep_supported(text, HITS, judge)
    assert kept.grounded and kept.text == "Mono uses negative learning on low-score objects [1]."
    assert any("do not support" in note for note in kept.notes)
    assert len(scorer.batches) == 1  # both claims, all their candidates, one batch
    assert not keep_supported("Mono was trained on Mars rover images [1].", HITS, judge).grounded


def test_the_rerank_orders_papers_by_the_readers_best_sentence_and_keeps_k(bank):
    from assistant.retrieval import rerank

    question = "Which paper uses negative learning?"
    vector = bank.embedder.embed([question])[0]
    hits = list(reversed(HITS))  # fused order: the other paper first
    reading = read(WordScorer(["negative learning"]), question, hits, bank.sentences(hits), vector)
    assert [hit.paper_id for hit in rerank(hits, reading, 2)] == ["m", "o"]
    assert [hit.paper_id for hit in rerank(hits, reading, 1)] == ["m"]


def test_a_list_member_is_judged_with_the_readers_score_when_there_is_one(bank):
    from assistant.answering.answerability import AnswerabilityModel, TermStats
    from assistant.answering.list_membership import PAPER_FEATURES, paper_features

    question = "Which papers use negative learning?"
    vector = bank.embedder.embed([question])[0]
    reading = read(WordScorer(["negative learning"]), question, HITS, bank.sentences(HITS), vector)
    stats = TermStats(2, {})
    assert paper_features(question, HITS[0], 1.0, stats, reading)["reader"] > paper_features(question, HITS[1], 1.0, stats, reading)["reader"]
    assert set(paper_features(question, HITS[0], 1.0, stats)) == set(PAPER_FEATURES)  # unread: left out, counts at its mean
    model = AnswerabilityModel(features=("reader",), mean=(0.0,), scale=(1.0,), weights=(1.0,), intercept=0.0)
    assert model.probability(paper_features(question, HITS[0], 1.0, stats)) == 0.5


def test_a_quote_reader_picks_the_quote_without_changing_which_papers_are_cited(bank):
    question = "How does it handle high-score and low-score objects?"
    vector = bank.embedder.embed([question])[0]
    without = extractive_answer(question, HITS, bank, question_vector=vector, restricted=True)
    scorer = WordScorer(["negative learning", "gains"])
    draft = extractive_answer(question, HITS, bank, question_vector=vector, restricted=True, quote_reader=scorer)
    assert [c.paper_id for c in draft.citations] == [c.paper_id for c in without.citations]
    assert draft.citations[0].quote == "We exploit the numerous low-score objects via negative learning. Gains are large."
    assert draft.citations[0].quote != without.citations[0].quote
    assert len(scorer.batches) == 1  # every cited paper's shortlist in one batch
    assert all(passage in ABSTRACT or passage in HITS[1].abstract for _, passage in scorer.batches[0])


FULL_TEXT = Hit(paper_id="f", title="Mono", score=1.0, abstract=ABSTRACT, body_start=ABSTRACT.index("High"), pages=[(0, 1)])


def test_by_default_the_reader_s_pick_joins_the_quote_of_a_full_text_and_never_reads_an_abstract(bank):
    question = "How does it handle high-score and low-score objects?"
    vector = bank.embedder.embed([question])[0]
    without = extractive_answer(question, [FULL_TEXT], bank, question_vector=vector, restricted=True)
    scorer = WordScorer(["gains are large"])
    draft = extractive_answer(question, [FULL_TEXT], bank, question_vector=vector, restricted=True, quote_reader=scorer,
                              quote_abstracts=False)
    assert "Gains are large." not in without.citations[0].quote
    quoted = draft.citations[0].quote
    assert quoted.endswith("Gains are large.") and quoted.split(" … ")[0] in without.citations[0].quote  # best kept, pick joins
    assert len(scorer.batches) == 1 and all(passage in ABSTRACT for _, passage in scorer.batches[0])
    abstracts = WordScorer(["gains are large"])
    extractive_answer(question, HITS[:1], bank, question_vector=vector, restricted=True, quote_reader=abstracts, quote_abstracts=False)
    assert abstracts.batches == []


def test_the_reader_s_pick_on_another_page_leads_the_quote_of_a_full_text(bank):
    """The pick is on page 2, the quote score's best sentence on page 1: the quote is the pick and the best sentence of
    its page, and starts on page 2 (where the pick, more often than the quote score's best, holds the fact)."""
    question = "How does it handle high-score objects?"
    vector = bank.embedder.embed([question])[0]
    two_pages = FULL_TEXT.model_copy(update={"pages": [(0, 1), (ABSTRACT.index("Our method"), 2)]})  # pick on page 2
    without = extractive_answer(question, [two_pages], bank, question_vector=vector, restricted=True)
    page_two = ABSTRACT.index("Our method")
    assert without.citations[0].spans[0][0] < page_two and "Gains are large." not in without.citations[0].quote
    draft = extractive_answer(question, [two_pages], bank, question_vector=vector, restricted=True,
                              quote_reader=WordScorer(["gains are large"]), quote_abstracts=False)
    cited = draft.citations[0]
    assert "Gains are large." in cited.quote and len(cited.spans) == 2
    assert all(start >= page_two for start, _ in cited.spans)  # the quote starts on page 2


@pytest.mark.parametrize("given, mode", [(None, "full-text"), ("true", "all"), ("false", "off"), ("Full-Text", "full-text"), ("off", "off")])
def test_reader_quotes_is_full_text_by_default_and_still_reads_true_and_false(monkeypatch, given, mode):
    monkeypatch.delenv("ASSISTANT_READER_QUOTES", raising=False)
    if given is not None:
        monkeypatch.setenv("ASSISTANT_READER_QUOTES", given)
    assert Settings(_env_file=None).reader_quotes == mode


def test_a_reader_quotes_value_it_does_not_know_is_refused_naming_the_choices(monkeypatch):
    monkeypatch.setenv("ASSISTANT_READER_QUOTES", "sometimes")
    with pytest.raises(ValidationError, match="full-text"):
        Settings(_env_file=None)
