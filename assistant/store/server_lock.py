"""The writer lock on a Chroma server: numbered epoch records with a heartbeat.

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

import logging
import os
import socket
import threading
import time
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Iterator

from assistant.errors import StoreError
from assistant.store.lock import POLL_SECONDS, HeldLock, Owner, WriterLockTimeout, timeout_message, wait_message

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.store import PaperStore

log = logging.getLogger(__name__)
_NS = 1_000_000_000


@contextmanager
def server_lock(settings: "Settings", store: "PaperStore", on_wait: Callable[[str], None], timeout: float) -> Iterator[HeldLock]:
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
            time.sleep(max(0.0, min(POLL_SECONDS, deadline - time.monotonic())))

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
