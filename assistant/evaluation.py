"""The evaluation harness: retrieval and answer quality on a question set, latency per stage; `assistant eval`.

Computing (`evaluate` and the pure metric functions it calls) is kept apart from rendering (terminal
table, Markdown, plots), so the metrics can be checked on hand-made rankings and answers.
"""

from __future__ import annotations

import json
import re
import unicodedata
import warnings
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Mapping

import click
import numpy as np

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.params import DEFAULT_EXTRACTIVE, ExtractiveParams

if TYPE_CHECKING:
    from assistant.evidence import SentenceBank
    from assistant.models import Answer, Hit
    from assistant.retrieval import Retriever

RETRIEVERS = ("fused", "dense", "lexical")
# Our metric names -> ranx's. Runs hold k papers per question, so with --k below 10 the @10 metrics see only k.
METRICS = {"hit@1": "hit_rate@1", "hit@5": "hit_rate@5", "mrr": "mrr", "ndcg@10": "ndcg@10", "recall@10": "recall@10"}
UNANSWERABLE = "unanswerable"
TYPE_ORDER = ("known_item", "paraphrase", "multi", "code", UNANSWERABLE)
OVERALL = "overall"
STAGES = ("embed", "dense", "lexical", "fusion", "generate")
# Evidence thresholds of the abstention trade-off curve (the current min_evidence_score is added).
THRESHOLDS = tuple(round(0.20 + 0.05 * i, 2) for i in range(13))
_UNSET = object()
_NOTHING = "\x00nothing retrieved"


@dataclass(frozen=True)
class Question:
    """One question of the evaluation set."""

    id: str
    question: str
    type: str
    gold_titles: tuple[str, ...] = ()
    answer_keywords: tuple[str, ...] = ()

    @property
    def answerable(self) -> bool:
        return self.type != UNANSWERABLE


def load_questions(path: str | Path) -> list[Question]:
    """Read a JSON Lines question file (id, question, type, gold_titles, answer_keywords)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise AssistantError(f"Cannot read the question file {path}: {error.strerror}.") from None
    questions: list[Question] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
            if not all(isinstance(record.get(key) or [], list) for key in ("gold_titles", "answer_keywords")):
                raise TypeError("gold_titles and answer_keywords must be lists")
            question = Question(id=str(record["id"]), question=str(record["question"]), type=str(record["type"]),
                                gold_titles=tuple(record.get("gold_titles") or ()),
                                answer_keywords=tuple(record.get("answer_keywords") or ()))
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise AssistantError(f"{where}: not a question record ({type(error).__name__}: {error}); "
                                 "each line needs id, question, type, gold_titles, answer_keywords.") from None
        if question.answerable and not question.gold_titles:
            raise AssistantError(f"{where}: question {question.id!r} of type {question.type!r} has no gold_titles; "
                                 f"give its gold papers or make its type {UNANSWERABLE!r}.")
        questions.append(question)
    if not questions:
        raise AssistantError(f"{path} holds no questions.")
    if len({q.id for q in questions}) != len(questions):
        raise AssistantError(f"{path}: question ids must be unique.")
    return questions


def _title_key(title: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", title)).strip().casefold()


def gold_paper_ids(questions: list[Question], titles: Mapping[str, str]) -> dict[str, list[str]]:
    """The gold paper ids of each answerable question, from the collection's {paper_id: title}."""
    by_title: dict[str, list[str]] = {}
    for paper_id, title in titles.items():
        by_title.setdefault(_title_key(title), []).append(paper_id)
    gold: dict[str, list[str]] = {}
    for question in questions:
        if not question.answerable:
            continue
        ids = []
        for title in question.gold_titles:
            found = by_title.get(_title_key(title))
            if not found:
                raise AssistantError(f"Question {question.id!r}: the gold title {title!r} is not in the collection; "
                                     "ingest that paper or fix the title in the question file.")
            ids.extend(found)
        gold[question.id] = sorted(set(ids))
    return gold


