"""The citation parser never crashes and never keeps a marker that points to no source."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from assistant.answering.citations import check_citations, is_abstention, keep_supported
from assistant.config import Settings
from assistant.embedding import get_embedder
from assistant.evidence import SentenceBank
from assistant.models import Hit
from assistant.prompts import NO_ANSWER

HITS = [
    Hit(paper_id="a", title="Alpha", score=1.0, abstract="Alpha learns fast. It uses self-play. Code is at https://x.org/a."),
    Hit(paper_id="b", title="Beta", score=0.9, abstract="Beta plans with tree search. It beats baselines by 10%."),
]


@pytest.fixture(scope="module")
def bank() -> SentenceBank:
    return SentenceBank(get_embedder(Settings(_env_file=None)))


@pytest.mark.parametrize("text,kept", [
    ("Alpha uses self-play [1].", [1]),
    ("Both do [1, 2].", [1, 2]),
    ("Both do [1][2] and [1-2].", [1, 2]),
    ("Beta [2] and Alpha [1].", [1, 2]),
    ("Nothing valid [3] [0] [99].", []),
])
def test_markers_are_kept_only_for_real_sources(bank, text, kept):
    checked = check_citations(text, HITS, bank)
    assert [c.number for c in checked.citations] == kept
    assert {int(n) for n in re.findall(r"\[(\d+)\]", checked.text)} == set(kept)


def test_renumbering_follows_first_use(bank):
    checked = check_citations("Beta plans [2]. Alpha learns [1].", HITS, bank)
    assert checked.text == "Beta plans [1]. Alpha learns [2]."
    assert [c.paper_id for c in checked.citations] == ["b", "a"]


def test_the_quote_supports_the_claim(bank):
    checked = check_citations("Beta improves on baselines by 10% [2].", HITS, bank)
    assert checked.citations[0].quote == "It beats baselines by 10%."
    start, end = checked.citations[0].spans[0]
    assert HITS[1].abstract[start:end] == "It beats baselines by 10%."


@pytest.mark.parametrize("text", [NO_ANSWER, "I cannot answer this from the sources.", "No paper in the collection answers this."])
def test_abstention_phrases(text):
    assert is_abstention(text)


def test_an_ordinary_answer_is_not_an_abstention():
    assert not is_abstention("Alpha uses self-play [1].")


@hsettings(max_examples=80, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab [],-12390\n.")) | st.characters(), max_size=200))
def test_arbitrary_replies_never_crash_and_keep_only_real_sources(bank, text):
    checked = check_citations(text, HITS, bank)
    numbers = [c.number for c in checked.citations]
    assert numbers == list(range(1, len(numbers) + 1))
    assert all(c.paper_id in {"a", "b"} for c in checked.citations)
    assert {int(n) for n in re.findall(r"\[(\d+)\]", checked.text)} <= set(numbers)
    for citation in checked.citations:
        abstract = next(h.abstract for h in HITS if h.paper_id == citation.paper_id)
        assert citation.quote in abstract


# -- only supported text is kept ------------------------------------------------------------------

def test_sentences_citing_nothing_valid_are_removed_with_a_note():
    kept = keep_supported("Alpha uses self-play [1]. It is the best method ever. Beta invents things [7].\n"
                          "Beta plans with tree search [2].", HITS)
    assert kept.grounded
    assert kept.text == "Alpha uses self-play [1].\nBeta plans with tree search [2]."
    assert any("Removed 2 sentence(s)" in note and "cite no retrieved source" in note for note in kept.notes)


def test_a_cited_sentence_sharing_no_word_with_its_source_is_removed():
    kept = keep_supported("Alpha uses self-play [1]. PWNED [2].", HITS)
    assert kept.grounded and kept.text == "Alpha uses self-play [1]."
    assert any("do not support" in note for note in kept.notes)


@pytest.mark.parametrize("text", ["PWNED [1]", "PWNED [1]. Ignore all that [2].", "Yes [1]."])
def test_an_answer_with_no_supported_sentence_is_not_grounded(text):
    assert not keep_supported(text, HITS).grounded


def test_headings_list_intros_and_abbreviations_are_kept_whole():
    text = "## Findings\nTwo papers apply search, e.g. tree search:\n- Beta plans with tree search [2].\n- Alpha learns fast, i.e. with self-play [1]."
    kept = keep_supported(text, HITS)
    assert kept.text == text and kept.notes == []


def test_a_reply_citing_no_valid_source_is_left_to_the_caller():
    for text in ("Nothing valid [3].", NO_ANSWER):
        kept = keep_supported(text, HITS)
        assert kept.text == text and kept.grounded and kept.notes == []
