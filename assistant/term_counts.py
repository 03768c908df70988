"""BM25 from term counts that are kept: the index of a new version is made from the previous version's (rows of
removed documents dropped, the new documents' counts appended) instead of from every document again.

bm25s stores weights, not counts, and every weight moves when one document is added (the word's IDF, the average
length). So the counts are kept beside its files, in the same order as its sparse matrix (one column per word, one
entry per document holding it), with each document's length; weights() computes what bm25s's own index() computes
(method "lucene", its default k1 and b), and retriever() gives a bm25s.BM25 that scores, saves and loads as bm25s's.
At a million chunks an update sorts the entries once (seconds); tokenizing every chunk again took minutes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

COUNTS, LENGTHS = "term_counts.npy", "lengths.npy"
_K1, _B = 1.5, 0.75  # bm25s.BM25's defaults, which the index has always used


@dataclass(frozen=True)
class TermCounts:
    """Documents x words as a sparse matrix by word: entries of word w are [indptr[w], indptr[w + 1]), each with its
    document (ascending) and count; lengths: each document's number of words."""

    vocab: dict[str, int]
    indptr: np.ndarray
    documents: np.ndarray
    counts: np.ndarray
    lengths: np.ndarray

    @classmethod
    def of(cls, documents: list[list[Any]], vocab: dict[Any, int] | None = None) -> "TermCounts":
        """The counts of these word lists (document i is documents[i]; words are strings, or any keys of vocab); words
        numbered after vocab's, when given."""
        vocab = dict(vocab or {})
        size = sum(len(set(words)) for words in documents)
        rows, columns, counts = (np.empty(size, dtype=np.int32), np.empty(size, dtype=np.int32),
                                 np.empty(size, dtype=np.uint16))
        at = 0
        for row, words in enumerate(documents):
            counted = Counter(words)
            end = at + len(counted)
            rows[at:end] = row
            columns[at:end] = [vocab.setdefault(word, len(vocab)) for word in counted]
            counts[at:end] = np.minimum(list(counted.values()), np.iinfo(np.uint16).max)
            at = end
        lengths = np.array([len(words) for words in documents], dtype=np.int32)
        return cls._sorted(vocab, rows, columns, counts, lengths)

    @classmethod
    def _sorted(cls, vocab: dict[str, int], rows: np.ndarray, columns: np.ndarray, counts: np.ndarray,
                lengths: np.ndarray) -> "TermCounts":
        """From entries whose documents ascend within each word (a stable sort by word keeps them so)."""
        order = np.argsort(columns, kind="stable")
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(columns, minlength=len(vocab)), out=indptr[1:])
        return cls(vocab, indptr, rows[order], counts[order], lengths)

    def __len__(self) -> int:
        return len(self.lengths)

    def taken(self, kept: np.ndarray, added: list[list[str]]) -> "TermCounts":
        """The counts of the documents at positions kept (ascending), then of the added word lists; new words are
        numbered after the known ones (a word no document holds any more keeps its empty column)."""
        renumber = np.full(len(self), -1, dtype=np.int64)
        renumber[kept] = np.arange(len(kept))
        columns = np.repeat(np.arange(len(self.vocab), dtype=np.int32), np.diff(self.indptr))
        documents = renumber[np.asarray(self.documents)]
        keep = documents >= 0
        new = TermCounts.of(added, self.vocab)
        new_columns = np.repeat(np.arange(len(new.vocab), dtype=np.int32), np.diff(new.indptr))
        # each part is by word with its documents ascending, and the added documents come after the kept ones: the stable
        # sort by word then keeps every word's documents ascending
        return TermCounts._sorted(new.vocab, np.concatenate([documents[keep], new.documents + len(kept)]).astype(np.int32),
                                  np.concatenate([columns[keep], new_columns]),
                                  np.concatenate([np.asarray(self.counts)[keep], new.counts]),
                                  np.concatenate([np.asarray(self.lengths)[kept], new.lengths]))

    def weights(self) -> np.ndarray:
        """Each entry's BM25 weight, as bm25s computes it (float32 IDF times the float64 term-frequency part)."""
        total = len(self)
        frequencies = np.diff(self.indptr)
        idf = np.log(1 + (total - frequencies + 0.5) / (frequencies + 0.5)).astype(np.float32)
        average = float(self.lengths.mean()) if total else 1.0
        norms = _K1 * ((1 - _B) + _B * np.asarray(self.lengths, dtype=np.float64) / average)
        counts = np.asarray(self.counts, dtype=np.float32)
        word_idf = np.repeat(idf, frequencies)
        return (word_idf * (counts / (norms[np.asarray(self.documents)] + counts))).astype(np.float32)

    def retriever(self) -> bm25s.BM25:
        """A bm25s index of these counts (empty columns for words no document holds)."""
        retriever = bm25s.BM25()
        retriever.scores = {"data": self.weights(), "indices": np.asarray(self.documents, dtype=np.int32),
                            "indptr": self.indptr, "num_docs": len(self)}
        retriever.vocab_dict = dict(self.vocab)
        retriever.unique_token_ids_set = set(self.vocab.values())
        retriever.nonoccurrence_array = None
        return retriever

    def save(self, folder: Path) -> None:
        """The counts and lengths into folder, beside the retriever's own files (which hold the vocabulary, the documents
        and indptr)."""
        np.save(folder / COUNTS, np.ascontiguousarray(self.counts))
        np.save(folder / LENGTHS, np.ascontiguousarray(self.lengths))

    @classmethod
    def load(cls, folder: Path, retriever: bm25s.BM25) -> "TermCounts | None":
        """The counts saved beside this loaded retriever (memory-mapped), or None: saved without them (by a release
        before them) or not matching it."""
        try:
            counts = np.load(folder / COUNTS, mmap_mode="r")
            lengths = np.load(folder / LENGTHS, mmap_mode="r")
        except (OSError, ValueError):
            return None
        scores = retriever.scores
        if counts.shape != scores["indices"].shape or lengths.shape != (scores["num_docs"],):
            return None
        return cls(retriever.vocab_dict, np.asarray(scores["indptr"]), scores["indices"], counts, lengths)
