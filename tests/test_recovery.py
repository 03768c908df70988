"""Never destroy data to recover: a missing database is an error (never a silent re-seed), a bad collection name is
refused before anything opens the index, and a rebuild sets aside nothing but the collection it rebuilds.

Real files and real subprocesses of the `assistant` command, as a user would meet them.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import sys
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.store import PaperStore
from one_paper_seeds import one_paper_seeds

CLI = Path(sys.executable).parent / "assistant"


def run_cli(*args: str, data_dir: Path, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("ASSISTANT_")}
    environment.update(ASSISTANT_DATA_DIR=str(data_dir), ASSISTANT_SEEDS_DIR=str(cwd / "seeds"), **env)
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, env=environment, cwd=cwd, timeout=600)


def papers_file(folder: Path, name: str, count: int) -> Path:
    path = folder / f"{name}.jsonl"
    path.write_text("\n".join(json.dumps({"title": f"{name.title()} paper {n}",
                                          "abstract": f"Finding number {n} of the {name} study about quokkas."})
                              for n in range(count)) + "\n")
    return path


@pytest.fixture
def two_collections(tmp_path: Path) -> Path:
    """A data dir holding the default collection (two papers) and the collection 'thesis' (three papers)."""
    one_paper_seeds(tmp_path)
    data_dir = tmp_path / "data"
    for args in ((str(papers_file(tmp_path, "default", 2)),),
                 (str(papers_file(tmp_path, "thesis", 3)), "--collection", "thesis")):
        done = run_cli("ingest", *args, data_dir=data_dir, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    return data_dir


def sizes(data_dir: Path) -> dict[str, int]:
    return PaperStore(Settings(_env_file=None, data_dir=data_dir)).collection_sizes()


def assert_one_line(done: subprocess.CompletedProcess, *expected: str) -> None:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, done.stderr
    for text in expected:
        assert text in lines[0], lines[0]


# -- a deleted database ------------------------------------------------------------------------------

def test_a_deleted_database_is_an_error_never_a_silent_re_seed(two_collections, tmp_path):
    database = two_collections / "chroma" / "chroma.sqlite3"
    database.unlink()

    for command in (["ask", "what do rover wheels slip on?"], ["stats"], ["collections"], ["papers"]):
        done = run_cli(*command, data_dir=two_collections, cwd=tmp_path)
        assert_one_line(done, "missing its database", str(database), "'thesis'", "backup")
        assert not database.exists()  # nothing was created in its place (no seeded index hiding the others)


def test_a_rebuild_after_a_deleted_database_keeps_the_old_files_and_says_where(two_collections, tmp_path):
    (two_collections / "chroma" / "chroma.sqlite3").unlink()
    done = run_cli("ingest", "--rebuild", str(tmp_path / "default.jsonl"), data_dir=two_collections, cwd=tmp_path)

    # the folder held 'thesis' too: a rebuild of the default collection does not move it aside
    assert_one_line(done, "'thesis'", "nothing was moved")
    assert not list(two_collections.glob("chroma.damaged-*"))


def test_seeding_happens_only_into_a_data_dir_that_never_held_an_index(tmp_path):
    one_paper_seeds(tmp_path)
    data_dir = tmp_path / "data"
    first = run_cli("ask", "what do rover wheels slip on?", data_dir=data_dir, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert (data_dir / "index-held.json").exists() and sizes(data_dir) == {"papers": 1}

    (data_dir / "chroma" / "chroma.sqlite3").unlink()
    again = run_cli("ask", "what do rover wheels slip on?", data_dir=data_dir, cwd=tmp_path)
    assert_one_line(again, "missing its database")
    rebuilt = run_cli("ingest", "--rebuild", data_dir=data_dir, cwd=tmp_path)  # the one collection: a new start is fine
    assert rebuilt.returncode == 0, rebuilt.stderr
    moved = list(data_dir.glob("chroma.damaged-*"))
    assert len(moved) == 1 and f"moved to {moved[0]}" in rebuilt.stdout and "to restore it" in rebuilt.stdout
    assert sizes(data_dir) == {"papers": 1}


# -- a bad ASSISTANT_COLLECTION ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["Ev il", "../etc", "x" * 41])
def test_a_bad_collection_variable_is_refused_before_the_index_is_opened(two_collections, tmp_path, name):
    before = sizes(two_collections)
    listing = sorted(p.name for p in two_collections.iterdir())

    for command in (["stats"], ["ask", "anything?"], ["ingest", "--rebuild", str(tmp_path / "default.jsonl")]):
        done = run_cli(*command, data_dir=two_collections, cwd=tmp_path, ASSISTANT_COLLECTION=name)
        assert_one_line(done, "ASSISTANT_COLLECTION", "cannot name a collection")
        assert "damaged" not in done.stderr

    assert sorted(p.name for p in two_collections.iterdir()) == listing  # nothing set aside
    assert sizes(two_collections) == before == {"papers": 2, "thesis": 3}


def test_a_good_collection_variable_works_as_the_option_does(two_collections, tmp_path):
    done = run_cli("stats", data_dir=two_collections, cwd=tmp_path, ASSISTANT_COLLECTION="thesis")
    assert done.returncode == 0, done.stderr
    assert "3" in done.stdout


# -- a rebuild scoped to one collection -------------------------------------------------------------------

def test_a_rebuild_of_one_collection_never_moves_the_others_aside(two_collections, tmp_path):
    database = two_collections / "chroma" / "chroma.sqlite3"
    damaged = b"this is not a database " * 30000
    database.write_bytes(damaged)

    done = run_cli("ingest", "--rebuild", str(tmp_path / "thesis.jsonl"), "--collection", "thesis",
                   data_dir=two_collections, cwd=tmp_path)

    assert_one_line(done, "'papers'", "nothing was moved", "backup")
    assert not list(two_collections.glob("chroma.damaged-*")) and database.read_bytes() == damaged


# -- honest reports ----------------------------------------------------------------------------------------

KILLED_WHILE_WRITING = """
import json, os, signal, sys
import assistant.store.chunk_writer
from assistant.config import Settings
from assistant.indexing import ingest_paths

