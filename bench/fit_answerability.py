"""Fit the answerability model on the FIT split of bench/answerability.py's rows and report it on the HELD split.

    PYTHONPATH=. .venv/bin/python bench/fit_answerability.py [--rows bench/results/answerability/rows.jsonl] [--write]

Fits a logistic regression (scikit-learn; the runtime reads the result with plain numpy) over the features of
assistant/answerability.py, on the SciFact FIT claims and the FIT half of the seed questions. Reports, per data set and
split: AUC of the model and of every single feature, calibration error, and what the offline answerer does when it
abstains below the confidence threshold (answered, gold cited, abstained, quote holds a rationale sentence), next to
the old hand thresholds. --write stores the model in assistant/data/answerability.json, the report in
OUT/report.json and the answered-vs-abstained curve in docs/answerability.png.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from assistant.answerability import FEATURES, MODEL_PATH, AnswerabilityModel  # noqa: E402
from assistant.config import PROJECT_ROOT  # noqa: E402
from assistant.evaluation.metrics import auc as evaluation_auc, calibration_error as evaluation_calibration_error  # noqa: E402

ROWS = PROJECT_ROOT / "bench" / "results" / "answerability" / "rows.jsonl"
CURVE = PROJECT_ROOT / "docs" / "answerability.png"
THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 20))
VERSION = "1"


def load_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def matrix(rows: list[dict], names: tuple[str, ...] = FEATURES) -> np.ndarray:
    return np.array([[float(row["features"].get(name, 0.0)) for name in names] for row in rows])


def fit(rows: list[dict], names: tuple[str, ...] = FEATURES, c: float = 1.0) -> AnswerabilityModel:
    """A logistic regression over standardised features, as the runtime's AnswerabilityModel."""
    from sklearn.linear_model import LogisticRegression

    x = matrix(rows, names)
    y = np.array([row["label"] for row in rows])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    # Each data set counts as much as the other, whatever its number of rows: the model must serve both kinds of question.
    sets = [row["set"] for row in rows]
    weight = np.array([len(rows) / (2 * sets.count(s)) for s in sets])
    model = LogisticRegression(C=c, max_iter=1000).fit((x - mean) / scale, y, sample_weight=weight)
    return AnswerabilityModel(features=names, mean=tuple(map(float, mean)), scale=tuple(map(float, scale)),
                              weights=tuple(map(float, model.coef_[0])), intercept=float(model.intercept_[0]), version=VERSION,
                              fitted_on=f"bench/fit_answerability.py: {len(rows)} rows (SciFact FIT claims, FIT half of the seed questions)")


def auc(scores: list[float], labels: list[int]) -> float:
    """The evaluation's AUC; nan when one class is missing."""
    value = evaluation_auc(scores, [bool(y) for y in labels])
    return float("nan") if value is None else value


def calibration_error(probabilities: list[float], labels: list[int]) -> float:
    value = evaluation_calibration_error(probabilities, [bool(y) for y in labels])
    return float("nan") if value is None else value


def holds_rationale(row: dict, draft: dict) -> bool:
    """The quote of a cited gold paper overlaps one of its rationale sentences."""
    for pid, spans in draft["spans"].items():
        for start, end in spans:
            if any(start < r_end and r_start < end for r_start, r_end in row.get("rationale", {}).get(pid, [])):
                return True
    return False


def keywords_found(row: dict, draft: dict) -> tuple[int, int]:
    text = draft["text"].casefold()
    return sum(k.casefold() in text for k in row.get("keywords", [])), len(row.get("keywords", []))


def outcome(rows: list[dict], answered: list[bool], drafts: list[dict]) -> dict:
    """answered/gold cited/quote holds a rationale over answerable rows, abstained over the others, keywords where given."""
    answerable = [i for i, r in enumerate(rows) if r["label"]]
    other = [i for i, r in enumerate(rows) if not r["label"]]
    cited = [i for i in answerable if answered[i] and set(drafts[i]["cited"]) & set(rows[i]["gold"])]
    with_rationale = [i for i in answerable if rows[i].get("rationale")]
    found = [keywords_found(rows[i], drafts[i]) if answered[i] else (0, keywords_found(rows[i], drafts[i])[1]) for i in answerable]
    share = lambda part, whole: round(len(part) / len(whole), 3) if whole else None  # noqa: E731
    return {
        "answerable": len(answerable), "unanswerable": len(other),
        "answered": share([i for i in answerable if answered[i]], answerable),
        "gold_cited": share(cited, answerable),
        "abstained": share([i for i in other if not answered[i]], other),
        "quote_rationale": share([i for i in cited if i in with_rationale and holds_rationale(rows[i], drafts[i])],
                                 [i for i in cited if i in with_rationale]),
        "keywords": round(sum(f for f, _ in found) / sum(t for _, t in found), 3) if sum(t for _, t in found) else None,
    }


def gated(rows: list[dict], probabilities: list[float], threshold: float) -> list[bool]:
    """Answered: the offline answerer's content checks pass (named terms found, a figure when asked for) and the confidence is high enough."""
    return [not row["ungated"]["abstained"] and p >= threshold for row, p in zip(rows, probabilities)]


