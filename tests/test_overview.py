"""Questions about the collection as a whole ("What topics does this collection cover?"): answered with its papers by topic."""

from __future__ import annotations

import re

import numpy as np
import pytest

from assistant import ask
from assistant.answering.overview import is_overview_question, label, topics
from assistant.store import PaperStore


@pytest.mark.parametrize("question", ["What topics does this collection cover?", "What papers do you have?",
                                      "give me an overview of my library", "What's in the collection?",
                                      "Which topics are covered?", "What kinds of papers are there?", "What can I ask about?",
                                      "How many papers are in the collection?"])
def test_questions_about_the_whole_collection_are_told_apart(question):
    assert is_overview_question(question)


@pytest.mark.parametrize("question", ["Which papers use Monte Carlo Tree Search?", "What papers do you have on protein folding?",
                                      "Summarize this paper", "What is this paper about?", "What are these papers about?",
                                      "Which topics does DAFormer cover?", "What datasets does the collection use for detection?",
                                      "How many papers use reinforcement learning?", "What about the second one?"])
def test_a_question_naming_a_topic_or_one_paper_is_no_overview(question):
    assert not is_overview_question(question)


def test_papers_alike_in_content_are_grouped_and_each_group_is_named_by_its_titles():
    rng = np.random.default_rng(1)
    centres = np.eye(8, dtype=np.float32)[:3]
    vectors = np.concatenate([centre + 0.05 * rng.standard_normal((12, 8)) for centre in centres]).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    subjects = ["Graph Neural Networks for {}", "Protein Folding with {}", "Speech Recognition in {}"]
    titles = {f"p{group}-{n}": subjects[group].format(f"Setting {n}") for group in range(3) for n in range(12)}
    found = topics(list(titles), vectors, titles)
    assert sorted(sorted(topic.paper_ids) for topic in found) == sorted(sorted(f"p{g}-{n}" for n in range(12)) for g in range(3))
    labels = {topic.paper_ids[0][:2]: topic.label for topic in found}
    assert labels["p0"][0] == "graph neural" and "protein folding" in labels["p1"] and "speech recognition" in labels["p2"]


def test_a_word_every_title_uses_names_no_group_and_a_word_is_never_named_twice():
    group = ["Agents that Plan", "Planning Agents for Robots", "Robot Agents Plan Ahead", "Planning Robot Agents at Scale"]
    titles = group + ["Vision Agents", "Agents for Speech", "Agents in Markets", "Language Agents"]
    named = label(group, titles)
    assert {"plan", "planning"} & set(named) and any("robot" in phrase for phrase in named)
    assert not {"agents", "agent"} & set(named)  # every title says "agents": alone, it names no group
    stems = [word.rstrip("s").removesuffix("ning") for phrase in named for word in phrase.split()]
    assert len(stems) == len(set(stems))  # "plan" and "planning", "robot" and "robots": each named once


def test_the_overview_counts_every_paper_and_cites_the_papers_it_names_with_sentences_of_their_abstracts(seeded_settings):
    answer = ask("What topics does this collection cover?", settings=seeded_settings, llm=None)
    assert not answer.abstained and answer.text.startswith("The collection holds 72 papers.")
    sizes = [int(size) for size in re.findall(r"\((\d+) papers?\):", answer.text)]
    assert len(sizes) >= 3 and sum(sizes) == 72
    papers = PaperStore(seeded_settings).snapshot().papers
    assert len(answer.citations) >= len(sizes)
    for citation in answer.citations:
        assert f"[{citation.number}]" in answer.text
        start, end = citation.spans[0]
        assert papers[citation.paper_id].abstract[start:end] == citation.quote
    assert "reinforcement learning" in answer.text.lower()  # the seeds' largest subject names a group
