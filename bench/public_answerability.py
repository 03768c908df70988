"""Does the answerability floor hold on a corpus it was never fitted on? PubMedQA's expert-labelled part
(bench/reader/public_qa.py): 1,000 abstracts, each with a question its authors' title became.

One index holds every abstract except half of one split's (--split: HELD by default; FIT to choose anything on, chosen
by a hash of the id). Each question of that split is asked offline: when its abstract is in the index it should be answered citing it; when its abstract is the one left out, the
nearest abstracts are other studies of the same field, and the right reply is to abstain.

    PYTHONPATH=. nice -n 10 .venv/bin/python bench/public_answerability.py [--split held|fit] [--data-dir KEEP]

Also printed: what a higher floor for questions would do (abstain below it as well).

Papers are titled "PubMed <id>" (the set gives the title only as the question) and hold their contexts and conclusion.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.reader.evaluate import auc  # noqa: E402
from bench.reader.public_qa import load, split_of  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("held", "fit"), default="held")
    parser.add_argument("--data-dir", type=Path, default=None, help="build the index here and keep it (default: a temporary one)")
    args = parser.parse_args()
    from assistant import ask
    from assistant.config import Settings
    from assistant.indexing import ingest_papers
    from assistant.models import Paper

    data = load("pubmedqa_pqal.json.gz")
    papers, asked = [], []
    for pmid, record in data.items():
        paper_id = f"pubmed-{pmid}"
        held = split_of(paper_id) == args.split
        left_out = held and zlib.crc32(f"out-{pmid}".encode()) % 2 == 0
        if not left_out:
            papers.append(Paper(paper_id=paper_id, title=f"PubMed {pmid}", abstract=" ".join(record["CONTEXTS"] + [record["LONG_ANSWER"]])))
        if held:
            asked.append((record["QUESTION"].strip(), paper_id, not left_out))
    work = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-pubmedqa-", dir="/tmp"))
    settings = Settings(_env_file=None, data_dir=work / "data", collection="pubmedqa", seed_when_empty=False)
    if not (work / "built").exists():
        ingest_papers(papers, settings)
        (work / "built").write_text("ok")
    present, absent = [], []
    answered = cited = abstained = 0
    kept_present, kept_absent = [], []  # confidence of the answered ones (the rules did not abstain)
    for question, paper_id, in_index in asked:
        reply = ask(question, settings=settings, llm=None)
        if in_index:
            present.append(reply.confidence)
            answered += not reply.abstained
            kept_present.append(reply.confidence if not reply.abstained else -1.0)
            cited += any(c.paper_id == paper_id for c in reply.citations)
        else:
            absent.append(reply.confidence)
            abstained += reply.abstained
            kept_absent.append(reply.confidence if not reply.abstained else -1.0)
    print(f"{len(papers)} abstracts indexed; {len(present)} questions whose abstract is in, {len(absent)} whose abstract is left out")
    print(f"answered when present {answered}/{len(present)} = {answered / len(present):.3f}; gold cited {cited / len(present):.3f}")
    print(f"abstained when left out {abstained}/{len(absent)} = {abstained / len(absent):.3f}")
    print(f"confidence AUC (present vs left out) {auc(present, absent):.3f}")
    for floor in (0.1, 0.2, 0.3, 0.4, 0.5):
        print(f"with a floor of {floor}: answered when present {np.mean(np.array(kept_present) >= floor):.3f}, "
              f"abstained when left out {np.mean(np.array(kept_absent) < floor):.3f}")
    for q in (0.1, 0.25, 0.5, 0.75, 0.9):
        print(f"confidence quantile {q}: present {np.quantile(present, q):.3f}, left out {np.quantile(absent, q):.3f}")


if __name__ == "__main__":
    main()
