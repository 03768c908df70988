"""One writer at a time per index: an OS file lock for the embedded store, a heartbeat record on a Chroma server.

Embedded store: `DATA_DIR/writer.lock` is held with flock(2) for the whole ingest, and `DATA_DIR/writer.json` says
who holds it (pid, host, start). The OS drops the flock when its process dies, however it dies, so a killed
ingest never leaves a lock behind and the next writer simply takes it. The lock covers the whole folder (all
collections in it), since Chroma's local files are shared by them.

Chroma server: there is no lock primitive, and writers may run on several machines, so the lock is a small
collection `<collection>_lock` of numbered records ("epochs"); the record with the highest epoch says who holds
the lock. Chroma's `add` ignores an id that already exists, which gives the compare-and-set:

1. read all records; the current one is the highest epoch n (none: the lock is free);
2. if it is released, or its heartbeat is older than the stale limit (its writer died or was cut off), `add`
   epoch n+1 naming this writer; the first writer to add n+1 wins, every later add of n+1 is ignored;
3. read the records again: this writer holds the lock only if epoch n+1 names it and no higher epoch exists
   (a writer acting on an old view can only add an epoch that was already superseded, and then withdraws it);
4. the winner deletes the epochs below its own.

While writing, a thread refreshes the heartbeat; timestamps are the server's clock (its heartbeat endpoint), so
clocks of the writers' machines do not matter. On release the record is marked released, never deleted, so the
epochs only grow. A writer whose heartbeat could not be written for the stale limit may have been taken over:
`ensure_held()` then raises before anything is published.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from assistant.errors import StoreError

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.store import PaperStore

log = logging.getLogger(__name__)

LOCK_FILE = "writer.lock"
OWNER_FILE = "writer.json"
_POLL_SECONDS = 0.5
_NS = 1_000_000_000


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
        with _server_lock(settings, store, on_wait, timeout) as held:
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
                wait = 0.0 if told is False else max(0.0, min(_POLL_SECONDS, deadline - time.monotonic()))
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


# -- Chroma server: epoch records with a heartbeat -------------------------------------------------

@contextmanager
def _server_lock(settings: "Settings", store: "PaperStore", on_wait: Callable[[str], None], timeout: float) -> Iterator[HeldLock]:
    record = ServerLockRecord(settings, store)
    held = record.acquire(on_wait, timeout)
    beat = threading.Event()
    thread = threading.Thread(target=record.keep_alive, args=(held, beat), name="writer-lock-heartbeat", daemon=True)
    thread.start()
    try:
        yield held
    finally:
        beat.set()
        thread.join()
        record.release(held)


class ServerLockRecord:
    """The lock collection on a Chroma server (see the module docstring for the protocol)."""

    def __init__(self, settings: "Settings", store: "PaperStore"):
        self.settings = settings
        self.store = store
        self.name = f"{settings.collection}_lock"
        self.where = f"{store.location} (collection {settings.collection})"
        self.stale_ns = int(settings.lock_stale_seconds * _NS)
        self.epoch_id = ""

    def _collection(self, client: Any) -> Any:
        return client.get_or_create_collection(self.name, embedding_function=None)

    def _records(self, client: Any) -> list[dict[str, Any]]:
        got = self._collection(client).get(include=["metadatas"])
        return sorted(({"id": i, **(m or {})} for i, m in zip(got["ids"], got["metadatas"])), key=lambda r: int(r.get("epoch", 0)))

    def acquire(self, on_wait: Callable[[str], None], timeout: float) -> HeldLock:
        """Take the lock, waiting up to timeout seconds for a live holder; a stale holder is taken over."""
        deadline = time.monotonic() + timeout
        me: Owner | None = None
        told: Owner | None | bool = False
        while True:
            me, holder = self.store.call("take the writer lock", partial(self._try, me=me))
            if holder is None:
                return HeldLock(me, self.where)
            if told is False or holder != told:
                on_wait(wait_message(holder, self.where, timeout))
                told = holder
            if time.monotonic() >= deadline:
                raise WriterLockTimeout(timeout_message(holder, self.where, timeout))
            time.sleep(max(0.0, min(_POLL_SECONDS, deadline - time.monotonic())))

    def _try(self, client: Any, me: Owner | None) -> tuple[Owner, Owner | None]:
        """One compare-and-set attempt: (this writer, None) when it won, else (this writer, the holder)."""
        now = int(client.heartbeat())
        me = me or Owner.me(started=now / _NS)
        records = self._records(client)
        current = records[-1] if records else None
        if (current is not None and not current.get("released") and now - int(current.get("heartbeat", 0)) <= self.stale_ns
                and not _left_by_this_process(current)):
            return me, _owner(current)
        epoch = int(current["epoch"]) + 1 if current else 1
        epoch_id = f"epoch-{epoch:012d}"
        taken_over = current is not None and not current.get("released") and not _left_by_this_process(current)
        meta = {"epoch": epoch, "token": me.token, "pid": me.pid, "host": me.host, "started": now, "heartbeat": now,
                "released": False}
        collection = self._collection(client)
        collection.add(ids=[epoch_id], metadatas=[meta], embeddings=[[1.0]])
        records = self._records(client)
        top = records[-1]
        if top["id"] != epoch_id or top.get("token") != me.token:
            if any(r["id"] == epoch_id and r.get("token") == me.token for r in records):
                collection.delete(ids=[epoch_id])  # added on an old view: a later epoch already exists
            return me, _owner(top)
        older = [r["id"] for r in records if int(r.get("epoch", 0)) < epoch]
        if older:
            collection.delete(ids=older)
        if taken_over and current is not None:
            log.warning("Took over the writer lock of %s from %s: its heartbeat stopped.", self.where, _owner(current).describe())
        self.epoch_id = epoch_id
        with _held_lock:
            _held_tokens.add(me.token)
        return me, None

    def keep_alive(self, held: HeldLock, stop: threading.Event) -> None:
        """Refresh the heartbeat until stop is set; mark held.lost when the lock was taken over or could not be kept."""
        interval = max(self.settings.lock_stale_seconds / 4, 0.05)
        last_beat = time.monotonic()
        while not stop.wait(interval):
            try:
                self.store.call("refresh the writer lock", lambda client: self._beat(client, held))
                last_beat = time.monotonic()
            except StoreError as error:
                if time.monotonic() - last_beat > self.settings.lock_stale_seconds:
                    held.lost = f"its heartbeat could not be written for {self.settings.lock_stale_seconds:g} s: {error}"
            if held.lost:
                return

    def _beat(self, client: Any, held: HeldLock) -> None:
        records = self._records(client)
        top = records[-1] if records else None
        if top is None or top["id"] != self.epoch_id or top.get("token") != held.owner.token:
            held.lost = "another writer took it over"
            return
        self._collection(client).update(ids=[self.epoch_id], metadatas=[{"heartbeat": int(client.heartbeat())}])

    def release(self, held: HeldLock) -> None:
        """Mark this writer's epoch released (when it is still the current one)."""
        def release(client: Any) -> None:
            records = self._records(client)
            if records and records[-1]["id"] == self.epoch_id and records[-1].get("token") == held.owner.token:
                self._collection(client).update(ids=[self.epoch_id], metadatas=[{"released": True}])

        with _held_lock:
            _held_tokens.discard(held.owner.token)
        try:
            self.store.call("release the writer lock", release)
        except StoreError as error:  # the lock then goes stale and is taken over after the stale limit
            log.warning("Could not release the writer lock of %s (%s); it is taken over after %g s.",
                        self.where, error, self.settings.lock_stale_seconds)


_held_tokens: set[str] = set()  # tokens of the server locks this process holds now
_held_lock = threading.Lock()


def _left_by_this_process(record: dict[str, Any]) -> bool:
    """A record of this process that no writer of it holds: a release that failed (server down) left it behind."""
    with _held_lock:
        return (int(record.get("pid", 0)) == os.getpid() and record.get("host") == socket.gethostname()
                and record.get("token") not in _held_tokens)


def _owner(record: dict[str, Any]) -> Owner:
    return Owner(pid=int(record.get("pid", 0)), host=str(record.get("host", "?")),
                 started=int(record.get("started", 0)) / _NS, token=str(record.get("token", "")))
