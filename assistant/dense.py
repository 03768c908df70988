"""Dense search on the read path: one index version's chunk vectors as a float32 matrix (memory-mapped), searched by a
dot product; read from the store once per version and kept beside the BM25 files (Chroma stays the store of record)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.store import ChunkRecord, Snapshot
from assistant.version_files import derived_dir, folder_name, intact, publish_folder

if TYPE_CHECKING:
    from assistant.store import PaperStore

log = logging.getLogger(__name__)
_MARKER = "chunks.json"


class DenseIndex:
    """The live chunks of one version and their vectors (row i for chunks[i])."""

    def __init__(self, chunks: list[ChunkRecord], vectors: np.ndarray, version: str):
        self.chunks = chunks
        self.vectors = vectors
        self.version = version
        self._paper_of = np.array([c.paper_id for c in chunks], dtype=object)

    def search(self, vector: np.ndarray, n: int, paper_ids: list[str] | None = None) -> list[ChunkRecord]:
        """The n chunks nearest to vector (cosine similarity as score: the vectors are normalised), optionally within
        some papers."""
        if not self.chunks or n <= 0:
            return []
        scores = self.vectors @ np.asarray(vector, dtype=np.float32)
        candidates = np.arange(len(self.chunks))
        if paper_ids:
            candidates = np.flatnonzero(np.isin(self._paper_of, list(paper_ids)))
            scores_in = scores[candidates]
        else:
            scores_in = scores
        if len(candidates) > n:
            best = np.argpartition(-scores_in, n - 1)[:n]
            candidates, scores_in = candidates[best], scores_in[best]
        order = np.argsort(-scores_in, kind="stable")
        result = []
        for position, score in zip(candidates[order], scores_in[order]):
            c = self.chunks[int(position)]
            result.append(ChunkRecord(c.chunk_id, c.paper_id, c.index_hash, c.index, c.start, c.end, "", float(score)))
        return result

    def save(self, directory: Path, replace: bool = False) -> None:
        """Write the vectors and chunk table to directory/<version> (see version_files.publish_folder)."""
        def write(folder: Path) -> None:
            np.save(folder / "vectors.npy", np.ascontiguousarray(self.vectors, dtype=np.float32))
            table = {"version": self.version,
                     "chunks": [[c.chunk_id, c.paper_id, c.index_hash, c.index, c.start, c.end] for c in self.chunks]}
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
            if table.get("version") != version:
                return None
            chunks = [ChunkRecord(cid, pid, h, i, s, e, "") for cid, pid, h, i, s, e in table["chunks"]]
            vectors = np.load(folder / "vectors.npy", mmap_mode="r")
            if vectors.shape[0] != len(chunks) or vectors.dtype != np.float32:
                return None
            return cls(chunks, vectors, version)
        except (OSError, ValueError, KeyError, TypeError):
            return None


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
    return index
