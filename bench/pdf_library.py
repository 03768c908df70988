"""A library of full papers at scale (issue 23): N synthetic PDFs of real length, ingested from empty by the real CLI,
then the index size on disk, peak RSS, the cold first answer and the offline ask latency.

    .venv/bin/python bench/pdf_library.py [--papers 1000] [--kill-after 600] [--keep DIR]

Each paper is 8 to 14 two-column pages of 10-pt text with a figure now and then (about the density of the real PDFs
of bench/data/real_pdfs*_sources.md: ~400 words and ~5 chunks a page). The text is real: sentences of SciFact's
abstracts, each paper drawn from its own window of 40 abstracts, so papers differ as a library's do. The questions are
SciFact claims. With --kill-after S, the first ingest is killed after S seconds and run again: the second run resumes
(its report says how many papers it found already indexed).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pdf_ingest import make_pdf  # noqa: E402
from bench.scifact import claims, papers as scifact_papers  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ASSISTANT = ROOT / ".venv" / "bin" / "assistant"


def make_library(folder: Path, count: int, rng: random.Random) -> None:
    abstracts = scifact_papers()
    folder.mkdir(parents=True, exist_ok=True)
    titles: set[str] = set()
    for number, first in enumerate(rng.sample(range(len(abstracts) - 40), count)):
        window = abstracts[first : first + 40]
        pool = [s for paper in window for s in re.split(r"(?<=[.!?])\s+", paper.abstract) if len(s) > 40]
        title = window[0].title[:90]
        title = title if title not in titles else f"{title[:80]} (part {number})"  # a library's titles differ
        titles.add(title)
        make_pdf(folder / f"paper-{number:04d}.pdf", title, pool, rng.randint(8, 12), rng, size=11,
                 figure_chance=1.0)


def run_measured(command: list[str], env: dict[str, str], kill_after: float | None = None) -> dict:
    """Run a command; its wall time, peak RSS (its own, from wait4) and output; killed with SIGKILL after kill_after s."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as log:  # a file, not a pipe: a progress bar cannot fill it and stall the child
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        killed = False
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if kill_after is not None and time.perf_counter() - started > kill_after and not killed:
                process.send_signal(signal.SIGKILL)
                killed = True
            time.sleep(0.05)
        process.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        output = log.read()
    return {"seconds": time.perf_counter() - started, "peak_rss_mb": usage.ru_maxrss / 1024, "killed": killed,
            "returncode": process.returncode, "output": output}


def ask_latencies(env: dict[str, str], questions: list[str]) -> dict:
    """ask() in one process over the questions (offline): p50/p95 in ms and that process's peak RSS."""
    script = (
        "import json, sys, time\n"
        "from assistant.service import ask\n"
        "questions = json.loads(sys.stdin.read())\n"
        "ask(questions[0], llm=None)\n"
        "times = []\n"
        "for q in questions:\n"
        "    t = time.perf_counter(); ask(q, llm=None); times.append((time.perf_counter() - t) * 1000)\n"
        "print(json.dumps(times))\n"
    )
    process = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c", script], input=json.dumps(questions),
                             env=env, capture_output=True, text=True, check=True)
    times = sorted(json.loads(process.stdout.strip().splitlines()[-1]))
    return {"p50_ms": statistics.median(times), "p95_ms": times[int(0.95 * (len(times) - 1))], "questions": len(times)}


def folder_size_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--kill-after", type=float, default=None, help="Kill the first ingest after this many seconds.")
    parser.add_argument("--keep", type=Path, default=None, help="Work in this folder and keep it (PDFs and index).")
    parser.add_argument("--out", type=Path, default=None, help="Write the figures as JSON here.")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-library-", dir="/tmp"))
    try:
        figures = run(work, args.papers, args.questions, args.kill_after)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures, indent=2))
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2) + "\n")


def run(work: Path, count: int, question_count: int, kill_after: float | None) -> dict:
    folder, data = work / "pdfs", work / "data"
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data), "ASSISTANT_SEED_WHEN_EMPTY": "false"}
    env.pop("OPENAI_API_KEY", None)
    env.pop("OPENAI_BASE_URL", None)
    started = time.perf_counter()
    if not folder.exists():
        make_library(folder, count, random.Random(23))
    print(f"made {count} PDFs in {time.perf_counter() - started:.0f} s", flush=True)

    figures: dict = {"papers": count, "load_average_before": os.getloadavg()[0]}
    ingests = []
    ingest = run_measured([str(ASSISTANT), "ingest", str(folder)], env, kill_after)
    ingests.append(ingest)
    if ingest["killed"]:
        print(f"first ingest killed after {ingest['seconds']:.0f} s; running it again", flush=True)
        ingests.append(run_measured([str(ASSISTANT), "ingest", str(folder)], env))
    for run_ in ingests:
        print(run_["output"][-1500:], flush=True)
    if ingests[-1]["returncode"] != 0:
        raise SystemExit(f"the ingest failed (exit {ingests[-1]['returncode']})")
    figures["ingests"] = [{k: v for k, v in i.items() if k != "output"} | {"report": i["output"].strip().splitlines()[-6:]}
                          for i in ingests]
    figures["index_size_mb"] = folder_size_mb(data)
    figures["pdfs_size_mb"] = folder_size_mb(folder)

    questions = [c["text"] for c in random.Random(5).sample(claims(), question_count)]
    cold = run_measured([str(ASSISTANT), "ask", "--offline", questions[0]], env)
    figures["cold_first_answer"] = {"seconds": cold["seconds"], "peak_rss_mb": cold["peak_rss_mb"]}
    figures["ask"] = ask_latencies(env, questions)
    figures["load_average_after"] = os.getloadavg()[0]
    return figures


if __name__ == "__main__":
    main()
