"""BM25 over the stored chunks and over whole papers (bm25s only here): loaded from next to the Chroma data, or built
from the store's chunks and catalog."""

from __future__ import annotations

import bisect
import json
import logging
import shutil
import threading
import uuid
from collections import OrderedDict
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import bm25s
import numpy as np
import Stemmer

from assistant.chunk_table import ChunkTable
from assistant.config import Settings
from assistant.store import ChunkRecord, Snapshot
from assistant.resident import read_at_random
from assistant.term_counts import TermCounts
from assistant.version_files import (derived_dir, folder_name, read_record, remove_others, saved_versions, write_checksums,
                                     without_gc)

if TYPE_CHECKING:
    from assistant.store import PaperStore

log = logging.getLogger(__name__)
_stem_lock = threading.Lock()

# What a saved index holds, part of its folder's name: a folder of another format (an older release's) is not loaded;
# the index is rebuilt from the store and the old folder removed. 2: a BM25 over each paper's title + abstract too.
# 3: the chunk table as columns (chunk_table.py).
FORMAT = 3
_PAPERS_FOLDER = "papers"


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


# The word lists of recent short texts (questions, abstracts' sentences): answering one question analyses the same
# sentences several times (quote choice, answerability, list membership), and each bm25s call costs ~0.3 ms however short.
_RECENT: OrderedDict[str, list[str]] = OrderedDict()
RECENT_TEXTS = 20_000
CACHED_BATCH = 1_000  # larger batches (building an index) are analysed without keeping their word lists


