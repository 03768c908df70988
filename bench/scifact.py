"""SciFact train (../shared/bench/scifact) as papers and claims, and its index built once and reused. Not a test.

    nice -n 10 .venv/bin/python bench/scifact.py [--data-dir /work/cache-11/scifact]   # build (or report) the index

Building it prints the ingest rate (chunks/s, sentence vectors included) next to the bare embedder's rate on the same
chunks, measured in the same run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.chunking import chunk_paper  # noqa: E402
from assistant.config import PROJECT_ROOT, Settings  # noqa: E402
from assistant.models import Paper  # noqa: E402

SCIFACT = PROJECT_ROOT.parent / "shared" / "bench" / "scifact"
DEFAULT_DATA_DIR = Path("/work/cache-11/scifact")


def papers() -> list[Paper]:
    """The 5,183 abstracts, with SciFact's ids as paper ids."""
    with gzip.open(SCIFACT / "corpus.jsonl.gz", "rt") as lines:
        docs = [json.loads(line) for line in lines]
    return [Paper(paper_id=d["_id"], title=d["title"] or d["_id"], abstract=d["text"], source="scifact") for d in docs
            if d["text"].strip()]


def claims() -> list[dict]:
    """The train claims: _id, text, evidence ({doc id: [{sentences, label}]})."""
    return [json.loads(line) for line in (SCIFACT / "queries_train.jsonl").read_text().splitlines() if line.strip()]


def qrels() -> dict[str, set[str]]:
    """Claim id -> relevant doc ids."""
    relevant: dict[str, set[str]] = {}
    for line in (SCIFACT / "qrels_train.tsv").read_text().splitlines()[1:]:
        query, doc, score = line.split("\t")
        if int(score) > 0:
            relevant.setdefault(query, set()).add(doc)
    return relevant


def settings_for(data_dir: Path) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir)


def build(data_dir: Path, sample: int = 150) -> dict:
    """Ingest SciFact into data_dir (a no-op when it is there already); its rate against the bare embedder's."""
    from assistant.embedding import get_embedder
    from assistant.indexing import ingest_papers

    settings = settings_for(data_dir)
    corpus = papers()
    embedder = get_embedder(settings)
    embedder.embed(["warm up"])
    report = ingest_papers(corpus, settings)
    chunks = [c.embed_text for p in random.Random(0).sample(corpus, sample)
              for c in chunk_paper(p, settings.chunk_tokens, settings.chunk_overlap, settings.tokenizer_encoding)]
    started = time.perf_counter()
    embedder.embed(chunks)
    bare = len(chunks) / (time.perf_counter() - started)
    rate = report.chunks_written / report.seconds if report.chunks_written else float("nan")
    return {"papers": len(corpus), "chunks_written": report.chunks_written, "chunks_total": report.chunks_total,
            "ingest_seconds": round(report.seconds, 1), "ingest_chunks_per_s": round(rate, 1),
            "bare_embedder_chunks_per_s": round(bare, 1), "ratio": round(rate / bare, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args()
    print(json.dumps(build(args.data_dir), indent=1))


if __name__ == "__main__":
    main()
