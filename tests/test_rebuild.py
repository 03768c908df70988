"""A rebuild without a gap: readers answer from the old generation until one pointer write switches them to the new
one; a killed rebuild leaves the old one serving and its debris goes at the next write; legacy indexes keep working;
an index left by a killed first ingest is reported, not seeded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import assistant.indexing
import assistant.store.chunk_writer
from assistant.config import Settings
from assistant.corpus import load_papers
from assistant.errors import StoreError
from assistant.indexing import ingest_paths
from assistant.models import Paper
from assistant.service import Assistant
from assistant.store import CollectionNames, PaperStore
from assistant.store.records import LiveIndex
from assistant.store.connection import listing
from conftest import SEEDS_DIR

CLI = Path(sys.executable).parent / "assistant"


@pytest.fixture(scope="module")
def papers() -> list[Paper]:
    return load_papers([SEEDS_DIR])[:10]


@pytest.fixture
def papers_file(tmp_path: Path, papers) -> Path:
    """The ten papers as a small JSONL file."""
    path = tmp_path / "papers" / "papers.jsonl"
    path.parent.mkdir()
    path.write_text("".join(json.dumps({"id": p.paper_id, "title": p.title, "abstract": p.abstract}) + "\n" for p in papers))
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "data", seeds_dir=SEEDS_DIR)


@pytest.fixture
def questions(papers) -> list[str]:
    return [paper.title for paper in papers[:4]] + ["Which papers evaluate retrieval-augmented generation?"]


def collections(settings: Settings) -> list[str]:
    """Every collection the index's folder holds."""
    return sorted(PaperStore(settings).call("list the collections", lambda client: list(listing(client))))


def results(assistant: Assistant, questions: list[str]) -> list[list[tuple[str, float]]]:
    return [[(hit.paper_id, round(hit.score, 4)) for hit in assistant.retrieve(q, k=5)] for q in questions]


def generation(settings: Settings, number: int) -> list[str]:
    return sorted([CollectionNames.pointer(settings.collection), *CollectionNames.generation(settings.collection, number)])


# -- readers during rebuilds ----------------------------------------------------------------------


def test_readers_see_neither_an_error_nor_a_gap_during_rebuilds(settings, papers_file, questions):
    ingest_paths([papers_file], settings)
    reader = Assistant(settings, offline=True)
    before = results(reader, questions)
    assert all(before)
    seen: list[list[list[tuple[str, float]]]] = []
    errors: list[Exception] = []
    done = threading.Event()
    progressed = threading.Condition()

    def read() -> None:
        while not done.is_set():
            try:
                got = results(reader, questions)
            except Exception as error:  # every failure counts, whatever its type
                got, _ = [], errors.append(error)
            with progressed:
                seen.append(got)
                progressed.notify_all()

    def one_read_while_building(_count: int) -> None:
        """Hold the rebuild until the reader has read once more from the old generation."""
        with progressed:
            target = len(seen) + 1
            assert progressed.wait_for(lambda: len(seen) >= target or bool(errors), timeout=300)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    try:
        for _ in range(4):
            report = ingest_paths([papers_file], settings, rebuild=True, progress=one_read_while_building)
            assert len(report.added) == 10
    finally:
        done.set()
        thread.join(timeout=300)

    assert errors == []
    assert len(seen) >= 4 and all(got == before for got in seen)  # never empty, never half, never another ranking
    assert results(reader, questions) == before
    assert collections(settings) == sorted(generation(settings, 5) + list(CollectionNames.generation(settings.collection, 4)))


def test_a_reader_whose_generation_was_removed_resolves_the_pointer_again(settings, papers_file, questions):
    ingest_paths([papers_file], settings)
    ingest_paths([papers_file], settings, rebuild=True)  # generation 2 is live, 1 kept until the next write
    store = PaperStore(settings)
    expected = store.count_chunks()
    connection = store.catalog._connection
    resolve, stale = connection.live, [True]

    def resolved_before_the_switch(listed):
        if stale:
            stale.pop()
            return LiveIndex(CollectionNames.generation(settings.collection, 1), 1)  # a read that resolved the pointer long ago
        return resolve(listed)

    store.call("remove generation 1",
               lambda client: [client.delete_collection(name) for name in CollectionNames.generation(settings.collection, 1)])
    connection.live = resolved_before_the_switch  # type: ignore[method-assign]

    assert store.count_chunks() == expected and stale == []


