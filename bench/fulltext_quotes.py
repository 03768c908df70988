"""Quotes from full texts, on questions people wrote: COVID-QA's HELD papers (bench/reader/public_qa.py), each question
asked of its own paper ("Ask about this paper"), offline. Reported: the share of answers whose quote holds the answer
span (the span inside the quote, or the quote inside a long span), with and without the reader picking the quote.

    PYTHONPATH=. nice -n 10 .venv/bin/python bench/fulltext_quotes.py [--modes off,full-text,all] [--split held|fit] [--limit N] [--data-dir DIR]

Papers: the CORD-19 full texts COVID-QA ships (its header lines dropped; the text after "Abstract:" up to the first blank
line is the abstract, the rest the body). Never trained on: the reader learns from the FIT papers only.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.reader.public_qa import load, split_of  # noqa: E402


def held_papers(split: str = "held") -> tuple[list, list[tuple[str, str, str]]]:
    """The split's papers (HELD, or FIT) as Papers, and their (question, paper id, answer text)."""
    from assistant.models import Paper

    data = load("covid_qa.json.gz")["data"]
    papers, questions = [], []
    for article in data:
        for paragraph in article["paragraphs"]:
            key = f"covid-{paragraph['document_id']}"
            if split_of(key) != split:
                continue
            context = paragraph["context"]
            title = context.split("\n", 1)[0].strip()
            found = re.search(r"Abstract:\s*(.*?)(\n\s*\n|$)(.*)", context, flags=re.S)
            abstract, body = (found.group(1).strip(), found.group(3).strip()) if found else ("", context)
            if not abstract:
                abstract, body = body[:1500], body[1500:]
            pid = f"covid-qa-{paragraph['document_id']}"
            papers.append(Paper(paper_id=pid, title=title, abstract=abstract, body=body, source=key))
            for qa in paragraph["qas"]:
                if qa["answers"]:
                    questions.append((" ".join(qa["question"].split()), pid, qa["answers"][0]["text"]))
    return papers, questions


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w%.]+", " ", text.casefold()).split())


def holds(quote: str, answer: str) -> bool:
    q, a = _norm(quote), _norm(answer)
    return bool(a) and (a in q or (len(q) > 20 and q in a))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="off,full-text", help="ASSISTANT_READER_QUOTES values: off (no reader), full-text "
                        "(the default: the reader picks a full text's quotes), all")
    parser.add_argument("--split", choices=("held", "fit"), default="held",
                        help="the papers asked of: HELD (the report) or FIT (where the reader's full-text constants were chosen)")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--data-dir", type=Path, default=None, help="build the index here and keep it (default: a temporary one)")
    args = parser.parse_args()
    from assistant import ask
    from assistant.config import Settings
    from assistant.indexing import ingest_papers

    papers, questions = held_papers(args.split)
    questions = questions[: args.limit]
    work = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-fulltext-", dir="/tmp"))
    base = dict(_env_file=None, data_dir=work / "data", collection="covidqa", seed_when_empty=False)
    if not (work / "built").exists():
        ingest_papers(papers, Settings(**base))
        (work / "built").write_text("ok")
    print(f"{len(papers)} papers, {len(questions)} questions")
    for mode in args.modes.split(","):
        settings = Settings(**base, reader_quotes=mode)
        held, times = 0, []
        for question, pid, answer in questions:
            began = time.perf_counter()
            reply = ask(question, paper_ids=[pid], settings=settings, llm=None)
            times.append(1000 * (time.perf_counter() - began))
            held += any(holds(c.quote, answer) for c in reply.citations if c.paper_id == pid)
        print(f"reader={mode}: quote holds the answer {held}/{len(questions)} = {held / len(questions):.3f}, "
              f"ask p50 {statistics.median(times):.0f} ms", flush=True)


if __name__ == "__main__":
    main()
