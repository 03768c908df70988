"""The Chroma index: chunk vectors plus a catalog of papers (chromadb is imported only here).

Two collections per index:
- `<name>_chunks`: one record per chunk, id `paper_id#hash#index`, document = title + chunk text.
- `<name>_papers`: the catalog, one record per paper, id = paper_id, with the hash of the indexed
  version. A paper is visible only through the catalog: readers keep a chunk only when its hash is
  the catalog's, so a half-written or replaced paper is never seen.

An ingest writes new chunks first (invisible), then the catalog in one step, then removes stale
chunks; killed at any point, the next ingest converges to exactly what a clean one would give.

Failures reach the user as one StoreError that says what to do: start the server, check permissions,
free disk space, or (for a damaged local index, a DamagedIndexError) rebuild.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from assistant.config import Settings
from assistant.embedding import Embedder, PaperAssistantEmbeddingFunction, get_embedder
from assistant.errors import AssistantError, StoreError
from assistant.store_errors import describe, local_error, server_error
from assistant.models import Chunk, Paper

_WRITE_BATCH = 256


# Chroma keeps one system per local folder and process, holding the vectors in memory: it does not see vectors that
# another process adds. So each folder's system is reopened when the index version changes other than by this process
# (never while this process writes to it: its writes would go to the old system only).
_local_lock = threading.Lock()
_local_versions: dict[tuple[str, str], str | None] = {}  # (folder, catalog) -> version its current system holds
_local_generations: dict[str, int] = {}  # folder -> bumped when its system must be reopened
_local_writers: dict[str, int] = {}  # folder -> ingests running in this process


@dataclass(frozen=True)
class PaperRecord:
    """A paper as the catalog holds it."""

    paper_id: str
    title: str
    abstract: str
    urls: list[str]
    source: str
    authors: list[str]
    date: str | None
    index_hash: str
    chunk_count: int

    def to_paper(self) -> Paper:
        return Paper(paper_id=self.paper_id, title=self.title, abstract=self.abstract, urls=self.urls,
                     source=self.source, authors=self.authors, date=self.date)


@dataclass(frozen=True)
class Snapshot:
    """One consistent view of the catalog, identified by the version the last ingest wrote."""

    version: str
    papers: dict[str, PaperRecord]


@dataclass(frozen=True)
class ChunkRecord:
    """A stored chunk, as dense search returns it."""

    chunk_id: str
    paper_id: str
    index_hash: str
    index: int
    start: int
    end: int
    document: str
    score: float = 0.0


@dataclass
class IngestReport:
    """What an ingest did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    chunks_written: int = 0
    chunks_total: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
                f"{len(self.removed)} removed; {self.chunks_written} chunks embedded, "
                f"{self.chunks_total} in the index; {self.seconds:.1f} s")
        return ". ".join([text, *(note.rstrip(".") for note in self.notes)]) + ("." if self.notes else "")


def index_hash(paper: Paper, settings: Settings) -> str:
    """Changes whenever the paper or the way it is chunked changes."""
    return f"{paper.content_hash}-{settings.chunk_tokens}-{settings.chunk_overlap}"


def _chunk_id(paper_id: str, hash_: str, index: int) -> str:
    return f"{paper_id}#{hash_}#{index}"


