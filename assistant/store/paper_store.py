"""PaperStore: one index (connection, reads, writes) behind the interface the rest of the assistant uses."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TypeVar

import numpy as np

from assistant.config import Settings
from assistant.embedding import Embedder, get_embedder
from assistant.models import Chunk, Paper
from assistant.store.catalog import Catalog
from assistant.store.connection import Connection, listing, live_index
from assistant.store.embedding_function import PaperAssistantEmbeddingFunction
from assistant.store.records import UNFINISHED, ChunkRecord, CollectionNames, IngestReport, Snapshot, index_names

if TYPE_CHECKING:
    from assistant.store.writer import Writer

T = TypeVar("T")


class PaperStore:
    """The index of one collection, embedded on disk or on a Chroma server."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        self._embedder = embedder
        self._connection = Connection(settings)
        self.catalog = Catalog(self._connection, lambda: self.embedder)

    @cached_property
    def writer(self) -> Writer:
        """The write side; its module is loaded only when something is written, so readers never import it."""
        from assistant.store.writer import Writer

        return Writer(self._connection, lambda: self.embedder)

    def call(self, what: str, action: Callable[[Any], T]) -> T:
        """Run action(chroma client) on this index's connection, its failures turned into one clear StoreError."""
        return self._connection.call(what, action)

    def live_names(self) -> CollectionNames | None:
        """The collections the index answers from now (the pointer's generation, or the legacy layout's); None when
        there is no index."""
        live = self.call("read the index", lambda client: self._connection.live(listing(client)))
        return None if live is None else live.names

    def collection_sizes(self) -> dict[str, int]:
        """Every collection (index) kept where this one is (the same folder or server), with its number of papers."""
        ef = PaperAssistantEmbeddingFunction.from_settings(self.settings)

        def read(client: Any) -> dict[str, int]:
            collections = listing(client)
            sizes = {}
            for name in index_names(collections):
                live = live_index(name, collections)
                if live is not None and live.names.papers in collections:
                    unfinished = str(collections[live.names.papers].get("version", UNFINISHED)) == UNFINISHED
                    sizes[name] = 0 if unfinished else client.get_collection(live.names.papers, embedding_function=ef).count()
            return sizes

        return self.call("list the collections", read)

    @property
    def location(self) -> str:
        return self._connection.location

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(self.settings)
        return self._embedder

    # -- reading (see Catalog) ------------------------------------------------------------------

    def version(self) -> str | None:
        """The version the last completed ingest wrote, or None when there is no index."""
        return self.catalog.version()

    def recent_version(self) -> str | None:
        """version(), read from Chroma only when it may have changed (see Catalog.recent_version): before a question."""
        return self.catalog.recent_version()

    def snapshot(self) -> Snapshot:
        """The catalog as it is now."""
        return self.catalog.snapshot()

    def count_papers(self) -> int:
        return self.catalog.count_papers()

    def count_chunks(self) -> int:
        return self.catalog.count_chunks()

    def query_chunks(self, vector: np.ndarray, n: int, paper_ids: list[str] | None = None) -> list[ChunkRecord]:
        """The n chunks nearest to vector (cosine similarity as score), optionally within some papers."""
        return self.catalog.query_chunks(vector, n, paper_ids)

    def all_chunks(self) -> list[ChunkRecord]:
        """Every stored chunk (the lexical index is built from these)."""
        return self.catalog.all_chunks()

    def chunk_vectors(self) -> tuple[list[ChunkRecord], np.ndarray]:
        """Every stored chunk (without its document) and its vector, row i for chunk i."""
        return self.catalog.chunk_vectors()

    def chunks_of(self, ids: list[str], vectors: bool = False) -> tuple[list[ChunkRecord], np.ndarray]:
        """The stored chunks of these ids (without their documents; in no set order), with their vectors when asked."""
        return self.catalog.chunks_of(ids, vectors)

    def related(self, paper_id: str, k: int = 5) -> list[tuple[str, float]]:
        """Papers nearest to paper_id in the index, with cosine similarity."""
        return self.catalog.related(paper_id, k)

    # -- writing (see Writer) -------------------------------------------------------------------

    def ingest(self, papers: list[Paper], *, chunker: Callable[[Paper], list[Chunk]], sync: bool = False,
               progress: Callable[[int], None] | None = None, on_plan: Callable[[int], None] | None = None,
               guard: Callable[[], None] | None = None) -> IngestReport:
        """Make the index hold these papers (and, with sync, only these); unchanged papers cost nothing."""
        return self.writer.ingest(papers, chunker=chunker, sync=sync, progress=progress, on_plan=on_plan, guard=guard)

    def drop(self) -> None:
        """Delete the whole index (every collection of it)."""
        self.writer.drop()

    def set_aside(self) -> Path | None:
        """Move a damaged local index out of the way, kept for inspection, so that a rebuild starts from nothing."""
        return self.writer.set_aside()

    def rebuild(self, papers: list[Paper], *, chunker: Callable[[Paper], list[Chunk]],
                progress: Callable[[int], None] | None = None, on_plan: Callable[[int], None] | None = None,
                guard: Callable[[], None] | None = None) -> IngestReport:
        """Build the index anew as a new generation, then switch readers to it at once (see Writer.rebuild)."""
        return self.writer.rebuild(papers, chunker=chunker, progress=progress, on_plan=on_plan, guard=guard)
