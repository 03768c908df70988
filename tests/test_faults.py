"""Faults: an ingest killed midway, a damaged or unreadable index, a read-only data directory, a full disk.

Each ends in a StoreError that says what to do (never a traceback), and none touches the seeds folder.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import chromadb
import pytest

import assistant.store.chunk_writer
from chromadb.api.models.Collection import Collection
from chromadb.errors import InternalError

from assistant.service import ask
from assistant.config import Settings
from assistant.corpus import load_papers
from assistant.errors import StoreError
from assistant.indexing import ingest_papers
from assistant.lexical import LexicalIndex, lexical_dir
from assistant.sentence_vectors import load_sentences
from assistant.models import Paper
from assistant.retrieval import Retriever
from assistant.store import DamagedIndexError, PaperStore
from assistant.store.connection import Connection
from conftest import SEEDS_DIR, copy_index

CLI = Path(sys.executable).parent / "assistant"
QUESTION = "Which paper benchmarks multimodal retrieval-augmented generation?"
ANSWER = "benchmarking-multimodal-retrieval-augmented-generation-with-2a11fb"


def folder_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(folder)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


SEEDS_DIGEST = folder_digest(SEEDS_DIR)


@pytest.fixture(autouse=True)
def seeds_untouched():
    """Whatever a fault does, the paper files it was built from stay as they were."""
    yield
    assert folder_digest(SEEDS_DIR) == SEEDS_DIGEST


@pytest.fixture(scope="module")
def papers() -> list[Paper]:
    return load_papers([SEEDS_DIR])[:7]


@pytest.fixture
def settings(tmp_path: Path, five_paper_index: Path) -> Settings:
    """Settings of a fresh copy of the five-paper index (papers[:5]; never opened by this process before the test)."""
    return Settings(_env_file=None, data_dir=copy_index(five_paper_index, tmp_path), seeds_dir=SEEDS_DIR)


def revised(paper: Paper) -> Paper:
    return paper.model_copy(update={"abstract": paper.abstract + " A revision adds one more finding about quokkas."})


def state(store: PaperStore) -> tuple:
    """Everything a reader can see: version, catalog and every stored chunk."""
    chunks = sorted((c.chunk_id, c.start, c.end) for c in store.all_chunks())
    papers = {pid: (r.index_hash, r.abstract, r.chunk_count) for pid, r in store.snapshot().papers.items()}
    return store.version(), papers, chunks


def run_cli(*args: str, data_dir: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, ASSISTANT_DATA_DIR=str(data_dir))
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def assert_one_clear_line(done: subprocess.CompletedProcess, *expected: str) -> None:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
    for text in expected:
        assert text in lines[0]


# -- an ingest killed midway ----------------------------------------------------------------------

KILLED_INGEST = """
import json, os, signal, sys
import assistant.store.chunk_writer
from assistant.config import Settings
from assistant.indexing import ingest_papers
from assistant.models import Paper

data_dir, papers_file, when = sys.argv[1:4]
papers = [Paper(**record) for record in json.loads(open(papers_file).read())]
assistant.store.chunk_writer._WRITE_BATCH = 4
batches = []

def die(*_, **__):
    os.kill(os.getpid(), signal.SIGKILL)

def progress(count):
    batches.append(count)
    if when == "writing" and len(batches) == 2:
        print(sum(batches), flush=True)  # chunks stored (batches hold whole papers: about _WRITE_BATCH chunks each)
        die()

if when == "publishing":
    assistant.store.chunk_writer.ChunkWriter.remove_stale = staticmethod(die)
