"""Complete lists: recall and precision of "which papers ..." answers over the seeds, offline; fits the list-membership model.

    PYTHONPATH=. nice -n 10 .venv/bin/python bench/lists.py [--cache DIR] [--limit N]
    PYTHONPATH=. nice -n 10 .venv/bin/python bench/lists.py --fit     # refit assistant/data/list_membership.json first

Questions: the dev set's multi-paper questions (../shared/eval/questions.jsonl) and the lists labelled from the seed
abstracts in bench/data/lists.jsonl (every seed abstract that mentions the topic; two absent topics that must list none).
A paper counts as listed when the answer cites it or carries it in Answer.more. Per question: recall@all (share of the
gold papers listed), precision (share of the listed papers that are gold); means over the questions that have gold, and
the share of absent topics that list nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from answerability import CACHE, DEV_QUESTIONS, build_seeds_index  # noqa: E402
from assistant.config import PROJECT_ROOT  # noqa: E402

LISTS = PROJECT_ROOT / "bench" / "data" / "lists.jsonl"


def paper_rows(assistant, questions, gold: dict[str, list[str]]) -> list[dict]:
    """One row per (list question, retrieved paper): its membership features and whether it is gold."""
    from assistant.answerability import TermStats, paper_features
    from assistant.lexical import tokenize

    lexical = assistant.retriever.state().lexical
    rows = []
    for question in questions:
        hits = assistant.retriever.retrieve(question.question, k=2 * assistant.settings.max_list_papers)
        vector = assistant.retriever.embed_query(question.question)
        sentences = assistant.bank.sentences(hits)
        stats = TermStats(len(lexical.chunks), lexical.document_frequencies(tokenize([question.question])[0]))
        top = max((hit.score for hit in hits), default=0.0)
        for hit in hits:
            rows.append({"question": question.id, "gold": hit.paper_id in gold.get(question.id, []),
                         "features": paper_features(question.question, hit, sentences.get(hit.paper_id, []), vector, stats, top)})
    return rows


def fit_membership(rows: list[dict], threshold: float | None = None):
    """A logistic regression (classes balanced) over PAPER_FEATURES; its threshold the best recall + precision on rows."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from assistant.answerability import PAPER_FEATURES, AnswerabilityModel

    x = np.array([[row["features"][name] for name in PAPER_FEATURES] for row in rows])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    fitted = LogisticRegression(C=1.0, class_weight="balanced").fit((x - mean) / scale, [row["gold"] for row in rows])
    model = AnswerabilityModel(features=PAPER_FEATURES, mean=tuple(map(float, mean)), scale=tuple(map(float, scale)),
                               weights=tuple(map(float, fitted.coef_[0])), intercept=float(fitted.intercept_[0]), version="1",
                               fitted_on=f"bench/lists.py --fit: {len(rows)} (question, paper) rows of the dev multi-paper questions and bench/data/lists.jsonl")
    if threshold is None:
        threshold = max((round(0.05 * i, 2) for i in range(4, 19)), key=lambda t: sum(list_scores(rows, model, t)[:2]))
    return AnswerabilityModel(**{**model.__dict__, "threshold": threshold})


def list_scores(rows: list[dict], model, threshold: float) -> tuple[float, float, int]:
    """Mean recall@all and precision over questions with gold, and how many papers questions without gold list."""
    recalls, precisions, absent = [], [], 0
    for question in dict.fromkeys(row["question"] for row in rows):
        part = [row for row in rows if row["question"] == question]
        listed = [row for row in part if model.probability(row["features"]) >= threshold]
        gold = [row for row in part if row["gold"]]
        if gold:
            recalls.append(sum(row["gold"] for row in listed) / len(gold))
            if listed:
                precisions.append(sum(row["gold"] for row in listed) / len(listed))
        else:
            absent += len(listed)
    return sum(recalls) / max(1, len(recalls)), sum(precisions) / max(1, len(precisions)), absent


