"""The evaluation report as text: aligned terminal tables, Markdown (docs/EVAL.md), and writing it with its plots."""

from __future__ import annotations

from pathlib import Path

from assistant.evaluation.metrics import METRICS, OVERALL
from assistant.evaluation.plots import write_plots
from assistant.evaluation.questions import UNANSWERABLE
from assistant.evaluation.run import RETRIEVERS

_ANSWER_ROWS = (("answered", "answered (answerable)"), ("abstained", "abstained (unanswerable)"),
                ("gold_cited", "gold paper cited"), ("keywords_present", "answer keywords present"),
                ("invalid_citations", "invalid citations"), ("confidence_auc", "confidence AUC (answerable vs not)"),
                ("calibration_error", "confidence calibration error"))


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
    floor = report["index"].get("min_confidence")
    confidence_rows = [[f"{p['threshold']:.2f}" + (" (current)" if p["threshold"] == floor else ""), _cell(p["answered"]), _cell(p["abstained"])]
                       for p in report.get("confidence_curve", [])]
    latency_rows = [[stage, f"{v['p50']:.1f}", f"{v['p95']:.1f}"] for stage, v in report["latency_ms"].items()]
    return [
        (f"Retrieval: answerable questions, {report['k']} papers per question", ["type", "n", "retriever"] + list(METRICS), retrieval_rows),
        (f"Answers: {report['index']['top_k']} papers retrieved per question", ["metric"] + modes, answer_rows),
        ("Abstention trade-off: offline answerer, confidence threshold moved (the answerability model; ASSISTANT_MIN_CONFIDENCE)",
         ["confidence", "answered (answerable)", "abstained (unanswerable)"], confidence_rows),
        ("Abstention trade-off: the old hand thresholds, evidence threshold moved (no confidence gate)",
         ["threshold", "answered (answerable)", "abstained (unanswerable)"], curve_rows),
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


def render_markdown(report: dict, command: str, benchmarks: str | None = None, answerability: str | None = None) -> str:
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
        if title.startswith("Abstention trade-off: the old"):
            lines += ["", "![Abstention trade-off](abstention.png)"]
    if answerability:
        title = answerability.strip().splitlines()[0].lstrip("# ").strip()
        lines += ["", f"## {title}", "", "Measured by `bench/answerability.py` and `bench/fit_answerability.py`, not by "
                  "`make eval`; kept in [ANSWERABILITY.md](ANSWERABILITY.md) and copied here.", "", _nested(answerability)]
    if benchmarks:
        lines += ["", "## Benchmarks", "", "Measured by the scripts in `bench/`, not by `make eval`; kept in "
                  "[BENCH.md](BENCH.md) and copied here.", "", _nested(benchmarks)]
    return "\n".join(lines) + "\n"


def _nested(markdown: str) -> str:
    """A Markdown document as a section of another: its title dropped, its headings one level deeper."""
    lines: list[str] = []
    fenced = False
    for line in markdown.strip().splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("# ") and not lines:
            continue
        lines.append("#" + line if not fenced and line.startswith("#") else line)
    return "\n".join(lines).strip()


def write_report(report: dict, directory: Path, command: str) -> list[Path]:
    """DIR/EVAL.md plus the plots; DIR/ANSWERABILITY.md and DIR/BENCH.md, when present, become sections of it."""
    directory.mkdir(parents=True, exist_ok=True)
    bench, answerability = directory / "BENCH.md", directory / "ANSWERABILITY.md"
    benchmarks = bench.read_text(encoding="utf-8") if bench.is_file() else None
    fitted = answerability.read_text(encoding="utf-8") if answerability.is_file() else None
    written = write_plots(report, directory)
    markdown = directory / "EVAL.md"
    markdown.write_text(render_markdown(report, command, benchmarks, fitted), encoding="utf-8")
    return [markdown] + written
