"""Checksums on the derived files (BM25 folder, dense matrix, sentence vectors): damage that keeps a file's size (its
body zeroed behind an intact header) is detected and the files are made again from the store, as a truncation is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.corpus import load_papers
from assistant.dense import dense_dir
from assistant.indexing import ingest_papers
from assistant.lexical import lexical_dir
from assistant.sentence_vectors import load_sentences, sentences_dir
from assistant.store import PaperStore
from assistant.version_files import intact
from conftest import SEEDS_DIR, copy_index

CLI = Path(sys.executable).parent / "assistant"
QUESTION = "Which paper benchmarks multimodal retrieval-augmented generation?"
ANSWER = "benchmarking-multimodal-retrieval-augmented-generation-with-2a11fb"
NPY_HEADER = 128  # numpy's header (magic, version, shape): kept, so that only the checksum can tell


@pytest.fixture
def settings(tmp_path: Path, five_paper_index: Path) -> Settings:
    return Settings(_env_file=None, data_dir=copy_index(five_paper_index, tmp_path), seeds_dir=SEEDS_DIR)


def zero_body(path: Path) -> None:
    """Overwrite everything after the header with zeros, in place: same size, same header."""
    size = path.stat().st_size
    with path.open("r+b") as file:
        file.seek(NPY_HEADER)
        file.write(b"\0" * (size - NPY_HEADER))


def live_folder(directory: Path) -> Path:
    [folder] = [p for p in directory.iterdir() if not p.name.startswith(".")]
    return folder


def ask_json(settings: Settings, cwd: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ASSISTANT_")}
    env.update(ASSISTANT_DATA_DIR=str(settings.data_dir), ASSISTANT_SEEDS_DIR=str(SEEDS_DIR))
    done = subprocess.run([str(CLI), "ask", QUESTION, "--json", "--offline"], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_derived_files_zeroed_at_their_own_size_are_detected_and_made_again(settings, tmp_path):
    store = PaperStore(settings)
    folders = {"bm25": live_folder(lexical_dir(settings)), "dense": live_folder(dense_dir(store)),
               "sentences": live_folder(sentences_dir(settings))}
    damaged = [path for folder in folders.values() for path in sorted(folder.rglob("*.npy"))]
    sizes = {path: path.stat().st_size for path in damaged}
    assert any("bm25" in str(p) for p in damaged) and any("dense" in str(p) for p in damaged)
    for path in damaged:
        zero_body(path)
    assert all(path.stat().st_size == sizes[path] for path in damaged)
    assert load_sentences(settings, store.embedder, store.version()) is None  # detected: not used

    answer = ask_json(settings, tmp_path)  # a new process, as a user's next question

    assert ANSWER in [citation["paper_id"] for citation in answer["citations"]]
    for kind in ("bm25", "dense"):  # made again from the store, on disk
        folder = live_folder(lexical_dir(settings) if kind == "bm25" else dense_dir(store))
        assert intact(folder)
        assert all(path.read_bytes()[NPY_HEADER:].strip(b"\0") for path in folder.rglob("*.npy") if path.stat().st_size > NPY_HEADER + 64)
    ingest_papers(load_papers([SEEDS_DIR])[:5], settings)  # nothing changed: the sentence vectors are made again
    assert intact(live_folder(sentences_dir(settings)))
    assert load_sentences(settings, store.embedder, store.version()) is not None


@pytest.mark.parametrize("kind", ["bm25", "dense", "sentences"])
def test_one_damaged_file_is_enough_to_set_its_folder_aside(settings, kind):
    store = PaperStore(settings)
    directory = {"bm25": lexical_dir(settings), "dense": dense_dir(store), "sentences": sentences_dir(settings)}[kind]
    folder = live_folder(directory)
    assert intact(folder)
    target = max(folder.rglob("*.npy"), key=lambda p: p.stat().st_size)
    with target.open("r+b") as file:  # one byte flipped, nowhere near the header
        file.seek(target.stat().st_size - 1)
        last = file.read(1)
        file.seek(target.stat().st_size - 1)
        file.write(bytes([last[0] ^ 0xFF]))
    assert not intact(folder)


def test_a_folder_is_read_whole_once_per_state_and_damage_after_that_is_still_detected(settings, monkeypatch):
    """intact() reads the files once per process and state of the folder (a BM25 index loaded with mmap is not read
    whole at every load); a write after that, even at the same size with the modification time set back, is seen."""
    import assistant.version_files as version_files

    folder = live_folder(lexical_dir(settings))
    files = [path for path in folder.rglob("*") if path.is_file() and path.name != "checksums.json"]
    read: list[Path] = []
    checksum = version_files._checksum
    monkeypatch.setattr(version_files, "_checksum", lambda path: read.append(path) or checksum(path))

    assert intact(folder) and sorted(read) == sorted(files)
    assert intact(folder) and intact(folder) and len(read) == len(files)  # the same state: no file read again

    target = max(folder.rglob("*.npy"), key=lambda p: p.stat().st_size)
    before = target.stat()
    with target.open("r+b") as file:  # one byte flipped, then the modification time put back
        file.seek(before.st_size - 1)
        last = file.read(1)
        file.seek(before.st_size - 1)
        file.write(bytes([last[0] ^ 0xFF]))
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert target.stat().st_size == before.st_size and target.stat().st_mtime_ns == before.st_mtime_ns

    assert not intact(folder) and not intact(folder)


def _written_folder(tmp_path: Path) -> Path:
    from assistant.version_files import write_checksums

    folder = tmp_path / "v1"
    (folder / "sub").mkdir(parents=True)
    (folder / "big.npy").write_bytes(bytes(range(256)) * 64)
    (folder / "sub" / "small.json").write_text('{"a": 1}')
    write_checksums(folder)
    return folder


def test_files_that_keep_the_identity_recorded_at_write_are_not_read_and_a_write_after_it_is_seen(tmp_path, monkeypatch):
    """What another process sees: the folder as written is trusted on a stat per file (nothing read); a write to a file
    right after the record (the same clock tick, the same size, its modification time put back) is still seen."""
    import assistant.version_files as version_files

    folder = _written_folder(tmp_path)
    read: list[Path] = []
    checksum = version_files._checksum
    monkeypatch.setattr(version_files, "_checksum", lambda path: read.append(path) or checksum(path))
    monkeypatch.setattr(version_files, "_verified", {})  # a new process
    assert intact(folder) and read == []
    assert not (folder / ".tick").exists()

    target = folder / "big.npy"
    before = target.stat()
    with target.open("r+b") as file:
        file.seek(100)
        file.write(b"\xff")
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert target.stat().st_size == before.st_size and target.stat().st_mtime_ns == before.st_mtime_ns
    assert not intact(folder) and read  # read, and refused


def test_a_copied_folder_is_read_once_then_trusted_a_truncated_or_missing_file_is_refused(tmp_path, monkeypatch):
    import shutil

    import assistant.version_files as version_files

    copy = tmp_path / "copy"
    shutil.copytree(_written_folder(tmp_path), copy)  # other inodes: the recorded identity no longer holds
    read: list[Path] = []
    checksum = version_files._checksum
    monkeypatch.setattr(version_files, "_checksum", lambda path: read.append(path) or checksum(path))
    assert intact(copy) and len(read) == 2
    assert intact(copy) and len(read) == 2  # read once per process and state
    with (copy / "big.npy").open("r+b") as file:
        file.truncate(1000)
    assert not intact(copy)
    (copy / "sub" / "small.json").unlink()
    assert not intact(copy)


def test_a_record_without_identities_is_checked_by_its_crcs(tmp_path):
    folder = _written_folder(tmp_path)
    files = json.loads((folder / "checksums.json").read_text())
    assert all(len(record) == 5 for record in files.values())
    (folder / "checksums.json").write_text(json.dumps({name: record[:2] for name, record in files.items()}))  # an older release's
    assert intact(folder)
    (folder / "checksums.json").write_text(json.dumps({name: [record[0], "00000000", *record[2:]] for name, record in files.items()}))
    assert intact(folder)  # the files keep their identity: the CRCs are not read
    (folder / "sub" / "small.json").write_text('{"a": 2}')  # the same size, written after the record
    assert not intact(folder)
