"""What a failure of the index means to a user, and what to do about it: one clear StoreError each."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from assistant.errors import StoreError

REBUILD_HINT = "run `assistant ingest --rebuild` to rebuild it from your paper files"
_SPACE_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_PERMISSION_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS}
_SPACE_WORDS = ("disk is full", "no space left", "quota exceeded")
_PERMISSION_WORDS = ("readonly database", "read-only file system", "permission denied", "operation not permitted")


class DamagedIndexError(StoreError):
    """The local index files cannot be read as an index; a rebuild sets them aside and starts anew."""


def _problem(error: Exception, path: Path) -> str:
    """'space', 'permission', 'not a folder' or 'damaged': what a failure of the local index most likely means."""
    if isinstance(error, (NotADirectoryError, FileExistsError)):
        return "not a folder"
    if isinstance(error, OSError) and error.errno in _SPACE_ERRNOS:
        return "space"
    if isinstance(error, OSError) and error.errno in _PERMISSION_ERRNOS:
        return "permission"
    text = str(error).lower()
    if any(words in text for words in _SPACE_WORDS):
        return "space"
    if any(words in text for words in _PERMISSION_WORDS):
        return "permission"
    if "unable to open database file" in text and not _accessible(path):
        return "permission"
    return "damaged"


def _accessible(path: Path) -> bool:
    """True when this user may read and write the index folder, its parent and its database file."""
    for item in (path.parent, path, path / "chroma.sqlite3"):
        mode = os.R_OK | os.W_OK | (os.X_OK if item.is_dir() else 0)
        if item.exists() and not os.access(item, mode):
            return False
    return True


def local_error(what: str, error: Exception, path: Path) -> StoreError:
    problem, detail = _problem(error, path), describe(error)
    if problem == "space":
        return StoreError(f"Cannot {what}: the disk holding the index at {path} is full ({detail}). Free some disk space "
                          f"(or set ASSISTANT_DATA_DIR to a folder on another disk), then run the command again.")
    if problem == "not a folder":
        return StoreError(f"Cannot {what}: {path} or a folder above it is a file, not a folder ({detail}). Move that "
                          f"file away, or set ASSISTANT_DATA_DIR to a folder.")
    if problem == "permission":
        return StoreError(f"Cannot {what}: no permission to use the index at {path} ({detail}). Check the permissions of "
                          f"{path.parent} and everything in it (this user must be able to read and write them, on a "
                          f"disk that is not read-only), or set ASSISTANT_DATA_DIR to a folder this user can write.")
    return DamagedIndexError(f"Cannot {what}: the index at {path} is damaged or unreadable ({detail}); {REBUILD_HINT} "
                             f"(the rebuild keeps the damaged files beside the new index).")


def server_error(what: str, error: Exception, host: str, port: int) -> StoreError:
    import httpx

    if isinstance(error, httpx.TransportError) or "could not connect" in str(error).lower():
        return StoreError(f"Cannot {what}: the Chroma server at {host}:{port} did not answer ({type(error).__name__}). "
                          f"Start it with `chroma run --host {host} --port {port} --path DIR`, or unset CHROMA_HOST "
                          f"to use the local index.")
    return StoreError(f"Cannot {what}: the Chroma server at {host}:{port} failed ({describe(error)}). Check the "
                      f"server's log; if its data is damaged, start it on a new `--path` and run `assistant ingest`.")


def describe(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text[:200]}" if text else type(error).__name__
