"""Dense search on the read path: one index version's chunk vectors as a float32 matrix (memory-mapped), searched by a
dot product; read from the store once per version and kept beside the BM25 files (Chroma stays the store of record).

Past ANN_MIN_CHUNKS chunks (off by default: its recall is not yet good enough) an exact scan reads the whole matrix
per question (1.5 GB at a million chunks), so the folder also holds an HNSW graph over int8 copies of the vectors (usearch, memory-mapped): it proposes a shortlist,
which is re-scored exactly against the float32 rows. Figures and the choice: docs/BENCH.md, "Dense search at 1M".
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from assistant.chunk_table import ChunkTable
from assistant.store import ChunkRecord, Snapshot
from assistant.version_files import derived_dir, folder_name, intact, publish_folder

if TYPE_CHECKING:
    from assistant.store import PaperStore

log = logging.getLogger(__name__)
_MARKER = "chunks.json"
FORMAT = 2  # 2: the chunk table as columns (chunk_table.py); a folder of another format is made again from the store
_GRAPH = "graph.usearch"

# At this many chunks and more, a saved index carries an HNSW graph; None: never (the exact scan always). Off until its
# recall is measured >= 0.99 of the exact scan at the sizes it serves: with rows and queries of one corpus it gave 0.993 at
# 100k chunks but 0.76-0.83 at 1M (docs/BENCH.md, "A synthetic index of 100k / 300k / 1M chunks").
ANN_MIN_CHUNKS: int | None = None


def _uses_graph(chunks: int) -> bool:
    return ANN_MIN_CHUNKS is not None and chunks >= ANN_MIN_CHUNKS


@dataclass(frozen=True)
class AnnParams:
    """The HNSW graph's build and search parameters (measured: docs/BENCH.md, "Dense search at 1M")."""

    connectivity: int = 16
    expansion_add: int = 128
    expansion_search: int = 256
    shortlist: int = 4  # the graph proposes shortlist x n chunks, re-scored exactly


ANN = AnnParams()


class DenseIndex:
    """The live chunks of one version and their vectors (row i for chunks[i]); the chunks as a columnar table."""

    def __init__(self, chunks: Sequence[ChunkRecord] | ChunkTable, vectors: np.ndarray, version: str, graph: Any = None,
                 ann: AnnParams | None = None):
        self.chunks = chunks if isinstance(chunks, ChunkTable) else ChunkTable.of(chunks)
        self.vectors = vectors
        self.version = version
        self.graph = graph  # a usearch Index over the rows, or None (exact search)
        self.ann = ann or ANN  # read at call time: a bench may set dense.ANN

    def search(self, vector: np.ndarray, n: int, paper_ids: list[str] | None = None) -> list[ChunkRecord]:
        """The n chunks nearest to vector (cosine similarity as score: the vectors are normalised), optionally within
        some papers."""
        if not self.chunks or n <= 0:
            return []
        query = np.asarray(vector, dtype=np.float32)
        if paper_ids:
            candidates = np.flatnonzero(self.chunks.in_papers(paper_ids))
            scores = self.vectors[candidates] @ query  # only those papers' rows are read
        elif self.graph is not None and n * self.ann.shortlist < len(self.chunks):
            candidates = self._shortlist(query, n * self.ann.shortlist)
            scores = self.vectors[candidates] @ query  # exact re-score of the graph's proposals
        else:
            candidates, scores = np.arange(len(self.chunks)), self.vectors @ query
        if len(candidates) > n:
            best = np.argpartition(-scores, n - 1)[:n]
            candidates, scores = candidates[best], scores[best]
        order = np.argsort(-scores, kind="stable")
        return [self.chunks.record(int(position), float(score)) for position, score in zip(candidates[order], scores[order])]

    def _shortlist(self, query: np.ndarray, count: int) -> np.ndarray:
        """Rows the graph finds nearest to query, in row order (sorted: the re-score then reads the matrix forwards)."""
        found = self.graph.search(query, count)
        return np.sort(np.asarray(found.keys, dtype=np.int64))

    def save(self, directory: Path, replace: bool = False) -> None:
        """Write the vectors and chunk table to directory/<version> (see version_files.publish_folder), with the HNSW
        graph past ANN_MIN_CHUNKS."""
        def write(folder: Path) -> None:
            np.save(folder / "vectors.npy", np.ascontiguousarray(self.vectors, dtype=np.float32))
            if _uses_graph(len(self.chunks)):
                build_graph(self.vectors, self.ann).save(str(folder / _GRAPH))
            self.chunks.save(folder, "chunks")
            table = {"version": self.version, "format": FORMAT, "groups": self.chunks.groups}
            (folder / _MARKER).write_text(json.dumps(table))

        publish_folder(directory, self.version, _MARKER, write, replace=replace)

    @classmethod
    def load(cls, directory: Path, version: str) -> "DenseIndex | None":
        """The saved index of this version, memory-mapped, or None (missing, damaged, another version)."""
        folder = directory / folder_name(version)
        if not intact(folder):
            return None
        try:
            table = json.loads((folder / _MARKER).read_text())
            if table.get("version") != version or table.get("format") != FORMAT:
                return None
            chunks = ChunkTable.load(folder, "chunks", table["groups"])
            vectors = np.load(folder / "vectors.npy", mmap_mode="r")
            if vectors.shape[0] != len(chunks) or vectors.dtype != np.float32:
                return None
            graph = None
            if _uses_graph(len(chunks)):
                graph = view_graph(folder / _GRAPH)
                if graph is None or len(graph) != len(chunks):
                    return None  # saved without its graph, or damaged: rebuilt from the store
            return cls(chunks, vectors, version, graph)
        except (OSError, ValueError, KeyError, TypeError):
            return None


