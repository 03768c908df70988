"""Complete lists: recall and precision of "which papers ..." answers over the seeds, offline; fits the list-membership model.

    PYTHONPATH=. nice -n 10 .venv/bin/python bench/lists.py [--cache DIR] [--limit N]
    PYTHONPATH=. nice -n 10 .venv/bin/python bench/lists.py --fit     # refit assistant/data/list_membership.json first

Questions: the dev set's multi-paper questions (../shared/eval/questions.jsonl) and the lists labelled from the seed
abstracts in bench/data/lists.jsonl (every seed abstract that mentions the topic; absent topics that must list none), both
fitted on; and bench/data/lists_heldout.jsonl, labelled the same way later and never fitted on.
A paper counts as listed when the answer cites it or carries it in Answer.more. Per question: recall@all (share of the
gold papers listed), precision (share of the listed papers that are gold; also of the papers shown first, with
quotes, before "... and N more"); means over the questions that have gold, and
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
HELD_OUT_LISTS = PROJECT_ROOT / "bench" / "data" / "lists_heldout.jsonl"  # labelled the same way, never fitted on


def paper_rows(assistant, questions, gold: dict[str, list[str]]) -> list[dict]:
    """One row per (list question, retrieved paper): its membership features and whether it is gold."""
    from assistant.answering.answerability import term_stats
    from assistant.answering.list_membership import hits_acronyms, list_candidates, list_hits, paper_features

    from assistant.evidence import read

    lexical = assistant.retriever.state().lexical
    reader = assistant.reader
    rows = []
    for question in questions:
        hits = list_hits(assistant.retriever, question.question, list_candidates(assistant.settings.max_list_papers))
        stats = term_stats(question.question, lexical)
        top = max((hit.score for hit in hits), default=0.0)
        acronyms = hits_acronyms(question.question, hits)
        reading = None
        if reader is not None and hits:  # as answer.py reads them: every hit's sentences nearest the question
            vector = assistant.retriever.embed_query(question.question)
            reading = read(reader, question.question, hits, assistant.bank.sentences(hits), vector, threshold=reader.config.threshold)
        for hit in hits:
            rows.append({"question": question.id, "gold": hit.paper_id in gold.get(question.id, []), "gold_total": len(gold.get(question.id, [])),
                         "features": paper_features(question.question, hit, top, stats, reading, acronyms)})
    return rows


def fit_membership(rows: list[dict]):
    """A logistic regression (classes balanced) over PAPER_FEATURES; its threshold the one that best meets both targets
    (recall@all 0.9, precision 0.8) on rows, fewer absent topics listing a paper breaking ties. (Whether a topic is in the
    collection at all is the question's confidence to judge: one paper's features cannot tell.)"""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from assistant.answering.answerability import AnswerabilityModel
    from assistant.answering.list_membership import PAPER_FEATURES, READER_FEATURE

    names = PAPER_FEATURES + ((READER_FEATURE,) if all(READER_FEATURE in row["features"] for row in rows) else ())
    x = np.array([[row["features"][name] for name in names] for row in rows])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    fitted = LogisticRegression(C=1.0, class_weight="balanced").fit((x - mean) / scale, [row["gold"] for row in rows])
    model = AnswerabilityModel(features=names, mean=tuple(map(float, mean)), scale=tuple(map(float, scale)),
                               weights=tuple(map(float, fitted.coef_[0])), intercept=float(fitted.intercept_[0]), version="2",
                               fitted_on=f"bench/lists.py --fit: {len(rows)} (question, paper) rows of the dev multi-paper questions and bench/data/lists.jsonl")

    def target_met(threshold: float) -> tuple[float, int]:
        recall, precision, absent = list_scores(rows, lambda row: model.probability(row["features"]) >= threshold)
        return round(min(recall / 0.9, precision / 0.8), 6), -absent

    threshold = max((round(0.05 * i, 2) for i in range(4, 19)), key=target_met)
    return AnswerabilityModel(**{**model.__dict__, "threshold": threshold})


def list_scores(rows: list[dict], listed) -> tuple[float, float, int]:
    """Mean recall@all and precision over questions with gold (listed(row): whether the row's paper is listed), and how
    many questions without gold list a paper. Recall counts the gold papers retrieval did not bring as missed."""
    recalls, precisions, absent = [], [], 0
    for question in dict.fromkeys(row["question"] for row in rows):
        part = [row for row in rows if row["question"] == question]
        chosen = [row for row in part if listed(row)]
        if part[0]["gold_total"]:
            recalls.append(sum(row["gold"] for row in chosen) / part[0]["gold_total"])
            precisions.append(sum(row["gold"] for row in chosen) / len(chosen) if chosen else 1.0)
        else:
            absent += bool(chosen)
    return sum(recalls) / max(1, len(recalls)), sum(precisions) / max(1, len(precisions)), absent


def held_out(rows: list[dict]) -> dict[int, bool]:
    """Leave one question out: whether each row's paper is listed by a model fitted on the other questions' rows."""
    listed = {}
    for question in dict.fromkeys(row["question"] for row in rows):
        model = fit_membership([row for row in rows if row["question"] != question])
        for row in rows:
            if row["question"] == question:
                listed[id(row)] = model.probability(row["features"]) >= model.threshold
    return listed


def fit(assistant, dev, ours, titles) -> None:
    """Report each question as listed by a model fitted without it (the held-out figures); then fit on every list
    question and write the model."""
    from assistant.evaluation import gold_paper_ids
    from assistant.answering.list_membership import LIST_MODEL_PATH

    rows = {name: paper_rows(assistant, questions, gold_paper_ids(questions, titles)) for name, questions in (("dev multi", dev), ("seed lists", ours))}
    everything = rows["dev multi"] + rows["seed lists"]
    listed = held_out(everything)
    for name, part in rows.items():
        recall, precision, absent = list_scores(part, lambda row: listed[id(row)])
        print(f"held out (each question listed by a model fitted on the others), {name}: recall@all {recall:.3f}, "
              f"precision {precision:.3f}, absent topics listing a paper {absent}")
    model = fit_membership(everything)
    recall, precision, absent = list_scores(everything, lambda row: model.probability(row["features"]) >= model.threshold)
    print(f"membership fitted on all (threshold {model.threshold}), on all: recall@all {recall:.3f}, precision {precision:.3f}; "
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
    held_out_lists = load_questions(HELD_OUT_LISTS)
    if args.fit:
        fit(assistant, dev, [q for q in ours if q.answerable] + [q for q in ours if not q.answerable], titles)
        assistant = Assistant(settings, offline=True)  # reads the new model
    results = []
    for source, questions in (("dev multi", dev), ("seed lists", ours), ("held-out lists", held_out_lists)):
        gold = gold_paper_ids(questions, titles)
        unknown = [t for q in questions for t in q.gold_titles if t not in titles.values()]
        if unknown:
            raise SystemExit(f"{source}: gold titles not in the seeds: {unknown}")
        for question in questions:
            answer = assistant.ask(question.question)
            listed = [c.paper_id for c in answer.citations] + [p.paper_id for p in answer.more]
            expected = set(gold.get(question.id, []))
            found = expected & set(listed)
            shown = [c.paper_id for c in answer.citations]
            results.append({"source": source, "id": question.id, "gold": len(expected), "listed": len(listed), "shown": len(answer.citations),
                            "recall": len(found) / len(expected) if expected else None,
                            "precision": len(found) / len(listed) if listed and expected else None,
                            "shown_precision": len(expected & set(shown)) / len(shown) if shown and expected else None,
                            "empty_when_absent": (not listed) if not expected else None, "confidence": answer.confidence,
                            "missed": sorted(titles[p][:60] for p in expected - found),
                            "extra": sorted(titles[p][:60] for p in set(listed) - expected)})
    print("| source | id | gold | listed (shown) | recall@all | precision | confidence |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        fmt = lambda v: "" if v is None else f"{v:.2f}"  # noqa: E731
        print(f"| {r['source']} | {r['id']} | {r['gold']} | {r['listed']} ({r['shown']}) | {fmt(r['recall'])} | {fmt(r['precision'])} | {r['confidence']:.2f} |")
    for source in ("dev multi", "seed lists", "held-out lists", None):
        part = [r for r in results if source is None or r["source"] == source]
        with_gold = [r for r in part if r["recall"] is not None]
        precise = [r["precision"] for r in with_gold if r["precision"] is not None]
        shown_precise = [r["shown_precision"] for r in with_gold if r["shown_precision"] is not None]
        absent = [r for r in part if r["empty_when_absent"] is not None]
        print(f"{source or 'all'}: recall@all {sum(r['recall'] for r in with_gold) / len(with_gold):.3f}, "
              f"precision {sum(precise) / max(1, len(precise)):.3f} (of the papers shown first "
              f"{sum(shown_precise) / max(1, len(shown_precise)):.3f}) over {len(with_gold)} questions"
              + (f"; absent topics listing none {sum(r['empty_when_absent'] for r in absent)}/{len(absent)}" if absent else ""))
    (PROJECT_ROOT / "bench" / "results").mkdir(exist_ok=True)
    (PROJECT_ROOT / "bench" / "results" / "lists.json").write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