assistant.store.chunk_writer._WRITE_BATCH = 4

def progress(count):
    os.kill(os.getpid(), signal.SIGKILL)  # the first batch of chunks stored: killed before anything is published

ingest_paths([sys.argv[2]], Settings(_env_file=None, data_dir=sys.argv[1]), progress=progress)
"""


def test_the_reported_time_of_a_recovery_includes_every_step(tmp_path, monkeypatch):
    import assistant.indexing
    from assistant.indexing import ingest_paths

    data_dir, papers = tmp_path / "data", papers_file(tmp_path, "recovery", 12)
    killed = subprocess.run([sys.executable, "-c", KILLED_WHILE_WRITING, str(data_dir), str(papers)],
                            capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert killed.returncode == -9, killed.stderr
    moments: dict[str, float] = {}
    store_sentences, write = assistant.indexing.store_sentences, PaperStore.ingest

    def timed_write(self, *args, **kwargs):
        moments["writing"] = time.perf_counter()
        return write(self, *args, **kwargs)

    def timed_sentences(*args, **kwargs):
        try:
            return store_sentences(*args, **kwargs)
        finally:
            moments["sentences done"] = time.perf_counter()

    monkeypatch.setattr(PaperStore, "ingest", timed_write)
    monkeypatch.setattr(assistant.indexing, "store_sentences", timed_sentences)
    started = time.perf_counter()
    report = ingest_paths([papers], Settings(_env_file=None, data_dir=data_dir))
    waited = time.perf_counter() - started

    assert report.seconds >= moments["sentences done"] - moments["writing"]  # the sentence step is counted
    assert report.seconds <= waited
    assert list(report.steps) == ["reading the files", "writing the index", "BM25", "dense matrix", "sentence vectors"]
    assert sum(report.steps.values()) <= report.seconds  # disjoint parts of the whole
    assert "sentence vectors" in report.summary() and f"{report.seconds:.1f} s" in report.summary()
