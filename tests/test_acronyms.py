"""Acronyms the papers define: read from the texts, and used so that a list finds a paper that writes the other form."""

from __future__ import annotations

from assistant import ask
from assistant.answering.acronyms import defined_acronyms, other_forms, with_acronyms
from assistant.evidence import terms
from assistant.lexical import tokenize
from assistant.answering.list_membership import topic_found

DEFINING = ["We integrate Monte Carlo Tree Search (MCTS) with LLMs.", "Large Language Models (LLMs) struggle with planning.",
            "A Mixture of Experts (MoE) routes tokens.", "Reinforcement Learning from Human Feedback (RLHF) aligns models.",
            "We call it Test-Time Adaptation (TTA) here."]


def test_an_acronym_is_defined_by_the_words_before_it_whose_initials_spell_it():
    found = defined_acronyms(DEFINING)
    assert found["mcts"].written == "MCTS" and found["mcts"].expansion == "Monte Carlo Tree Search"
    assert found["llm"].written == "LLM" and found["llm"].stems == tuple(tokenize(["Large Language Models"])[0])
    assert found["moe"].expansion == "Mixture of Experts"  # a small word without a letter of its own
    assert found["rlhf"].expansion == "Reinforcement Learning from Human Feedback"
    assert found["tta"].stems == tuple(tokenize(["test time adaptation"])[0])  # a hyphenated word gives two letters


def test_brackets_that_do_not_spell_the_words_before_them_define_nothing():
    assert defined_acronyms(["The results (see Table 2) hold.", "We use a new method (DPO) for this.",
                             "Scores improve (BLEU) a lot.", "It works (e.g. here)."]) == {}


def test_a_text_that_writes_one_form_holds_the_other():
    acronyms = defined_acronyms(DEFINING)
    short = with_acronyms(tokenize(["Agent-R leverages MCTS to build data for LLMs."])[0], acronyms)
    assert terms("Monte Carlo Tree Search") <= short and terms("large language model") <= short  # "LLMs" is LLM's plural
    spelled = with_acronyms(tokenize(["A Monte Carlo tree search over web pages."])[0], acronyms)
    assert "mcts" in spelled
    apart = with_acronyms(tokenize(["Monte Carlo sampling, then a search of the tree."])[0], acronyms)
    assert "mcts" not in apart  # the expansion's words must stand together


def test_a_question_that_spells_out_an_acronym_is_also_searched_by_the_acronym_and_not_the_other_way_round():
    acronyms = defined_acronyms(DEFINING)
    assert other_forms("Which papers use Monte Carlo Tree Search?", acronyms) == ["MCTS"]
    assert other_forms("Which papers use MCTS?", acronyms) == []
    assert other_forms("Which papers improve the reasoning of LLMs?", acronyms) == []


def test_a_list_topic_is_found_in_a_paper_that_writes_only_the_acronym():
    acronyms = defined_acronyms(DEFINING)
    question = "Which papers use Monte Carlo Tree Search?"
    text = "Agent-R leverages MCTS to construct training data."
    assert topic_found(question, text) == set()
    assert topic_found(question, text, acronyms) == terms("Monte Carlo Tree Search")


def test_the_list_of_papers_using_mcts_holds_the_one_that_names_it_only_by_its_acronym_in_its_abstract(seeded_settings):
    answer = ask("Which papers use Monte Carlo Tree Search?", settings=seeded_settings, llm=None)
    listed = [c.title for c in answer.citations] + [p.title for p in answer.more]
    assert any(title.startswith("ReST-MCTS*") for title in listed)  # its abstract says "tree search MCTS*", never "Monte Carlo"
    abstracts = {hit.title: f"{hit.title} {hit.abstract}" for hit in answer.sources}
    assert len(listed) >= 6 and all("MCTS" in abstracts[title] or "Monte Carlo" in abstracts[title] for title in listed)
