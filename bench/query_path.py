"""The query path at SciFact size: retrieve and first-time offline ask against the query embedding, same run. Not a test.

    nice -n 10 .venv/bin/python bench/query_path.py [--data-dir /work/cache-11/scifact] [--questions 200]

Uses the index bench/scifact.py builds. Questions are SciFact train claims, each asked once (first-time: neither the
question nor its vector was seen before); the query-embedding time is the bare embedder on the same claim, measured
just before. Retrieve is the public one (embedding included, k=5, fused); ask is offline (extractive), k=5.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scifact import DEFAULT_DATA_DIR, claims, settings_for  # noqa: E402


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def main() -> None:
    from assistant.retrieval import StageTimings
    from assistant.service import Assistant

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args()
    settings = settings_for(args.data_dir)
    assistant = Assistant(settings, offline=True)
    texts = list(dict.fromkeys(c["text"] for c in claims()))
    warm, retrieve_set, ask_set = texts[:10], texts[10 : 10 + args.questions], texts[10 + args.questions : 10 + 2 * args.questions]
    started = time.perf_counter()
    for question in warm:
        assistant.ask(question, k=5)
    load_seconds = time.perf_counter() - started
    embedder = assistant.store.embedder
    gc.collect()

    embed_ms, retrieve_ms, stages = [], [], []
    for question in retrieve_set:
        started = time.perf_counter()
        embedder.embed([question])
        embed_ms.append((time.perf_counter() - started) * 1000)
        timings = StageTimings()
        started = time.perf_counter()
        assistant.retriever.retrieve(question, k=5, timings=timings)
        retrieve_ms.append((time.perf_counter() - started) * 1000)
        stages.append((timings.embed_ms, timings.dense_ms, timings.lexical_ms, timings.fusion_ms))

    ask_embed_ms, ask_ms = [], []
    for question in ask_set:
        started = time.perf_counter()
        embedder.embed([question])
        ask_embed_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        assistant.ask(question, k=5)
        ask_ms.append((time.perf_counter() - started) * 1000)

    stage = np.median(np.array(stages), axis=0)
    embed_p50 = pct(embed_ms + ask_embed_ms, 50)
    result = {
        "index": str(args.data_dir), "papers": assistant.store.count_papers(), "chunks": assistant.store.count_chunks(),
        "questions": len(retrieve_set), "first_questions_incl_loading_s": round(load_seconds, 2),
        "query_embed_ms": {"p50": round(embed_p50, 2), "p95": round(pct(embed_ms + ask_embed_ms, 95), 2)},
        "retrieve_ms": {"p50": round(pct(retrieve_ms, 50), 2), "p95": round(pct(retrieve_ms, 95), 2)},
        "retrieve_stages_p50_ms": {"embed": round(stage[0], 2), "dense": round(stage[1], 2), "lexical": round(stage[2], 2),
                                   "fusion": round(stage[3], 2)},
        "first_time_ask_ms": {"p50": round(pct(ask_ms, 50), 2), "p95": round(pct(ask_ms, 95), 2)},
        "retrieve_p50_over_embed_p50": round(pct(retrieve_ms, 50) / embed_p50, 2),
        "ask_p50_over_embed_p50": round(pct(ask_ms, 50) / embed_p50, 2),
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