def test_a_version_read_just_before_this_process_published_does_not_reopen_the_folder(settings, papers_file, papers):
    """The race behind a rare "Could not connect to tenant" under load: a reader takes the old version from the listing,
    this process's rebuild publishes the new one and ends, and the reader, seeing a version other than the one known,
    took it for another process's change and reopened the folder under the live system."""
    from assistant.store import connection as store_connection

    ingest_paths([papers_file], settings)
    store = PaperStore(settings)
    old = store.version()
    reading = store.catalog._connection
    before = reading.publishes()
    ingest_paths([papers_file], settings, rebuild=True)  # this process publishes a new version
    new = store.version()
    assert new != old
    reopened = dict(store_connection._local.generations)

    reading.follow(old, before)  # the stale read finishes after the publish

    assert store_connection._local.generations == reopened
    assert store.version() == new and store.count_chunks() > 0
    reading.follow("another process's version", reading.publishes())  # a change this process did not make still reopens
    assert store_connection._local.generations != reopened


# -- killed rebuilds ------------------------------------------------------------------------------


def test_a_rebuild_that_raises_midway_leaves_the_old_index_answering_and_the_next_write_removes_it(
        settings, papers_file, questions, monkeypatch):
    ingest_paths([papers_file], settings)
    reader = Assistant(settings, offline=True)
    before, version = results(reader, questions), PaperStore(settings).version()
    chunked = []

    def chunk_then_fail(paper, *args):
        chunked.append(paper.paper_id)
        if len(chunked) == 6:
            raise RuntimeError("the chunker failed")
        return real_chunk_paper(paper, *args)

    real_chunk_paper = assistant.indexing.chunk_paper
    monkeypatch.setattr(assistant.indexing, "chunk_paper", chunk_then_fail)
    with pytest.raises(RuntimeError, match="the chunker failed"):  # passed on as it is: not taken for a damaged index
        ingest_paths([papers_file], settings, rebuild=True)
    monkeypatch.undo()

    assert collections(settings) == sorted(generation(settings, 1) + list(CollectionNames.generation(settings.collection, 2)))
    assert PaperStore(settings).version() == version and results(reader, questions) == before

    def fail_after_the_first_batch(_count: int) -> None:
        raise RuntimeError("stopped")

    monkeypatch.setattr(assistant.store.chunk_writer, "_WRITE_BATCH", 4)
    with pytest.raises(RuntimeError, match="stopped"):
        ingest_paths([papers_file], settings, rebuild=True, progress=fail_after_the_first_batch)
    assert collections(settings) == sorted(generation(settings, 1) + list(CollectionNames.generation(settings.collection, 3)))
    assert PaperStore(settings).version() == version and results(reader, questions) == before

    report = ingest_paths([papers_file], settings)  # the next write

    assert report.chunks_written == 0 and collections(settings) == generation(settings, 1)
    assert results(reader, questions) == before


KILLED_REBUILD = """
import os, signal, sys
import assistant.store.chunk_writer
from assistant.config import Settings
from assistant.indexing import ingest_paths

data_dir, papers_file = sys.argv[1:3]
assistant.store.chunk_writer._WRITE_BATCH = 4
batches = []

def progress(count):
    batches.append(count)
    if len(batches) == 2:
        os.kill(os.getpid(), signal.SIGKILL)

ingest_paths([papers_file], Settings(_env_file=None, data_dir=data_dir), rebuild=True, progress=progress)
"""


def test_a_killed_rebuild_process_leaves_the_old_index_answering(settings, papers_file, questions, tmp_path):
    ingest_paths([papers_file], settings)
    reader = Assistant(settings, offline=True)
    before = results(reader, questions)

    killed = subprocess.run([sys.executable, "-c", KILLED_REBUILD, str(settings.data_dir), str(papers_file)],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path, env=dict(os.environ))

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert collections(settings) == sorted(generation(settings, 1) + list(CollectionNames.generation(settings.collection, 2)))
    assert results(reader, questions) == before
    assert results(Assistant(settings.model_copy(), offline=True), questions) == before  # a reader opening it afresh

    report = ingest_paths([papers_file], settings, rebuild=True)

    assert len(report.added) == 10
    assert collections(settings) == sorted(generation(settings, 3) + list(CollectionNames.generation(settings.collection, 1)))
    assert results(reader, questions) == before


def test_a_reader_follows_a_rebuild_by_another_process(settings, papers_file, papers, tmp_path):
    ingest_paths([papers_file], settings)
    reader = Assistant(settings, offline=True)
    question = "Which paper reports the migration of quokkas?"
    assert reader.retrieve(question, k=1)[0].paper_id != papers[3].paper_id
    lines = papers_file.read_text().splitlines()
    revised = json.loads(lines[3]) | {"abstract": json.loads(lines[3])["abstract"] + " It also reports the migration of quokkas."}
    papers_file.write_text("\n".join([*lines[:3], json.dumps(revised), *lines[4:]]) + "\n")

    rebuilt = run_cli("ingest", "--rebuild", str(papers_file), data_dir=settings.data_dir, cwd=tmp_path)

    assert rebuilt.returncode == 0, rebuilt.stderr
    assert PaperStore(settings).live_names() == CollectionNames.generation(settings.collection, 2)
    hit = reader.retrieve(question, k=1)[0]  # this process's Chroma system was reopened for the new generation
    assert hit.paper_id == papers[3].paper_id and "quokkas" in hit.abstract


