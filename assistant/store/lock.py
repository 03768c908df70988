"""One writer at a time per index: an OS file lock for the embedded store, a heartbeat record on a Chroma server.

Embedded store: `DATA_DIR/writer.lock` is held with flock(2) for the whole ingest, and `DATA_DIR/writer.json` says
who holds it (pid, host, start). The OS drops the flock when its process dies, however it dies, so a killed
ingest never leaves a lock behind and the next writer simply takes it. The lock covers the whole folder (all
collections in it), since Chroma's local files are shared by them.

Chroma server: epoch records with a heartbeat, see server_lock.py.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from assistant.errors import StoreError

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.store import PaperStore

log = logging.getLogger(__name__)

LOCK_FILE = "writer.lock"
OWNER_FILE = "writer.json"
POLL_SECONDS = 0.5


class WriterLockTimeout(StoreError):
    """Another writer held the index for longer than ASSISTANT_LOCK_TIMEOUT."""


@dataclass(frozen=True)
class Owner:
    """Who holds (or held) a writer lock."""

    pid: int
    host: str
    started: float  # seconds since the epoch
    token: str = ""

    def describe(self) -> str:
        since = datetime.fromtimestamp(self.started, timezone.utc).strftime("%H:%M:%S UTC")
        return f"pid {self.pid} on {self.host}, since {since}"

    @classmethod
    def me(cls, started: float | None = None) -> "Owner":
        return cls(pid=os.getpid(), host=socket.gethostname(), started=time.time() if started is None else started,
                   token=uuid.uuid4().hex)


class HeldLock:
    """A lock this process holds; `ensure_held()` raises when it was lost (server mode only)."""

    def __init__(self, owner: Owner, where: str):
        self.owner = owner
        self.where = where
        self.lost: str | None = None

    def ensure_held(self) -> None:
        """Raise a StoreError when another writer may have taken the lock over; call before publishing."""
        if self.lost:
            raise StoreError(f"This ingest lost the writer lock of {self.where} ({self.lost}), so it stopped before "
                             f"publishing anything. Run the ingest again.")


def wait_message(owner: Owner | None, where: str, timeout: float) -> str:
    """What a waiting writer tells its user."""
    who = f" ({owner.describe()})" if owner else ""
    return f"Another ingest{who} is writing the index at {where}; waiting up to {timeout:g} s for it to finish."


def timeout_message(owner: Owner | None, where: str, timeout: float) -> str:
    who = f" ({owner.describe()})" if owner else ""
    return (f"Another ingest{who} is still writing the index at {where} after waiting {timeout:g} s. Let it finish "
            f"(or stop it), then run the command again; ASSISTANT_LOCK_TIMEOUT sets how long to wait.")


@contextmanager
def writer_lock(settings: "Settings", store: "PaperStore", *, on_wait: Callable[[str], None] | None = None,
                timeout: float | None = None) -> Iterator[HeldLock]:
    """Hold the index's writer lock for the block; waits (telling on_wait) up to ASSISTANT_LOCK_TIMEOUT seconds."""
    timeout = settings.lock_timeout if timeout is None else timeout
    on_wait = on_wait or (lambda message: log.warning("%s", message))
    if settings.chroma_host:
        from assistant.store.server_lock import server_lock

        with server_lock(settings, store, on_wait, timeout) as held:
            yield held
    else:
        with _file_lock(settings, store, on_wait, timeout) as held:
            yield held


# -- embedded store: flock -------------------------------------------------------------------------

def lock_paths(settings: "Settings") -> tuple[Path, Path]:
    """The lock file and the owner record of an embedded index."""
    data_dir = Path(settings.data_dir)
    return data_dir / LOCK_FILE, data_dir / OWNER_FILE


def read_owner(path: Path) -> Owner | None:
    """The owner record at path, or None when there is none or it cannot be read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Owner(pid=int(data["pid"]), host=str(data["host"]), started=float(data["started"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


@contextmanager
def _file_lock(settings: "Settings", store: "PaperStore", on_wait: Callable[[str], None], timeout: float) -> Iterator[HeldLock]:
    from filelock import FileLock, Timeout

    from assistant.store.errors import local_error

    lock_path, owner_path = lock_paths(settings)
    where = str(Path(settings.data_dir) / "chroma")
    lock = FileLock(str(lock_path), thread_local=False)
    deadline = time.monotonic() + timeout
    told: Owner | None | bool = False  # the holder last reported to on_wait (False: none yet)
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            try:
                wait = 0.0 if told is False else max(0.0, min(POLL_SECONDS, deadline - time.monotonic()))
                lock.acquire(timeout=wait)
                break
            except Timeout:
                holder = read_owner(owner_path)
                if told is False or holder != told:
                    on_wait(wait_message(holder, where, timeout))
                    told = holder
                if time.monotonic() >= deadline:
                    raise WriterLockTimeout(timeout_message(holder, where, timeout)) from None
        me = Owner.me()
    except OSError as error:
        if lock.is_locked:
            lock.release()
        raise local_error("take the writer lock", error, Path(where)) from error
    _write_owner(owner_path, me)
    try:
        yield HeldLock(me, where)
    finally:
        lock.release()  # the owner record stays: it is only read while the lock is held by someone


def _write_owner(path: Path, owner: Owner) -> None:
    """Record who holds the lock, for the messages of waiting writers; the lock works without it."""
    try:
        with open(path, "w", encoding="utf-8") as file:
            file.write(json.dumps({"pid": owner.pid, "host": owner.host, "started": owner.started}))
    except OSError as error:
        log.warning("Could not write %s (%s); waiting writers will not be told who holds the lock.", path, error)
