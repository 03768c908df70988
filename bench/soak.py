"""Soak and chaos: 8 threads answer for N minutes while another process ingests, re-ingests and rebuilds in a loop,
and the `chroma run` server holding the index is restarted and paused (SIGSTOP/SIGCONT) at intervals.

    .venv/bin/python bench/soak.py                    # 10 minutes, 8 threads, a throwaway server on 127.0.0.1
    .venv/bin/python bench/soak.py --minutes 2 --json soak.json

Reports questions answered, errors by kind (and whether they fell inside a server-down/paused window or a rebuild),
answers differing from a serial reference taken before the chaos starts, lost papers and chunks at the end, and the
RSS and open file descriptors of the answering process at start and end. Answers are offline (extractive), so a
differing answer means the index or the retrieval changed, not an LLM. All traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DEFAULT_QUESTIONS = ROOT.parent / "shared" / "eval" / "questions.jsonl"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="How long the threads answer (default: 10).")
    parser.add_argument("--threads", type=int, default=8, help="Answering threads (default: 8).")
    parser.add_argument("--chaos-every", type=float, default=30.0, help="Seconds between server restarts/pauses (default: 30).")
    parser.add_argument("--pause-seconds", type=float, default=8.0, help="How long a pause lasts (default: 8).")
    parser.add_argument("--chroma-timeout", type=float, default=5.0, help="CHROMA_TIMEOUT of all clients (default: 5).")
    parser.add_argument("--questions-file", type=Path, default=DEFAULT_QUESTIONS, help="A .jsonl with a 'question' per line.")
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds", help="The papers indexed (default: the seeds folder).")
    parser.add_argument("--workdir", type=Path, help="Where the server's and clients' files go (default: a temp folder, removed).")
    parser.add_argument("--json", type=Path, help="Also write the report as JSON here.")
    parser.add_argument("--writer", action="store_true", help=argparse.SUPPRESS)  # the ingesting child process
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--until", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--log", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def settings_for(port: int, data_dir: Path, chroma_timeout: float, seeds: Path):
    from assistant.config import Settings

    return Settings(_env_file=None, data_dir=data_dir, seeds_dir=seeds, chroma_host=HOST, chroma_port=port,
                    chroma_timeout=chroma_timeout, lock_stale_seconds=20.0)


# -- the server ---------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Server:
    """`chroma run` on 127.0.0.1, restartable on the same port and path, pausable."""

    def __init__(self, path: Path):
        self.path, self.port = path, free_port()
        self.process: subprocess.Popen | None = None
        self.log = path.with_name("chroma.log")

    def alive(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{self.port}/api/v2/heartbeat", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([str(Path(sys.executable).parent / "chroma"), "run", "--host", HOST, "--port",
                                             str(self.port), "--path", str(self.path)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not self.alive():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chroma run did not start; see {self.log}")
            time.sleep(0.1)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGCONT)
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        while self.alive():
            time.sleep(0.1)

    def signal(self, sig: signal.Signals) -> None:
        if self.process is not None:
            self.process.send_signal(sig)


# -- the writer process ---------------------------------------------------------------------------------

def writer_main(args: argparse.Namespace) -> None:
    """Ingest, re-ingest and rebuild the seeds in a loop until args.until; each operation logged as one JSON line."""
    from assistant.errors import AssistantError
    from assistant.indexing import ingest_paths

    settings = settings_for(args.port, args.workdir / "writer", args.chroma_timeout, args.seeds)
    operations = ["ingest", "reingest", "rebuild"]
    step = 0
    with args.log.open("a") as log:
        while time.time() < args.until:
            operation = operations[step % len(operations)]
            step += 1
            started = time.time()
            outcome = "ok"
            try:
                report = ingest_paths([args.seeds], settings, rebuild=operation == "rebuild", on_wait=lambda m: None)
                outcome = f"ok: {report.summary()}"
            except AssistantError as error:
                outcome = f"error: {str(error)[:300]}"
            log.write(json.dumps({"operation": operation, "start": started, "end": time.time(), "outcome": outcome}) + "\n")
            log.flush()


# -- measurements ---------------------------------------------------------------------------------------

def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def outcome(answer) -> tuple[str, tuple[str, ...]]:
    return answer.text, tuple(c.paper_id for c in answer.citations)


def error_kind(error: BaseException) -> str:
    text = str(error)
    for marker, kind in (("did not answer within", "server stalled (timeout)"), ("did not answer", "server down"),
                         ("does not exist", "collection missing"), ("damaged", "reported damaged"),
                         ("writer lock", "lock")):
        if marker in text:
            return f"{type(error).__name__}: {kind}"
    return f"{type(error).__name__}: {text[:80]}"


def within(moment: float, windows: list[tuple[float, float]], slack: float) -> bool:
    return any(start - slack <= moment <= end + slack for start, end in windows)


# -- the soak -------------------------------------------------------------------------------------------

def main() -> None:
    args = parse_args()
    if args.writer:
        writer_main(args)
        return
    from assistant import ask
    from assistant.corpus import load_papers
    from assistant.indexing import ingest_paths
    from assistant.store import PaperStore

    questions = [json.loads(line)["question"] for line in args.questions_file.read_text().splitlines() if line.strip()]
    own_workdir = args.workdir is None
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="soak-"))
    server = Server(workdir / "index")
    server.start()
    writer = None
    try:
        settings = settings_for(server.port, workdir / "reader", args.chroma_timeout, args.seeds)
        expected = {p.paper_id for p in load_papers([args.seeds])}
        ingest_paths([args.seeds], settings)
        reference = {q: outcome(ask(q, settings=settings, llm=None)) for q in questions}  # serial, before any chaos
        start_rss, start_fds = rss_mb(), open_fds()

        duration = args.minutes * 60
        until = time.time() + duration
        writer_log = workdir / "writer.jsonl"
        writer = subprocess.Popen([sys.executable, __file__, "--writer", "--port", str(server.port), "--until", str(until),
                                   "--log", str(writer_log), "--workdir", str(workdir), "--seeds", str(args.seeds),
                                   "--chroma-timeout", str(args.chroma_timeout)],
                                  env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.DEVNULL)

        lock = threading.Lock()
        answered, differing = Counter(), Counter()
        errors: list[tuple[float, str]] = []
        stop = threading.Event()

        def answer_loop(seed: int) -> None:
            rng = random.Random(seed)
            while not stop.is_set():
                question = rng.choice(questions)
                try:
                    got = outcome(ask(question, settings=settings, llm=None))
                except Exception as error:  # every failure is counted by kind; the soak goes on
                    with lock:
                        errors.append((time.time(), error_kind(error)))
                    time.sleep(0.5)
                    continue
                with lock:
                    answered["all"] += 1
                    if got != reference[question]:
                        differing[question] += 1

        threads = [threading.Thread(target=answer_loop, args=(n,), daemon=True) for n in range(args.threads)]
        for thread in threads:
            thread.start()

        down: list[tuple[float, float]] = []  # server restarting or paused
        events = Counter()
        turn = 0
        while time.time() < until:
            time.sleep(max(0.0, min(args.chaos_every, until - time.time())))
            if time.time() >= until:
                break
            began = time.time()
            if turn % 2 == 0:
                server.stop()
                server.start()
                events["restart"] += 1
            else:
                server.signal(signal.SIGSTOP)
                time.sleep(args.pause_seconds)
                server.signal(signal.SIGCONT)
                events["pause"] += 1
            down.append((began, time.time()))
            turn += 1
        stop.set()
        for thread in threads:
            thread.join(timeout=args.chroma_timeout * 4 + 60)
        writer.wait(timeout=900)

        writes = [json.loads(line) for line in writer_log.read_text().splitlines()] if writer_log.exists() else []
        rebuilds = [(w["start"], w["end"]) for w in writes if w["operation"] == "rebuild"]
        slack = args.chroma_timeout + 1
        in_down = Counter(kind for moment, kind in errors if within(moment, down, slack))
        in_rebuild = Counter(kind for moment, kind in errors if not within(moment, down, slack) and within(moment, rebuilds, 1))
        elsewhere = Counter(kind for moment, kind in errors if not within(moment, down, slack) and not within(moment, rebuilds, 1))

        store = PaperStore(settings)
        held = set(store.snapshot().papers)
        final = ingest_paths([args.seeds], settings)
        end_rss, end_fds = rss_mb(), open_fds()
        report = {
            "minutes": args.minutes, "threads": args.threads, "questions": len(questions),
            "answered": answered["all"], "differing_answers": sum(differing.values()),
            "differing_questions": len(differing),
            "errors_total": len(errors),
            "errors_in_server_down_windows": dict(in_down),
            "errors_during_rebuilds": dict(in_rebuild),
            "errors_elsewhere": dict(elsewhere),
            "chaos_events": dict(events),
            "writer_operations": dict(Counter(f"{w['operation']} {w['outcome'].split(':')[0]}" for w in writes)),
            "lost_papers": sorted(expected - held)[:20], "lost_paper_count": len(expected - held),
            "final_ingest": final.summary(),
            "rss_mb": {"start": round(start_rss, 1), "end": round(end_rss, 1)},
            "open_fds": {"start": start_fds, "end": end_fds},
        }
    finally:
        if writer is not None and writer.poll() is None:
            writer.kill()
        server.stop()
        if own_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
