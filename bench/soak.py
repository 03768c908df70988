"""Soak and chaos: 8 threads answer for N minutes while another process ingests, re-ingests and rebuilds in a loop,
and the `chroma run` server holding the index is restarted and paused (SIGSTOP/SIGCONT) at intervals.

    .venv/bin/python bench/soak.py                    # 10 minutes, 8 threads, a throwaway server on 127.0.0.1
    .venv/bin/python bench/soak.py --minutes 2 --json soak.json
    .venv/bin/python bench/soak.py --kill-publish      # the kill-during-publish case, on a local index (see below)

Reports questions answered, errors by kind (and whether they fell inside a server-down/paused window or a rebuild),
answers differing from a serial reference taken before the chaos starts, lost papers and chunks at the end, and the
RSS and open file descriptors of the answering process at start and end. Answers are offline (extractive), so a
differing answer means the index or the retrieval changed, not an LLM. All traffic stays on 127.0.0.1.

--kill-publish: a local index of the seeds; in a loop, a child process ingests a batch of 20-200 off-topic papers and is
SIGKILLed while it publishes (after a random number of catalog writes, or just before the switch; one round in five is
not killed), and the next round ingests either the same batch again or a new one. Meanwhile the threads ask the seed
questions and read the catalog. Reported: partial batches visible (a batch of which some but not all papers were seen
by a reader), disagreements (stats, collections and papers counting differently while no ingest runs), wrong answers
(answers to the seed questions citing a batch's off-topic paper; answers that only differ from the reference taken
before any batch are counted apart, since every added paper changes the collection's BM25 statistics), and lost papers and chunks (a finished batch's papers
missing at the end, or an embedded chunk of a live paper deleted). All must be 0.
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
sys.path.insert(0, str(ROOT / "tests"))
from processes import end_process  # noqa: E402  (the tests' way of ending a child process)

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
    parser.add_argument("--kill-publish", action="store_true", help="Run the kill-during-publish case (local index) instead.")
    parser.add_argument("--writer", action="store_true", help=argparse.SUPPRESS)  # the ingesting child process
    parser.add_argument("--publish-child", type=Path, help=argparse.SUPPRESS)  # a batch file, ingested then killed
    parser.add_argument("--kill-after", type=int, default=0, help=argparse.SUPPRESS)
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
        end_process(process, timeout=15)
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
    if args.publish_child:
        publish_child(args)
        return
    if args.kill_publish:
        report = kill_publish(args)
        text = json.dumps(report, indent=2)
        print(text)
        if args.json:
            args.json.write_text(text + "\n")
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


# -- the kill-during-publish case ---------------------------------------------------------------------

def publish_child(args: argparse.Namespace) -> None:
    """Ingest a batch file, SIGKILLed after args.kill_after writes of catalog records (-1: just before the pointer
    switch; 0: not killed)."""
    from chromadb.api.models.Collection import Collection

    import assistant.store.chunk_writer
    import assistant.store.connection
    from assistant.config import Settings
    from assistant.indexing import ingest_paths

    assistant.store.chunk_writer._PUBLISH_BATCH = 10  # a catalog write per 10 papers: many moments to be killed at
    upsert, point_to = Collection.upsert, assistant.store.connection.Connection.point_to
    writes = [0]

    def counted(self, *a, **k):
        result = upsert(self, *a, **k)
        if "_papers" in self.name:
            writes[0] += 1
            if writes[0] == args.kill_after:
                os.kill(os.getpid(), signal.SIGKILL)
        return result

    def switch(self, client, number, exists, catalog=0):
        if args.kill_after == -1 and catalog:
            os.kill(os.getpid(), signal.SIGKILL)
        return point_to(self, client, number, exists, catalog)

    Collection.upsert = counted  # type: ignore[method-assign]
    assistant.store.connection.Connection.point_to = switch  # type: ignore[method-assign]
    report = ingest_paths([args.publish_child], Settings(_env_file=None, data_dir=args.workdir / "data"))
    print(report.summary())


def batch_file(folder: Path, number: int, size: int) -> tuple[Path, set[str]]:
    """A JSON Lines file of `size` off-topic papers (shorebird counts: never the answer to a seed question)."""
    path = folder / f"batch-{number}.jsonl"
    ids = [f"batch{number}-{n}" for n in range(size)]
    path.write_text("".join(json.dumps({"id": pid, "title": f"Shorebird census {number}.{n}",
                                        "abstract": f"We counted dunlins and knots on mudflat {n} in winter {number}. "
                                                    f"Flock {n} roosted at high tide near the saltmarsh."}) + "\n"
                            for n, pid in enumerate(ids)))
    return path, set(ids)


def kill_publish(args: argparse.Namespace) -> dict:
    from assistant import ask
    from assistant.config import Settings
    from assistant.indexing import ingest_paths
    from assistant.named_collections import list_collections
    from assistant.store import PaperStore

    questions = [json.loads(line)["question"] for line in args.questions_file.read_text().splitlines() if line.strip()]
    own_workdir = args.workdir is None
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="soak-kill-"))
    settings = Settings(_env_file=None, data_dir=workdir / "data", seeds_dir=args.seeds)
    try:
        ingest_paths([args.seeds], settings)
        reference = {q: outcome(ask(q, settings=settings, llm=None)) for q in questions}
        base = set(PaperStore(settings).snapshot().papers)
        batches: dict[int, set[str]] = {}  # every batch file made, by number
        lock, stop = threading.Lock(), threading.Event()
        counts = Counter()
        partial: list[str] = []
        wrong: list[str] = []  # answers citing a paper that is not a seed paper (a batch's, off-topic)
        differing: list[str] = []  # answers citing seed papers, but not as before the batches came in
        errors: list[str] = []

        def reader(seed: int) -> None:
            rng = random.Random(seed)
            store = PaperStore(settings)
            while not stop.is_set():
                try:
                    if rng.random() < 0.5:
                        question = rng.choice(questions)
                        got = outcome(ask(question, settings=settings, llm=None))
                        with lock:
                            counts["answered"] += 1
                            if any(pid not in base for pid in got[1]):  # a shorebird count never answers these
                                wrong.append(question)
                            elif got != reference[question]:
                                differing.append(question)
                    else:
                        held = set(store.snapshot().papers)
                        with lock:
                            counts["catalog reads"] += 1
                            for number, ids in list(batches.items()):
                                if 0 < len(ids & held) < len(ids):
                                    partial.append(f"batch {number}: {len(ids & held)} of {len(ids)} seen")
                except Exception as error:  # every failure is counted; the soak goes on
                    with lock:
                        errors.append(f"{type(error).__name__}: {str(error)[:400]}")  # the cause is near the end
                    time.sleep(0.5)

        threads = [threading.Thread(target=reader, args=(n,), daemon=True) for n in range(args.threads)]
        for thread in threads:
            thread.start()
        rng = random.Random(22)
        until = time.time() + args.minutes * 60
        rounds: Counter = Counter()
        disagreements: list[str] = []
        finished: set[int] = set()
        current: tuple[int, Path] | None = None
        number = 0
        while time.time() < until:
            if current is None or rng.random() < 0.5:  # a new batch; else the interrupted one again
                number += 1
                path, ids = batch_file(workdir, number, rng.randint(20, 200))
                with lock:
                    batches[number] = ids
                current = (number, path)
            draw = rng.random()  # one round in five not killed, one in five killed just before the switch
            kill_after = 0 if draw < 0.2 else -1 if draw < 0.4 else rng.randint(1, max(1, len(batches[current[0]]) // 10))
            child = subprocess.run([sys.executable, __file__, "--publish-child", str(current[1]), "--kill-after",
                                    str(kill_after), "--workdir", str(workdir)],
                                   env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True)
            killed = child.returncode == -signal.SIGKILL
            rounds["killed" if killed else ("finished" if child.returncode == 0 else "failed")] += 1
            if child.returncode == 0:
                finished.add(current[0])
                if "rolled back" in child.stdout:
                    rounds["rolled back by the next ingest"] += 1
                if "published now" in child.stdout:
                    rounds["finished by the next ingest"] += 1
                current = None
            elif not killed:
                errors.append(f"ingest failed: {child.stderr.strip()[-300:]}")
            store = PaperStore(settings)  # no ingest runs now: every way in must count the same papers
            snapshot = store.snapshot()
            sizes = {info.name: info.papers for info in list_collections(settings)}
            seen = (len(snapshot.papers), store.count_papers(), sizes.get(settings.collection))
            if len(set(seen)) != 1:
                disagreements.append(f"after round {sum(rounds.values())}: catalog, stats, collections = {seen}")
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        store = PaperStore(settings)
        held = set(store.snapshot().papers)
        expected = base | {pid for n in finished for pid in batches[n]}
        live = store.all_chunks()
        missing_chunks = sum(max(0, record.chunk_count - sum(1 for c in live if c.paper_id == pid and c.index_hash == record.index_hash))
                             for pid, record in store.snapshot().papers.items())
        return {
            "case": "kill during publish (local index)", "minutes": args.minutes, "threads": args.threads,
            "rounds": dict(rounds), "batches": len(batches), "batches_finished": len(finished),
            "answered": counts["answered"], "catalog_reads": counts["catalog reads"],
            "lost_papers": len(expected - held), "lost_chunks": missing_chunks,
            "partial_batches_visible": len(partial), "partial_examples": partial[:5],
            "disagreements": len(disagreements), "disagreement_examples": disagreements[:5],
            "wrong_answers": len(wrong), "wrong_examples": sorted(set(wrong))[:5],
            "answers_differing_from_reference": len(differing), "differing_questions": len(set(differing)),
            "errors": len(errors), "error_examples": sorted(set(errors))[:5],
        }
    finally:
        if own_workdir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
