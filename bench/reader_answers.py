"""Offline answers on the seeds with the reader and without it: dev keywords quoted, gold cited, and the reader's share
of the time (CPU seconds as well as wall-clock, since the machine may be shared).

    PYTHONPATH=. nice -n 10 .venv/bin/python bench/reader_answers.py [--questions FILE ...] [--cache DIR]

Per question set and mode ("off": no reader; "quotes": the default, the reader picks quotes; "full":
ASSISTANT_USE_READER, the reader also ranks papers and lists): answered (not abstained) among answerable questions,
gold paper cited, the share of answer keywords found in the answer's quotes (the dev set's own measure), abstained on
unanswerable ones, and ask() p50 wall and CPU ms, with the reader's own p50 ms (its score_pairs calls) and share.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from answerability import CACHE, DEV_QUESTIONS, EXTRA_QUESTIONS, build_seeds_index  # noqa: E402


class Timed:
    """A scorer that times the reader it wraps (wall and CPU seconds per question)."""

    def __init__(self, reader):
        self.reader, self.config = reader, getattr(reader, "config", None)  # a LazyReader (quotes only) has none
        self.wall = self.cpu = 0.0
        self.pairs = 0

    def score_pairs(self, pairs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return self.reader.score_pairs(pairs)
        finally:
            self.wall += time.perf_counter() - wall
            self.cpu += time.process_time() - cpu
            self.pairs += len(pairs)


MODES = {"off": {"use_reader": False, "reader_quotes": "off"}, "quotes": {"use_reader": False, "reader_quotes": "all"},
         "full": {"use_reader": True, "reader_quotes": "all"}}


def run(settings, questions, titles_gold, mode: str) -> dict:
    from assistant.service import Assistant

    assistant = Assistant(settings.model_copy(update=MODES[mode]), offline=True)
    used = assistant.reader or assistant.quote_reader
    timed = Timed(used) if used is not None else None
    if timed is not None:  # the cached properties, replaced by the timed wrapper
        assistant.__dict__["reader"] = timed if assistant.reader is not None else None
        assistant.__dict__["quote_reader"] = timed
    assistant.ask("warm up the models")
    rows = []
    for question in questions:
        if timed is not None:
            timed.wall = timed.cpu = 0.0
            timed.pairs = 0
        wall, cpu = time.perf_counter(), time.process_time()
        answer = assistant.ask(question.question)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        quotes = " ".join(c.quote for c in answer.citations).lower()
        keywords = list(question.answer_keywords)
        gold = set(titles_gold.get(question.id, []))
        rows.append({"answerable": question.answerable, "abstained": answer.abstained,
                     "gold_cited": bool(gold & {c.paper_id for c in answer.citations}),
                     "keywords": sum(k.lower() in quotes for k in keywords) / len(keywords) if keywords else None,
                     "wall": wall * 1000, "cpu": cpu * 1000,
                     "reader_wall": (timed.wall * 1000) if timed else 0.0, "reader_cpu": (timed.cpu * 1000) if timed else 0.0,
                     "pairs": timed.pairs if timed else 0})
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    keyworded = [r["keywords"] for r in answerable if r["keywords"] is not None and not r["abstained"]]
    return {
        "questions": len(rows),
        "answered": sum(not r["abstained"] for r in answerable) / max(1, len(answerable)),
        "gold_cited": sum(r["gold_cited"] for r in answerable) / max(1, len(answerable)),
        "keywords_quoted": sum(keyworded) / max(1, len(keyworded)),
        "abstained_unanswerable": sum(r["abstained"] for r in unanswerable) / max(1, len(unanswerable)),
        "p50_wall_ms": statistics.median(r["wall"] for r in rows), "p50_cpu_ms": statistics.median(r["cpu"] for r in rows),
        "reader_p50_wall_ms": statistics.median(r["reader_wall"] for r in rows),
        "reader_p50_cpu_ms": statistics.median(r["reader_cpu"] for r in rows),
        "reader_cpu_share": sum(r["reader_cpu"] for r in rows) / max(1e-9, sum(r["cpu"] for r in rows)),
        "pairs_p50": statistics.median(r["pairs"] for r in rows),
    }


def main() -> None:
    from assistant.evaluation import gold_paper_ids, load_questions
    from assistant.service import Assistant

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, action="append", help="Question files (default: dev and extra).")
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--modes", default="off,quotes,full", help="comma-separated: off, quotes, full")
    args = parser.parse_args()
    settings = build_seeds_index(args.cache)
    titles = {pid: p.title for pid, p in Assistant(settings, offline=True).retriever.state().snapshot.papers.items()}
    for path in args.questions or [DEV_QUESTIONS, EXTRA_QUESTIONS]:
        questions = load_questions(path)
        gold = gold_paper_ids(questions, titles)
        for mode in args.modes.split(","):
            result = run(settings, questions, gold, mode)
            print(f"{path.name} reader={mode}: " + ", ".join(
                f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in result.items()), flush=True)


if __name__ == "__main__":
    main()
