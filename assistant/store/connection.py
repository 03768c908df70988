"""The Chroma client of one index: connecting, reconnecting, following other processes' ingests, opening collections.

chromadb is imported only in this package (here and in the other store modules).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import chromadb
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError

from assistant.config import Settings
from assistant.embedding import Embedder
from assistant.models import PAPER_ID_SCHEME
from assistant.errors import AssistantError, StoreError
from assistant.store.embedding_function import PaperAssistantEmbeddingFunction
from assistant.store.errors import local_error, server_error
from assistant.store.http import http_client
from assistant.store.records import GENERATION_KEY, UNFINISHED, CollectionNames, LiveIndex

# The private attributes of chromadb's SharedSystemClient that _chroma_systems() relies on (see there).
CHROMA_INTERNALS = ("_identifier_to_system", "_identifier_to_refcount", "_refcount_lock")
CHECKED_CHROMADB_VERSION = "1.5.9"
T = TypeVar("T")
log = logging.getLogger(__name__)


class _LocalFolders:
    """What this process knows about each local index folder; one instance, shared by every store of the process.

    Chroma keeps one system per local folder and process, holding the vectors in memory: it does not see vectors
    that another process adds. So each folder's system is reopened when the index version changes other than by
    this process (never while this process writes to it: its writes would go to the old system only).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.versions: dict[tuple[str, str], str | None] = {}  # (folder, index name) -> version its current system holds
        self.generations: dict[str, int] = {}  # folder -> bumped when its system must be reopened
        self.writers: dict[str, int] = {}  # folder -> ingests running in this process
        self.publishes: dict[tuple[str, str], int] = {}  # (folder, index name) -> versions this process has published


_local = _LocalFolders()


def _chroma_systems() -> tuple[dict[str, Any], dict[str, int], Any]:
    """chromadb's per-process cache of systems by folder, their reference counts, and the lock guarding both.

    chromadb offers no public way to drop the system it keeps for a folder, and it keeps one whose start failed,
    handing it out (broken) ever after; reopening a folder after another process changed it needs the same.
    So this reads three private attributes of SharedSystemClient; checked against chromadb 1.5.9
    (CHECKED_CHROMADB_VERSION). tests/test_store.py fails loudly when a chromadb release removes them.
    """
    return (getattr(SharedSystemClient, "_identifier_to_system", {}),
            getattr(SharedSystemClient, "_identifier_to_refcount", {}),
            getattr(SharedSystemClient, "_refcount_lock", threading.Lock()))


def system_is_open(path: Path) -> bool:
    """Whether chromadb already holds a system for this folder in this process."""
    return str(path) in _chroma_systems()[0]


def forget_system(path: Path, even_if_open: bool = False) -> None:
    """Drop Chroma's cached system for path, so the next client opens the folder anew.

    Without even_if_open, only a system no client holds: one whose start failed.
    """
    systems, counts, lock = _chroma_systems()
    with lock:
        if even_if_open or str(path) not in counts:
            systems.pop(str(path), None)


def listing(client: Any) -> dict[str, dict[str, Any]]:
    """The client's collections by name, with their metadata (one call to Chroma)."""
    return {c.name: dict(c.metadata or {}) for c in client.list_collections()}


def live_index(name: str, collections: dict[str, dict[str, Any]]) -> LiveIndex | None:
    """The live collections of index `name` among `collections` (a listing of the client's), or None when it has none."""
    pointer = collections.get(CollectionNames.pointer(name))
    if pointer is not None and GENERATION_KEY in pointer:
        number = int(pointer[GENERATION_KEY])
        return LiveIndex(CollectionNames.generation(name, number), number)
    legacy = CollectionNames.of(name)
    if legacy.chunks in collections and legacy.papers in collections:
        return LiveIndex(legacy, None)
    return None


class CallersError(Exception):
    """An exception of the caller's own code (a chunker, a progress callback) run inside Connection.call: passed on
    as it was raised, never taken for a failure of the index (which a rebuild would set aside)."""

    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.error = error


def callers(function: Callable[..., T]) -> Callable[..., T]:
    """function, its exceptions marked as the caller's (see CallersError)."""
    def marked(*args: Any, **kwargs: Any) -> T:
        try:
            return function(*args, **kwargs)
        except AssistantError:
            raise
        except Exception as error:
            raise CallersError(error) from error

    return marked