def fit(assistant, dev, ours, titles) -> None:
    """Fit on every list question; report each half fitted on the other (the held-apart figures), then write the model."""
    from assistant.answerability import LIST_MODEL_PATH
    from assistant.evaluation import gold_paper_ids

    rows = {name: paper_rows(assistant, questions, gold_paper_ids(questions, titles)) for name, questions in (("dev multi", dev), ("seed lists", ours))}
    for fitted_on, tested_on in (("seed lists", "dev multi"), ("dev multi", "seed lists")):
        model = fit_membership(rows[fitted_on])
        recall, precision, absent = list_scores(rows[tested_on], model, model.threshold)
        print(f"membership fitted on {fitted_on} (threshold {model.threshold}), tested on {tested_on}: recall@all {recall:.3f}, "
              f"precision {precision:.3f}, papers listed for absent topics {absent}")
    model = fit_membership(rows["dev multi"] + rows["seed lists"])
    recall, precision, absent = list_scores(rows["dev multi"] + rows["seed lists"], model, model.threshold)
    print(f"membership fitted on both (threshold {model.threshold}), on both: recall@all {recall:.3f}, precision {precision:.3f}; "
          "weights " + ", ".join(f"{n} {w:+.2f}" for n, w in zip(model.features, model.weights)))
    LIST_MODEL_PATH.write_text(model.to_json(), encoding="utf-8")
    print(f"wrote {LIST_MODEL_PATH}")


def main() -> None:
    from assistant.evaluation import gold_paper_ids, load_questions
    from assistant.service import Assistant

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--limit", type=int, default=None, help="ASSISTANT_MAX_LIST_PAPERS to use (default: the setting's).")
    parser.add_argument("--fit", action="store_true", help="Refit the list-membership model first.")
    args = parser.parse_args()
    settings = build_seeds_index(args.cache)
    if args.limit:
        settings = settings.model_copy(update={"max_list_papers": args.limit})
    assistant = Assistant(settings, offline=True)
    titles = {pid: p.title for pid, p in assistant.retriever.state().snapshot.papers.items()}
    dev = [q for q in load_questions(DEV_QUESTIONS) if q.type == "multi"]
    ours = load_questions(LISTS)
    if args.fit:
        fit(assistant, dev, [q for q in ours if q.answerable] + [q for q in ours if not q.answerable], titles)
        assistant = Assistant(settings, offline=True)  # reads the new model
    results = []
    for source, questions in (("dev multi", dev), ("seed lists", ours)):
        gold = gold_paper_ids(questions, titles)
        for question in questions:
            answer = assistant.ask(question.question)
            listed = [c.paper_id for c in answer.citations] + [p.paper_id for p in answer.more]
            expected = set(gold.get(question.id, []))
            found = expected & set(listed)
            results.append({"source": source, "id": question.id, "gold": len(expected), "listed": len(listed), "shown": len(answer.citations),
                            "recall": len(found) / len(expected) if expected else None,
                            "precision": len(found) / len(listed) if listed and expected else None,
                            "empty_when_absent": (not listed) if not expected else None, "confidence": answer.confidence,
                            "missed": sorted(titles[p][:60] for p in expected - found),
                            "extra": sorted(titles[p][:60] for p in set(listed) - expected)})
    print("| source | id | gold | listed (shown) | recall@all | precision | confidence |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        fmt = lambda v: "" if v is None else f"{v:.2f}"  # noqa: E731
        print(f"| {r['source']} | {r['id']} | {r['gold']} | {r['listed']} ({r['shown']}) | {fmt(r['recall'])} | {fmt(r['precision'])} | {r['confidence']:.2f} |")
    for source in ("dev multi", "seed lists", None):
        part = [r for r in results if source is None or r["source"] == source]
        with_gold = [r for r in part if r["recall"] is not None]
        precise = [r["precision"] for r in with_gold if r["precision"] is not None]
        absent = [r for r in part if r["empty_when_absent"] is not None]
        print(f"{source or 'all'}: recall@all {sum(r['recall'] for r in with_gold) / len(with_gold):.3f}, "
              f"precision {sum(precise) / max(1, len(precise)):.3f} over {len(with_gold)} questions"
              + (f"; absent topics listing none {sum(r['empty_when_absent'] for r in absent)}/{len(absent)}" if absent else ""))
    (PROJECT_ROOT / "bench" / "results").mkdir(exist_ok=True)
    (PROJECT_ROOT / "bench" / "results" / "lists.json").write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
