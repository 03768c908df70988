"""Regression thresholds on the development question set (../shared/eval/questions.jsonl)."""

from __future__ import annotations

import pytest

from assistant import ask
from assistant.service import default_assistant

SINGLE = {"known_item", "paraphrase", "code"}


@pytest.fixture(scope="module")
def rankings(seeded_settings, dev_questions):
    """Titles ranked by each retriever for every answerable question."""
    retriever = default_assistant(seeded_settings).retriever
    return {
        method: {q["id"]: [h.title for h in retriever.retrieve(q["question"], k=10, method=method)]
                 for q in dev_questions if q["gold_titles"]}
        for method in ("fused", "dense", "lexical")
    }


def _headline(ranked: dict[str, list[str]], questions: list[dict]) -> dict[str, float]:
    top5, reciprocal, recall = [], [], []
    for q in questions:
        if not q["gold_titles"]:
            continue
        titles, gold = ranked[q["id"]], set(q["gold_titles"])
        if q["type"] == "multi":
            recall.append(len(gold & set(titles[:10])) / len(gold))
        else:
            top5.append(any(t in gold for t in titles[:5]))
            reciprocal.append(next((1 / r for r, t in enumerate(titles, 1) if t in gold), 0.0))
    return {"top5": sum(top5) / len(top5), "mrr": sum(reciprocal) / len(reciprocal), "recall10_multi": sum(recall) / len(recall)}


def test_fused_retrieval_is_never_beaten_by_plain_dense_or_plain_bm25(rankings, dev_questions):
    fused = _headline(rankings["fused"], dev_questions)
    for baseline in ("dense", "lexical"):
        other = _headline(rankings[baseline], dev_questions)
        for metric, value in fused.items():
            assert value >= other[metric], f"{baseline} beats fused on {metric}: {other[metric]:.3f} > {value:.3f}"
    assert fused["top5"] >= 0.95 and fused["mrr"] >= 0.9 and fused["recall10_multi"] >= 0.9


def test_offline_answers_meet_the_quality_bar(seeded_settings, dev_questions):
    answered, abstained, gold_cited = [], [], []
    for q in dev_questions:
        answer = ask(q["question"], settings=seeded_settings, llm=None)
        retrieved = {hit.paper_id for hit in answer.sources}
        assert all(c.paper_id in retrieved for c in answer.citations), "cited a paper that was not retrieved"
        if not q["gold_titles"]:
            abstained.append(answer.abstained)
            continue
        answered.append(not answer.abstained)
        if q["type"] in SINGLE:
            gold_cited.append(any(c.title in q["gold_titles"] for c in answer.citations))
    assert sum(answered) / len(answered) >= 0.95
    assert sum(abstained) / len(abstained) >= 0.80
    assert sum(gold_cited) / len(gold_cited) >= 0.90