# Threads that build a graph (None: every core). A graph built on several threads depends on their timing (its recall
# moves by ~0.005 from run to run); one thread builds the same graph every time.
GRAPH_BUILD_THREADS: int | None = None


def build_graph(vectors: np.ndarray, ann: AnnParams | None = None) -> Any:
    """An HNSW graph over int8 copies of the (normalised) rows, keyed by row number; built on every core."""
    from usearch.index import Index

    ann = ann or ANN
    graph = Index(ndim=vectors.shape[1], metric="ip", dtype="i8", connectivity=ann.connectivity,
                  expansion_add=ann.expansion_add, expansion_search=ann.expansion_search)
    graph.add(np.arange(len(vectors), dtype=np.uint64), np.ascontiguousarray(vectors, dtype=np.float32),
              threads=GRAPH_BUILD_THREADS or os.cpu_count() or 1)
    return graph


def view_graph(path: Path, ann: AnnParams | None = None) -> Any:
    """The saved graph, memory-mapped (nothing read until searched), or None when it is missing or unreadable."""
    from usearch.index import Index

    if not path.is_file():
        return None
    try:
        graph = Index.restore(str(path), view=True)
    except Exception:  # usearch raises plain RuntimeErrors / ValueErrors for a damaged file
        return None
    if graph is None:
        return None
    graph.expansion_search = (ann or ANN).expansion_search  # type: ignore[misc]  # settable; usearch declares the setter oddly
    return graph


def dense_dir(store: PaperStore) -> Path:
    return derived_dir(store.settings, "dense")


def load_dense(store: PaperStore, snapshot: Snapshot) -> DenseIndex:
    """The dense index of the snapshot's version: loaded from disk, or read from the store's chunks that the snapshot
    names and saved (a read-only data dir keeps it in memory only)."""
    directory = dense_dir(store)
    index = DenseIndex.load(directory, snapshot.version)
    if index is not None:
        return index
    chunks, vectors = store.chunk_vectors()
    live = [i for i, c in enumerate(chunks) if (p := snapshot.papers.get(c.paper_id)) and p.index_hash == c.index_hash]
    index = DenseIndex([chunks[i] for i in live], vectors[live] if len(live) else np.zeros((0, 0), dtype=np.float32),
                       snapshot.version)
    try:
        index.save(directory, replace=(directory / folder_name(snapshot.version)).exists())  # there but unreadable
    except OSError as error:
        log.warning("Could not save the dense index to %s (%s); it is kept in memory only.", directory, error)
    if _uses_graph(len(index.chunks)) and index.graph is None:
        loaded = DenseIndex.load(directory, snapshot.version)  # the graph just saved, memory-mapped
        index = loaded if loaded is not None else index
    return index
