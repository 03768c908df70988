"""List membership: its features over hand-made hits and term statistics, and the shipped model's file."""

from __future__ import annotations

import pytest

from assistant.answering.answerability import AnswerabilityModel, TermStats
from assistant.evidence import terms
from assistant.answering.list_membership import LIST_MODEL_PATH, PAPER_FEATURES, paper_features, topic_found, topic_terms
from assistant.models import Hit
from assistant.answering.word_forms import compounds, found_terms, same_word

STATS = TermStats(documents=100, frequency={"agent": 60, "homeostasi": 1, "homeostat": 2, "memori": 10, "general": 30,
                                            "generat": 30})


def _hit(pid: str, abstract: str, score: float) -> Hit:
    return Hit(paper_id=pid, title=pid, score=score, abstract=abstract)


def test_two_stems_of_one_word_match_and_two_words_sharing_a_beginning_do_not():
    assert same_word("homeostasi", "homeostat")  # homeostasis, homeostatic
    assert same_word("memori", "memori")
    assert not same_word("generat", "general")  # generate, general
    assert not same_word("agent", "agenda")


def test_found_terms_finds_the_question_terms_in_any_form():
    asked = terms("inspiration from homeostasis")
    assert found_terms(asked, terms("A homeostatic visual adapter.")) == terms("homeostasis")
    assert found_terms(asked, terms("Nothing of the kind.")) == set()


def test_the_topic_leaves_out_the_words_that_only_carry_the_question():
    assert topic_terms("Which papers take inspiration from homeostasis?") == terms("take inspiration homeostasis")
    assert topic_terms("Which papers can do it so well here?") == terms("well")


def test_a_hyphenated_compound_is_found_only_where_its_words_stand_together():
    question = "What papers use self-play?"
    assert compounds(question) == [("self", "play")]
    assert topic_found(question, "Agents improve by self-play against copies.") == terms("self play")
    assert topic_found(question, "Self-reflection lets agents play better.") == set()
    assert topic_found("Which papers do test-time adaptation?", "Adapting at test time.") == terms("test time adaptation")


def test_coverage_weighs_the_rare_terms_and_the_score_share_compares_with_the_best_paper():
    question = "Which papers equip agents with a homeostatic memory?"
    on_topic = paper_features(question, _hit("a", "We equip agents with a homeostatic memory.", 0.8), top_fused=0.8, stats=STATS)
    near_miss = paper_features(question, _hit("b", "Agents, agents everywhere.", 0.4), top_fused=0.8, stats=STATS)
    assert set(on_topic) == set(PAPER_FEATURES)
    assert on_topic["coverage"] == pytest.approx(1.0)
    assert 0 < near_miss["coverage"] < 0.2  # only the common word
    assert on_topic["fused_share"] == pytest.approx(1.0) and near_miss["fused_share"] == pytest.approx(0.5)
    assert near_miss["fused"] == pytest.approx(0.4)


def test_the_shipped_model_reads_exactly_the_paper_features_and_prefers_the_paper_on_topic():
    model = AnswerabilityModel.load(LIST_MODEL_PATH)
    assert model.features == PAPER_FEATURES and 0 < model.threshold < 1
    question = "Which papers equip agents with a homeostatic memory?"
    on_topic = paper_features(question, _hit("a", "We equip agents with a homeostatic memory.", 0.8), top_fused=0.8, stats=STATS)
    near_miss = paper_features(question, _hit("b", "Agents, agents everywhere.", 0.4), top_fused=0.8, stats=STATS)
    assert model.probability(on_topic) >= model.threshold > model.probability(near_miss)


def test_the_best_ranked_paper_is_not_listed_when_it_holds_almost_none_of_the_topic():
    from assistant.answering.list_membership import MIN_COVERAGE, list_members

    model = AnswerabilityModel.load(LIST_MODEL_PATH)
    stats = TermStats(documents=100, frequency={"agent": 50, "equip": 5, "homeostat": 2, "memori": 10})
    question = "Which papers equip agents with a homeostatic memory?"
    # Ranked first but holding only the common word: by its rank the model alone would list it.
    stray = _hit("stray", "Agents, agents everywhere.", 0.9)
    on_topic = _hit("on-topic", "We equip agents with a homeostatic memory.", 0.8)
    stray_features = paper_features(question, stray, top_fused=0.9, stats=stats)
    assert stray_features["coverage"] < MIN_COVERAGE and model.probability(stray_features) >= model.threshold
    assert set(list_members(question, [stray, on_topic], stats, model)) == {"on-topic"}


