"""Ingest benchmark: the seed collection from empty, then again unchanged, against the bare embedder on the same chunks.

    .venv/bin/python bench/ingest.py [--seeds DIR | --scifact N] [--data-dir DIR]

A ratio near 1 means ingest is as fast as embedding allows: the embedder is the floor. CPU time over wall time says how
many of the machine's cores each one kept busy. --scifact N ingests N abstracts of the SciFact corpus instead of the
seeds (a sample where the fixed costs of an ingest weigh less).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from assistant.chunking import chunk_paper
from assistant.config import Settings
from assistant.corpus import load_papers
from assistant.embedding import get_embedder
from assistant.indexing import ingest_papers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, default=None, help="Paper files to ingest (default: the settings' seeds folder).")
    parser.add_argument("--data-dir", type=Path, default=None, help="Index directory; must be empty (default: a temporary one, removed after).")
    parser.add_argument("--scifact", type=int, default=0, metavar="N", help="Ingest the first N SciFact abstracts instead of the seeds.")
    args = parser.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-ingest-", dir="/tmp"))
    if any(data_dir.glob("*")):
        parser.error(f"{data_dir} is not empty: the benchmark measures an ingest from empty.")
    settings = Settings(_env_file=None, data_dir=data_dir)
    seeds = args.seeds or settings.seeds_dir
    try:
        run(settings, seeds, args.scifact)
    finally:
        if args.data_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)


def run(settings: Settings, seeds: Path, scifact: int = 0) -> None:
    started = time.perf_counter()
    embedder = get_embedder(settings)
    load_s = time.perf_counter() - started

    started = time.perf_counter()
    if scifact:
        from bench.scifact import papers as scifact_papers

        papers, seeds = scifact_papers()[:scifact], Path(f"SciFact's corpus (the first {scifact})")
    else:
        papers = load_papers([seeds])
    chunks = [c for p in papers for c in chunk_paper(p, settings.chunk_tokens, settings.chunk_overlap, settings.tokenizer_encoding)]
    read_s = time.perf_counter() - started

    raw_s, raw_cpu = _timed_embed(embedder, chunks)
    cpu = time.process_time()
    first = ingest_papers(papers, settings)
    ingest_cpu = time.process_time() - cpu  # the BM25 and file saves after first.seconds are in it: a slight overcount
    again = ingest_papers(papers, settings)
    raw_s, raw_cpu = min((raw_s, raw_cpu), _timed_embed(embedder, chunks))  # best of one run before and one after, as load varies

    raw_rate, ingest_rate = len(chunks) / raw_s, first.chunks_written / first.seconds
    print(f"machine:           {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (other processes slow every figure)")
    print(f"collection:        {len(papers)} papers, {len(chunks)} chunks from {seeds}")
    print(f"embedder:          {embedder.identity}, loaded in {load_s:.2f} s")
    print(f"read + chunk:      {read_s:.2f} s")
    print(f"raw embedder:      {raw_s:.2f} s  = {raw_rate:.1f} chunks/s (best of 2), cores busy {raw_cpu / raw_s:.2f}")
    print(f"ingest from empty: {first.seconds:.2f} s  = {ingest_rate:.1f} chunks/s, cores busy {ingest_cpu / first.seconds:.2f}  "
          f"({first.summary()})")
    print(f"  ingest / raw embedder throughput: {ingest_rate / raw_rate:.2f}")
    print(f"re-ingest unchanged: {again.seconds:.2f} s ({again.chunks_written} chunks embedded) "
          f"= {again.seconds / first.seconds:.3f} of the first ingest")


def _timed_embed(embedder, chunks) -> tuple[float, float]:
    """Wall and CPU seconds of embedding the chunks, in the ingest's batches of 256."""
    started, cpu = time.perf_counter(), time.process_time()
    for first in range(0, len(chunks), 256):
        embedder.embed([c.embed_text for c in chunks[first : first + 256]])
    return time.perf_counter() - started, time.process_time() - cpu


if __name__ == "__main__":
    main()