def retrieval_metrics(rankings: Mapping[str, list[str]], gold: Mapping[str, list[str]],
                      types: Mapping[str, str]) -> dict[str, dict[str, float]]:
    """ranx metrics of ranked paper ids against gold ids, per question type and overall (questions with gold only)."""
    from ranx import Qrels, Run, evaluate

    answerable = sorted(qid for qid in gold if gold[qid])
    groups = {OVERALL: answerable} | {kind: [qid for qid in answerable if types[qid] == kind]
                                      for kind in _ordered(types[qid] for qid in answerable)}
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
    """Answer quality: answered / abstained rates, gold paper cited, keywords present, invalid citations."""
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
            "invalid_citations": sum(_invalid_citations(answers[q.id]) for q in group),
        }

    result = summary(questions)
    result["by_type"] = {kind: summary([q for q in questions if q.type == kind]) for kind in _types(questions)}
    return result


def _answer_haystack(answer: Answer) -> str:
    parts = [answer.text] + [c.quote for c in answer.citations] + [url for c in answer.citations for url in c.urls]
    return "\n".join(parts).casefold()


def _invalid_citations(answer: Answer) -> int:
    """Citations of papers that are not among the answer's sources."""
    sources = {hit.paper_id for hit in answer.sources}
    return sum(c.paper_id not in sources for c in answer.citations)


def _share(flags) -> float | None:
    flags = list(flags)
    return round(sum(flags) / len(flags), 4) if flags else None


def _types(questions: list[Question]) -> list[str]:
    return _ordered(q.type for q in questions)


def _ordered(kinds) -> list[str]:
    """The distinct question types, the known ones first in a fixed order."""
    present = list(dict.fromkeys(kinds))
    return [t for t in TYPE_ORDER if t in present] + [t for t in present if t not in TYPE_ORDER]


def curve_point(threshold: float, questions: list[Question], abstained: Mapping[str, bool]) -> dict:
    """One point of the trade-off curve: answered share of answerable, abstained share of unanswerable."""
    return {"threshold": threshold,
            "answered": _share(not abstained[q.id] for q in questions if q.answerable),
            "abstained": _share(abstained[q.id] for q in questions if not q.answerable)}


def percentiles(samples: Mapping[str, list[float]]) -> dict[str, dict[str, float]]:
    """p50 and p95 of each stage's samples, in milliseconds."""
    return {stage: {"p50": round(float(np.percentile(values, 50)), 2), "p95": round(float(np.percentile(values, 95)), 2)}
            for stage, values in samples.items() if values}


