"""Confidence on every answer, the LLM saved below it, complete lists with "and N more", the quote that holds the fact."""

from __future__ import annotations

from assistant import ask
from assistant.cli import render_answer
from assistant.models import Answer

from fakes import FakeChatModel

MCTS = "Which papers use Monte Carlo Tree Search?"


def test_every_answer_carries_a_confidence_in_the_unit_interval(seeded_settings):
    for question in ("where is the code for DAFormer?", "What is a good recipe for sourdough bread?", MCTS):
        answer = ask(question, settings=seeded_settings, llm=None)
        assert 0.0 <= answer.confidence <= 1.0


def test_below_the_minimum_confidence_the_llm_is_not_called(seeded_settings):
    llm = FakeChatModel()  # no reply queued: a call would fail the test
    strict = seeded_settings.model_copy(update={"min_confidence": 1.0})
    answer = ask("where is the code for DAFormer?", settings=strict, llm=llm)
    assert llm.history == []
    assert answer.abstained and not answer.citations
    assert any("LLM was not asked" in note for note in answer.notes)


def test_an_llm_answer_carries_the_same_confidence_as_the_offline_one(seeded_settings):
    offline = ask("where is the code for DAFormer?", settings=seeded_settings, llm=None)
    lenient = seeded_settings.model_copy(update={"min_confidence": 0.0})
    answer = ask("where is the code for DAFormer?", settings=lenient, llm=FakeChatModel("The code is on GitHub [1]."))
    assert answer.mode == "llm"
    assert answer.confidence == offline.confidence


def test_a_list_past_its_limit_says_how_many_more_and_carries_them(seeded_settings):
    short = seeded_settings.model_copy(update={"max_list_papers": 2, "min_confidence": 0.0})
    answer = ask(MCTS, settings=short, llm=None)
    assert len(answer.citations) == 2
    assert answer.more, "seven seed abstracts name MCTS: more than two belong in the list"
    total = len(answer.citations) + len(answer.more)
    assert f"{total} papers in the collection bear on this; the 2 with the strongest evidence" in answer.text
    assert f"and {len(answer.more)} more" in answer.text
    assert not {c.paper_id for c in answer.citations} & {p.paper_id for p in answer.more}
    assert all(p.quote for p in answer.more)


def test_a_list_is_not_cut_at_four_papers_any_more(seeded_settings):
    roomy = seeded_settings.model_copy(update={"max_list_papers": 8, "min_confidence": 0.0})
    answer = ask(MCTS, settings=roomy, llm=None)
    assert len(answer.citations) > 4
    assert not answer.more or len(answer.citations) == 8


def test_the_quote_is_the_sentence_holding_the_fact_not_the_one_naming_the_paper(seeded_settings):
    lenient = seeded_settings.model_copy(update={"min_confidence": 0.0})
    answer = ask("What are FinMem's three core modules?", settings=lenient, llm=None)
    assert "three core modules" in answer.citations[0].quote
    answer = ask("SwarmBrain: what are its two main components?", settings=lenient, llm=None)
    assert "two key components" in answer.citations[0].quote


def test_the_cli_shows_the_confidence_and_the_papers_past_the_limit():
    from assistant.models import PaperRef

    answer = Answer(question="q", text="3 papers ...", confidence=0.734, more=[PaperRef(paper_id="p", title="A Third Paper")])
    shown = render_answer(answer)
    assert "confidence 0.73" in shown
    assert "And 1 more:" in shown and "A Third Paper" in shown
    declined = render_answer(Answer(question="q", text="No paper answers this.", abstained=True, confidence=0.62))
    assert "declined, model's estimate 0.62" in declined and "confidence 0.62" not in declined


def test_the_cli_shows_titles_without_markdown_emphasis_and_an_abstract_s_own_stars_as_written():
    from assistant.markdown import escape_markdown

    title = escape_markdown("ReST-MCTS*: LLM Self-Training")
    shown = render_answer(Answer(question="q", text=f"From *{title}*:\n\n> It self-trains. [1]", confidence=0.8))
    assert "From ReST-MCTS*: LLM Self-Training:" in shown
    listed = render_answer(Answer(question="q", text=f"- **{title}**: it self-trains. [1]\n- **Agent Q**: it plans. [2]",
                                  confidence=0.8))
    assert "- ReST-MCTS*: LLM Self-Training: it self-trains. [1]" in listed and "**" not in listed