class PaperStore:
    """The index of one collection, embedded on disk or on a Chroma server."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        self._embedder = embedder
        self._client: Any = None
        self._generation = 0
        self._lock = threading.Lock()
        self.chunks_name = f"{settings.collection}_chunks"
        self.papers_name = f"{settings.collection}_papers"

    # -- connection ---------------------------------------------------------------------------

    @property
    def location(self) -> str:
        s = self.settings
        return f"chroma server {s.chroma_host}:{s.chroma_port}" if s.chroma_host else str(self._chroma_path)

    @property
    def _chroma_path(self) -> Path:
        return Path(self.settings.data_dir) / "chroma"

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(self.settings)
        return self._embedder

    def _connect(self) -> Any:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if self.settings.chroma_host:
            return chromadb.HttpClient(host=self.settings.chroma_host, port=self.settings.chroma_port, settings=chroma_settings)
        from chromadb.api.shared_system_client import SharedSystemClient

        path = self._chroma_path
        path.mkdir(parents=True, exist_ok=True)
        opening = str(path) not in getattr(SharedSystemClient, "_identifier_to_system", {})
        client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        if opening:  # the vectors this new system will load are those of the version on disk now
            names = _names(client)
            version = None
            if self.papers_name in names:
                version = str((client.get_collection(self.papers_name).metadata or {}).get("version", "empty"))
            with _local_lock:
                _local_versions[self._version_key] = version
        return client

    def _call(self, what: str, action: Callable[[Any], Any]) -> Any:
        """Run action(client), turning Chroma's failures into one clear StoreError; reconnects after a failure."""
        try:
            with self._lock:
                generation = 0 if self.settings.chroma_host else _local_generations.get(str(self._chroma_path), 0)
                if self._client is None or generation != self._generation:
                    self._client, self._generation = self._connect(), generation
                client = self._client
            return action(client)
        except AssistantError:
            raise  # ours (the embedder's included) already say what to do
        except Exception as error:  # chromadb raises many unrelated types; what they mean is in the text
            with self._lock:
                self._client = None  # a restarted server or a repaired folder then works without restarting us
            if self.settings.chroma_host:
                raise server_error(what, error, self.settings.chroma_host, self.settings.chroma_port) from error
            _forget_system(self._chroma_path)
            raise local_error(what, error, self._chroma_path) from error

    def _collections(self, client: Any, create: bool) -> tuple[Any, Any] | None:
        ef = PaperAssistantEmbeddingFunction.from_settings(self.settings)
        names = _names(client)
        if self.chunks_name not in names or self.papers_name not in names:
            if not create:
                return None
            meta = {"embedder": self.embedder.identity, "dimension": self.embedder.dimension, "version": "empty"}
            chunks = client.get_or_create_collection(self.chunks_name, metadata=meta, embedding_function=ef)
            papers = client.get_or_create_collection(self.papers_name, metadata=meta, embedding_function=ef)
            return chunks, papers
        papers = client.get_collection(self.papers_name, embedding_function=ef)
        meta = papers.metadata or {}
        stored, dimension = meta.get("embedder"), meta.get("dimension")
        if (stored and stored != self.embedder.identity) or (dimension and int(dimension) != self.embedder.dimension):
            raise StoreError(
                f"The index at {self.location} was built with the embedder '{stored}' ({dimension} dimensions), but the "
                f"settings ask for '{self.embedder.identity}' ({self.embedder.dimension} dimensions). Vectors of different "
                f"models cannot be mixed: run `assistant ingest --rebuild`."
            )
        return client.get_collection(self.chunks_name, embedding_function=ef), papers

    # -- reading ------------------------------------------------------------------------------

    def version(self) -> str | None:
        """The version the last completed ingest wrote, or None when there is no index."""
        version = self._call("read the index", self._read_version)
        if not self.settings.chroma_host:
            self._follow(version)
        return version

    def _read_version(self, client: Any) -> str | None:
        found = self._collections(client, create=False)
        return None if found is None else str((found[1].metadata or {}).get("version", "empty"))

    @property
    def _version_key(self) -> tuple[str, str]:
        return str(self._chroma_path), self.papers_name

    def _follow(self, version: str | None) -> None:
        """Reopen the local folder when another process changed the index, so that its new vectors are searched."""
        folder = str(self._chroma_path)
        with _local_lock:
            known = _local_versions.setdefault(self._version_key, version)
            if known == version or _local_writers.get(folder):
                return
            _local_versions[self._version_key] = version
            _local_generations[folder] = _local_generations.get(folder, 0) + 1
            _forget_system(self._chroma_path, even_if_open=True)

    def snapshot(self) -> Snapshot:
        """The catalog as it is now."""
        def read(client: Any) -> Snapshot:
            found = self._collections(client, create=False)
            if found is None:
                return Snapshot("missing", {})
            papers = found[1]
            version = str((papers.metadata or {}).get("version", "empty"))
            records: dict[str, PaperRecord] = {}
            for ids, documents, metadatas in _paged(papers, include=["documents", "metadatas"]):
                for paper_id, abstract, meta in zip(ids, documents, metadatas):
                    records[paper_id] = _paper_record(paper_id, abstract, meta)
            return Snapshot(version, records)

        return self._call("read the catalog", read)

    def count_papers(self) -> int:
        def read(client: Any) -> int:
            found = self._collections(client, create=False)
            return 0 if found is None else found[1].count()

        return self._call("count the papers", read)

    def count_chunks(self) -> int:
        def read(client: Any) -> int:
            found = self._collections(client, create=False)
            return 0 if found is None else found[0].count()

        return self._call("count the chunks", read)

    def query_chunks(self, vector: np.ndarray, n: int, paper_ids: list[str] | None = None) -> list[ChunkRecord]:
        """The n chunks nearest to vector (cosine similarity as score), optionally within some papers."""
        def read(client: Any) -> list[ChunkRecord]:
            found = self._collections(client, create=False)
            if found is None:
                return []
            chunks = found[0]
            total = chunks.count()
            if total == 0:
                return []
            where = None
            if paper_ids:
                where = {"paper_id": {"$in": list(paper_ids)}} if len(paper_ids) > 1 else {"paper_id": paper_ids[0]}
            result = chunks.query(query_embeddings=[vector.tolist()], n_results=min(n, total), where=where,
                                  include=["documents", "metadatas", "distances"])
            return [
                ChunkRecord(chunk_id, m["paper_id"], m["hash"], int(m["index"]), int(m["start"]), int(m["end"]), doc, 1.0 - float(d))
                for chunk_id, doc, m, d in zip(result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0])
                if m is not None  # deleted by another process since this one loaded its vector index
            ]

        return self._call("search the index", read)

    def all_chunks(self) -> list[ChunkRecord]:
        """Every stored chunk (the lexical index is built from these)."""
        def read(client: Any) -> list[ChunkRecord]:
            found = self._collections(client, create=False)
            if found is None:
                return []
            records = []
            for ids, documents, metadatas in _paged(found[0], include=["documents", "metadatas"]):
                for chunk_id, doc, m in zip(ids, documents, metadatas):
                    records.append(ChunkRecord(chunk_id, m["paper_id"], m["hash"], int(m["index"]), int(m["start"]), int(m["end"]), doc))
            return records

        return self._call("read the chunks", read)

    def related(self, paper_id: str, k: int = 5) -> list[tuple[str, float]]:
        """Papers nearest to paper_id in the index, with cosine similarity."""
        def read(client: Any) -> list[tuple[str, float]]:
            found = self._collections(client, create=False)
            if found is None:
                return []
            papers = found[1]
            got = papers.get(ids=[paper_id], include=["embeddings"])
            if not got["ids"]:
                return []
            result = papers.query(query_embeddings=[list(got["embeddings"][0])], n_results=min(k + 1, papers.count()), include=["distances"])
            return [(pid, 1.0 - float(d)) for pid, d in zip(result["ids"][0], result["distances"][0]) if pid != paper_id][:k]

        return self._call("find related papers", read)

    # -- writing ------------------------------------------------------------------------------

    def ingest(self, papers: list[Paper], *, chunker: Callable[[Paper], list[Chunk]], sync: bool = False,
               progress: Callable[[int], None] | None = None, on_plan: Callable[[int], None] | None = None) -> IngestReport:
        """Make the index hold these papers (and, with sync, only these); unchanged papers cost nothing."""
        started = time.perf_counter()

        def write(client: Any) -> IngestReport:
            chunks_col, papers_col = self._collections(client, create=True)
            report = IngestReport()
            current = {pid: meta for ids, _, metas in _paged(papers_col, include=["metadatas"]) for pid, meta in zip(ids, metas)}
            wanted = {p.paper_id: p for p in papers}
            pending: list[tuple[Paper, str, list[Chunk]]] = []
            for paper in papers:
                hash_ = index_hash(paper, self.settings)
                old = current.get(paper.paper_id)
                if old is not None and old.get("hash") == hash_:
                    report.unchanged.append(paper.paper_id)
                    continue
                (report.updated if old is not None else report.added).append(paper.paper_id)
                pending.append((paper, hash_, chunker(paper)))
            removed = [pid for pid in current if sync and pid not in wanted]

            vectors = self._write_chunks(chunks_col, pending, progress, on_plan, report)
            if pending or removed:
                self._publish(papers_col, pending, vectors, removed)
            report.removed = removed
            self._remove_stale_chunks(chunks_col, papers_col)
            report.chunks_total = chunks_col.count()
            return report

        folder = str(self._chroma_path)
        with _local_lock:
            _local_writers[folder] = _local_writers.get(folder, 0) + 1
        try:
            report = self._call("write the index", write)
        finally:
            with _local_lock:
                _local_writers[folder] -= 1
        report.seconds = time.perf_counter() - started
        return report

    def _write_chunks(self, chunks_col: Any, pending: list[tuple[Paper, str, list[Chunk]]],
                      progress: Callable[[int], None] | None, on_plan: Callable[[int], None] | None,
                      report: IngestReport) -> dict[str, np.ndarray]:
        """Embed and store the chunks of changed papers (skipping any a killed run already stored); their vectors by chunk id."""
        planned = [(_chunk_id(p.paper_id, h, c.index), p, h, c) for p, h, chunks in pending for c in chunks]
        vectors: dict[str, np.ndarray] = {}
        for first in range(0, len(planned), 1000):
            ids = [item[0] for item in planned[first : first + 1000]]
            got = chunks_col.get(ids=ids, include=["embeddings"])
            for chunk_id, vector in zip(got["ids"], got["embeddings"]):
                vectors[chunk_id] = np.asarray(vector, dtype=np.float32)
        todo = [item for item in planned if item[0] not in vectors]
        if on_plan:
            on_plan(len(todo))
        for first in range(0, len(todo), _WRITE_BATCH):
            batch = todo[first : first + _WRITE_BATCH]
            embedded = self._embed([c.embed_text for _, _, _, c in batch])
            chunks_col.upsert(
                ids=[chunk_id for chunk_id, _, _, _ in batch],
                embeddings=[v.tolist() for v in embedded],
                documents=[c.embed_text for _, _, _, c in batch],
                metadatas=[{"paper_id": p.paper_id, "hash": h, "index": c.index, "start": c.start, "end": c.end,
                            "tokens": c.token_count} for _, p, h, c in batch],
            )
            for (chunk_id, *_), vector in zip(batch, embedded):
                vectors[chunk_id] = vector
            report.chunks_written += len(batch)
            if progress:
                progress(len(batch))
        return vectors

    def _embed(self, texts: list[str]) -> np.ndarray:
        try:
            return self.embedder.embed(texts)
        except AssistantError:
            raise
        except Exception as error:  # not the index's fault: say so, rather than suggest a rebuild
            raise StoreError(f"Cannot embed the chunks: the embedder '{self.embedder.identity}' failed ({describe(error)}). "
                             f"The index still holds what it held before; run the ingest again.") from error

    def _publish(self, papers_col: Any, pending: list[tuple[Paper, str, list[Chunk]]], vectors: dict[str, np.ndarray],
                 removed: list[str]) -> None:
        """Make the new papers visible and the removed ones invisible, then mark a new version."""
        for first in range(0, len(pending), 2000):
            batch = pending[first : first + 2000]
            embeddings = []
            for paper, hash_, chunks in batch:
                paper_vector = np.mean([vectors[_chunk_id(paper.paper_id, hash_, c.index)] for c in chunks], axis=0) if chunks else np.zeros(self.embedder.dimension)
                norm = float(np.linalg.norm(paper_vector)) or 1.0
                embeddings.append((paper_vector / norm).tolist())
            papers_col.upsert(
                ids=[p.paper_id for p, _, _ in batch],
                embeddings=embeddings,
                documents=[p.abstract for p, _, _ in batch],
                metadatas=[_paper_metadata(p, h, len(c)) for p, h, c in batch],
            )
        for first in range(0, len(removed), 2000):
            papers_col.delete(ids=removed[first : first + 2000])
        meta = dict(papers_col.metadata or {})
        meta["version"] = uuid.uuid4().hex
        papers_col.modify(metadata=meta)
        with _local_lock:
            _local_versions[self._version_key] = meta["version"]  # this process's system holds these vectors

    def _remove_stale_chunks(self, chunks_col: Any, papers_col: Any) -> None:
        """Delete chunks of versions the catalog no longer names (replaced, removed, or orphaned by a killed run)."""
        live = {pid: meta.get("hash") for ids, _, metas in _paged(papers_col, include=["metadatas"]) for pid, meta in zip(ids, metas)}
        stale = [cid for ids, _, metas in _paged(chunks_col, include=["metadatas"]) for cid, m in zip(ids, metas)
                 if live.get(m["paper_id"]) != m["hash"]]
        for first in range(0, len(stale), 2000):
            chunks_col.delete(ids=stale[first : first + 2000])

    def drop(self) -> None:
        """Delete the whole index (both collections)."""
        def drop(client: Any) -> None:
            names = _names(client)
            for name in (self.papers_name, self.chunks_name):
                if name in names:
                    client.delete_collection(name)

        self._call("delete the index", drop)

    def set_aside(self) -> Path:
        """Move a damaged local index out of the way, kept for inspection, so that a rebuild starts from nothing."""
        path = self._chroma_path
        target = path.with_name(f"chroma.damaged-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}")
        with self._lock, _local_lock:
            self._client = None
            _forget_system(path, even_if_open=True)
            for key in [key for key in _local_versions if key[0] == str(path)]:
                del _local_versions[key]
            _local_generations[str(path)] = _local_generations.get(str(path), 0) + 1  # every store reconnects
            try:
                path.rename(target)
            except OSError as error:
                raise local_error("set the damaged index aside", error, path) from error
        return target

    def replace_with(self, staging: "PaperStore") -> None:
        """Swap in a fully built staging index under this index's names (used by rebuild)."""
        def swap(client: Any) -> None:
            names = _names(client)
            for name in (self.papers_name, self.chunks_name):
                if name in names:
                    client.delete_collection(name)
            for old, new in ((staging.chunks_name, self.chunks_name), (staging.papers_name, self.papers_name)):
                client.get_collection(old, embedding_function=PaperAssistantEmbeddingFunction.from_settings(self.settings)).modify(name=new)

        self._call("replace the index", swap)


