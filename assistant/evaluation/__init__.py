"""The evaluation harness: retrieval and answer quality on a question set, latency per stage (`assistant eval`).

Computing (run.evaluate and the pure functions of metrics.py) is kept apart from rendering (report.py, plots.py),
so the metrics can be checked on hand-made rankings and answers.
"""

from assistant.evaluation.metrics import METRICS, answer_metrics, curve_point, percentiles, retrieval_metrics
from assistant.evaluation.questions import UNANSWERABLE, Question, gold_paper_ids, load_questions
from assistant.evaluation.report import render_markdown, render_table, write_report
from assistant.evaluation.run import RETRIEVERS, THRESHOLDS, evaluate

__all__ = ["METRICS", "RETRIEVERS", "THRESHOLDS", "UNANSWERABLE", "Question", "answer_metrics", "curve_point", "evaluate",
           "gold_paper_ids", "load_questions", "percentiles", "render_markdown", "render_table", "retrieval_metrics",
           "write_report"]
