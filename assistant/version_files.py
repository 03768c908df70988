"""Files derived from one index version (BM25, dense matrix, sentence vectors), kept beside the Chroma data: written
whole with a checksum of every file, then renamed; a folder whose files no longer match (truncated, zeroed, overwritten
at the same size) is not used: it is made again from the store, like a missing one.

The record also holds each file's identity as written (inode, size, modification and change times, taken after the
files were flushed to disk): a file that still has it was not written since, so no process reads it to check it (a
CRC of 1.9 GB at a million chunks took ~2.5 s per process). Any write changes the change time, which cannot be set
back; a file with another identity (copied, restored, written to) is read whole and checked against its CRC, once per
process and state."""

from __future__ import annotations

import functools
import gc
import json
import os
import re
import shutil
import threading
import time
import uuid
import zlib
from pathlib import Path
from typing import Callable, ParamSpec, TypeVar

from assistant.config import Settings

CHECKSUMS = "checksums.json"
_READ = 1 << 20
# A writer's unfinished folder is left alone this long (another process may still be writing it), then removed.
STALE_TMP_SECONDS = 3600


_P = ParamSpec("_P")
_R = TypeVar("_R")


def without_gc(load: Callable[_P, _R]) -> Callable[_P, _R]:
    """load with Python's cycle collector paused: a saved table of a million chunks is parsed into hundreds of
    thousands of small objects (strings, tuples, lists) with no cycles among them, and every one of them counted
    toward a collection that walks all the process's objects; paused, a cold start at 1M chunks saves ~1.5 s."""
    @functools.wraps(load)
    def paused(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if not gc.isenabled():
            return load(*args, **kwargs)
        gc.disable()
        try:
            return load(*args, **kwargs)
        finally:
            gc.enable()
    return paused


def derived_dir(settings: Settings, kind: str) -> Path:
    """Where the files of this kind ("bm25", "sentences") of the settings' collection are kept."""
    where = f"{settings.chroma_host}_{settings.chroma_port}" if settings.chroma_host else "local"
    return Path(settings.data_dir) / kind / f"{where}_{settings.collection}"


def folder_name(version: str) -> str:
    """A version as a folder name."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", version) or "_"


def publish_folder(directory: Path, version: str, marker: str, write: Callable[[Path], None], replace: bool = False) -> Path:
    """directory/<version>, written by write(tmp folder) and renamed into place unless it exists already (its marker
    file present); then the other versions are removed. A finished folder is never changed, so readers never see a mix;
    with replace (it was found damaged), it is moved away first and written anew.
    """
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / folder_name(version)
    if replace and final.exists():
        try:
            final.rename(directory / f".{final.name}.old-{uuid.uuid4().hex}")  # removed below
        except OSError:
            pass  # another process moved it first
    if not (final / marker).exists():
        tmp = directory / f".{final.name}.tmp-{uuid.uuid4().hex}"
        try:
            tmp.mkdir()
            write(tmp)
            if not (tmp / CHECKSUMS).exists():  # unless write() made them itself
                write_checksums(tmp)
            try:
                tmp.rename(final)
            except OSError:
                if not (final / marker).exists():  # else another writer finished the same version first
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    remove_others(directory, keep=final.name)
    return final


def saved_versions(directory: Path, marker: str) -> list[str]:
    """The versions of the finished folders in directory (their marker's "version"), the newest first; a folder being
    written, moved away or unreadable is left out."""
    found = []
    for folder in directory.iterdir() if directory.is_dir() else []:
        if folder.name.startswith("."):
            continue
        try:
            found.append((folder.stat().st_mtime_ns, str(json.loads((folder / marker).read_text())["version"])))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return [version for _, version in sorted(found, reverse=True)]


def remove_others(directory: Path, keep: str) -> None:
    """Remove the saved versions other than keep (and unfinished folders of writers that died)."""
    for item in directory.iterdir():
        if item.name == keep:
            continue
        if ".tmp-" in item.name and time.time() - _mtime(item) < STALE_TMP_SECONDS:
            continue
        if item.is_dir():
            shutil.rmtree(item, ignore_errors=True)
        else:
            item.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _checksum(path: Path) -> str:
    """The CRC-32 of a file's bytes (damage, not tampering, is what is checked: CRC-32 reads at disk speed)."""
    crc = 0
    with path.open("rb") as file:
        while block := file.read(_READ):
            crc = zlib.crc32(block, crc)
    return f"{crc:08x}"


_TICK = ".tick"
_TICK_WAIT_S = 2.5  # a file system whose clock ticks slower than this (FAT: 2 s) gets no identities: its files are read


def write_checksums(folder: Path) -> None:
    """Record the size, checksum and identity of every file in folder (written last, before the folder is renamed into
    place). The files are flushed to disk first, so that a crash cannot leave a file of the recorded identity whose
    bytes never reached the disk; the identity is taken once the file system's clock has moved past every file's
    change time, so that a write after the record cannot keep it (a write within the same clock tick would)."""
    paths = [path for path in sorted(folder.rglob("*")) if path.is_file() and path.name not in (CHECKSUMS, _TICK)]
    for path in paths:
        with path.open("rb") as file:
            os.fsync(file.fileno())
    trusted = _clock_past(folder, max((path.stat().st_ctime_ns for path in paths), default=0))
    files = {}
    for path in paths:
        found = path.stat()
        identity = [found.st_ino, found.st_mtime_ns, found.st_ctime_ns] if trusted else []
        files[str(path.relative_to(folder))] = [found.st_size, _checksum(path), *identity]
    (folder / CHECKSUMS).write_text(json.dumps(files))


def _clock_past(folder: Path, newest: int) -> bool:
    """Wait until a file written in folder now gets a change time later than newest (the file system's clock ticks in
    steps of a few ms); False when it has not after _TICK_WAIT_S."""
    probe = folder / _TICK
    deadline = time.monotonic() + _TICK_WAIT_S
    try:
        while True:
            probe.write_bytes(b"")
            if probe.stat().st_ctime_ns > newest:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)
    finally:
        probe.unlink(missing_ok=True)


def read_record(folder: Path, marker: str, **expected: object) -> dict | None:
    """The folder's marker file (its JSON record) when the folder is intact and the record holds these values (its
    version, format, ...), else None: missing, damaged, or another version or format, to be made again from the store."""
    if not intact(folder):
        return None
    try:
        record = json.loads((folder / marker).read_text())
    except (OSError, ValueError):
        return None  # removed or damaged while read
    return record if isinstance(record, dict) and all(record.get(key) == value for key, value in expected.items()) else None


def intact(folder: Path) -> bool:
    """Whether every file of folder is as write_checksums recorded it (False without a record: a folder from a release
    before checksums, made again once).

    Files that keep the identity recorded when they were written are not read (a stat each). Others are read whole
    once per process and state of the folder (see _state): a load after that costs a stat per file, so a memory-mapped
    BM25 index is not read from disk on every load.
    """
    try:
        files = json.loads((folder / CHECKSUMS).read_text())
        if not files:
            return False
        state = _state(folder, files)
        if any(stat[1] != record[0] for stat, record in zip(state[1:], files.values())):
            return False
        if all(len(record) == 5 and (stat[0], stat[2], stat[3]) == tuple(record[2:])
               for stat, record in zip(state[1:], files.values())):
            return True  # not written since they were recorded
        key = str(folder.resolve())
        with _verified_lock:
            if _verified.get(key) == state:
                return True
        if not all(_checksum(folder / name) == record[1] for name, record in files.items()):
            return False
        with _verified_lock:
            _verified[key] = state
        return True
    except (OSError, ValueError, TypeError):
        return False


_verified: dict[str, tuple[tuple[int, int, int, int], ...]] = {}  # folder -> _state() when its checksums last matched
_verified_lock = threading.Lock()


def _state(folder: Path, files: dict[str, list[int | str]]) -> tuple[tuple[int, int, int, int], ...]:
    """The inode, size, modification and change times (ns) of the checksums and of every file they list: a write to a
    file (or a new file in its place) changes them, and the change time cannot be set back, unlike the mtime."""
    def of(path: Path) -> tuple[int, int, int, int]:
        found = path.stat()
        return found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns

    return (of(folder / CHECKSUMS), *(of(folder / name) for name in files))
