"""Dense search on the read path: one index version's chunk vectors as a float32 matrix (memory-mapped), searched by a
dot product; read from the store once per version and kept beside the BM25 files (Chroma stays the store of record).

An exact scan reads the whole matrix per question (1.5 GB at a million chunks). Past COMPACT_MIN_CHUNKS chunks the
folder also holds a compact copy: the vectors as int8 with a scale per dimension (a quarter of the bytes), scanned with
numkong's int8 dot-product kernels for a shortlist of SHORTLIST rows, which is then re-scored exactly against the
float32 rows (only those rows are read). Past ANN_MIN_CHUNKS chunks (off: its recall at 1M is too low) an HNSW graph
(usearch) would propose the shortlist instead. Figures and the choice: docs/BENCH.md, "A synthetic index of 100k /
300k / 1M chunks".
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
from assistant.resident import read_at_random
from assistant.version_files import derived_dir, folder_name, publish_folder, read_record, saved_versions, without_gc

if TYPE_CHECKING:
    from assistant.store import PaperStore

log = logging.getLogger(__name__)
_MARKER = "chunks.json"
FORMAT = 2  # 2: the chunk table as columns (chunk_table.py); a folder of another format is made again from the store
_GRAPH = "graph.usearch"
_COMPACT, _SCALE = "vectors.i8.npy", "scale.npy"

# At this many chunks and more, a saved index carries the compact int8 copy and searches it first; None: never. Measured
# (docs/BENCH.md, "A synthetic index of 100k / 300k / 1M chunks"): recall@100 1.0 of the exact scan at 20k, 100k, 300k
# and 1M rows with shortlists of 400-2000, SciFact's nDCG@10 / recall@100 identical with it forced on, and faster from
# 20k rows on; below 50k the exact scan costs under 10 ms, so smaller indexes keep no copy (a quarter more disk).
COMPACT_MIN_CHUNKS: int | None = 50_000
# Rows the compact scan proposes for the exact re-score (at least 4 x the rows asked for).
SHORTLIST = 1000

# At this many chunks and more, a saved index carries an HNSW graph; None: never (the exact scan always). Off until its
# recall is measured >= 0.99 of the exact scan at the sizes it serves: with rows and queries of one corpus it gave 0.993 at
# 100k chunks but 0.76-0.83 at 1M (docs/BENCH.md, "A synthetic index of 100k / 300k / 1M chunks").
ANN_MIN_CHUNKS: int | None = None


def _uses_graph(chunks: int) -> bool:
    return ANN_MIN_CHUNKS is not None and chunks >= ANN_MIN_CHUNKS


def _uses_compact(chunks: int) -> bool:
    return COMPACT_MIN_CHUNKS is not None and chunks >= COMPACT_MIN_CHUNKS


_BLOCK = 100_000  # rows quantised at a time (a million float32 rows are 1.5 GB: never copied whole)


def compact_copy(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows as int8 (row / scale x 127, rounded) and the scale: each dimension's largest magnitude (float32)."""
    scale = np.zeros(vectors.shape[1] if vectors.ndim == 2 else 0, dtype=np.float32)
    for start in range(0, len(vectors), _BLOCK):
        scale = np.maximum(scale, np.abs(np.asarray(vectors[start : start + _BLOCK], dtype=np.float32)).max(axis=0))
    scale[scale == 0] = 1.0
    rows = np.empty(vectors.shape, dtype=np.int8)
    for start in range(0, len(vectors), _BLOCK):
        rows[start : start + _BLOCK] = np.rint(np.asarray(vectors[start : start + _BLOCK], dtype=np.float32) / scale * 127)
    return rows, scale