ingest_papers(papers, Settings(_env_file=None, data_dir=data_dir), sync=True, progress=progress)
"""


@pytest.fixture(scope="module")
def final_set(papers) -> list[Paper]:
    """Two papers revised, two unchanged, one removed, two added."""
    return [revised(papers[0]), revised(papers[1]), papers[2], papers[3], papers[5], papers[6]]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, final_set) -> tuple:
    """What a clean ingest of the final set into a fresh directory holds."""
    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("clean") / "data")
    ingest_papers(final_set, settings, sync=True)
    return state(PaperStore(settings))[1:]


@pytest.mark.parametrize("when", ["writing", "publishing"])
def test_an_ingest_killed_midway_converges_to_a_clean_ingest(settings, papers, final_set, clean, tmp_path, when):
    papers_file = tmp_path / "papers.json"
    papers_file.write_text(json.dumps([p.model_dump() for p in final_set]))
    old_catalog = {p.paper_id: p.abstract for p in papers[:5]}

    killed = subprocess.run([sys.executable, "-c", KILLED_INGEST, str(settings.data_dir), str(papers_file), when],
                            capture_output=True, text=True, cwd=tmp_path, timeout=300)

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    store = PaperStore(settings)
    catalog = {pid: record.abstract for pid, record in store.snapshot().papers.items()}
    stored = int(killed.stdout.split()[-1]) if when == "writing" else 0
    if when == "writing":  # new chunks stored, but invisible: readers still see exactly the old index
        assert catalog == old_catalog
        assert 8 <= stored < len(clean[1]) and len(state(store)[2]) == 13 + stored
        hits = Retriever(settings, store).retrieve("quokkas", k=5)
        assert all(hit.abstract == old_catalog[hit.paper_id] for hit in hits)
    else:  # published, stale chunks not yet removed
        assert catalog == {p.paper_id: p.abstract for p in final_set}
        assert len(state(store)[2]) > len(clean[1])

    report = ingest_papers(final_set, settings, sync=True)

    assert state(store)[1:] == clean
    assert store.count_chunks() == len(clean[1]) == len({chunk[0] for chunk in clean[1]})
    planned = sum(record[2] for pid, record in clean[0].items() if pid not in {papers[2].paper_id, papers[3].paper_id})
    assert report.chunks_written == (planned - stored if when == "writing" else 0)  # what the killed run stored is kept
    sentences = load_sentences(settings, store.embedder, store.version())  # papers the killed run stored in part included
    assert sentences is not None and len(sentences) == len(final_set)


def only_live_versions(store: PaperStore) -> bool:
    """Whether every stored chunk of a paper the catalog holds is of the version the catalog names, all of them there."""
    papers = store.snapshot().papers
    held = [c for c in store.all_chunks() if c.paper_id in papers]
    return all(papers[c.paper_id].index_hash == c.index_hash for c in held) and \
        len(held) == sum(record.chunk_count for record in papers.values())


def test_an_ingest_sweeps_only_the_versions_it_replaced_once_the_catalog_was_swept(settings, papers, monkeypatch):
    """Into a swept catalog, an ingest that is no sync removes the versions its batch replaced by id: the million
    other chunks are not paged out of Chroma."""
    ingest_papers(papers[:5], settings, sync=True)  # a sync sweeps everything, and marks the catalog swept
    monkeypatch.setattr(assistant.store.chunk_writer.ChunkWriter, "remove_stale",
                        staticmethod(lambda *a, **k: pytest.fail("every chunk was looked at")))
    report = ingest_papers([revised(papers[2]), papers[5]], settings)
    assert report.updated == [papers[2].paper_id] and report.added == [papers[5].paper_id]
    assert only_live_versions(PaperStore(settings))


def test_an_ingest_killed_before_its_sweep_is_swept_by_the_next_one_that_is_no_sync(settings, papers, final_set, tmp_path):
    papers_file = tmp_path / "papers.json"
    papers_file.write_text(json.dumps([p.model_dump() for p in final_set]))
    killed = subprocess.run([sys.executable, "-c", KILLED_INGEST, str(settings.data_dir), str(papers_file), "publishing"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not only_live_versions(PaperStore(settings))  # published, the replaced versions still stored

    ingest_papers([revised(papers[2])], settings)  # not a sync: the unfinished sweep is done all the same

    assert only_live_versions(PaperStore(settings))


# -- a damaged index --------------------------------------------------------------------------------

def fill_with_garbage(sqlite: Path) -> None:
    sqlite.write_bytes(b"this is not a database " * 30000)


def truncate(sqlite: Path) -> None:
    with sqlite.open("r+b") as file:
        file.truncate(8192)


def replace_with_folder(sqlite: Path) -> None:
    sqlite.unlink()
    sqlite.mkdir()


@pytest.mark.parametrize("damage", [fill_with_garbage, truncate, replace_with_folder], ids=["garbage", "truncated", "unreadable"])
def test_a_damaged_index_says_rebuild_and_a_rebuild_repairs_it(settings, papers, damage):
    chroma = settings.data_dir / "chroma"
    damage(chroma / "chroma.sqlite3")

    with pytest.raises(DamagedIndexError, match=r"damaged or unreadable .* run `assistant ingest --rebuild`") as raised:
        PaperStore(settings).count_papers()
    assert str(chroma) in str(raised.value)
    with pytest.raises(StoreError, match="--rebuild"):
        ask(QUESTION, settings=settings, llm=None)
    with pytest.raises(StoreError, match="--rebuild"):
        ingest_papers(papers[:5], settings)

    report = ingest_papers(papers[:5], settings, rebuild=True)

    kept = list(settings.data_dir.glob("chroma.damaged-*"))
    assert len(kept) == 1 and (kept[0] / "chroma.sqlite3").exists()
    assert f"moved to {kept[0]}" in report.summary()
    answer = ask(QUESTION, settings=settings, llm=None)  # the same process, the same cached services
    assert ANSWER in [c.paper_id for c in answer.citations]


def test_the_cli_on_a_damaged_index_prints_one_clear_line(settings, tmp_path):
    fill_with_garbage(settings.data_dir / "chroma" / "chroma.sqlite3")
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(json.dumps({"title": f"Paper {n}", "abstract": f"Finding number {n} about quokkas."})
                               for n in range(2)))

    for command in (["stats"], ["ingest"]):
        assert_one_clear_line(run_cli(*command, data_dir=settings.data_dir, cwd=tmp_path), "assistant ingest --rebuild",
                              str(settings.data_dir / "chroma"))

    repaired = run_cli("ingest", "--rebuild", str(small), data_dir=settings.data_dir, cwd=tmp_path)
    assert repaired.returncode == 0, repaired.stderr
    assert "2 added" in repaired.stdout and "The damaged index was moved to" in repaired.stdout
    assert PaperStore(settings).count_papers() == 2


# -- permissions ------------------------------------------------------------------------------------

def assert_permission_message(error: StoreError, data_dir: Path) -> None:
    message = str(error)
    assert "no permission" in message and f"Check the permissions of {data_dir}" in message
    assert "ASSISTANT_DATA_DIR" in message and "--rebuild" not in message


def test_a_read_only_data_dir_says_check_permissions(settings, papers, monkeypatch):
    """As root (file modes do not stop root), Chroma fails as in a folder it cannot write: every command says check
    the permissions. As anyone else the folder really is read-only: it is still asked (from a private copy, see
    tests/test_read_only.py), and only the ingest says check the permissions."""
    store = PaperStore(settings)
    paths = [settings.data_dir, *settings.data_dir.rglob("*")]
    as_root = os.geteuid() == 0
    with monkeypatch.context() as patch:
        if as_root:
            def read_only(*args, **kwargs):
                raise InternalError("error returned from database: (code: 8) attempt to write a readonly database")

            patch.setattr(chromadb, "PersistentClient", read_only)
        else:
            for path in paths:
                path.chmod(path.stat().st_mode & ~0o222)
        try:
            if as_root:
                with pytest.raises(StoreError) as counting:
                    store.count_papers()
                with pytest.raises(StoreError) as asking:
                    ask(QUESTION, settings=settings, llm=None)
            else:
                assert store.count_papers() == 5
                assert ANSWER in [c.paper_id for c in ask(QUESTION, settings=settings, llm=None).citations]
            with pytest.raises(StoreError) as ingesting:
                ingest_papers([revised(papers[0])], settings)
        finally:
            for path in paths:
                path.chmod(path.stat().st_mode | 0o200)

    for raised in ((counting, asking, ingesting) if as_root else (ingesting,)):
        assert_permission_message(raised.value, settings.data_dir)
    assert store.count_papers() == 5  # fixed: the same store works again, no restart needed


def test_permission_errors_from_the_file_system_say_check_permissions(settings, monkeypatch):
    def denied(self, generation):
        raise PermissionError(errno.EACCES, "Permission denied", str(settings.data_dir / "chroma"))

    monkeypatch.setattr(Connection, "_open", denied)
    with pytest.raises(StoreError) as raised:
        PaperStore(settings).count_papers()
    assert_permission_message(raised.value, settings.data_dir)


@pytest.fixture
def shared_tmp():
    """A folder another user can reach (pytest's own tmp folders are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="assistant-perm-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_an_unreadable_or_read_only_index_says_check_permissions(settings, shared_tmp):
    """For real: as root, the CLI runs as `nobody`; as anyone else, the folder is chmod-ed."""
    if os.geteuid() != 0:
        chroma = settings.data_dir / "chroma"
        chroma.chmod(0o000)
        try:
            with pytest.raises(StoreError) as raised:
                PaperStore(settings).count_papers()
        finally:
            chroma.chmod(0o755)
        assert_permission_message(raised.value, settings.data_dir)
        return
    if not shutil.which("setpriv"):
        pytest.skip("setpriv is needed to run the CLI as another user")
    as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    probe = subprocess.run([*as_nobody, str(CLI), "--help"], capture_output=True, text=True, cwd=shared_tmp, timeout=300)
    if probe.returncode != 0:  # e.g. the checkout lives in a folder only root may enter (mktemp -d)
        pytest.skip(f"nobody cannot run {CLI} here, so the real permission check cannot run: {probe.stderr.strip()[:200]}")
    for mode in (0o755, 0o700):  # read-only for nobody (asked all the same), then not even readable
        data_dir = shared_tmp / f"data-{mode:o}"
        shutil.copytree(settings.data_dir, data_dir)
        for path in [data_dir, *data_dir.rglob("*")]:
            path.chmod(0o644 if path.is_file() else 0o755)
        data_dir.chmod(mode)
        env = dict(os.environ, ASSISTANT_DATA_DIR=str(data_dir), HOME=str(shared_tmp))
        done = subprocess.run([*as_nobody, str(CLI), "stats"],
                              capture_output=True, text=True, env=env, cwd=shared_tmp, timeout=300)
        if "setpriv:" in done.stderr:
            pytest.skip(f"cannot switch to nobody here: {done.stderr.strip()}")
        if mode == 0o755:  # only an ingest needs write access
            assert done.returncode == 0 and "papers:   5" in done.stdout, done.stderr
            continue
        assert_one_clear_line(done, "no permission", f"Check the permissions of {data_dir}")


# -- a full disk ------------------------------------------------------------------------------------

@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device"),
                                   InternalError("error returned from database: (code: 13) database or disk is full")],
                         ids=["ENOSPC", "sqlite-full"])
