"""The evaluation's metrics, as pure functions of rankings and answers (checked on hand-made ones in the tests)."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Iterable, Mapping

import numpy as np

from assistant.evaluation.questions import Question, ordered_types, question_types

if TYPE_CHECKING:
    from assistant.models import Answer

# Our metric names -> ranx's. Runs hold k papers per question, so with --k below 10 the @10 metrics see only k.
METRICS = {"hit@1": "hit_rate@1", "hit@5": "hit_rate@5", "mrr": "mrr", "ndcg@10": "ndcg@10", "recall@10": "recall@10"}
OVERALL = "overall"
_NOTHING = "\x00nothing retrieved"


def retrieval_metrics(rankings: Mapping[str, list[str]], gold: Mapping[str, list[str]],
                      types: Mapping[str, str]) -> dict[str, dict[str, float]]:
    """ranx metrics of ranked paper ids against gold ids, per question type and overall (questions with gold only)."""
    from ranx import Qrels, Run, evaluate

    answerable = sorted(qid for qid in gold if gold[qid])
    groups = {OVERALL: answerable} | {kind: [qid for qid in answerable if types[qid] == kind]
                                      for kind in ordered_types(types[qid] for qid in answerable)}
    result: dict[str, dict[str, float]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's type-safety warnings from inside ranx
        for group, qids in groups.items():
            if not qids:
                continue
            qrels = Qrels({qid: {pid: 1 for pid in gold[qid]} for qid in qids})
            run = Run({qid: _scored(rankings.get(qid, [])) for qid in qids})
            scores = evaluate(qrels, run, list(METRICS.values()))
            result[group] = {name: round(float(scores[metric]), 4) for name, metric in METRICS.items()}
    return result


def _scored(ranking: list[str]) -> dict[str, float]:
    """A ranking as ranx wants it: scores that fall with the rank keep our order (ranx sorts by score)."""
    if not ranking:
        return {_NOTHING: 1.0}  # ranx cannot hold a run whose every query is empty; this id is never relevant
    return {pid: float(len(ranking) - rank) for rank, pid in enumerate(ranking)}


def answer_metrics(questions: list[Question], answers: Mapping[str, Answer], gold: Mapping[str, list[str]]) -> dict:
    """Answer quality: answered / abstained rates, gold paper cited, keywords present, invalid citations, and how well the
    answers' confidence separates answerable from unanswerable questions (AUC, calibration error)."""
    def summary(group: list[Question]) -> dict:
        answerable = [q for q in group if q.answerable]
        unanswerable = [q for q in group if not q.answerable]
        keywords = [(q, kw) for q in answerable for kw in q.answer_keywords]
        found = sum(kw.casefold() in _answer_haystack(answers[q.id]) for q, kw in keywords)
        return {
            "answerable": len(answerable),
            "unanswerable": len(unanswerable),
            "answered": _share(not answers[q.id].abstained for q in answerable),
            "abstained": _share(answers[q.id].abstained for q in unanswerable),
            "gold_cited": _share(bool({c.paper_id for c in answers[q.id].citations} & set(gold.get(q.id, []))) for q in answerable),
            "keywords_present": round(found / len(keywords), 4) if keywords else None,
            "invalid_citations": sum(invalid_citations(answers[q.id]) for q in group),
            "confidence_auc": auc((answers[q.id].confidence for q in group), (q.answerable for q in group)),
            "calibration_error": calibration_error((answers[q.id].confidence for q in group), (q.answerable for q in group)),
        }

    result = summary(questions)
    result["by_type"] = {kind: summary([q for q in questions if q.type == kind]) for kind in question_types(questions)}
    return result


def _answer_haystack(answer: Answer) -> str:
    parts = [answer.text] + [c.quote for c in answer.citations] + [url for c in answer.citations for url in c.urls]
    return "\n".join(parts).casefold()


def invalid_citations(answer: Answer) -> int:
    """Citations of papers that are not among the answer's sources."""
    sources = {hit.paper_id for hit in answer.sources}
    return sum(c.paper_id not in sources for c in answer.citations)


def _share(flags: Iterable[bool]) -> float | None:
    flags = list(flags)
    return round(sum(flags) / len(flags), 4) if flags else None


def curve_point(threshold: float, questions: list[Question], abstained: Mapping[str, bool]) -> dict:
    """One point of the trade-off curve: answered share of answerable, abstained share of unanswerable."""
    return {"threshold": threshold,
            "answered": _share(not abstained[q.id] for q in questions if q.answerable),
            "abstained": _share(abstained[q.id] for q in questions if not q.answerable)}


def auc(scores: Iterable[float], labels: Iterable[bool]) -> float | None:
    """Area under the ROC curve of scores for labels (ties count half); None without both kinds of label."""
    pairs = list(zip(scores, labels))
    positive = np.array([s for s, y in pairs if y], dtype=float)
    negative = np.array([s for s, y in pairs if not y], dtype=float)
    if not len(positive) or not len(negative):
        return None
    p, n = positive[:, None], negative[None, :]
    return round(float(((p > n).sum() + 0.5 * (p == n).sum()) / (len(positive) * len(negative))), 4)


def calibration_error(probabilities: Iterable[float], labels: Iterable[bool], bins: int = 10) -> float | None:
    """Expected calibration error: |mean confidence - share of true labels| per confidence bin, weighted by the bin's size."""
    pairs = list(zip(probabilities, labels))
    if not pairs:
        return None
    p = np.array([x for x, _ in pairs], dtype=float)
    y = np.array([bool(v) for _, v in pairs], dtype=float)
    which = np.minimum((p * bins).astype(int), bins - 1)
    error = sum(abs(p[which == b].mean() - y[which == b].mean()) * (which == b).sum() for b in range(bins) if (which == b).any())
    return round(float(error / len(p)), 4)


def percentiles(samples: Mapping[str, list[float]]) -> dict[str, dict[str, float]]:
    """p50 and p95 of each stage's samples, in milliseconds."""
    return {stage: {"p50": round(float(np.percentile(values, 50)), 2), "p95": round(float(np.percentile(values, 95)), 2)}
            for stage, values in samples.items() if values}
