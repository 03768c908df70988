"""Files derived from one index version (BM25, sentence vectors), kept beside the Chroma data: written whole, then renamed."""

from __future__ import annotations

import re
import shutil
import time
import uuid
from pathlib import Path
from typing import Callable

from assistant.config import Settings

# A writer's unfinished folder is left alone this long (another process may still be writing it), then removed.
STALE_TMP_SECONDS = 3600


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
            try:
                tmp.rename(final)
            except OSError:
                if not (final / marker).exists():  # else another writer finished the same version first
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    remove_others(directory, keep=final.name)
    return final


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
