"""The Chroma client of one index: connecting, reconnecting, following other processes' ingests, opening collections.

chromadb is imported only in this package (here and in the other store modules).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import threading
import time
import uuid
from contextlib import closing, contextmanager
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
from assistant.store.errors import REBUILD_HINT, DamagedIndexError, local_error, server_error
from assistant.store.http import http_client
from assistant.store.records import CATALOG_KEY, GENERATION_KEY, UNFINISHED, CollectionNames, LiveIndex, index_names

# The private attributes of chromadb's SharedSystemClient that _chroma_systems() relies on (see there).
CHROMA_INTERNALS = ("_identifier_to_system", "_identifier_to_refcount", "_refcount_lock")
CHECKED_CHROMADB_VERSION = "1.5.9"
# Chroma builds a graph (HNSW) over every collection as it is written. The chunks' graph is never what answers a
# question (dense.py scans its own matrix of the vectors), only Chroma's own search (query_chunks) uses it: so a
# smaller one, built in two thirds of the time (docs/BENCH.md, "1M chunks through the normal API, with Chroma").
CHUNK_GRAPH: dict[str, Any] = {"hnsw": {"ef_construction": 32, "max_neighbors": 8}}
# The texts collection is never searched (store/texts.py): the smallest graph Chroma builds.
TEXT_GRAPH: dict[str, Any] = {"hnsw": {"ef_construction": 8, "max_neighbors": 4}}
HELD_MARKER = "index-held.json"  # in the data dir, once it has held an index (see Connection._check_present)
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
        self.folders: dict[str, _Folder] = {}  # folder -> the systems this process opened on it

    def folder(self, path: str) -> _Folder:
        with self.lock:
            return self.folders.setdefault(path, _Folder())


class _System:
    """A Chroma system this process opened on a local folder, the client every store of the process reads it with, and
    the calls using it now."""

    def __init__(self, client: Any, system: Any, path: Path, generation: int, opened: bool):
        self.client = client
        self.system = system
        self.path = path  # the folder Chroma opened: the index folder, or a copy of a read-only one
        self.generation = generation  # _local.generations of the folder when it was opened
        self.opened = opened  # this process started it (else another client of chromadb's cache did: never stopped here)
        self.users = 0
        self.retired = False


class _Folder:
    """The systems of one local index folder in this process: the current one, and retired ones still in use.

    Reopening the folder (after another process's ingest) retires the current system: new calls open a new one, calls
    already running finish on the one they started with, and a retired system is stopped when its last call leaves.
    Opening and retiring hold `lock`, so chromadb's cache of systems (which has no lock of its own around creation)
    never sees two threads of this process at once.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.current: _System | None = None

    def retire(self, used: _System) -> None:
        """No new call uses `used`; stopped now if no call uses it. Call with lock held."""
        if self.current is used:
            self.current = None
        used.retired = True
        systems, _, chroma_lock = _chroma_systems()
        with chroma_lock:
            if systems.get(str(used.path)) is used.system:
                systems.pop(str(used.path))  # the next client opens the folder anew
        self._stop_if_unused(used)

    def release(self, used: _System) -> None:
        """A call leaves `used`. Call with lock held."""
        used.users -= 1
        self._stop_if_unused(used)

    @staticmethod
    def _stop_if_unused(used: _System) -> None:
        """A retired system no call uses any more is stopped: its memory (the vectors) is freed now."""
        if used.retired and used.users == 0 and used.opened and getattr(used.system, "_running", False):
            used.system.stop()


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


def read_only(path: Path) -> bool:
    """Whether the index folder cannot be written (a read-only mount, or no write permission): root included, since
    access(2) reports a read-only file system to root too."""
    database = path / "chroma.sqlite3"
    if not database.exists():
        return False
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        pass
    return not (os.access(path, os.W_OK) and os.access(database, os.W_OK))


def readable_copy(path: Path) -> Path:
    """A private copy of a read-only index folder that Chroma can open (it writes to its database even to read), made
    once per state of the folder (its database's size and modification time) in the temp folder, shared by this user's
    processes."""
    stat = (path / "chroma.sqlite3").stat()
    mine = Path(tempfile.gettempdir()) / f"paper-assistant-read-only-{os.getuid()}"  # one per user: private
    mine.mkdir(mode=0o700, exist_ok=True)
    home = mine / hashlib.sha256(str(path).encode()).hexdigest()[:16]
    final = home / f"{stat.st_mtime_ns}-{stat.st_size}"
    if final.is_dir():
        return final
    home.mkdir(parents=True, exist_ok=True)
    tmp = home / f".tmp-{uuid.uuid4().hex}"
    try:
        shutil.copytree(path, tmp)
        try:
            tmp.rename(final)
        except OSError:
            if not final.is_dir():  # else another process made the same copy first
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for older in home.iterdir():  # copies of earlier states (a process still using one keeps its open files)
        if older != final and not older.name.startswith("."):
            shutil.rmtree(older, ignore_errors=True)
    return final


def listing(client: Any) -> dict[str, dict[str, Any]]:
    """The client's collections by name, with their metadata (one call to Chroma)."""
    return {c.name: dict(c.metadata or {}) for c in client.list_collections()}


def live_index(name: str, collections: dict[str, dict[str, Any]]) -> LiveIndex | None:
    """The live collections of index `name` among `collections` (a listing of the client's), or None when it has none."""
    pointer = collections.get(CollectionNames.pointer(name))
    if pointer is not None and GENERATION_KEY in pointer:
        number, catalog = int(pointer[GENERATION_KEY]), int(pointer.get(CATALOG_KEY, 0))
        return LiveIndex(CollectionNames.generation(name, number, catalog), number, catalog)
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


def delete_in_pages(collection: Any, ids: list[str], page: int = 2000) -> None:
    """collection.delete of these ids in pages, so a long list does not hit Chroma's batch limit."""
    for first in range(0, len(ids), page):
        collection.delete(ids=ids[first : first + page])


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
        self._lock = threading.Lock()  # guards _client, a Chroma server's (a local folder's is shared: _local.folders)
        self._starting_anew = False  # set_aside moved the old folder away: the rebuild may create a new one

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

    @property
    def held_marker(self) -> Path:
        """The file saying that this data dir has held an index: its database missing is then an error, not a new start."""
        return Path(self.settings.data_dir) / HELD_MARKER

    def _check_present(self) -> None:
        """Refuse to open (and so create) a local index whose database is gone from a data dir that held one."""
        path, database = self.chroma_path, self.chroma_path / "chroma.sqlite3"
        if self._starting_anew or database.exists() or os.path.lexists(database):
            return
        leftovers = path.is_dir() and any(path.iterdir())
        if not (self.held_marker.exists() or leftovers or self._derived_names()):
            return  # never held an index: the first ingest (or the seeding) creates one
        others = self.other_collections()
        names = ", ".join(repr(name) for name in sorted({self.name, *others}))
        since = ""
        try:
            since = f" since {json.loads(self.held_marker.read_text(encoding='utf-8'))['created']}"
        except (OSError, ValueError, KeyError, TypeError):
            pass
        raise DamagedIndexError(
            f"The index at {path} is missing its database ({database} is gone), though {self.settings.data_dir} has held "
            f"an index{since} (collections: {names}); nothing was created in its place. Restore {database} (or the whole "
            f"{path} folder) from a backup; or, to start anew, " + (
                f"move {path} aside (mv {path} {path.with_name('chroma.missing')}), then rebuild every collection from "
                f"its paper files (`assistant ingest --rebuild FILES --collection NAME`)." if others else
                f"{REBUILD_HINT} (the files left in {path} are moved aside, kept)."))

    def _mark_held(self) -> None:
        """Leave the marker that this data dir holds an index (best effort: a read-only mount is asked without it)."""
        if self.held_marker.exists():
            return
        try:
            self.held_marker.write_text(json.dumps({"created": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
                                                    "index": str(self.chroma_path)}), encoding="utf-8")
        except OSError:
            pass

    def _open(self, generation: int) -> _System:
        """A new system on the local folder (a copy of it when it is read-only). Call with the folder's lock held."""
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        self._check_present()
        if read_only(self.chroma_path):  # asked from a read-only mount: only an ingest needs to write
            path = readable_copy(self.chroma_path)
        else:
            path = self.chroma_path
            path.mkdir(parents=True, exist_ok=True)
            self._mark_held()
        opening = not system_is_open(path)
        try:
            client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
            opened = _System(client, _chroma_systems()[0][str(path)], path, generation, opened=opening)
            if opening:  # the vectors this new system will load are those of the version on disk now
                version = None
                live = self.live(listing(client))
                if live is not None:
                    version = str((client.get_collection(live.names.papers).metadata or {}).get("version", UNFINISHED))
                with _local.lock:
                    _local.versions[self._version_key] = version
        except Exception:
            # chromadb keeps a system whose start failed, handing it out (broken) ever after: a repaired folder would
            # not open without restarting us. No call of this process uses one on this path now (the lock is held).
            forget_system(path, even_if_open=True)
            raise
        return opened

    def _use(self, folder: _Folder) -> _System:
        """The folder's current system, counted as used by one more call; opened anew when follow() or set_aside()
        asked for it since it was opened (the one it replaces is retired: calls running on it finish there)."""
        with folder.lock:
            with _local.lock:
                generation = _local.generations.get(str(self.chroma_path), 0)
            current = folder.current
            if current is not None and current.generation != generation:
                folder.retire(current)
                current = None
            if current is None:
                current = folder.current = self._open(generation)
            current.users += 1
            return current

    def call(self, what: str, action: Callable[[Any], Any]) -> Any:
        """Run action(client), turning Chroma's failures into one clear StoreError; reconnects after a failure.

        On a local folder, the call keeps the system it started with to its end, even when another thread reopens
        the folder meanwhile (see _Folder).
        """
        if self.settings.chroma_host:
            return self._call_server(what, action)
        folder = _local.folder(str(self.chroma_path))
        try:
            used = self._use(folder)
        except AssistantError:
            raise
        except Exception as error:
            raise local_error(what, error, self.chroma_path) from error
        try:
            return action(used.client)
        except AssistantError:
            raise  # ours (the embedder's included) already say what to do
        except CallersError as caller:
            raise caller.error from None  # with its own traceback
        except Exception as error:  # chromadb raises many unrelated types; what they mean is in the text
            with folder.lock:
                if not _local.writers.get(str(self.chroma_path)):  # never under this process's ingest (see follow)
                    folder.retire(used)  # a repaired folder then works without restarting us
            raise local_error(what, error, self.chroma_path) from error
        finally:
            with folder.lock:
                folder.release(used)

    def _call_server(self, what: str, action: Callable[[Any], Any]) -> Any:
        assert self.settings.chroma_host
        try:
            with self._lock:
                if self._client is None:
                    self._client = http_client(self.settings)
                client = self._client
            return action(client)
        except AssistantError:
            raise
        except CallersError as caller:
            raise caller.error from None
        except Exception as error:  # the client's connection pool reconnects to a restarted server by itself; a new
            # client per failure would leak the sockets of the old one's pool
            raise server_error(what, error, self.settings.chroma_host, self.settings.chroma_port, settings=self.settings) from error

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
        made = (client.get_or_create_collection(names.chunks, metadata=meta, embedding_function=ef, configuration=CHUNK_GRAPH),
                client.get_or_create_collection(names.papers, metadata=meta, embedding_function=ef))
        self.texts(client, names.papers)
        return made

    def texts(self, client: Any, papers: str, create: bool = True) -> Any | None:
        """The texts collection of the generation whose catalog is named `papers` (records.CollectionNames.texts_of),
        made when missing and create is set (a generation made before texts were kept apart); None for the legacy
        layout, or when it is missing and not made."""
        name = CollectionNames.texts_of(papers)
        if name is None:
            return None
        if create:
            return client.get_or_create_collection(name, embedding_function=None, configuration=TEXT_GRAPH)
        try:
            return client.get_collection(name, embedding_function=None)
        except Exception as error:  # chromadb's NotFoundError
            if gone(error):
                return None
            raise

    def create_catalog(self, client: Any, name: str, metadata: dict[str, Any]) -> Any:
        """A new papers collection (a catalog) of this name and metadata."""
        ef = PaperAssistantEmbeddingFunction.from_settings(self.settings)
        return client.create_collection(name, metadata=metadata, embedding_function=ef)

    def point_to(self, client: Any, number: int, exists: bool, catalog: int = 0) -> None:
        """Make generation `number` (with its catalog `catalog`) the live one: one metadata write (or the pointer's
        creation)."""
        pointer = CollectionNames.pointer(self.name)
        metadata = {GENERATION_KEY: number, CATALOG_KEY: catalog}
        if exists:
            client.get_collection(pointer, embedding_function=None).modify(metadata=metadata)
        else:
            client.create_collection(pointer, metadata=metadata, embedding_function=None)

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
            _local.generations[folder] = _local.generations.get(folder, 0) + 1  # the next call opens it anew (_use)

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

    def other_collections(self) -> list[str]:
        """The other collections (indexes) kept in this local folder, as far as can be told from a damaged one: the
        collections table of its database when SQLite can still read it, else the BM25, dense and sentence folders
        they left under the data dir."""
        try:
            with closing(sqlite3.connect(f"{(self.chroma_path / 'chroma.sqlite3').as_uri()}?mode=ro", uri=True)) as db:
                names = index_names(row[0] for row in db.execute("SELECT name FROM collections"))
        except (sqlite3.Error, OSError, ValueError):
            names = self._derived_names()
        return [name for name in names if name != self.name]

    def _derived_names(self) -> list[str]:
        """The collections whose BM25, dense or sentence folders are under the data dir (see version_files.derived_dir)."""
        data_dir = Path(self.settings.data_dir)
        try:
            return sorted({folder.name.removeprefix("local_") for kind in ("bm25", "dense", "sentences")
                           if (data_dir / kind).is_dir() for folder in (data_dir / kind).iterdir()
                           if folder.is_dir() and folder.name.startswith("local_")})
        except OSError:
            return []

    def set_aside(self) -> Path | None:
        """Move a damaged local index out of the way, kept for inspection, so that a rebuild starts from nothing (None:
        there was no folder to move).

        Only when the folder holds no other collection: a rebuild of one collection never moves the others aside.
        """
        path = self.chroma_path
        others = self.other_collections()
        if others:
            listed = ", ".join(repr(name) for name in others)
            raise StoreError(
                f"The index at {path} is damaged or unreadable, and it also holds the collection(s) {listed}: a rebuild of "
                f"{self.name!r} alone would set them aside too, so nothing was moved. Restore {path} from a backup; or "
                f"move it aside yourself (mv {path} {path.with_name('chroma.damaged')}), then rebuild every collection "
                f"from its paper files (`assistant ingest --rebuild FILES --collection NAME`).")
        target = path.with_name(f"chroma.damaged-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}")
        folder = _local.folder(str(path))
        with folder.lock, _local.lock:
            if folder.current is not None:
                folder.retire(folder.current)  # calls running on it finish there (the files stay open, moved)
            forget_system(path, even_if_open=True)
            for key in [key for key in _local.versions if key[0] == str(path)]:
                del _local.versions[key]
            _local.generations[str(path)] = _local.generations.get(str(path), 0) + 1  # every store reconnects
            self._starting_anew = True
            if not path.exists():
                return None
            try:
                path.rename(target)
            except OSError as error:
                raise local_error("set the damaged index aside", error, path) from error
        return target