def test_a_full_disk_says_free_space_and_leaves_the_index_as_it_was(settings, papers, monkeypatch, error):
    store = PaperStore(settings)
    before = state(store)
    changed = [revised(papers[0]), papers[5]]

    def full(*args, **kwargs):
        raise error

    with monkeypatch.context() as patch:
        patch.setattr(Collection, "upsert", full)
        with pytest.raises(StoreError, match="Free some disk space") as raised:
            ingest_papers(changed, settings)
    assert "is full" in str(raised.value) and "--rebuild" not in str(raised.value)
    assert state(store) == before

    report = ingest_papers(changed, settings)  # space freed: the same ingest now completes
    assert report.updated == [papers[0].paper_id] and report.added == [papers[5].paper_id]


def test_a_bm25_index_that_cannot_be_saved_still_answers(settings, papers, monkeypatch, caplog):
    directory = lexical_dir(settings)
    saved_before = sorted(p.name for p in directory.iterdir())

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(Path, "write_text", full)
        ingest_papers([revised(papers[0])], settings)
        hits = Retriever(settings).retrieve("quokkas", k=1, method="lexical")

    assert hits[0].paper_id == papers[0].paper_id
    assert "Could not save the BM25 index" in caplog.text
    assert sorted(p.name for p in directory.iterdir()) == saved_before  # no half-written folder left behind
    assert LexicalIndex.load(directory, PaperStore(settings).version()) is None


def test_a_paper_text_that_cannot_be_stored_is_not_called_a_damaged_index(settings, papers):
    from assistant.models import Paper

    before = PaperStore(settings).count_papers()
    bad = Paper(paper_id="bad-text", title="A paper with a broken character", abstract="Volatility of \ud835 at day t.")
    with pytest.raises(StoreError) as raised:
        ingest_papers([bad], settings)
    assert not isinstance(raised.value, DamagedIndexError)
    assert "characters that cannot be stored" in str(raised.value) and "unchanged" in str(raised.value)
    assert PaperStore(settings).count_papers() == before  # nothing lost, nothing half-written