def _names(client: Any) -> set[str]:
    return {c if isinstance(c, str) else c.name for c in client.list_collections()}


def _paged(collection: Any, include: list[str], page: int = 5000) -> Iterator[tuple[list[str], list[Any], list[Any]]]:
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


def _paper_metadata(paper: Paper, hash_: str, chunk_count: int) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "title": paper.title, "hash": hash_, "urls": json.dumps(paper.urls), "source": paper.source,
        "authors": json.dumps(paper.authors), "chunk_count": chunk_count,
    }
    if paper.date:
        meta["date"] = paper.date
    return meta


def _paper_record(paper_id: str, abstract: str | None, meta: dict[str, Any]) -> PaperRecord:
    return PaperRecord(
        paper_id=paper_id, title=meta.get("title", paper_id), abstract=abstract or "",
        urls=json.loads(meta.get("urls") or "[]"), source=meta.get("source", ""),
        authors=json.loads(meta.get("authors") or "[]"), date=meta.get("date"),
        index_hash=meta.get("hash", ""), chunk_count=int(meta.get("chunk_count", 0)),
    )


def _forget_system(path: Path, even_if_open: bool = False) -> None:
    """Drop Chroma's cached system for path, so the next client opens the folder anew.

    Without even_if_open, only a system no client holds: one whose start failed, which chromadb keeps and
    would hand out (broken) ever after.
    """
    from chromadb.api.shared_system_client import SharedSystemClient as Shared

    systems, counts = getattr(Shared, "_identifier_to_system", {}), getattr(Shared, "_identifier_to_refcount", {})
    with getattr(Shared, "_refcount_lock", threading.Lock()):
        if even_if_open or str(path) not in counts:
            systems.pop(str(path), None)
