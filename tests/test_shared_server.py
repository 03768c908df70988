"""Two app processes with their own data dirs (two machines) on one real `chroma run` server: what one changes, the
other, already running, sees; both recover when the server restarts."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.corpus import load_papers
from assistant.errors import CollectionError, StoreError
from assistant.indexing import ingest_papers
from assistant.models import Paper
from assistant.collection import delete_collection
from assistant.service import Assistant
from chroma_server import HOST, ChromaServer
from conftest import SEEDS_DIR

pytestmark = pytest.mark.server

DAFORMER = "daformer-improving-network-architectures-and-training-047533"
QUESTION = "Where's the code for DAFormer?"
INTERVAL_MS = 100  # how late B may see A's change (Settings.version_check_ms)


def machine(port: int, data_dir: Path, collection: str = "papers") -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, seeds_dir=SEEDS_DIR, chroma_host=HOST, chroma_port=port,
                    collection=collection, seed_when_empty=collection == "papers", version_check_ms=INTERVAL_MS)


def cited(answer) -> list[str]:
    return [citation.paper_id for citation in answer.citations]


def later() -> None:
    """Wait past B's version-check interval (B has no publish signal of A's: another data dir)."""
    time.sleep(2 * INTERVAL_MS / 1000)


@pytest.fixture(scope="module")
def papers() -> list[Paper]:
    seeds = load_papers([SEEDS_DIR])
    daformer = next(p for p in seeds if p.paper_id == DAFORMER)
    return [p for p in seeds if p.paper_id != DAFORMER][:4] + [daformer]


def test_an_ingest_and_a_collection_deletion_through_a_reach_a_running_b(papers, tmp_path):
    with ChromaServer(tmp_path / "index") as server:
        a = machine(server.port, tmp_path / "a", "lab")
        b = machine(server.port, tmp_path / "b", "lab")
        ingest_papers(papers[:4], a)
        reader = Assistant(b, offline=True)
        assert DAFORMER not in cited(reader.ask(QUESTION))  # B is running, its indexes loaded

        ingest_papers(papers[4:], a)
        later()
        assert DAFORMER in cited(reader.ask(QUESTION))

        assert delete_collection("lab", a) == 5
        later()
        for attempt in (reader.ask, reader.retrieve):  # nothing of the deleted collection is served from B's files
            with pytest.raises(CollectionError, match="no collection 'lab'"):
                attempt(QUESTION)


def test_both_machines_recover_when_the_server_restarts(papers, tmp_path):
    server = ChromaServer(tmp_path / "index").start()
    try:
        a, b = machine(server.port, tmp_path / "a"), machine(server.port, tmp_path / "b")
        ingest_papers(papers, a)
        writer, reader = Assistant(a, offline=True), Assistant(b, offline=True)
        before = [cited(writer.ask(QUESTION)), cited(reader.ask(QUESTION))]

        server.kill()
        later()
        for running in (writer, reader):
            with pytest.raises(StoreError, match="chroma run"):
                running.ask("Which papers use a transformer?")  # a question not asked before: no cached answer
        server.start()  # the same port and path

        later()
        after = [cited(writer.ask(QUESTION)), cited(reader.ask(QUESTION))]
        ingest_papers([papers[0].model_copy(update={"abstract": papers[0].abstract + " A quokka benchmark."})], b)
        later()
        assert papers[0].paper_id in cited(writer.ask("Which paper adds a quokka benchmark?"))  # B's ingest reaches A
    finally:
        server.stop()

    assert all(DAFORMER in ids for ids in before) and after == before