def test_unheard_topic_names_the_words_no_paper_uses_when_they_are_most_of_the_topic():
    from assistant.answering.list_membership import unheard_topic

    stats = TermStats(documents=100, frequency={"learn": 80, "agent": 60, "long": 20, "term": 20, "memori": 10, "model": 70,
                                                "claud": 2, "run": 30, "experi": 30})
    assert unheard_topic("Which papers study federated learning?", stats) == ["federated"]
    # A rare word the collection lacks among words it has: not most of the topic.
    assert unheard_topic("Which papers give agents a long-term memory?", stats) == []
    # Names are left to the name rules.
    assert unheard_topic("Which papers use Anthropic's models?", stats) == []  # with the name counted: 0.94 of the topic


def test_a_list_shows_its_likeliest_members_first_and_counts_the_rest():
    from assistant.config import Settings
    from assistant.embedding import get_embedder
    from assistant.evidence import SentenceBank
    from assistant.answering.extractive import extractive_answer

    bank = SentenceBank(get_embedder(Settings(_env_file=None)))
    question = "Which papers use reinforcement learning to train language model agents?"
    # By its sentences alone rl-games would be shown second; the membership model judges rl-robots the likelier member.
    hits = [_hit("rl-games", "Reinforcement learning trains agents to play games.", 0.9),
            _hit("rl-robots", "Reinforcement learning agents control robot arms.", 0.8),
            _hit("rl-llm", "We train language model agents with reinforcement learning on web tasks.", 0.7)]
    members = {"rl-games": 0.4, "rl-robots": 0.5, "rl-llm": 0.95}
    draft = extractive_answer(question, hits, bank, question_vector=bank.embedder.embed([question])[0], list_limit=2,
                              members=members)
    assert [c.paper_id for c in draft.citations] == ["rl-llm", "rl-robots"]
    assert [hit.paper_id for hit in draft.more] == ["rl-games"]


def test_a_topic_of_a_few_words_is_spoken_of_only_by_a_sentence_holding_them_together():
    from assistant.answering.acronyms import defined_acronyms
    from assistant.answering.list_membership import speaks_of_whole_topic

    question = "Is there any work on protein structure prediction here?"
    mechanics = ["X-LoRA: adapters for protein mechanics and design",
                 "The model makes quantitative predictions of nanomechanical properties of proteins.",
                 "It needs no change to the underlying structure of the language model."]
    assert not speaks_of_whole_topic(question, mechanics)  # protein, structure and prediction, never together
    assert speaks_of_whole_topic(question, ["We predict the 3D structures of proteins from their sequence."])
    mcts = "Is there any work on Monte Carlo Tree Search?"
    acronyms = defined_acronyms(["Monte Carlo Tree Search (MCTS) plans by simulation."])
    assert speaks_of_whole_topic(mcts, ["Agent-R leverages MCTS to build training data."], acronyms)  # the acronym holds it
    long_topic = "Is there a principled way to mix several stock-picking approaches so that returns hold over many years?"
    assert speaks_of_whole_topic(long_topic, ["Unrelated sentence."])  # a description, not a topic of a few words


def test_is_there_any_work_on_a_topic_no_paper_speaks_of_whole_is_declined_with_the_closest_papers(seeded_settings):
    from assistant import ask

    declined = ask("Is there any work on protein structure prediction here?", settings=seeded_settings, llm=None)
    assert declined.abstained and "No paper in the collection speaks of “protein structure prediction”" in declined.text
    assert "X-LoRA" in declined.text  # named among the closest
    answered = ask("Is there any work on Monte Carlo Tree Search?", settings=seeded_settings, llm=None)
    assert not answered.abstained and any("Monte Carlo Tree Search" in c.quote or "MCTS" in c.quote for c in answered.citations)
