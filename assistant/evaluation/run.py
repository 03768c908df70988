"""Running the question set: rankings of every retriever, answers of every mode, the abstention curve, latencies."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable, Mapping

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.evaluation.metrics import answer_metrics, curve_point, invalid_citations, percentiles, retrieval_metrics
from assistant.evaluation.questions import Question, gold_paper_ids, question_types
from assistant.params import DEFAULT_EXTRACTIVE, ExtractiveParams

if TYPE_CHECKING:
    from assistant.evidence import SentenceBank
    from assistant.models import Answer, Hit
    from assistant.retrieval import Method, Retriever

RETRIEVERS: tuple[Method, ...] = ("fused", "dense", "lexical")
STAGES = ("embed", "dense", "lexical", "fusion", "generate")
# Evidence thresholds of the abstention trade-off curve (the current min_evidence_score is added).
THRESHOLDS = tuple(round(0.20 + 0.05 * i, 2) for i in range(13))
# Confidence thresholds of the answerability model's trade-off curve (the fitted or configured one is added).
CONFIDENCE_LEVELS = tuple(round(0.1 * i, 1) for i in range(1, 10))
_UNSET = object()


def _abstains_at(question: str, hits: list[Hit], bank: SentenceBank, levels: list[float],
                 params: ExtractiveParams = DEFAULT_EXTRACTIVE) -> dict[float, bool]:
    """Whether the offline answerer abstains at each threshold (ascending levels).

    Abstaining only becomes more likely as the threshold rises, so the first level where it abstains is
    found by bisection: about log2(len(levels)) answers per question instead of one per level.
    """
    from assistant.answering.extractive import extractive_answer

    low, high = 0, len(levels)
    while low < high:
        middle = (low + high) // 2
        abstained = extractive_answer(question, hits, bank, params=replace(params, min_evidence_score=levels[middle])).abstained
        low, high = (low, middle) if abstained else (middle + 1, high)
    return {level: position >= low for position, level in enumerate(levels)}


def evaluate(questions: list[Question], settings: Settings, k: int = 10, *, llm=_UNSET, questions_file: str | None = None,
             thresholds: tuple[float, ...] = THRESHOLDS, progress: Callable[[int], None] | None = None,
             on_plan: Callable[[int], None] | None = None) -> dict:
    """Run the question set against the index of the settings and return the report (see `assistant eval --json`).

    llm: a ChatModel to evaluate LLM answers with, None for offline only, or left out to use the one the settings configure.
    """
    from assistant.llm import chat_model_from
    from assistant.answering.question import clean_question
    from assistant.service import default_assistant

    if not questions:
        raise AssistantError("No questions to evaluate.")
    chat = chat_model_from(settings) if llm is _UNSET else llm
    modes = {"extractive": None} | ({"llm": chat} if chat is not None else {})
    assistant = default_assistant(settings)
    assistant.ensure_ready()
    snapshot = assistant.retriever.state().snapshot
    gold = gold_paper_ids(questions, {pid: paper.title for pid, paper in snapshot.papers.items()})
    cleaned = {q.id: clean_question(q.question, settings)[0] for q in questions}
    step = progress or (lambda n: None)
    if on_plan:
        on_plan(len(questions) * (len(RETRIEVERS) + len(modes) + 1))

    # One offline answer first, so that loading the model, the catalog and the BM25 index is not timed.
    assistant.with_chat(None).ask(questions[0].question)
    samples: dict[str, list[float]] = {stage: [] for stage in STAGES}
    rankings = {method: _rank(cleaned, assistant.retriever, k, method, samples, step) for method in RETRIEVERS}
    answers: dict[str, dict[str, Answer]] = {}
    for mode, model in modes.items():
        answers[mode] = {}
        for q in questions:
            answers[mode][q.id] = answer = assistant.with_chat(model).ask(q.question)
            samples.setdefault("generate" if mode == "extractive" else f"generate_{mode}", []).append(answer.timings.generate_ms)
            step(1)

    # The curve re-answers offline from the hits ask() retrieves, moving only the evidence threshold.
    hits = {}
    for q in questions:
        hits[q.id] = assistant.retriever.retrieve(cleaned[q.id], k=settings.top_k)
        step(1)
    levels = sorted(set(thresholds) | {assistant.extractive_params.min_evidence_score})
    abstains = {q.id: _abstains_at(cleaned[q.id], hits[q.id], assistant.bank, levels, assistant.extractive_params) for q in questions}
    # The confidence curve: answered when the answer's content passes (confidence taken as met) and its confidence is high enough.
    from assistant.answering.extractive import extractive_answer

    floor = assistant.confidence_floor
    confidence = {q.id: answers["extractive"][q.id].confidence for q in questions}
    content_fails = {q.id: extractive_answer(cleaned[q.id], hits[q.id], assistant.bank, params=assistant.extractive_params,
                                             confidence=1.0).abstained for q in questions}
    confidence_levels = sorted(set(CONFIDENCE_LEVELS) | {floor})
    types = {q.id: q.type for q in questions}
    return {
        "questions_file": questions_file,
        "k": k,
        "questions": {"total": len(questions), "by_type": {kind: sum(q.type == kind for q in questions) for kind in question_types(questions)}},
        "index": {"papers": len(snapshot.papers), "chunks": assistant.store.count_chunks(), "embedder": assistant.store.embedder.identity,
                  "top_k": settings.top_k, "min_evidence_score": assistant.extractive_params.min_evidence_score, "min_confidence": floor,
                  "llm_model": getattr(chat, "model", None)},
        "retrieval": {method: retrieval_metrics(rankings[method], gold, types) for method in RETRIEVERS},
        "answers": {mode: answer_metrics(questions, answers[mode], gold) for mode in modes},
        "abstention_curve": [curve_point(level, questions, {qid: flags[level] for qid, flags in abstains.items()}) for level in levels],
        "confidence_curve": [curve_point(level, questions, {q.id: content_fails[q.id] or confidence[q.id] < level for q in questions})
                             for level in confidence_levels],
        "latency_ms": percentiles(samples),
        "per_question": [_question_detail(q, gold.get(q.id, []), rankings, {m: answers[m][q.id] for m in modes}) for q in questions],
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _rank(cleaned: Mapping[str, str], retriever: Retriever, k: int, method: Method, samples: dict[str, list[float]],
          step: Callable[[int], None]) -> dict[str, list[str]]:
    """The ranked paper ids of each question by one retriever; the fused one's stage timings go into samples."""
    from assistant.retrieval import StageTimings

    rankings = {}
    for qid, question in cleaned.items():
        timings = StageTimings()
        rankings[qid] = [hit.paper_id for hit in retriever.retrieve(question, k=k, method=method, timings=timings)]
        if method == "fused":
            for stage in ("embed", "dense", "lexical", "fusion"):
                samples[stage].append(getattr(timings, f"{stage}_ms"))
        step(1)
    return rankings


def _question_detail(question: Question, gold: list[str], rankings: Mapping[Method, Mapping[str, list[str]]],
                     answers: Mapping[str, Answer]) -> dict:
    """What happened to one question: the rank of its first gold paper per retriever, and each answer's outcome."""
    def first_gold(ranking: list[str]) -> int | None:
        return next((rank for rank, pid in enumerate(ranking, start=1) if pid in gold), None)

    return {
        "id": question.id, "type": question.type, "gold": gold,
        "gold_rank": {method: first_gold(ranking[question.id]) for method, ranking in rankings.items()} if gold else {},
        "answers": {mode: {"abstained": a.abstained, "mode": a.mode, "cited": [c.paper_id for c in a.citations],
                           "invalid_citations": invalid_citations(a)} for mode, a in answers.items()},
    }
