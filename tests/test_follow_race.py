"""A reader thread's follow() (reopening the local folder after another process's ingest) never fails another thread's
read: a read keeps the Chroma system it started with, a new one is opened for the reads after, and the old one is
stopped when its last read leaves. Under the kill-during-publish soak, about one answer in 1,000 failed as "damaged or
unreadable" (a KeyError on the folder, or "Could not connect to tenant default_tenant") before."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from chromadb.api.shared_system_client import SharedSystemClient

from assistant.config import Settings
from assistant.corpus import load_papers
from assistant.indexing import ingest_paths
from assistant.store import PaperStore
from assistant.store.connection import listing, live_index
from conftest import SEEDS_DIR

WAIT = 120  # seconds: only a guard against a hang, never reached when the code works


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    papers = load_papers([SEEDS_DIR])[:6]
    path = tmp_path / "papers.jsonl"
    path.write_text("".join(json.dumps({"id": p.paper_id, "title": p.title, "abstract": p.abstract}) + "\n" for p in papers))
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", seeds_dir=SEEDS_DIR)
    ingest_paths([path], settings)
    return settings


def _system(settings: Settings) -> Any:
    return SharedSystemClient._identifier_to_system.get(str(Path(settings.data_dir) / "chroma"))


def test_a_read_opening_the_folder_while_another_thread_follows_a_new_version_reads_it_and_reports_no_damage(
        settings, monkeypatch):
    """The race of the soak, made deterministic: each read of one thread opens the folder (another process published
    since its last read), and while chromadb creates the new system, another thread's follow() sees yet another
    version. Before, follow() dropped the system being opened from chromadb's cache under the read: it failed with a
    KeyError on the folder, read again once, and failed again as "damaged or unreadable"."""
    reader, follower = PaperStore(settings), PaperStore(settings)
    expected = reader.count_papers()
    assert expected == 6
    opening = threading.Event()
    followed = threading.Event()
    stop = threading.Event()
    reading = threading.current_thread()
    create = SharedSystemClient._create_system_if_not_exists

    def create_then_let_another_thread_follow(cls: Any, identifier: str, chroma_settings: Any) -> Any:
        system = create(identifier, chroma_settings)
        if threading.current_thread() is reading:
            followed.clear()
            opening.set()
            assert followed.wait(WAIT), "the other thread did not follow"
        return system

    def follow_whenever_the_reader_opens() -> None:
        number = 0
        while opening.wait(WAIT) and not stop.is_set():
            opening.clear()
            number += 1
            follower.catalog._connection.follow(f"version {number} of another process")
            followed.set()

    monkeypatch.setattr(SharedSystemClient, "_create_system_if_not_exists", classmethod(create_then_let_another_thread_follow))
    other = threading.Thread(target=follow_whenever_the_reader_opens, daemon=True)
    other.start()
    counts, snapshots = [], []
    try:
        for number in range(3):
            follower.catalog._connection.follow(f"a version published before read {number}")
            counts.append(reader.count_papers())
            follower.catalog._connection.follow(f"another version published before read {number}")
            snapshots.append(len(reader.snapshot().papers))
    finally:
        stop.set()
        opening.set()
        other.join(WAIT)
    assert counts == [expected] * 3 and snapshots == [expected] * 3


def test_a_read_keeps_its_system_through_another_threads_reopen_which_is_stopped_when_the_read_leaves(settings):
    """A read held inside the folder's system while another thread follows a new version: reads after the follow get
    a new system at once, the held read finishes on its own, and its system is stopped then (its memory freed), not
    before. Before, the old system was dropped from chromadb's cache but never stopped."""
    holder, other = PaperStore(settings), PaperStore(settings)
    expected = other.count_papers()
    old = _system(settings)
    assert old is not None and old._running
    inside, release = threading.Event(), threading.Event()
    got: list[Any] = []

    def held_read(client: Any) -> int:
        inside.set()
        assert release.wait(WAIT)
        live = live_index(settings.collection, listing(client))
        assert live is not None
        return int(client.get_collection(live.names.papers, embedding_function=None).count())

    def read() -> None:
        try:
            got.append(holder.call("read the catalog", held_read))
        except Exception as error:  # every failure counts, whatever its type
            got.append(error)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    assert inside.wait(WAIT)
    other.catalog._connection.follow("a version published by another process")
    try:
        assert other.count_papers() == expected and other.snapshot().papers  # a new system, while the read holds the old
        new = _system(settings)
        assert new is not None and new is not old and new._running
        assert old._running  # the held read still uses it
    finally:
        release.set()
        thread.join(WAIT)
    assert got == [expected]
    assert not old._running and new._running
    assert holder.count_papers() == expected and _system(settings) is new
