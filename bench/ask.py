"""ask() latency offline, cold and warm, next to the bare parts it builds on (query embedding + Chroma query).

    .venv/bin/python bench/ask.py [--questions FILE] [--cold 3] [--repeat 2] [--data-dir DIR]

cold = the first ask() in a fresh process (model, Chroma and BM25 loaded on the way), one subprocess per run;
warm, first pass = each question once in a warm process (its abstracts' sentences not yet embedded);
warm, repeated = the same questions again (every cache warm).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant.config import PROJECT_ROOT, Settings
from assistant.evaluation import load_questions, percentiles
from assistant.params import DEFAULT_RETRIEVAL

DEV_QUESTIONS = PROJECT_ROOT.parent / "shared" / "eval" / "questions.jsonl"
_CHILD = """
import json, sys, time
started = time.perf_counter()
from assistant.service import ask
from assistant.config import Settings
imported = time.perf_counter()
answer = ask(sys.argv[2], settings=Settings(_env_file=None, data_dir=sys.argv[1]), llm=None)
done = time.perf_counter()
print(json.dumps({"import_ms": (imported - started) * 1000, "first_ask_ms": (done - imported) * 1000}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=DEV_QUESTIONS if DEV_QUESTIONS.exists() else None,
                        help="JSON Lines question file (default: the dev set, else the seed titles).")
    parser.add_argument("--cold", type=int, default=3, help="Fresh processes to time the first ask() in.")
    parser.add_argument("--repeat", type=int, default=2, help="Warm passes over the questions after the first.")
    parser.add_argument("--data-dir", type=Path, default=None, help="Index directory (default: a temporary one, removed after).")
    args = parser.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-ask-", dir="/tmp"))
    try:
        run(Settings(_env_file=None, data_dir=data_dir), args)
    finally:
        if args.data_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)


def run(settings: Settings, args: argparse.Namespace) -> None:
    from assistant.service import ask, default_assistant

    services = default_assistant(settings)
    services.ensure_ready()  # builds the index from the seeds when it is empty
    if args.questions:
        questions = [q.question for q in load_questions(args.questions)]
    else:
        questions = [paper.title for paper in services.retriever.state().snapshot.papers.values()][:20]
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (other processes slow every figure)")
    print(f"index: {services.store.count_papers()} papers, {services.store.count_chunks()} chunks; "
          f"{len(questions)} questions, top_k={settings.top_k}, offline")

    cold = []
    for run_number in range(args.cold):
        started = time.perf_counter()
        child = subprocess.run([sys.executable, "-c", _CHILD, str(settings.data_dir), questions[run_number % len(questions)]],
                               capture_output=True, text=True, check=True)
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        figures["process_ms"] = (time.perf_counter() - started) * 1000
        cold.append(figures)

    samples: dict[str, list[float]] = {"warm, first pass": [], "warm, repeated": [], "  of which retrieve": [],
                                       "  of which answer": [], "bare: embed + Chroma query": []}
    for n in range(1 + args.repeat):
        for question in questions:
            answer = ask(question, settings=settings, llm=None)
            samples["warm, first pass" if n == 0 else "warm, repeated"].append(answer.timings.total_ms)
            if n > 0:
                samples["  of which retrieve"].append(answer.timings.retrieve_ms)
                samples["  of which answer"].append(answer.timings.generate_ms)
    for _ in range(1 + args.repeat):
        for question in questions:
            started = time.perf_counter()
            vector = services.store.embedder.embed([question])[0]
            services.store.query_chunks(vector, settings.top_k * DEFAULT_RETRIEVAL.dense_candidates_per_hit)
            samples["bare: embed + Chroma query"].append((time.perf_counter() - started) * 1000)

    cold_stats = percentiles({"cold: first ask() in a new process": [c["first_ask_ms"] for c in cold],
                              "  (imports before it)": [c["import_ms"] for c in cold],
                              "  (whole process, wall)": [c["process_ms"] for c in cold]})
    stats = cold_stats | percentiles(samples)
    bare = stats["bare: embed + Chroma query"]["p50"]
    print(f"\n{'ms':38} {'p50':>9} {'p95':>9}  {'p50 / bare':>10}")
    for name, value in stats.items():
        print(f"{name:38} {value['p50']:9.1f} {value['p95']:9.1f}  {value['p50'] / bare:10.1f}")


if __name__ == "__main__":
    main()
