"""BM25 over the stored chunks (bm25s only here): loaded from next to the Chroma data, or built from the store's chunks."""

from __future__ import annotations

import json
import logging
import shutil
import threading
import uuid
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import bm25s
import numpy as np
import Stemmer

from assistant.config import Settings
from assistant.store import ChunkRecord, Snapshot
from assistant.version_files import derived_dir, folder_name, remove_others

if TYPE_CHECKING:
    from assistant.store import PaperStore

log = logging.getLogger(__name__)
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

    def document_frequencies(self, words: list[str]) -> dict[str, int]:
        """In how many chunks each (stemmed) word occurs; words the collection lacks are left out."""
        if not self.chunks:
            return {}
        vocab = self._retriever.vocab_dict
        indptr = self._retriever.scores["indptr"]  # the sparse matrix's column pointers: one column per word, one row per chunk
        return {w: int(indptr[vocab[w] + 1] - indptr[vocab[w]]) for w in set(words) if w in vocab}

    def save(self, directory: Path) -> None:
        """Write the index to directory/<version>; a finished version folder is never changed, only removed.

        Readers load one finished folder, so two writers (an ingest, and a question in another process)
        saving at the same time can never mix their files; older versions are removed afterwards.
        """
        directory.mkdir(parents=True, exist_ok=True)
        final = directory / folder_name(self.version)
        if not (final / "chunks.json").exists():
            tmp = directory / f".{final.name}.tmp-{uuid.uuid4().hex}"
            try:
                self._retriever.save(str(tmp)) if self.chunks else tmp.mkdir()
                meta = {"version": self.version, "chunks": [[c.chunk_id, c.paper_id, c.index_hash, c.index, c.start, c.end] for c in self.chunks]}
                (tmp / "chunks.json").write_text(json.dumps(meta))
                try:
                    tmp.rename(final)
                except OSError:
                    if not (final / "chunks.json").exists():  # else another writer finished the same version first
                        raise
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        remove_others(directory, keep=final.name)

    @classmethod
    def load(cls, directory: Path, version: str) -> "LexicalIndex | None":
        """The saved index if one was built for this version, else None."""
        folder = directory / folder_name(version)
        try:
            meta = json.loads((folder / "chunks.json").read_text())
            if meta.get("version") != version:
                return None
            chunks = [ChunkRecord(cid, pid, h, i, s, e, "") for cid, pid, h, i, s, e in meta["chunks"]]
            retriever = bm25s.BM25.load(str(folder)) if chunks else None
            if retriever is not None and getattr(retriever, "scores", {}).get("num_docs", len(chunks)) != len(chunks):
                return None
            return cls(chunks, version, retriever)
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing, damaged or removed while read: the caller rebuilds it from the store


def lexical_dir(settings: Settings) -> Path:
    """Where the BM25 index of the settings' collection is kept."""
    return derived_dir(settings, "bm25")


def load_lexical(store: PaperStore, snapshot: Snapshot | None = None) -> LexicalIndex:
    """The BM25 index for the snapshot's version (default: the store's current one): loaded from disk, or built from
    the store's chunks that the snapshot names and kept on disk as a cache (the Chroma index is never written)."""
    snapshot = snapshot or store.snapshot()
    directory = lexical_dir(store.settings)
    index = LexicalIndex.load(directory, snapshot.version)
    if index is not None:
        return index
    live = [c for c in store.all_chunks() if (p := snapshot.papers.get(c.paper_id)) and p.index_hash == c.index_hash]
    index = LexicalIndex(live, snapshot.version)
    try:
        index.save(directory)
    except OSError as error:  # a read-only or full data dir still answers; the index is rebuilt in memory next time
        log.warning("Could not save the BM25 index to %s (%s); it is kept in memory only.", directory, error)
    return index
