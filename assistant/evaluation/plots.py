"""The evaluation's plots: retrieval metrics per retriever and question type, and the abstention trade-off."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.evaluation.metrics import METRICS
from assistant.evaluation.run import RETRIEVERS


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
