"""All 25 real-PDF bench sets in one run: each set indexed once with the seeds (kept for the next run), one ask() per
question as bench/real_pdfs.py asks it, a row per question and the totals against issue 23's targets.

    PYTHONPATH=. .venv/bin/python bench/real_pdfs_sets.py --pdfs ROOT --index-root KEEP [--sets 0,3,17] [--tsv OUT]

ROOT holds a folder per set, set0 ... set24, with the PDFs its sources file names (set0: bench/data/real_pdfs_sources.md,
set1: real_pdfs_heldout_sources.md, setN: real_pdfs_heldoutN_sources.md; not committed). An index already built in
KEEP/setN is only asked again: rebuild it (delete the folder) when the text read from a PDF changes (READER_VERSION).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import ask  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.indexing import ingest_paths  # noqa: E402
from bench.real_pdfs import gold_citation, holds_fact  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
SETS = 25


def questions_of(number: int) -> list[dict]:
    name = "real_pdfs.jsonl" if number == 0 else "real_pdfs_heldout.jsonl" if number == 1 else f"real_pdfs_heldout{number}.jsonl"
    return [json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdfs", type=Path, required=True, help="A folder holding set0 ... set24.")
    parser.add_argument("--index-root", type=Path, required=True, help="Where each set's index is built and kept.")
    parser.add_argument("--sets", default=",".join(map(str, range(SETS))), help="Set numbers, comma-separated (default: all).")
    parser.add_argument("--tsv", type=Path, default=None, help="Write a row per question here.")
    args = parser.parse_args()
    rows = []
    for number in [int(n) for n in args.sets.split(",")]:
        folder = args.pdfs / f"set{number}"
        if not any(folder.glob("*.pdf")):
            sys.exit(f"{folder} holds no PDF: save set {number}'s PDFs there first (bench/data/real_pdfs*_sources.md).")
        work = args.index_root / f"set{number}"
        settings = Settings(_env_file=None, data_dir=work / "data", collection="real", seed_when_empty=False)
        if not (work / "built").exists():
            work.mkdir(parents=True, exist_ok=True)
            (work / "built").write_text(ingest_paths([folder, settings.seeds_dir], settings).summary())
        for question in questions_of(number):
            rows.append(asked(f"set{number}", question, settings))
        print(f"set{number} asked", flush=True)
    if args.tsv is not None:
        args.tsv.write_text("".join("\t".join(map(str, row.values())) + "\n" for row in rows))
    report(rows)


def asked(set_name: str, question: dict, settings: Settings) -> dict:
    """One question's outcome: for a near miss whether it abstained, else whether the gold paper is cited, on the
    question's page, with a quote holding the fact."""
    answer = ask(question["question"], settings=settings, llm=None)
    row = {"set": set_name, "near_miss": bool(question.get("absent")), "abstained": answer.abstained,
           "cited": False, "page": False, "fact": False}
    if not question.get("absent"):
        hit = gold_citation(question, answer)
        row.update(cited=hit is not None, page=hit is not None and hit.page == question["page"], fact=holds_fact(question, hit))
    row["question"] = question["question"]
    return row


def report(rows: list[dict]) -> None:
    answerable = [row for row in rows if not row["near_miss"]]
    near = [row for row in rows if row["near_miss"]]
    for name, target in (("cited", 0.95), ("page", 0.9), ("fact", 0.9)):
        held = sum(row[name] for row in answerable)
        print(f"{name:6} {held}/{len(answerable)} = {held / max(1, len(answerable)):.2f} (target >= {target})")
    declined = sum(row["abstained"] for row in near)
    print(f"near misses declined {declined}/{len(near)} = {declined / max(1, len(near)):.2f} (target >= 0.9)")


if __name__ == "__main__":
    main()
