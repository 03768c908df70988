"""Where the answer sits, for the real-PDF questions: the rank of the sentence holding each question's fact among its
paper's sentences, by the quote score, by the reader alone, and by the reader's pick (the reader's logit + 5 x the
quote score over the quote score's first FULL_TEXT_SHORTLIST), next to whether the answer quoted the fact. Not a test.

    PYTHONPATH=. .venv/bin/python bench/fulltext_ranks.py --data-dir KEEP --questions bench/data/real_pdfs_heldout10.jsonl

KEEP: an index bench/real_pdfs.py built and kept (its --data-dir). A fact ranked first by the quote score is quoted; one
ranked first by the pick joins the quote only on the quote score's best sentence's page; one ranked past the shortlist
is out of the reader's reach (bench/data/real_pdfs.md, session 12).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assistant.answering import extractive
from assistant.config import Settings
from assistant.names import is_acronym, specific_terms
from assistant.service import Assistant


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    args = parser.parse_args()
    settings = Settings(_env_file=None, data_dir=args.data_dir / "data", collection="real", seed_when_empty=False)
    assistant = Assistant(settings, offline=True)
    counts = {"questions": 0, "quote first": 0, "pick first": 0, "past the shortlist": 0, "quoted": 0}
    for line in args.questions.read_text().splitlines():
        question = json.loads(line)
        if question.get("absent"):
            continue
        row = ranks(assistant, question)
        if row is None:
            print(f"paper not retrieved  {question['question']}")
            continue
        counts["questions"] += 1
        counts["quote first"] += row["quote"] == 0
        counts["pick first"] += row["pick"] == 0
        counts["past the shortlist"] += row["quote"] is None or row["quote"] >= extractive.FULL_TEXT_SHORTLIST
        counts["quoted"] += row["quoted"]
        print(f"{'quoted' if row['quoted'] else 'missed'}  quote {row['quote']}  reader {row['reader']}  pick {row['pick']}"
              f"  of {row['sentences']}  {question['question']}")
    print("\n" + ", ".join(f"{name} {count}" for name, count in counts.items()))


def ranks(assistant: Assistant, question: dict) -> dict | None:
    """The fact's sentence's ranks in its paper (None: not among the ranked), and whether the answer quoted the fact."""
    text = question["question"]
    answer = assistant.ask(text)
    gold = [hit for hit in answer.sources + assistant.retrieve(text, k=20) if hit.pdf and Path(hit.pdf).name == question["pdf"]]
    if not gold:
        return None
    hit = gold[0]
    sentences = assistant.bank.sentences([hit]).get(hit.paper_id, [])
    named = [name for name in specific_terms(text) if not is_acronym(name)]
    scored = extractive._score_sentences(text, assistant.retriever.embed_query(text), sentences, named,
                                         extractive.is_quantity_question(text), assistant.extractive_params, hit.title,
                                         full_text=True)
    fact = _norm(question["fact"])
    holds = {id(item) for item in scored if fact[:20] in _norm(hit.abstract[item.sentence.start:item.sentence.end])}
    by_quote = sorted(scored, key=lambda item: -item.quote)
    shortlist = by_quote[:extractive.FULL_TEXT_SHORTLIST]
    logits = [float(x) for x in assistant.quote_reader.score_pairs([(text, item.sentence.text) for item in shortlist])] \
        if assistant.quote_reader is not None and shortlist else [0.0] * len(shortlist)
    by_reader = [item for _, item in sorted(zip(logits, shortlist), key=lambda pair: -pair[0])]
    by_pick = [item for _, item in sorted(zip(logits, shortlist),
                                          key=lambda pair: -(pair[0] + extractive.FULL_TEXT_MIX_WEIGHT * pair[1].quote))]
    cited = [c for c in answer.citations if c.paper_id == hit.paper_id]
    return {"quote": _first(by_quote, holds), "reader": _first(by_reader, holds), "pick": _first(by_pick, holds),
            "sentences": len(scored), "quoted": bool(cited) and fact in _norm(cited[0].quote)}


def _first(ordered: list, holds: set[int]) -> int | None:
    return next((rank for rank, item in enumerate(ordered) if id(item) in holds), None)


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


if __name__ == "__main__":
    main()
