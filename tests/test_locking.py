"""One writer at a time: concurrent ingests lose nothing, a second writer waits then gives up clearly, a dead
holder's lock is taken over (embedded store: flock; Chroma server: heartbeat record)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.chunking import chunk_paper
from assistant.config import Settings
from assistant.corpus import load_papers
from assistant.indexing import ingest_papers
from assistant.store.lock import WriterLockTimeout, writer_lock
from assistant.store.server_lock import ServerLockRecord
from assistant.models import Paper
from assistant.store import PaperStore, index_hash
from chroma_server import HOST, ChromaServer
from conftest import SEEDS_DIR

ROOT = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "assistant"

HOLD_LOCK = """
import sys, time
from assistant.config import Settings
from assistant.store.lock import writer_lock
from assistant.store import PaperStore

settings = Settings(_env_file=None, data_dir=sys.argv[1], chroma_host=sys.argv[2] or None, chroma_port=int(sys.argv[3]),
                    lock_stale_seconds=float(sys.argv[4]), collection=sys.argv[5])
with writer_lock(settings, PaperStore(settings)):
    print("held", flush=True)
    time.sleep(600)
"""


def write_jsonl(path: Path, papers: list[Paper]) -> Path:
    path.write_text("".join(json.dumps({"id": p.paper_id, "title": p.title, "abstract": p.abstract}) + "\n" for p in papers))
    return path


def expected_chunk_ids(papers: list[Paper], settings: Settings) -> list[str]:
    return sorted(f"{p.paper_id}#{index_hash(p, settings)}#{c.index}" for p in papers
                  for c in chunk_paper(p, settings.chunk_tokens, settings.chunk_overlap, settings.tokenizer_encoding))


def environment(**variables: str) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT), **variables)


def ingest_at_once(files: list[Path], env: dict[str, str], cwd: Path) -> list[subprocess.CompletedProcess]:
    """`assistant ingest FILE` for every file, all started together; their results once all have ended."""
    running = [subprocess.Popen([str(CLI), "ingest", str(f)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env, cwd=cwd) for f in files]
    done = []
    for process in running:
        out, err = process.communicate(timeout=600)
        done.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return done


@pytest.fixture(scope="module")
def two_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    seeds = load_papers([SEEDS_DIR])
    folder = tmp_path_factory.mktemp("inputs")
    return write_jsonl(folder / "a.jsonl", seeds[:8]), write_jsonl(folder / "b.jsonl", seeds[30:38])  # small: the race is the test


def hold_lock_in_a_process(settings: Settings, cwd: Path) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(settings.data_dir), settings.chroma_host or "", str(settings.chroma_port),
         str(settings.lock_stale_seconds), settings.collection],
        stdout=subprocess.PIPE, text=True, env=environment(), cwd=cwd)
    assert holder.stdout.readline().strip() == "held"
    return holder


# -- embedded store -------------------------------------------------------------------------------

def test_two_ingests_at_once_lose_no_paper_and_no_chunk(two_files, tmp_path):
    papers = load_papers(list(two_files))
    for attempt in range(2):
        data_dir = tmp_path / f"data-{attempt}"
        done = ingest_at_once(list(two_files), environment(ASSISTANT_DATA_DIR=str(data_dir)), tmp_path)

        assert [d.returncode for d in done] == [0, 0], [d.stderr for d in done]
        settings = Settings(_env_file=None, data_dir=data_dir)
        store = PaperStore(settings)
        assert sorted(store.snapshot().papers) == sorted(p.paper_id for p in papers)
        assert sorted(c.chunk_id for c in store.all_chunks()) == expected_chunk_ids(papers, settings)
        again = ingest_papers(papers, settings)
        assert again.chunks_written == 0 and len(again.unchanged) == len(papers)


def test_a_second_writer_waits_then_gives_up_with_a_clear_message(two_files, tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", lock_timeout=0.5)
    papers = load_papers([two_files[0]])
    told: list[str] = []
    with writer_lock(settings, PaperStore(settings)):
        with pytest.raises(WriterLockTimeout) as raised:
            ingest_papers(papers, settings, on_wait=told.append)

    me = f"pid {os.getpid()} on {socket.gethostname()}, since "
    assert len(told) == 1 and me in told[0] and "waiting up to 0.5 s" in told[0]
    assert me in str(raised.value) and "after waiting 0.5 s" in str(raised.value) and "ASSISTANT_LOCK_TIMEOUT" in str(raised.value)
    assert PaperStore(settings).count_papers() == 0  # nothing was written

    ingest_papers(papers, settings)  # the lock is free again
    assert PaperStore(settings).count_papers() == len(papers)


def test_the_cli_shows_the_wait_and_then_one_clear_error(two_files, tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    with writer_lock(settings, PaperStore(settings)):
        done = subprocess.run([str(CLI), "ingest", str(two_files[0])], capture_output=True, text=True, cwd=tmp_path,
                              env=environment(ASSISTANT_DATA_DIR=str(settings.data_dir), ASSISTANT_LOCK_TIMEOUT="1"),
                              timeout=300)

    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith(f"Another ingest (pid {os.getpid()} on ") and "waiting up to 1 s" in lines[0]
    assert lines[-1].startswith("Error: Another ingest") and "after waiting 1 s" in lines[-1]


def test_the_lock_of_a_killed_writer_is_taken_over(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    holder = hold_lock_in_a_process(settings, tmp_path)
    try:
        with pytest.raises(WriterLockTimeout, match=f"pid {holder.pid} on "):
            with writer_lock(settings, PaperStore(settings), timeout=0):
                pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=60)

    with writer_lock(settings, PaperStore(settings), timeout=60) as held:
        assert held.owner.pid == os.getpid()


# -- Chroma server --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    with ChromaServer(tmp_path_factory.mktemp("lock-server") / "index") as running:
        yield running


def server_settings(server: ChromaServer, data_dir: Path, collection: str, **options) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, chroma_host=HOST, chroma_port=server.port, collection=collection,
                    **options)


@pytest.mark.server
def test_two_ingests_at_once_into_a_server_lose_nothing(server, two_files, tmp_path):
    papers = load_papers(list(two_files))
    for attempt in range(2):
        collection = f"together{attempt}"
        env = environment(CHROMA_HOST=HOST, CHROMA_PORT=str(server.port), ASSISTANT_COLLECTION=collection,
                          ASSISTANT_DATA_DIR=str(tmp_path / "data"))
        done = ingest_at_once(list(two_files), env, tmp_path)

        assert [d.returncode for d in done] == [0, 0], [d.stderr for d in done]
        settings = server_settings(server, tmp_path / "data", collection)
        store = PaperStore(settings)
        assert sorted(store.snapshot().papers) == sorted(p.paper_id for p in papers)
        assert sorted(c.chunk_id for c in store.all_chunks()) == expected_chunk_ids(papers, settings)


@pytest.mark.server
def test_a_second_server_writer_waits_then_gives_up(server, tmp_path):
    settings = server_settings(server, tmp_path / "data", "waiting", lock_timeout=0.5)
    told: list[str] = []
    with writer_lock(settings, PaperStore(settings)) as first:
        with pytest.raises(WriterLockTimeout) as raised:
            with writer_lock(settings, PaperStore(settings), on_wait=told.append):
                pass
        first.ensure_held()

    assert len(told) == 1 and f"pid {os.getpid()} on {socket.gethostname()}" in told[0]
    assert f"chroma server {HOST}:{server.port} (collection waiting)" in str(raised.value)
    with writer_lock(settings, PaperStore(settings), timeout=0) as again:  # released: free at once
        again.ensure_held()


@pytest.mark.server
def test_a_dead_server_writer_is_taken_over_after_its_heartbeat_stops(server, tmp_path):
    settings = server_settings(server, tmp_path / "data", "takeover", lock_stale_seconds=1.0)
    holder = hold_lock_in_a_process(settings, tmp_path)
    try:
        patient = settings.model_copy(update={"lock_stale_seconds": 60.0})
        with pytest.raises(WriterLockTimeout, match=f"pid {holder.pid} on "):  # alive: its heartbeat is fresh
            with writer_lock(patient, PaperStore(patient), timeout=0):
                pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=60)

    with writer_lock(settings, PaperStore(settings), timeout=60) as held:  # its heartbeat goes stale: taken over
        held.ensure_held()
        assert held.owner.pid == os.getpid()


@pytest.mark.server
def test_a_writer_whose_lock_was_taken_over_stops_before_publishing(server, tmp_path):
    settings = server_settings(server, tmp_path / "data", "lost", lock_stale_seconds=0.4)
    store = PaperStore(settings)
    with writer_lock(settings, store) as held:
        record = ServerLockRecord(settings, store)
        store.call("break the lock", lambda client: record._collection(client).update(
            ids=[f"epoch-{1:012d}"], metadatas=[{"token": "someone-else"}]))
        for _ in range(600):  # the heartbeat thread notices at its next beat
            if held.lost:
                break
            time.sleep(0.05)
        with pytest.raises(Exception, match="lost the writer lock"):
            held.ensure_held()


@pytest.mark.server
def test_a_lock_this_process_failed_to_release_is_taken_back_at_once(server, tmp_path):
    settings = server_settings(server, tmp_path / "data", "leftover")
    store = PaperStore(settings)
    record = ServerLockRecord(settings, store)
    with writer_lock(settings, store) as held:
        pass
    # as if the release had failed (server down): the record still names this process, unreleased
    store.call("unrelease", lambda client: record._collection(client).update(ids=[f"epoch-{1:012d}"], metadatas=[{"released": False}]))

    with writer_lock(settings, store, timeout=0) as again:  # no wait for the stale limit
        again.ensure_held()
    assert again.owner.token != held.owner.token