def compact_query(query: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The query as int8, so that its dot product with a compact row is proportional to the float32 one (up to rounding)."""
    weighted = query * scale
    largest = float(np.abs(weighted).max())
    return np.rint(weighted * (127 / largest) if largest else weighted).astype(np.int8)


def top_rows(scores: np.ndarray, count: int) -> np.ndarray:
    """The positions of the count largest scores (in no order): a threshold from a sample of the scores, then a
    partition of those above it (a partition of a million scores costs ~10 ms, this ~1 ms); all when count >= len."""
    if count >= len(scores):
        return np.arange(len(scores))
    stride = max(1, len(scores) // (64 * count))
    sample = scores[::stride]
    place = len(sample) - count // stride - 8  # a little below the count-th largest score of the sample
    if stride > 1 and place > 0:
        above = np.flatnonzero(scores >= np.partition(sample, place)[place])
        if len(above) >= count:
            return above[np.argpartition(-scores[above], count - 1)[:count]]
    return np.argpartition(-scores, count - 1)[:count]


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
                 ann: AnnParams | None = None, compact: tuple[np.ndarray, np.ndarray] | None = None,
                 embedder: str | None = None):
        self.chunks = chunks if isinstance(chunks, ChunkTable) else ChunkTable.of(chunks)
        self.vectors = vectors
        self.version = version
        self.embedder = embedder  # the identity of the embedder that made the vectors (None: not known)
        self.graph = graph  # a usearch Index over the rows, or None (exact search)
        self.ann = ann or ANN  # read at call time: a bench may set dense.ANN
        self.compact = compact  # (int8 rows, scale per dimension): see compact_copy; None: not used

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
        elif self.compact is not None and max(SHORTLIST, 4 * n) < len(self.chunks):
            candidates = self._compact_shortlist(query, max(SHORTLIST, 4 * n))
            scores = self.vectors[candidates] @ query  # exact re-score of the compact scan's proposals
        else:
            candidates, scores = np.arange(len(self.chunks)), self.vectors @ query
        if len(candidates) > n:
            best = np.argpartition(-scores, n - 1)[:n]
            candidates, scores = candidates[best], scores[best]
        order = np.argsort(-scores, kind="stable")
        return [self.chunks.record(int(position), float(score)) for position, score in zip(candidates[order], scores[order])]

    def paper_means(self) -> tuple[list[str], np.ndarray]:
        """The papers of the index and one unit vector each: the mean of its chunks' vectors."""
        numbers = self.chunks.paper_numbers
        paper_ids = sorted(numbers, key=numbers.__getitem__)
        sums = np.zeros((len(paper_ids), self.vectors.shape[1]), dtype=np.float64)
        np.add.at(sums, self.chunks.paper_of(), self.vectors.astype(np.float64))
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return paper_ids, (sums / np.where(norms > 0, norms, 1.0)).astype(np.float32)

    def _shortlist(self, query: np.ndarray, count: int) -> np.ndarray:
        """Rows the graph finds nearest to query, in row order (sorted: the re-score then reads the matrix forwards)."""
        found = self.graph.search(query, count)
        return np.sort(np.asarray(found.keys, dtype=np.int64))

    def _compact_shortlist(self, query: np.ndarray, count: int) -> np.ndarray:
        """The count rows of the compact copy nearest to query, in row order."""
        import numkong

        assert self.compact is not None
        rows, scale = self.compact
        scores = np.asarray(numkong.cdist(compact_query(query, scale)[None], rows, "dot", out_dtype="float32"))[0]
        return np.sort(top_rows(scores, count))

    def save(self, directory: Path, replace: bool = False) -> None:
        """Write the vectors and chunk table to directory/<version> (see version_files.publish_folder), with the compact
        copy past COMPACT_MIN_CHUNKS and the HNSW graph past ANN_MIN_CHUNKS."""
        def write(folder: Path) -> None:
            np.save(folder / "vectors.npy", np.ascontiguousarray(self.vectors, dtype=np.float32))
            if _uses_compact(len(self.chunks)):
                rows, scale = self.compact if self.compact is not None else compact_copy(self.vectors)
                np.save(folder / _COMPACT, rows)
                np.save(folder / _SCALE, scale)
            if _uses_graph(len(self.chunks)):
                build_graph(self.vectors, self.ann).save(str(folder / _GRAPH))
            self.chunks.save(folder, "chunks")
            table = {"version": self.version, "format": FORMAT, "groups": self.chunks.groups, "embedder": self.embedder}
            (folder / _MARKER).write_text(json.dumps(table))

        publish_folder(directory, self.version, _MARKER, write, replace=replace)

    @classmethod
    @without_gc
    def load(cls, directory: Path, version: str) -> "DenseIndex | None":
        """The saved index of this version, memory-mapped, or None (missing, damaged, another version)."""
        folder = directory / folder_name(version)
        table = read_record(folder, _MARKER, version=version, format=FORMAT)
        if table is None:
            return None
        try:
            chunks = ChunkTable.load(folder, "chunks", table["groups"])
            vectors = read_at_random(np.load(folder / "vectors.npy", mmap_mode="r"))  # whole, or a shortlist's rows
            if vectors.shape[0] != len(chunks) or vectors.dtype != np.float32:
                return None
            graph = None
            if _uses_graph(len(chunks)):
                graph = view_graph(folder / _GRAPH)
                if graph is None or len(graph) != len(chunks):
                    return None  # saved without its graph, or damaged: rebuilt from the store
            compact = None
            if _uses_compact(len(chunks)):
                if not (folder / _COMPACT).is_file():
                    return None  # saved without its compact copy (by a release before it): made again from the store
                rows, scale = np.load(folder / _COMPACT, mmap_mode="r"), np.load(folder / _SCALE)
                if rows.shape != vectors.shape or rows.dtype != np.int8 or scale.shape != (vectors.shape[1],):
                    return None
                compact = (rows, scale.astype(np.float32))
            return cls(chunks, vectors, version, graph, compact=compact, embedder=table.get("embedder"))
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
    """The dense index of the snapshot's version: loaded from disk, or made from the previous version's and the store's
    new chunks, or read from the store's chunks that the snapshot names; saved (a read-only data dir keeps it in memory
    only)."""
    directory = dense_dir(store)
    index = DenseIndex.load(directory, snapshot.version)
    if index is not None:
        return index
    index = _carried_over(store, snapshot, directory) or _read_whole(store, snapshot)
    try:
        index.save(directory, replace=(directory / folder_name(snapshot.version)).exists())  # there but unreadable
    except OSError as error:
        log.warning("Could not save the dense index to %s (%s); it is kept in memory only.", directory, error)
    if (_uses_graph(len(index.chunks)) and index.graph is None) or (_uses_compact(len(index.chunks)) and index.compact is None):
        loaded = DenseIndex.load(directory, snapshot.version)  # the graph or compact copy just saved, memory-mapped
        index = loaded if loaded is not None else index
    return index


def _read_whole(store: PaperStore, snapshot: Snapshot) -> DenseIndex:
    """Every stored chunk of the snapshot's papers (at their indexed version) and its vector, read from the store."""
    chunks, vectors = store.chunk_vectors()
    live = [i for i, c in enumerate(chunks) if (p := snapshot.papers.get(c.paper_id)) and p.index_hash == c.index_hash]
    return DenseIndex([chunks[i] for i in live], vectors[live] if len(live) else np.zeros((0, 0), dtype=np.float32),
                      snapshot.version, embedder=store.embedder.identity)


def _carried_over(store: PaperStore, snapshot: Snapshot, directory: Path) -> DenseIndex | None:
    """The snapshot's index made from the newest saved one of another version: its rows of papers the snapshot holds
    unchanged, then the chunks of the others, read from the store by id. None when there is no such index, it was made
    by another embedder (a rebuild keeps the index hashes), too much is new, or a chunk is not stored."""
    versions = [version for version in saved_versions(directory, _MARKER) if version != snapshot.version]
    previous = DenseIndex.load(directory, versions[0]) if versions else None
    if previous is None or previous.embedder is None or previous.embedder != store.embedder.identity:
        return None
    plan = previous.chunks.carry_over_plan(snapshot)
    if plan is None:
        return None
    kept, ids = plan
    added, vectors = store.chunks_of(ids, vectors=True)
    if len(added) != len(ids):
        return None  # a paper lost chunks: the whole read gives what is stored
    matrix = np.empty((len(kept) + len(added), previous.vectors.shape[1]), dtype=np.float32)  # one copy at 1.5 GB a million
    np.take(previous.vectors, kept, axis=0, out=matrix[: len(kept)])
    if len(added):
        matrix[len(kept) :] = vectors
    return DenseIndex(previous.chunks.taken(kept, added), matrix, snapshot.version, embedder=previous.embedder)
