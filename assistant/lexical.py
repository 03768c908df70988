"""BM25 over the stored chunks (bm25s only here), saved next to the Chroma data and rebuilt when the index changes."""

from __future__ import annotations

import json
import shutil
import threading
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from assistant.store import ChunkRecord

_stem_lock = threading.Lock()


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, stemmed word lists."""
    with _stem_lock:  # PyStemmer objects are not thread-safe
        tokens = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)
    return [list(t) for t in tokens]


class LexicalIndex:
    """BM25 scores of every chunk for a query."""

    def __init__(self, chunks: list[ChunkRecord], version: str, retriever: bm25s.BM25 | None = None):
        self.chunks = chunks
        self.version = version
        if retriever is None:
            retriever = bm25s.BM25()
            if chunks:
                retriever.index(tokenize([c.document for c in chunks]), show_progress=False)
        self._retriever = retriever

    def scores(self, query: str) -> np.ndarray:
        """One BM25 score per chunk, in self.chunks order (all zeros when no query word is known)."""
        if not self.chunks:
            return np.zeros(0, dtype=np.float32)
        words = tokenize([query])[0]
        vocab = self._retriever.vocab_dict
        known = [w for w in words if w in vocab]
        if not known:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)

    def save(self, directory: Path) -> None:
        """Write the index atomically: a reader sees the old one or the new one, never half."""
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        self._retriever.save(str(tmp)) if self.chunks else tmp.mkdir(parents=True)
        meta = {"version": self.version, "chunks": [[c.chunk_id, c.paper_id, c.index_hash, c.index, c.start, c.end] for c in self.chunks]}
        (tmp / "chunks.json").write_text(json.dumps(meta))
        old = directory.with_name(directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if directory.exists():
            directory.rename(old)
        tmp.rename(directory)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path, version: str, documents: dict[str, str] | None = None) -> "LexicalIndex | None":
        """The saved index if it was built for this version, else None."""
        try:
            meta = json.loads((directory / "chunks.json").read_text())
            if meta.get("version") != version:
                return None
            chunks = [ChunkRecord(cid, pid, h, i, s, e, "") for cid, pid, h, i, s, e in meta["chunks"]]
            retriever = bm25s.BM25.load(str(directory)) if chunks else None
            return cls(chunks, version, retriever)
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing or damaged: the caller rebuilds it from the store