def stem_words(words: list[str]) -> list[str]:
    """Each word's stem, as tokenize() stems it (the words as given: lower-cased, stop words kept)."""
    with _stem_lock:  # PyStemmer objects are not thread-safe
        return _stemmer().stemWords(words)


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, stemmed word lists."""
    keep = len(texts) <= CACHED_BATCH
    with _stem_lock:  # PyStemmer objects are not thread-safe; the cache is guarded by the same lock
        new = [text for text in dict.fromkeys(texts) if not keep or text not in _RECENT]
        found = {}
        if new:
            tokens = bm25s.tokenize(new, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)
            found = {text: list(words) for text, words in zip(new, tokens)}
        if keep:
            for text in texts:
                if text in found:
                    _RECENT[text] = found[text]
                else:
                    _RECENT.move_to_end(text)
            while len(_RECENT) > RECENT_TEXTS:
                _RECENT.popitem(last=False)
            return [list(_RECENT[text]) for text in texts]
    return [list(found[text]) for text in texts]


def _bm25(texts: list[str]) -> tuple[bm25s.BM25, TermCounts | None]:
    """The BM25 index of these texts and the term counts it was made from (an empty index: None)."""
    if not texts:
        return bm25s.BM25(), None
    counts = TermCounts.of(tokenize(texts))
    return counts.retriever(), counts


def paper_text(title: str, abstract: str) -> str:
    """What the paper-level BM25 indexes for a paper."""
    return f"{title}\n{abstract}"


class LexicalIndex:
    """BM25 scores of every chunk, and of every paper (title + abstract), for a query."""

    def __init__(self, chunks: list[ChunkRecord] | ChunkTable, version: str, retriever: bm25s.BM25 | None = None,
                 paper_texts: dict[str, str] | None = None, paper_retriever: bm25s.BM25 | None = None,
                 paper_ids: list[str] | None = None, counts: TermCounts | None = None,
                 paper_counts: TermCounts | None = None, paper_hashes: list[str] | None = None):
        """Built from the chunks' documents and paper_texts (paper id -> paper_text), or given the retrievers (loaded,
        or made from term counts). counts, paper_counts: the term counts they were made from, when known, and
        paper_hashes the index hash of each paper as indexed: what the next version's index is made from."""
        if retriever is None:
            retriever, counts = _bm25([c.document for c in chunks])
        self._retriever = retriever
        self.chunks = chunks if isinstance(chunks, ChunkTable) else ChunkTable.of(chunks)
        self.version = version
        if paper_retriever is None:
            paper_texts = paper_texts or {}
            paper_ids = list(paper_texts)
            paper_retriever, paper_counts = _bm25([paper_texts[p] for p in paper_ids])
        self.paper_ids: list[str] = paper_ids or []
        self.counts, self.paper_counts = counts, paper_counts
        self.paper_hashes = paper_hashes if paper_hashes is not None and len(paper_hashes) == len(self.paper_ids) else None
        self._paper_retriever = paper_retriever
        self._paper_positions = {paper_id: position for position, paper_id in enumerate(self.paper_ids)}
        self._sorted_vocab: list[str] | None = None  # the words, sorted, made when words_starting is first asked

    def scores(self, query: str) -> np.ndarray:
        """One BM25 score per chunk, in self.chunks order (all zeros when no query word is known)."""
        return _scores(self._retriever, len(self.chunks), query)

    def paper_scores(self, query: str) -> np.ndarray:
        """One BM25 score per paper over its title + abstract, in self.paper_ids order."""
        return _scores(self._paper_retriever, len(self.paper_ids), query)

    def held_share(self, query: str, paper_id: str) -> float:
        """The share of the query's distinct words that the paper's title + abstract holds (0 for an unknown paper)."""
        words = set(tokenize([query])[0])
        position = self._paper_positions.get(paper_id)
        if not words or position is None:
            return 0.0
        vocab = self._paper_retriever.vocab_dict
        indptr, papers = self._paper_retriever.scores["indptr"], self._paper_retriever.scores["indices"]  # a column of papers per word
        held = sum(1 for w in words if w in vocab and bool(np.any(papers[indptr[vocab[w]]:indptr[vocab[w] + 1]] == position)))
        return held / len(words)

    def words_starting(self, prefix: str) -> list[str]:
        """The collection's (stemmed) words that start with prefix, in order."""
        if not self.chunks:
            return []
        if self._sorted_vocab is None:
            self._sorted_vocab = sorted(self._retriever.vocab_dict)
        start = bisect.bisect_left(self._sorted_vocab, prefix)
        end = bisect.bisect_left(self._sorted_vocab, prefix + "\U0010ffff", lo=start)
        return self._sorted_vocab[start:end]

    def document_frequencies(self, words: list[str]) -> dict[str, int]:
        """In how many chunks each (stemmed) word occurs; words the collection lacks are left out."""
        if not self.chunks:
            return {}
        vocab = self._retriever.vocab_dict
        indptr = self._retriever.scores["indptr"]  # the sparse matrix's column pointers: one column per word, one row per chunk
        return {w: int(indptr[vocab[w] + 1] - indptr[vocab[w]]) for w in set(words) if w in vocab}

    def save(self, directory: Path, replace: bool = False) -> None:
        """Write the index to directory/<version>; a finished version folder is never changed, only removed.

        Readers load one finished folder, so two writers (an ingest, and a question in another process)
        saving at the same time can never mix their files; older versions are removed afterwards.
        """
        directory.mkdir(parents=True, exist_ok=True)
        final = _folder(directory, self.version)
        if replace and final.exists():  # there but damaged: moved away (removed below), then written anew
            try:
                final.rename(directory / f".{final.name}.old-{uuid.uuid4().hex}")
            except OSError:
                pass  # another process moved it first
        if not (final / "chunks.json").exists():
            tmp = directory / f".{final.name}.tmp-{uuid.uuid4().hex}"
            try:
                self._retriever.save(str(tmp)) if self.chunks else tmp.mkdir()
                if self.chunks and self.counts is not None:
                    self.counts.save(tmp)
                if self.paper_ids:
                    self._paper_retriever.save(str(tmp / _PAPERS_FOLDER))
                    if self.paper_counts is not None:
                        self.paper_counts.save(tmp / _PAPERS_FOLDER)
                self.chunks.save(tmp, "chunk_rows")
                meta = {"version": self.version, "format": FORMAT, "papers": self.paper_ids, "groups": self.chunks.groups,
                        "paper_hashes": self.paper_hashes}
                (tmp / "chunks.json").write_text(json.dumps(meta))
                write_checksums(tmp)
                try:
                    tmp.rename(final)
                except OSError:
                    if not (final / "chunks.json").exists():  # else another writer finished the same version first
                        raise
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        remove_others(directory, keep=final.name)

    @classmethod
    @without_gc
    def load(cls, directory: Path, version: str) -> "LexicalIndex | None":
        """The saved index if one was built for this version in this FORMAT, else None."""
        folder = _folder(directory, version)
        # None when missing, damaged since it was written (even at the same size), of another version, or written by an
        # older release: rebuilt from the store
        meta = read_record(folder, "chunks.json", version=version, format=FORMAT)
        if meta is None:
            return None
        try:
            chunks = ChunkTable.load(folder, "chunk_rows", meta["groups"])
            paper_ids = list(meta["papers"])
            # memory-mapped: a question reads the columns of its words only (a million chunks' index need not be in RAM)
            retriever = bm25s.BM25.load(str(folder), mmap=True) if chunks else bm25s.BM25()
            paper_retriever = bm25s.BM25.load(str(folder / _PAPERS_FOLDER), mmap=True) if paper_ids else bm25s.BM25()
            if not (_holds(retriever, len(chunks)) and _holds(paper_retriever, len(paper_ids))):
                return None
            for mapped in (*retriever.scores.values(), *paper_retriever.scores.values()):
                read_at_random(mapped)  # the postings of a question's words
            counts = TermCounts.load(folder, retriever) if chunks else None
            paper_counts = TermCounts.load(folder / _PAPERS_FOLDER, paper_retriever) if paper_ids else None
            return cls(chunks, version, retriever, paper_retriever=paper_retriever, paper_ids=paper_ids, counts=counts,
                       paper_counts=paper_counts, paper_hashes=meta.get("paper_hashes"))
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing, damaged or removed while read: the caller rebuilds it from the store


def _folder(directory: Path, version: str) -> Path:
    """Where the index of this version is saved in this FORMAT."""
    return directory / f"{folder_name(version)}-f{FORMAT}"