def report(rows: list[dict], model: AnswerabilityModel, threshold: float, orientation: dict[str, float]) -> dict:
    probabilities = [model.probability(row["features"]) for row in rows]
    labels = [row["label"] for row in rows]
    singles = {name: auc([orientation[name] * row["features"][name] for row in rows], labels) for name in model.features}
    return {
        "rows": len(rows),
        "auc": round(auc(probabilities, labels), 3),
        "auc_single": {name: round(value, 3) for name, value in sorted(singles.items(), key=lambda kv: -np.nan_to_num(kv[1]))},
        "calibration_error": round(calibration_error(probabilities, labels), 3),
        "model": outcome(rows, gated(rows, probabilities, threshold), [row["ungated"] for row in rows]),
        "old_thresholds": outcome(rows, [not row["old"]["abstained"] for row in rows], [row["old"] for row in rows]),
        "curve": [{"threshold": t, **{k: v for k, v in outcome(rows, gated(rows, probabilities, t), [row["ungated"] for row in rows]).items()
                                      if k in ("answered", "abstained", "gold_cited")}} for t in THRESHOLDS],
    }


def groups(rows: list[dict]) -> dict[str, list[dict]]:
    """The rows reported on: each data set's held split (never fitted on), its fit split, and the whole seed dev set."""
    out = {}
    for data in ("scifact", "seeds"):
        for split in ("held", "fit"):
            out[f"{data} {split}"] = [r for r in rows if r["set"] == data and r["split"] == split]
    seeds = [r for r in rows if r["set"] == "seeds"]
    out["seeds dev (both halves)"] = [r for r in seeds if r.get("source") == "dev" and not r.get("leave_gold_out")]
    out["seeds leave-gold-out (both halves)"] = [r for r in seeds if r.get("leave_gold_out")]
    out["seeds ours (both halves)"] = [r for r in seeds if r.get("source") == "extra" and not r.get("leave_gold_out")]
    return {name: group for name, group in out.items() if group}


def choose_threshold(rows: list[dict], model: AnswerabilityModel) -> float:
    """The threshold with the best balanced accuracy of the gated answerer on the fit rows (each data set weighted alike)."""
    def score(t: float) -> float:
        values = []
        for data in ("scifact", "seeds"):
            part = [r for r in rows if r["set"] == data]
            result = outcome(part, gated(part, [model.probability(r["features"]) for r in part], t), [r["ungated"] for r in part])
            values.append((result["gold_cited"] or 0) + (result["abstained"] or 0))
        return sum(values)
    return max(THRESHOLDS, key=score)


def plot(curves: dict[str, list[dict]], threshold: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4.5))
    for name, curve in curves.items():
        axis.plot([p["abstained"] for p in curve], [p["answered"] for p in curve], marker=".", label=name)
        chosen = next(p for p in curve if p["threshold"] == threshold)
        axis.scatter([chosen["abstained"]], [chosen["answered"]], s=60, edgecolors="black", zorder=3)
    axis.set_xlabel("abstained (share of unanswerable)")
    axis.set_ylabel("answered (share of answerable)")
    axis.set_title(f"Confidence threshold moved 0.05-0.95 (circled: {threshold})")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=Path, default=ROWS)
    parser.add_argument("--c", type=float, default=1.0, help="Inverse regularisation strength of the logistic regression.")
    parser.add_argument("--write", action="store_true", help="Store the model, the report and the curve.")
    args = parser.parse_args()
    rows = load_rows(args.rows)
    fit_rows = [r for r in rows if r["split"] == "fit"]
    model = fit(fit_rows, c=args.c)
    labels = [r["label"] for r in fit_rows]
    orientation = {name: 1.0 if auc([r["features"][name] for r in fit_rows], labels) >= 0.5 else -1.0 for name in FEATURES}
    threshold = choose_threshold(fit_rows, model)
    model = AnswerabilityModel(**{**model.__dict__, "threshold": threshold})
    results = {name: report(group, model, threshold, orientation) for name, group in groups(rows).items()}
    print(f"threshold {threshold}; weights " + ", ".join(f"{n} {w:+.2f}" for n, w in zip(model.features, model.weights)))
    print("| rows | n | AUC | best single feature (AUC) | ECE | answered | gold cited | abstained | quote rationale | keywords |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, result in results.items():
        best = next(iter(result["auc_single"].items()))
        for label, values in (("model", result["model"]), ("old thresholds", result["old_thresholds"])):
            print(f"| {name}, {label} | {result['rows']} | {result['auc'] if label == 'model' else ''} | "
                  f"{best[0]} {best[1]} | {result['calibration_error'] if label == 'model' else ''} | {values['answered']} | "
                  f"{values['gold_cited']} | {values['abstained']} | {values['quote_rationale']} | {values['keywords']} |")
    if args.write:
        MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
        MODEL_PATH.write_text(model.to_json(), encoding="utf-8")
        (args.rows.parent / "report.json").write_text(json.dumps({"threshold": threshold, "results": results}, indent=1), encoding="utf-8")
        plot({name: results[name]["curve"] for name in results if "held" in name}, threshold, CURVE)
        print(f"wrote {MODEL_PATH}, {args.rows.parent / 'report.json'}, {CURVE}")


if __name__ == "__main__":
    main()
