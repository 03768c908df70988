"""Complete lists: recall and precision of "which papers ..." answers over the seeds, offline.

    PYTHONPATH=. nice -n 10 .venv/bin/python bench/lists.py [--cache DIR] [--limit N]

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


def main() -> None:
    from assistant.evaluation import gold_paper_ids, load_questions
    from assistant.service import Assistant

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--limit", type=int, default=None, help="ASSISTANT_MAX_LIST_PAPERS to use (default: the setting's).")
    args = parser.parse_args()
    settings = build_seeds_index(args.cache)
    if args.limit:
        settings = settings.model_copy(update={"max_list_papers": args.limit})
    assistant = Assistant(settings, offline=True)
    titles = {pid: p.title for pid, p in assistant.retriever.state().snapshot.papers.items()}
    dev = [q for q in load_questions(DEV_QUESTIONS) if q.type == "multi"]
    ours = load_questions(LISTS)
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
