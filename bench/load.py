"""Throughput (questions/s) and latency of offline ask() with 1, 2, 4, 8 threads sharing one index.

    .venv/bin/python bench/load.py                      # a throwaway index of the seeds under /tmp
    .venv/bin/python bench/load.py --chroma-host 127.0.0.1 --chroma-port 8000   # an index on a Chroma server

Every question is asked once before timing, so the figures are for a warm process (embedder loaded,
abstract sentences embedded), as in a running app.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from assistant.service import ask
from assistant.config import Settings
from assistant.indexing import ingest_paths
from assistant.store import PaperStore

QUESTIONS = [
    "Which papers study self-correction in LLMs?",
    "Where's the code for DAFormer?",
    "Which papers use Monte Carlo tree search to make LLM agents better at web tasks?",
    "How can unsupervised domain adaptation help semantic segmentation?",
    "What benchmarks evaluate multimodal retrieval-augmented generation?",
    "How do LLM agents learn to use tools?",
    "Is there work on test-time adaptation for 3D object detection?",
    "Which paper trains web agents with online reinforcement learning?",
    "Is there work on federated learning across hospitals with differential privacy guarantees?",
    "How can language models pick a reasoning strategy for a task?",
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2,4,8", help="Comma-separated thread counts (default: 1,2,4,8).")
    parser.add_argument("--questions", type=int, default=80, help="Questions asked per thread count (default: 80).")
    parser.add_argument("--questions-file", type=Path, help="A .jsonl file with a 'question' field per line, instead of the built-in ten.")
    parser.add_argument("--data-dir", type=Path, help="Data directory (default: a new folder under /tmp, removed afterwards).")
    parser.add_argument("--seeds", type=Path, help="Paper files to index (default: the seeds folder).")
    parser.add_argument("--chroma-host", help="Use the index on this Chroma server instead of a local one.")
    parser.add_argument("--chroma-port", type=int, default=8000, help="Chroma server port (default: 8000).")
    return parser.parse_args()


def timed_ask(question: str, settings: Settings) -> float:
    started = time.perf_counter()
    ask(question, settings=settings, llm=None)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    args = parse_args()
    questions = QUESTIONS
    if args.questions_file:
        questions = [json.loads(line)["question"] for line in args.questions_file.read_text().splitlines() if line.strip()]
    throwaway = args.data_dir is None
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="assistant-bench-load-", dir="/tmp"))
    overrides = {"data_dir": data_dir, "chroma_host": args.chroma_host, "chroma_port": args.chroma_port}
    if args.seeds:
        overrides["seeds_dir"] = args.seeds
    settings = Settings(_env_file=None, **overrides)
    try:
        report = ingest_paths([settings.seeds_dir], settings)
        print(f"Index: {PaperStore(settings).location}, {report.summary()}")
        for question in questions:  # warm up
            ask(question, settings=settings, llm=None)
        print(f"\n{'threads':>7}  {'questions':>9}  {'q/s':>6}  {'p50 ms':>7}  {'p95 ms':>7}  {'max ms':>7}")
        for threads in (int(t) for t in args.threads.split(",")):
            plan = [questions[n % len(questions)] for n in range(args.questions)]
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=threads) as pool:
                latencies = np.array(list(pool.map(lambda q: timed_ask(q, settings), plan)))
            wall = time.perf_counter() - started
            print(f"{threads:>7}  {len(plan):>9}  {len(plan) / wall:>6.1f}  {np.percentile(latencies, 50):>7.0f}  "
                  f"{np.percentile(latencies, 95):>7.0f}  {latencies.max():>7.0f}")
    finally:
        if throwaway:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