def _abstains_at(question: str, hits: list[Hit], bank: SentenceBank, levels: list[float],
                 params: ExtractiveParams = DEFAULT_EXTRACTIVE) -> dict[float, bool]:
    """Whether the offline answerer abstains at each threshold (ascending levels).

    Abstaining only becomes more likely as the threshold rises, so the first level where it abstains is
    found by bisection: about log2(len(levels)) answers per question instead of one per level.
    """
    from assistant.extractive import extractive_answer

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
    from assistant.question import clean_question
    from assistant.service import ask, default_assistant
    from assistant.llm import chat_model_from

    if not questions:
        raise AssistantError("No questions to evaluate.")
    chat = chat_model_from(settings) if llm is _UNSET else llm
    modes = {"extractive": None} | ({"llm": chat} if chat is not None else {})
    services = default_assistant(settings)
    services.ensure_ready()
    snapshot = services.retriever.state().snapshot
    gold = gold_paper_ids(questions, {pid: paper.title for pid, paper in snapshot.papers.items()})
    cleaned = {q.id: clean_question(q.question, settings)[0] for q in questions}
    step = progress or (lambda n: None)
    if on_plan:
        on_plan(len(questions) * (len(RETRIEVERS) + len(modes) + 1))

    # One offline answer first, so that loading the model, the catalog and the BM25 index is not timed.
    ask(questions[0].question, settings=settings, llm=None)
    samples: dict[str, list[float]] = {stage: [] for stage in STAGES}
    rankings = {method: _rank(cleaned, services.retriever, k, method, samples, step) for method in RETRIEVERS}
    answers: dict[str, dict[str, Answer]] = {}
    for mode, model in modes.items():
        answers[mode] = {}
        for q in questions:
            answers[mode][q.id] = answer = ask(q.question, settings=settings, llm=model)
            samples.setdefault("generate" if mode == "extractive" else f"generate_{mode}", []).append(answer.timings.generate_ms)
            step(1)

    # The curve re-answers offline from the hits ask() retrieves, moving only the evidence threshold.
    hits = {}
    for q in questions:
        hits[q.id] = services.retriever.retrieve(cleaned[q.id], k=settings.top_k)
        step(1)
    levels = sorted(set(thresholds) | {services.extractive_params.min_evidence_score})
    abstains = {q.id: _abstains_at(cleaned[q.id], hits[q.id], services.bank, levels, services.extractive_params) for q in questions}
    types = {q.id: q.type for q in questions}
    return {
        "questions_file": questions_file,
        "k": k,
        "questions": {"total": len(questions), "by_type": {kind: sum(q.type == kind for q in questions) for kind in _types(questions)}},
        "index": {"papers": len(snapshot.papers), "chunks": services.store.count_chunks(), "embedder": services.store.embedder.identity,
                  "top_k": settings.top_k, "min_evidence_score": services.extractive_params.min_evidence_score,
                  "llm_model": getattr(chat, "model", None)},
        "retrieval": {method: retrieval_metrics(rankings[method], gold, types) for method in RETRIEVERS},
        "answers": {mode: answer_metrics(questions, answers[mode], gold) for mode in modes},
        "abstention_curve": [curve_point(level, questions, {qid: flags[level] for qid, flags in abstains.items()}) for level in levels],
        "latency_ms": percentiles(samples),
        "per_question": [_question_detail(q, gold.get(q.id, []), rankings, {m: answers[m][q.id] for m in modes}) for q in questions],
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _rank(cleaned: Mapping[str, str], retriever: Retriever, k: int, method: str, samples: dict[str, list[float]],
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


def _question_detail(question: Question, gold: list[str], rankings: Mapping[str, Mapping[str, list[str]]],
                     answers: Mapping[str, Answer]) -> dict:
    """What happened to one question: the rank of its first gold paper per retriever, and each answer's outcome."""
    def first_gold(ranking: list[str]) -> int | None:
        return next((rank for rank, pid in enumerate(ranking, start=1) if pid in gold), None)

    return {
        "id": question.id, "type": question.type, "gold": gold,
        "gold_rank": {method: first_gold(ranking[question.id]) for method, ranking in rankings.items()} if gold else {},
        "answers": {mode: {"abstained": a.abstained, "mode": a.mode, "cited": [c.paper_id for c in a.citations],
                           "invalid_citations": _invalid_citations(a)} for mode, a in answers.items()},
    }


# -- rendering ------------------------------------------------------------------------------------

_ANSWER_ROWS = (("answered", "answered (answerable)"), ("abstained", "abstained (unanswerable)"),
                ("gold_cited", "gold paper cited"), ("keywords_present", "answer keywords present"),
                ("invalid_citations", "invalid citations"))


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _sections(report: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    """The report's tables as (title, headers, rows), shared by the terminal and the Markdown renderers."""
    counts = report["questions"]["by_type"]
    retrieval_rows = []
    for group in report["retrieval"]["fused"]:
        for method in RETRIEVERS:
            metrics = report["retrieval"][method].get(group, {})
            n = sum(n for kind, n in counts.items() if kind != UNANSWERABLE) if group == OVERALL else counts.get(group, 0)
            retrieval_rows.append([group, str(n), method] + [_cell(metrics.get(name)) for name in METRICS])
    modes = list(report["answers"])
    answer_rows = [[label] + [_cell(report["answers"][mode][key]) for mode in modes] for key, label in _ANSWER_ROWS]
    current = report["index"]["min_evidence_score"]
    curve_rows = [[f"{p['threshold']:.2f}" + (" (current)" if p["threshold"] == current else ""), _cell(p["answered"]), _cell(p["abstained"])]
                  for p in report["abstention_curve"]]
    latency_rows = [[stage, f"{v['p50']:.1f}", f"{v['p95']:.1f}"] for stage, v in report["latency_ms"].items()]
    return [
        (f"Retrieval: answerable questions, {report['k']} papers per question", ["type", "n", "retriever"] + list(METRICS), retrieval_rows),
        (f"Answers: {report['index']['top_k']} papers retrieved per question", ["metric"] + modes, answer_rows),
        ("Abstention trade-off: offline answerer, evidence threshold moved", ["threshold", "answered (answerable)", "abstained (unanswerable)"], curve_rows),
        ("Latency per stage (ms)", ["stage", "p50", "p95"], latency_rows),
    ]


def _summary_line(report: dict) -> str:
    kinds = ", ".join(f"{kind} {n}" for kind, n in report["questions"]["by_type"].items())
    index = report["index"]
    llm = f"LLM {index['llm_model']}" if index["llm_model"] else "no LLM configured"
    return (f"{report['questions']['total']} questions ({kinds}); index of {index['papers']} papers, {index['chunks']} chunks, "
            f"embedder {index['embedder']}; {llm}")


def render_table(report: dict) -> str:
    """The report as aligned plain-text tables for the terminal."""
    lines = [f"Questions: {report['questions_file'] or '-'}", _summary_line(report)]
    for title, headers, rows in _sections(report):
        widths = [max(len(r[i]) for r in [headers] + rows) for i in range(len(headers))]
        lines += ["", title, "  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def render_markdown(report: dict, command: str, benchmarks: str | None = None) -> str:
    """The report as Markdown: how it was made, the tables, the plots, and the benchmark figures when given."""
    lines = [
        "# Evaluation report", "",
        f"Made by `{command}` (`make eval`) on {report['generated_at']}, offline unless an LLM is configured.", "",
        _summary_line(report) + ".", "",
        "Retrieval metrics are computed with ranx over answerable questions (hit@1/hit@5 = a gold paper in the "
        "first 1/5; mrr, ndcg@10 and recall@10 over the gold papers). Answer metrics: answered share of answerable "
        "questions, abstained share of unanswerable ones, share of answerable questions citing a gold paper, share of "
        "the expected answer keywords found in the answer text, quotes and links, and citations of papers that were "
        "not retrieved (must be 0). Latency is per question after one warm-up question; `generate` is the offline "
        "answer the first time each question is asked, when the sentences of its sources are embedded.",
    ]
    for title, headers, rows in _sections(report):
        lines += ["", f"## {title}", "", "| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        if title.startswith("Retrieval"):
            lines += ["", "![Retrieval metrics per retriever and question type](retrieval.png)"]
        if title.startswith("Abstention"):
            lines += ["", "![Abstention trade-off](abstention.png)"]
    if benchmarks:
        lines += ["", "## Benchmarks", "", "Measured by the scripts in `bench/`, not by `make eval`; kept in "
                  "[BENCH.md](BENCH.md) and copied here.", "", _nested(benchmarks)]
    return "\n".join(lines) + "\n"


def _nested(markdown: str) -> str:
    """A Markdown document as a section of another: its title dropped, its headings one level deeper."""
    lines, fenced = [], False
    for line in markdown.strip().splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("# ") and not lines:
            continue
        lines.append("#" + line if not fenced and line.startswith("#") else line)
    return "\n".join(lines).strip()


def write_plots(report: dict, directory: Path) -> list[Path]:
    """retrieval.png (grouped bars per metric) and abstention.png (the trade-off curve) in directory."""
    from matplotlib.figure import Figure  # no pyplot: no global state, no display needed

    groups = list(report["retrieval"]["fused"])
    figure = Figure(figsize=(3.2 * len(METRICS), 3.8), layout="constrained")
    axes = figure.subplots(1, len(METRICS), sharey=True)
    width = 0.8 / len(RETRIEVERS)
    for axis, metric in zip(axes, METRICS):
        for i, method in enumerate(RETRIEVERS):
            values = [report["retrieval"][method].get(group, {}).get(metric, 0.0) for group in groups]
            axis.bar(np.arange(len(groups)) + (i - (len(RETRIEVERS) - 1) / 2) * width, values, width, label=method)
        axis.set_title(metric)
        axis.set_xticks(np.arange(len(groups)), groups, rotation=30, ha="right", fontsize=8)
        axis.set_ylim(0, 1.05)
        axis.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8, loc="lower left")
    figure.suptitle(f"Retrieval on {report['questions']['total']} questions (k={report['k']})")
    retrieval_png = directory / "retrieval.png"
    figure.savefig(retrieval_png, dpi=110)

    curve = [p for p in report["abstention_curve"] if p["answered"] is not None and p["abstained"] is not None]
    current = report["index"]["min_evidence_score"]
    figure = Figure(figsize=(10, 4), layout="constrained")
    left, right = figure.subplots(1, 2)
    left.plot([p["abstained"] for p in curve], [p["answered"] for p in curve], marker="o")
    for (abstained, answered), levels in _same_points(curve):
        label = f"{levels[0]:.2f}" if len(levels) == 1 else f"{levels[0]:.2f}-{levels[-1]:.2f}"
        left.annotate(label, (abstained, answered), fontsize=7, xytext=(4, -10), textcoords="offset points")
    now = [p for p in curve if p["threshold"] == current]
    if now:
        left.scatter([now[0]["abstained"]], [now[0]["answered"]], s=120, facecolors="none", edgecolors="red", label=f"current ({current})")
        left.legend(fontsize=8)
    left.set(xlabel="abstained on unanswerable", ylabel="answered on answerable", xlim=(-0.05, 1.05), ylim=(-0.05, 1.05))
    left.set_title("Trade-off as the evidence threshold moves")
    right.plot([p["threshold"] for p in curve], [p["answered"] for p in curve], marker="o", label="answered (answerable)")
    right.plot([p["threshold"] for p in curve], [p["abstained"] for p in curve], marker="s", label="abstained (unanswerable)")
    right.axvline(current, color="red", linestyle="--", linewidth=1)
    right.set(xlabel="MIN_EVIDENCE_SCORE", ylabel="share", ylim=(-0.05, 1.05))
    right.legend(fontsize=8)
    for axis in (left, right):
        axis.grid(alpha=0.3)
    abstention_png = directory / "abstention.png"
    figure.savefig(abstention_png, dpi=110)
    return [retrieval_png, abstention_png]


def _same_points(curve: list[dict]) -> list[tuple[tuple[float, float], list[float]]]:
    """Consecutive thresholds that give the same point, grouped, so their labels do not overprint."""
    groups: list[tuple[tuple[float, float], list[float]]] = []
    for p in curve:
        point = (p["abstained"], p["answered"])
        if groups and groups[-1][0] == point:
            groups[-1][1].append(p["threshold"])
        else:
            groups.append((point, [p["threshold"]]))
    return groups


def write_report(report: dict, directory: Path, command: str) -> list[Path]:
    """DIR/EVAL.md plus the plots; DIR/BENCH.md, when present, becomes the report's benchmark section."""
    directory.mkdir(parents=True, exist_ok=True)
    bench = directory / "BENCH.md"
    benchmarks = bench.read_text(encoding="utf-8") if bench.is_file() else None
    written = write_plots(report, directory)
    markdown = directory / "EVAL.md"
    markdown.write_text(render_markdown(report, command, benchmarks), encoding="utf-8")
    return [markdown] + written


# -- the command ----------------------------------------------------------------------------------

@click.command("eval")
@click.option("--questions", "questions_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON Lines file: id, question, type, gold_titles, answer_keywords per line.")
@click.option("--k", type=click.IntRange(1, 50), default=10, show_default=True, help="Papers retrieved per question for the retrieval metrics.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON document.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Write DIR/EVAL.md, DIR/retrieval.png and DIR/abstention.png.")
def eval_command(questions_file: Path, k: int, as_json: bool, out: Path | None) -> None:
    """Measure retrieval (fused, dense, BM25), answers (offline, and LLM when configured) and latency on a question set."""
    from tqdm import tqdm

    from assistant.config import get_settings

    try:
        settings = get_settings()
    except Exception as error:  # pydantic's ValidationError: a bad ASSISTANT_* value
        raise click.ClickException(f"Bad setting: {error}. Check your environment and .env against .env.example.") from None
    bar = tqdm(total=0, unit="step", desc="Evaluating", disable=None, leave=False)
    try:
        report = evaluate(load_questions(questions_file), settings, k, questions_file=str(questions_file),
                          progress=bar.update, on_plan=lambda total: bar.reset(total=total))
    except AssistantError as error:
        raise click.ClickException(str(error)) from None
    finally:
        bar.close()
    click.echo(json.dumps(report, indent=2) if as_json else render_table(report))
    if out is not None:
        command = f"assistant eval --questions {questions_file}" + (f" --k {k}" if k != 10 else "") + f" --out {out}"
        written = write_report(report, out, command)
        click.echo("Wrote " + ", ".join(str(p) for p in written), err=as_json)
