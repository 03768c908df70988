"""Answerability features and the logistic model: pure functions over hand-made hits, sentences and term statistics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assistant.answering.answerability import (FEATURES, MODEL_PATH, AnswerabilityModel, TermStats, content_terms, features,
                                     is_claim_question, weighted_share)
from assistant.evidence import Sentence, terms
from assistant.lexical import LexicalIndex
from assistant.models import Hit
from assistant.store import ChunkRecord

STATS = TermStats(documents=100, frequency={"transform": 50, "graph": 5, "protein": 2, "fold": 10})


def _hit(pid: str, abstract: str, dense: float | None, lexical: float | None) -> Hit:
    return Hit(paper_id=pid, title=pid, score=dense or 0.0, abstract=abstract, dense_score=dense, lexical_score=lexical)


def _sentence(pid: str, text: str, vector: list[float]) -> Sentence:
    v = np.asarray(vector, dtype=float)
    return Sentence(pid, text, 0, len(text), v / np.linalg.norm(v))


def test_idf_is_largest_for_a_term_the_collection_lacks():
    assert STATS.idf("absent") > STATS.idf("protein") > STATS.idf("transform") > 0


def test_content_terms_drop_the_words_that_frame_the_question():
    assert content_terms("Is it true that proteins fold?") == terms("proteins fold")
    assert content_terms("Which papers use graph transformers?") == terms("graph transformers")


def test_weighted_share_counts_rare_terms_more():
    asked = terms("protein transform")
    rare_found = weighted_share(asked, terms("protein"), STATS)
    common_found = weighted_share(asked, terms("transform"), STATS)
    assert rare_found > 0.5 > common_found
    assert rare_found + common_found == pytest.approx(1.0)
    assert weighted_share(set(), terms("protein"), STATS) == 0.0


def test_features_of_a_clear_winner():
    q = np.array([1.0, 0.0])
    hits = [_hit("a", "Proteins fold fast. Other things.", 0.8, 6.0), _hit("b", "Graphs.", 0.5, 2.0)]
    sentences = {"a": [_sentence("a", "Proteins fold fast.", [1, 0.1]), _sentence("a", "Other things.", [0, 1])],
                 "b": [_sentence("b", "Graphs.", [0.2, 1])]}
    values = features("Is it true that proteins fold?", hits, sentences, q, STATS)
    assert set(values) == set(FEATURES)
    assert values["dense_top"] == pytest.approx(0.8)
    assert values["dense_margin"] == pytest.approx(0.3)
    assert values["agree"] == 1.0
    assert values["bm25_top"] > values["bm25_margin"] > 0
    assert values["sentence_top"] == pytest.approx(1 / math.sqrt(1.01))
    assert values["coverage_paper"] == values["coverage_sentence"] == pytest.approx(1.0)
    assert values["unknown_terms"] == 0.0
    assert values["kind_list"] == values["kind_quantity"] == 0.0
    assert values["kind_yes_no"] == 1.0


def test_features_of_a_question_the_collection_does_not_cover():
    q = np.array([1.0, 0.0])
    hits = [_hit("a", "Graphs grow.", 0.4, None), _hit("b", "Proteins.", None, 3.0)]
    sentences = {"a": [_sentence("a", "Graphs grow.", [0.3, 1])], "b": [_sentence("b", "Proteins.", [0.5, 1])]}
    values = features("Which papers study watermarking proteins?", hits, sentences, q, STATS)
    assert values["agree"] == 0.0  # dense prefers a, BM25 b
    assert values["dense_margin"] == pytest.approx(0.4)  # no second dense paper: the margin is over 0
    assert values["unknown_terms"] == pytest.approx(0.5)  # "watermark" is nowhere, "protein" is
    assert values["coverage_paper"] == 0.0
    assert values["kind_list"] == 1.0


def test_features_without_hits_are_all_zero_but_those_of_the_question_alone():
    values = features("How many proteins fold?", [], {}, np.array([1.0, 0.0]), STATS)
    assert values["kind_quantity"] == 1.0
    assert values["question_terms"] == pytest.approx(math.log(1 + len(content_terms("How many proteins fold?"))))
    assert 0.0 < values["mean_idf"] < 1.0
    question_only = ("kind_quantity", "unknown_terms", "question_terms", "mean_idf")
    assert all(values[name] == 0.0 for name in FEATURES if name not in question_only)


def test_relative_features_compare_the_best_paper_with_the_other_hits():
    q = np.array([1.0, 0.0])
    hits = [_hit("a", "Protein folding is fast. Graphs are not.", 0.8, 6.0), _hit("b", "Graph folding.", 0.5, 3.0),
            _hit("c", "Nothing here.", 0.2, 1.0)]
    sentences = {"a": [_sentence("a", "Protein folding is fast.", [1, 0]), _sentence("a", "Graphs are not.", [0, 1])],
                 "b": [_sentence("b", "Graph folding.", [1, 1])], "c": [_sentence("c", "Nothing here.", [0, 1])]}
    values = features("Is it true that protein folding is fast?", hits, sentences, q, STATS)
    assert values["dense_gap"] == pytest.approx(0.8 - (0.5 + 0.2) / 2)
    assert values["bigram_paper"] == pytest.approx(1.0)  # "protein fold", "fold fast" both adjacent in a's text
    # each a sum over a set of words: its order (the string hash seed) moves the last bit
    assert values["rare_terms_paper"] == pytest.approx(1.0) and values["coverage_paper"] == pytest.approx(1.0)
    assert values["coverage_margin"] == pytest.approx(1.0 - weighted_share(terms("protein fold fast"), terms("Graph folding"), STATS))
    assert values["coverage_best_sentence"] == pytest.approx(1.0)
    assert values["sentence_margin"] == pytest.approx(0.5)  # best cosine 1, mean of (1, 0)


def test_the_best_over_every_hit_finds_the_paper_retrieval_ranked_second():
    q = np.array([1.0, 0.0])
    hits = [_hit("a", "Graphs grow.", 0.6, 4.0), _hit("b", "Proteins fold.", 0.5, 3.0)]
    sentences = {"a": [_sentence("a", "Graphs grow.", [1, 1])], "b": [_sentence("b", "Proteins fold.", [1, 0.5])]}
    values = features("Do proteins fold?", hits, sentences, q, STATS)
    assert values["coverage_paper"] == values["bigram_paper"] == 0.0
    assert values["coverage_any_paper"] == values["bigram_any_paper"] == values["rare_terms_any_paper"] == pytest.approx(1.0)
    assert values["coverage_any_sentence"] == pytest.approx(1.0)
    assert values["coverage_top3"] == pytest.approx(1.0)
    assert values["coverage_margin"] == pytest.approx(-1.0)
    assert features("Is it true?", [], {}, np.array([1.0, 0.0]), STATS)["kind_yes_no"] == 1.0


def test_document_frequencies_come_from_the_bm25_index():
    chunks = [ChunkRecord(f"c{i}", f"p{i}", "h", 0, 0, 10, text) for i, text in
              enumerate(["proteins fold", "protein folding kinetics", "graph neural networks"])]
    index = LexicalIndex(chunks, "v1")
    assert index.document_frequencies(["protein", "graph", "absent"]) == {"protein": 2, "graph": 1}


def _model(**changes) -> AnswerabilityModel:
    values = dict(features=("x", "y"), mean=(1.0, 0.0), scale=(2.0, 1.0), weights=(2.0, -1.0), intercept=0.5)
    values.update(changes)
    return AnswerabilityModel(**values)


def test_model_is_a_logistic_over_standardised_features():
    model = _model()
    assert model.probability({"x": 3.0, "y": 1.0}) == pytest.approx(1 / (1 + math.exp(-(0.5 + 2.0 * 1.0 - 1.0))))
    assert model.probability({}) == pytest.approx(1 / (1 + math.exp(-0.5)))  # features at their means
    assert 0.0 < model.probability({"x": -1e9}) < 1e-6
    assert model.probability({"x": 1e9}) == pytest.approx(1.0)


def test_a_claim_to_check_gets_its_own_floor():
    assert is_claim_question("Is it true that proteins fold fast?")
    assert is_claim_question("true or false: proteins fold fast")
    assert not is_claim_question("Is there a paper on protein folding?")
    assert not is_claim_question("How true is it that proteins fold?")
    model = _model(floor=0.05, claim_floor=0.5)
    assert model.floor_for("Is it true that proteins fold fast?") == 0.5
    assert model.floor_for("Which papers study protein folding?") == 0.05
    assert _model(floor=0.05).floor_for("Is it true that proteins fold fast?") == 0.05  # no claim floor: the floor


def test_a_model_file_without_a_claim_floor_still_reads():
    model = _model(floor=0.1, claim_floor=0.4)
    assert AnswerabilityModel.from_json(model.to_json()) == model
    older = _model(floor=0.1)
    assert "claim_floor" not in older.to_json()
    assert AnswerabilityModel.from_json(older.to_json()).claim_floor is None


def test_model_round_trips_through_json_and_rejects_ragged_files():
    model = _model(version="3", fitted_on="test", threshold=0.4)
    assert AnswerabilityModel.from_json(model.to_json()) == model
    ragged = model.to_json().replace('"weights": [\n    2.0,\n    -1.0\n  ]', '"weights": [2.0]')
    with pytest.raises(ValueError, match="same length"):
        AnswerabilityModel.from_json(ragged)



def test_every_answer_carries_a_confidence_and_an_answerable_question_gets_more(seeded_settings):
    from assistant.service import Assistant

    assistant = Assistant(seeded_settings, offline=True)
    known = assistant.ask("where is the code for DAFormer?")
    absent = assistant.ask("Which papers study watermarking of LLM-generated text?")
    assert 0.0 <= absent.confidence < known.confidence <= 1.0
    assert not known.abstained


def test_the_offline_answer_abstains_below_the_minimum_confidence(seeded_settings):
    from assistant.service import Assistant

    strict = Assistant(seeded_settings.model_copy(update={"min_confidence": 1.0}), offline=True)
    answer = strict.ask("where is the code for DAFormer?")
    assert answer.abstained and "confidence" in answer.text
    assert not answer.citations


def test_shipped_model_uses_the_known_features():
    model = AnswerabilityModel.load(MODEL_PATH)
    assert set(model.features) <= set(FEATURES)
    assert model.version and model.fitted_on
    assert 0.0 < model.threshold < 1.0


def test_names_no_close_paper_mentions_and_a_figure_no_best_sentence_holds_are_features():
    q = np.array([1.0, 0.0])
    hits = [_hit("a", "DAFormer adapts segmentation. It uses a Transformer.", 0.7, 5.0)]
    sentences = {"a": [_sentence("a", "DAFormer adapts segmentation.", [1, 0.2]), _sentence("a", "It uses a Transformer.", [1, 0.5])]}
    values = features("How many layers do DAFormer and SegFormer have?", hits, sentences, q, STATS)
    assert values["names_missing"] == pytest.approx(0.5)  # SegFormer is nowhere, DAFormer is
    assert values["figure_missing"] == 1.0
    numbered = {"a": [_sentence("a", "DAFormer has 12 layers.", [1, 0.2])]}
    assert features("How many layers does DAFormer have?", hits, numbered, q, STATS)["figure_missing"] == 0.0
    assert features("What does DAFormer adapt?", hits, sentences, q, STATS)["figure_missing"] == 0.0


def test_ask_applies_the_claim_floor_to_a_claim_and_the_setting_overrides_both(seeded_settings):
    from dataclasses import replace

    from assistant.service import Assistant

    assistant = Assistant(seeded_settings, offline=True)
    assistant.answerability = replace(assistant.answerability, floor=0.0, claim_floor=1.0)  # every claim under its floor
    claim = assistant.ask("Is it true that DAFormer improves domain-adaptive semantic segmentation?")
    assert claim.abstained and "confidence" in claim.text
    assert not assistant.ask("Does DAFormer improve domain-adaptive semantic segmentation?").abstained
    fixed = Assistant(seeded_settings.model_copy(update={"min_confidence": 0.0}), offline=True)
    fixed.answerability = replace(fixed.answerability, claim_floor=1.0)
    assert fixed.confidence_floor_for("Is it true that DAFormer adapts?") == 0.0