def gone(error: Exception) -> bool:
    """Whether error says a collection no longer exists (a rebuild removed it after the pointer named another)."""
    return isinstance(error, NotFoundError)


def paged(collection: Any, include: list[str], page: int = 5000) -> Iterator[tuple[list[str], list[Any], list[Any]]]:
    """collection.get in pages, so large collections do not hit Chroma's limits."""
    offset = 0
    while True:
        got = collection.get(include=include, limit=page, offset=offset)
        ids = got["ids"]
        if not ids:
            return
        yield ids, got.get("documents") or [None] * len(ids), got.get("metadatas") or [{}] * len(ids)
        if len(ids) < page:
            return
        offset += page


class Connection:
    """One Chroma client for the settings' index: opened lazily, reopened after a failure or another process's ingest."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.name = settings.collection
        self._client: Any = None
        self._generation = 0
        self._lock = threading.Lock()

    @property
    def location(self) -> str:
        s = self.settings
        return f"chroma server {s.chroma_host}:{s.chroma_port}" if s.chroma_host else str(self.chroma_path)

    @property
    def chroma_path(self) -> Path:
        return Path(self.settings.data_dir) / "chroma"

    @property
    def _version_key(self) -> tuple[str, str]:
        return str(self.chroma_path), self.name  # the same key for every generation of the index

    def _connect(self) -> Any:
        if self.settings.chroma_host:
            return http_client(self.settings)
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        path = self.chroma_path
        path.mkdir(parents=True, exist_ok=True)
        opening = not system_is_open(path)
        client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        if opening:  # the vectors this new system will load are those of the version on disk now
            version = None
            live = self.live(listing(client))
            if live is not None:
                version = str((client.get_collection(live.names.papers).metadata or {}).get("version", UNFINISHED))
            with _local.lock:
                _local.versions[self._version_key] = version
        return client

    def call(self, what: str, action: Callable[[Any], Any]) -> Any:
        """Run action(client), turning Chroma's failures into one clear StoreError; reconnects after a failure."""
        try:
            with self._lock:
                generation = 0 if self.settings.chroma_host else _local.generations.get(str(self.chroma_path), 0)
                if self._client is None or generation != self._generation:
                    self._client, self._generation = self._connect(), generation
                client = self._client
            return action(client)
        except AssistantError:
            raise  # ours (the embedder's included) already say what to do
        except CallersError as caller:
            raise caller.error from None  # with its own traceback
        except Exception as error:  # chromadb raises many unrelated types; what they mean is in the text
            if self.settings.chroma_host:  # the client's connection pool reconnects to a restarted server by itself;
                # a new client per failure would leak the sockets of the old one's pool
                raise server_error(what, error, self.settings.chroma_host, self.settings.chroma_port, settings=self.settings) from error
            with self._lock:
                self._client = None  # a repaired folder then works without restarting us
            forget_system(self.chroma_path)
            raise local_error(what, error, self.chroma_path) from error

    def live(self, collections: dict[str, dict[str, Any]]) -> LiveIndex | None:
        """The live collections among `collections` (a listing of the client's), or None when there is no index."""
        return live_index(self.name, collections)

    def collections(self, client: Any, embedder: Embedder, create: bool) -> tuple[Any, Any] | None:
        """(chunks, papers) of the live generation, resolved now; created (as generation 1) when asked; None when
        missing; refused when built with another embedder."""
        ef = PaperAssistantEmbeddingFunction.from_settings(self.settings)
        live = self.live(listing(client))
        if live is None:
            if not create:
                return None
            names = CollectionNames.generation(self.name, 1)
            chunks, papers = self.create(client, names, embedder)
            self.point_to(client, 1, exists=False)
            return chunks, papers
        names = live.names
        papers = client.get_collection(names.papers, embedding_function=ef)
        stored_meta: dict[str, Any] = dict(papers.metadata or {})
        stored, dimension = stored_meta.get("embedder"), stored_meta.get("dimension")
        if (stored and stored != embedder.identity) or (dimension and int(dimension) != embedder.dimension):
            raise StoreError(
                f"The index at {self.location} was built with the embedder '{stored}' ({dimension} dimensions), but the "
                f"settings ask for '{embedder.identity}' ({embedder.dimension} dimensions). Vectors of different "
                f"models cannot be mixed: run `assistant ingest --rebuild`."
            )
        return client.get_collection(names.chunks, embedding_function=ef), papers

    def create(self, client: Any, names: CollectionNames, embedder: Embedder) -> tuple[Any, Any]:
        """(chunks, papers) collections of these names, holding no finished ingest yet (version "empty")."""
        ef = PaperAssistantEmbeddingFunction.from_settings(self.settings)
        meta = {"embedder": embedder.identity, "dimension": embedder.dimension, "version": UNFINISHED, "ids": PAPER_ID_SCHEME}
        return (client.get_or_create_collection(names.chunks, metadata=meta, embedding_function=ef),
                client.get_or_create_collection(names.papers, metadata=meta, embedding_function=ef))

    def point_to(self, client: Any, number: int, exists: bool) -> None:
        """Make generation `number` the live one: one metadata write (or the pointer's creation)."""
        pointer = CollectionNames.pointer(self.name)
        if exists:
            client.get_collection(pointer, embedding_function=None).modify(metadata={GENERATION_KEY: number})
        else:
            client.create_collection(pointer, metadata={GENERATION_KEY: number}, embedding_function=None)

    def publishes(self) -> int:
        """How many versions this process has published to the index: taken before reading the version, for follow()."""
        with _local.lock:
            return _local.publishes.get(self._version_key, 0)

    def follow(self, version: str | None, publishes_before: int | None = None) -> None:
        """Reopen the local folder when another process changed the index, so that its new vectors are searched.

        publishes_before: publishes() taken before `version` was read. When this process published since, the version
        read may be the one its own ingest just replaced: that is no change by another process, and reopening the
        folder under this process's own system would leave two systems on one folder.
        """
        if self.settings.chroma_host:
            return
        folder = str(self.chroma_path)
        with _local.lock:
            known = _local.versions.setdefault(self._version_key, version)
            if known == version or _local.writers.get(folder):
                return
            if publishes_before is not None and _local.publishes.get(self._version_key, 0) != publishes_before:
                return
            _local.versions[self._version_key] = version
            _local.generations[folder] = _local.generations.get(folder, 0) + 1
            forget_system(self.chroma_path, even_if_open=True)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """While an ingest of this process writes, the folder is not reopened under it."""
        folder = str(self.chroma_path)
        with _local.lock:
            _local.writers[folder] = _local.writers.get(folder, 0) + 1
        try:
            yield
        finally:
            with _local.lock:
                _local.writers[folder] -= 1

    def published(self, version: str) -> None:
        """This process's system holds the vectors of the version it just published."""
        with _local.lock:
            _local.versions[self._version_key] = version
            _local.publishes[self._version_key] = _local.publishes.get(self._version_key, 0) + 1
        self.signal_change()

    @property
    def signal_path(self) -> Path:
        """The data dir's publish signal of this index: rewritten (a new file) after every change of its version."""
        where = f"{self.settings.chroma_host}_{self.settings.chroma_port}" if self.settings.chroma_host else "local"
        return Path(self.settings.data_dir) / "published" / f"{where}_{self.name}"

    def signal(self) -> tuple[int, int, int] | None:
        """The publish signal's identity now (one stat, no Chroma call), or None when there is none."""
        try:
            found = os.stat(self.signal_path)
        except OSError:
            return None
        return found.st_ino, found.st_mtime_ns, found.st_size

    def signal_change(self) -> None:
        """Tell the readers of this data dir that the index changed: the signal file is replaced (a new inode, so a
        stat sees the change even within one mtime tick). A read-only data dir is left as it is: its readers then see
        the change at their next timed read of the version (Settings.version_check_ms)."""
        path = self.signal_path
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(f"{time.time_ns()} {os.getpid()}\n")
            os.replace(tmp, path)
        except OSError as error:
            tmp.unlink(missing_ok=True)
            log.warning("Could not write the publish signal %s (%s); readers here see the change within %d ms.",
                        path, error, self.settings.version_check_ms)

    def set_aside(self) -> Path:
        """Move a damaged local index out of the way, kept for inspection, so that a rebuild starts from nothing."""
        path = self.chroma_path
        target = path.with_name(f"chroma.damaged-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}")
        with self._lock, _local.lock:
            self._client = None
            forget_system(path, even_if_open=True)
            for key in [key for key in _local.versions if key[0] == str(path)]:
                del _local.versions[key]
            _local.generations[str(path)] = _local.generations.get(str(path), 0) + 1  # every store reconnects
            try:
                path.rename(target)
            except OSError as error:
                raise local_error("set the damaged index aside", error, path) from error
        return target