def _scores(retriever: bm25s.BM25, size: int, query: str) -> np.ndarray:
    """One BM25 score per document of retriever (size of them); all zeros when no query word is known."""
    if not size:
        return np.zeros(0, dtype=np.float32)
    vocab = retriever.vocab_dict
    known = [w for w in tokenize([query])[0] if w in vocab]
    if not known:
        return np.zeros(size, dtype=np.float32)
    return np.asarray(retriever.get_scores(known), dtype=np.float32)


def _holds(retriever: bm25s.BM25, size: int) -> bool:
    """Whether a loaded retriever was built over size documents (an empty one is not saved)."""
    return not size or getattr(retriever, "scores", {}).get("num_docs", size) == size


def lexical_dir(settings: Settings) -> Path:
    """Where the BM25 index of the settings' collection is kept."""
    return derived_dir(settings, "bm25")


def live_chunk_texts(chunks: list[ChunkRecord], snapshot: Snapshot) -> list[ChunkRecord]:
    """The chunks of the snapshot's papers as indexed (others left out), each with its text as it was embedded: the
    title, a blank line, then the paper's text between the chunk's offsets. The catalog holds the text once; Chroma's
    chunk records hold no document (their full-text index would double the cost of every write)."""
    live = []
    for chunk in chunks:
        paper = snapshot.papers.get(chunk.paper_id)
        if paper is not None and paper.index_hash == chunk.index_hash:
            live.append(replace(chunk, document=f"{paper.title}\n\n{paper.abstract[chunk.start : chunk.end]}"))
    return live


def load_lexical(store: PaperStore, snapshot: Snapshot | None = None) -> LexicalIndex:
    """The BM25 index for the snapshot's version (default: the store's current one): loaded from disk, or built from
    the store's chunks and the papers that the snapshot names and kept on disk as a cache (the Chroma index is never
    written)."""
    snapshot = snapshot or store.snapshot()
    directory = lexical_dir(store.settings)
    index = LexicalIndex.load(directory, snapshot.version)
    if index is not None:
        return index
    index = _carried_over(store, snapshot, directory) or _read_whole(store, snapshot)
    try:
        index.save(directory, replace=_folder(directory, snapshot.version).exists())  # there but unreadable
    except OSError as error:  # a read-only or full data dir still answers; the index is rebuilt in memory next time
        log.warning("Could not save the BM25 index to %s (%s); it is kept in memory only.", directory, error)
    return index


def _read_whole(store: PaperStore, snapshot: Snapshot) -> LexicalIndex:
    """The index of every stored chunk of the snapshot's papers (at their indexed version) and of every paper."""
    live = live_chunk_texts(store.all_chunks(), snapshot)
    papers = sorted(snapshot.papers.items())
    texts = {paper_id: paper_text(paper.title, paper.abstract) for paper_id, paper in papers}
    return LexicalIndex(live, snapshot.version, paper_texts=texts, paper_hashes=[paper.index_hash for _, paper in papers])


def _carried_over(store: PaperStore, snapshot: Snapshot, directory: Path) -> LexicalIndex | None:
    """The snapshot's index made from the term counts of the newest saved one of another version: its chunks and papers
    that the snapshot holds unchanged, then the others' (their chunks read from the store by id, their texts from the
    catalog). None when there is no such index, it was saved without its counts, or too much is new (see
    chunk_table.CARRY_OVER_MAX_NEW)."""
    versions = [version for version in saved_versions(directory, "chunks.json") if version != snapshot.version]
    previous = LexicalIndex.load(directory, versions[0]) if versions else None
    if previous is None or previous.counts is None or previous.paper_counts is None or previous.paper_hashes is None:
        return None
    plan = previous.chunks.carry_over_plan(snapshot)
    if plan is None:
        return None
    kept, ids = plan
    stored, _ = store.chunks_of(ids)
    added = live_chunk_texts(stored, snapshot)
    if len(added) != len(ids):
        return None  # a paper lost chunks: the whole read gives what is stored
    counts = previous.counts.taken(kept, tokenize([c.document for c in added]))
    hashes = {paper_id: paper.index_hash for paper_id, paper in snapshot.papers.items()}
    kept_papers = [i for i, (paper_id, hash_) in enumerate(zip(previous.paper_ids, previous.paper_hashes))
                   if hashes.get(paper_id) == hash_]
    unchanged = {previous.paper_ids[i] for i in kept_papers}
    new_papers = sorted(paper_id for paper_id in hashes if paper_id not in unchanged)
    paper_counts = previous.paper_counts.taken(np.array(kept_papers, dtype=np.int64), tokenize(
        [paper_text(snapshot.papers[paper_id].title, snapshot.papers[paper_id].abstract) for paper_id in new_papers]))
    paper_ids = [previous.paper_ids[i] for i in kept_papers] + new_papers
    return LexicalIndex(previous.chunks.taken(kept, added), snapshot.version, counts.retriever(),
                        paper_retriever=paper_counts.retriever(), paper_ids=paper_ids, counts=counts,
                        paper_counts=paper_counts, paper_hashes=[hashes[paper_id] for paper_id in paper_ids])
