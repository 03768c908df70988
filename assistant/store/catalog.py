"""Reading the index: its version, the catalog of papers, chunk counts, nearest chunks and papers."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, TypeVar

import numpy as np

from assistant.embedding import Embedder
from assistant.store.catalog_file import catalog_dir, keep_catalog, load_catalog
from assistant.store.connection import Connection, gone, listing, paged
from assistant.store.records import UNFINISHED, ChunkRecord, Snapshot, chunk_record
from assistant.store.texts import read_papers

T = TypeVar("T")


class Catalog:
    """Read-only queries of one index; a missing index reads as empty, and so does one that no ingest finished (a first
    batch killed while it was published is never seen in part)."""

    def __init__(self, connection: Connection, embedder: Callable[[], Embedder]):
        self._connection = connection
        self._embedder = embedder
        self._recent: tuple[tuple[int, int, int] | None, str | None, float] | None = None  # (signal, version, read at)
        self._recent_lock = threading.Lock()

    def _read(self, what: str, missing: T, read: Callable[[Any, Any], T]) -> T:
        """read(chunks, papers) on the live generation's collections, or missing when there is no index.

        The pointer is resolved on every read (it comes with the listing of collections: no extra call). A
        generation removed while this read used it (superseded twice over by rebuilds) is resolved anew, once.
        """
        return self._read_with_client(what, missing, lambda client, chunks, papers: read(chunks, papers))

    def _read_with_client(self, what: str, missing: T, read: Callable[[Any, Any, Any], T]) -> T:
        """_read, with read(client, chunks, papers)."""
        def action(client: Any) -> T:
            try:
                found = self._connection.collections(client, self._embedder(), create=False)
                return missing if found is None else read(client, *found)
            except Exception as error:  # chromadb's NotFoundError, for a collection a rebuild removed
                if not gone(error):
                    raise
            found = self._connection.collections(client, self._embedder(), create=False)
            return missing if found is None else read(client, *found)

        return self._connection.call(what, action)

    def version(self) -> str | None:
        """The version the last completed ingest wrote, or None when there is no index.

        Asked before every question: read from the listing of collections alone (one call to Chroma), the
        collections themselves opened only when the listing does not show the live catalog.
        """
        def from_listing(client: Any) -> str | None | bool:
            collections = listing(client)
            live = self._connection.live(collections)
            if live is None:
                return None
            meta = collections.get(live.names.papers)
            return False if meta is None else str(meta.get("version", UNFINISHED))

        publishes_before = self._connection.publishes()
        version = self._connection.call("read the index", from_listing)
        if version is False:
            version = self._read("read the index", None, lambda chunks, papers: _version(papers))
        assert version is not True
        self._connection.follow(version, publishes_before)
        return version

    def recent_version(self) -> str | None:
        """version(), read from Chroma only when the data dir's publish signal changed since the last read, or when
        settings.version_check_ms passed: what a question asks before it is answered.

        An ingest through this data dir (any process of this machine) rewrites the signal, so it is seen at once, at
        the cost of one stat; one through another data dir on the same Chroma server within version_check_ms.
        """
        interval = self._connection.settings.version_check_ms / 1000
        signal = self._connection.signal()
        now = time.monotonic()
        with self._recent_lock:
            recent = self._recent
        if recent is not None and interval > 0 and recent[0] == signal and now - recent[2] < interval:
            return recent[1]
        version = self.version()  # the signal is stat'ed before the read: a change after it is seen next time
        with self._recent_lock:
            self._recent = (signal, version, now)
        return version

    def snapshot(self) -> Snapshot:
        """The catalog as it is now: from the version's catalog files when they are there (catalog_file.py), else
        paged from Chroma (and saved for the next process)."""
        directory = catalog_dir(self._connection.settings)

        def read(client: Any, chunks: Any, papers: Any) -> Snapshot:
            version = _version(papers)
            if version == UNFINISHED:
                return Snapshot(UNFINISHED, {})
            saved = load_catalog(directory, version)
            if saved is not None:
                return saved
            return Snapshot(version, read_papers(papers, self._connection.texts(client, papers.name, create=False)))

        snapshot = self._read_with_client("read the catalog", Snapshot("missing", {}), read)
        if snapshot.version not in (UNFINISHED, "missing") and isinstance(snapshot.papers, dict):
            keep_catalog(self._connection.settings, snapshot, replace=True)  # paged: the saved one is missing or damaged
        return snapshot

    def count_papers(self) -> int:
        return self._read("count the papers", 0, lambda chunks, papers: 0 if _version(papers) == UNFINISHED else papers.count())

    def count_chunks(self) -> int:
        return self._read("count the chunks", 0, lambda chunks, papers: chunks.count())

    def query_chunks(self, vector: np.ndarray, n: int, paper_ids: list[str] | None = None) -> list[ChunkRecord]:
        """The n chunks nearest to vector (cosine similarity as score), optionally within some papers."""
        def read(chunks: Any, papers: Any) -> list[ChunkRecord]:
            total = chunks.count()
            if total == 0:
                return []
            where = None
            if paper_ids:
                where = {"paper_id": {"$in": list(paper_ids)}} if len(paper_ids) > 1 else {"paper_id": paper_ids[0]}
            result = chunks.query(query_embeddings=[vector.tolist()], n_results=min(n, total), where=where,
                                  include=["metadatas", "distances"])
            return [
                chunk_record(cid, "", m, 1.0 - float(d))
                for cid, m, d in zip(result["ids"][0], result["metadatas"][0], result["distances"][0])
                if m is not None  # deleted by another process since this one loaded its vector index
            ]

        return self._read("search the index", [], read)

    def all_chunks(self) -> list[ChunkRecord]:
        """Every stored chunk, without its text (lexical.live_chunk_texts gives it from the catalog)."""
        def read(chunks: Any, papers: Any) -> list[ChunkRecord]:
            return [chunk_record(cid, "", m) for ids, _, metadatas in paged(chunks, include=["metadatas"])
                    for cid, m in zip(ids, metadatas)]

        return self._read("read the chunks", [], read)

    def chunks_of(self, ids: list[str], vectors: bool = False, page: int = 1000) -> tuple[list[ChunkRecord], np.ndarray]:
        """The stored chunks of these ids (those the store holds, in no set order) and, with vectors, their vectors (row i
        for chunk i; else an empty array)."""
        def read(chunks: Any, papers: Any) -> tuple[list[ChunkRecord], np.ndarray]:
            records: list[ChunkRecord] = []
            blocks: list[np.ndarray] = []
            for first in range(0, len(ids), page):
                got = chunks.get(ids=ids[first : first + page], include=["metadatas", "embeddings"] if vectors else ["metadatas"])
                records.extend(chunk_record(cid, "", m) for cid, m in zip(got["ids"], got["metadatas"]))
                if vectors and got["ids"]:
                    blocks.append(np.asarray(got["embeddings"], dtype=np.float32))
            return records, (np.vstack(blocks) if blocks else np.zeros((0, 0), dtype=np.float32))

        nothing: tuple[list[ChunkRecord], np.ndarray] = ([], np.zeros((0, 0), dtype=np.float32))
        return self._read("read the chunks", nothing, read)

    def chunk_vectors(self, page: int = 5000) -> tuple[list[ChunkRecord], np.ndarray]:
        """Every stored chunk (without its document) and its vector, row i for chunk i."""
        def read(chunks: Any, papers: Any) -> tuple[list[ChunkRecord], np.ndarray]:
            records: list[ChunkRecord] = []
            blocks: list[np.ndarray] = []
            offset = 0
            while True:
                got = chunks.get(include=["metadatas", "embeddings"], limit=page, offset=offset)
                ids = got["ids"]
                if not ids:
                    break
                records.extend(chunk_record(cid, "", m) for cid, m in zip(ids, got["metadatas"]))
                blocks.append(np.asarray(got["embeddings"], dtype=np.float32))
                if len(ids) < page:
                    break
                offset += page
            return records, (np.vstack(blocks) if blocks else np.zeros((0, 0), dtype=np.float32))

        empty: tuple[list[ChunkRecord], np.ndarray] = ([], np.zeros((0, 0), dtype=np.float32))
        return self._read("read the chunk vectors", empty, read)

    def related(self, paper_id: str, k: int = 5) -> list[tuple[str, float]]:
        """Papers nearest to paper_id in the index, with cosine similarity."""
        def read(chunks: Any, papers: Any) -> list[tuple[str, float]]:
            got = papers.get(ids=[paper_id], include=["embeddings"])
            if not got["ids"] or _version(papers) == UNFINISHED:
                return []
            result = papers.query(query_embeddings=[list(got["embeddings"][0])], n_results=min(k + 1, papers.count()), include=["distances"])
            return [(pid, 1.0 - float(d)) for pid, d in zip(result["ids"][0], result["distances"][0]) if pid != paper_id][:k]

        return self._read("find related papers", [], read)


def _version(papers: Any) -> str:
    return str((papers.metadata or {}).get("version", UNFINISHED))