# -- the legacy layout ----------------------------------------------------------------------------


def make_legacy(settings: Settings) -> None:
    """Rename generation 1 to the names of the layout before generations, with the papers' texts as their catalog
    records' documents (as that layout kept them), and remove the pointer."""
    def rename(client):
        names = CollectionNames.generation(settings.collection, 1)
        papers, texts = client.get_collection(names.papers), client.get_collection(names.texts)
        records = papers.get(include=["metadatas"])
        held = texts.get(ids=[f"{pid}#{meta['hash']}" for pid, meta in zip(records["ids"], records["metadatas"])],
                         include=["metadatas"])
        papers.update(ids=[meta["paper_id"] for meta in held["metadatas"]], documents=[meta["text"] for meta in held["metadatas"]])
        client.delete_collection(names.texts)
        for new, old in zip(CollectionNames.of(settings.collection), names):
            client.get_collection(old).modify(name=new)
        client.delete_collection(CollectionNames.pointer(settings.collection))

    PaperStore(settings).call("make the legacy layout", rename)


def test_a_legacy_index_is_read_then_rebuilt_into_generations(settings, papers_file, questions):
    ingest_paths([papers_file], settings)
    before = results(Assistant(settings, offline=True), questions)
    make_legacy(settings)
    assert collections(settings) == sorted(CollectionNames.of(settings.collection))

    reader = Assistant(settings, offline=True)
    assert results(reader, questions) == before
    assert PaperStore(settings).live_names() == CollectionNames.of(settings.collection)

    ingest_paths([papers_file], settings, rebuild=True)

    assert PaperStore(settings).live_names() == CollectionNames.generation(settings.collection, 1)
    assert collections(settings) == sorted(generation(settings, 1) + list(CollectionNames.of(settings.collection)))
    assert results(reader, questions) == before
    ingest_paths([papers_file], settings)  # the next write removes the legacy collections
    assert collections(settings) == generation(settings, 1)
    assert results(reader, questions) == before


def test_a_legacy_staging_collection_left_by_a_killed_rebuild_is_removed_at_the_next_write(settings, papers_file):
    ingest_paths([papers_file], settings)
    staging = CollectionNames.of(CollectionNames.staging(settings.collection))
    PaperStore(settings).call("leave a staging collection", lambda client: client.create_collection(staging.papers, embedding_function=None))

    ingest_paths([papers_file], settings)

    assert collections(settings) == generation(settings, 1)


# -- a killed first ingest ------------------------------------------------------------------------


def run_cli(*args: str, data_dir: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, ASSISTANT_DATA_DIR=str(data_dir), ASSISTANT_SEEDS_DIR=str(SEEDS_DIR))
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def test_an_index_left_by_a_killed_first_ingest_is_reported_not_seeded(settings, papers_file, questions, monkeypatch, tmp_path):
    def fail(*_):
        raise RuntimeError("killed")

    monkeypatch.setattr(assistant.indexing, "chunk_paper", fail)
    with pytest.raises(RuntimeError):
        ingest_paths([papers_file], settings)
    monkeypatch.undo()
    assert PaperStore(settings).version() == "empty"

    with pytest.raises(StoreError, match=r"holds no finished ingest.*`assistant ingest") as raised:
        Assistant(settings, offline=True).retrieve(questions[0])
    assert str(settings.data_dir) in str(raised.value)
    done = run_cli("ingest", "--if-missing", data_dir=settings.data_dir, cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr and "holds no finished ingest" in done.stderr, done.stderr
    assert PaperStore(settings).count_papers() == 0  # the seed papers were not put into it

    ingest_paths([papers_file], settings)  # what the message says to do
    assert Assistant(settings, offline=True).retrieve(questions[0], k=1)[0].title == questions[0]
    assert run_cli("ingest", "--if-missing", data_dir=settings.data_dir, cwd=tmp_path).stdout.startswith("Index ready: 10 papers")


def test_ensure_index_seeds_only_when_there_is_no_index(settings, papers_file):
    assistant = Assistant(settings.model_copy(update={"seeds_dir": papers_file.parent}), offline=True)

    report = assistant.ensure_index()

    assert report is not None and len(report.added) == 10
    assert assistant.ensure_index() is None
