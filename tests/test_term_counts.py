"""BM25 from kept term counts: the same scores as bm25s's own index, and an updated index the same as a fresh one."""

from __future__ import annotations

import random

import bm25s
import numpy as np
import pytest

from assistant.term_counts import TermCounts

WORDS = "glacier moss retreat slope ice model protein fold graph agent learn memori tree search".split()
QUERIES = [["glacier"], ["moss", "ice"], ["tree", "search", "agent"], ["quokka", "slope"]]


@pytest.fixture
def documents() -> list[list[str]]:
    rng = random.Random(0)
    return [[rng.choice(WORDS) for _ in range(rng.randint(0, 30))] for _ in range(300)]


def bm25s_index(documents: list[list[str]]) -> bm25s.BM25:
    retriever = bm25s.BM25()
    retriever.index(documents, show_progress=False)
    return retriever


def scores(retriever: bm25s.BM25, query: list[str]) -> np.ndarray:
    known = [w for w in query if w in retriever.vocab_dict]
    return retriever.get_scores(known) if known else np.zeros(retriever.scores["num_docs"], dtype=np.float32)


def test_the_index_scores_as_bm25s_own_index(documents):
    counts = TermCounts.of(documents)
    ours, theirs = counts.retriever(), bm25s_index(documents)
    assert len(counts) == len(documents) and counts.lengths.tolist() == [len(d) for d in documents]
    for query in QUERIES:
        assert np.allclose(scores(ours, query), scores(theirs, query), rtol=1e-6, atol=1e-7), query
    assert scores(ours, ["glacier"]).max() > 0


def test_an_updated_index_scores_as_a_fresh_index_of_the_same_documents(documents, tmp_path):
    counts = TermCounts.of(documents)
    kept = np.array([i for i in range(len(documents)) if i % 7])
    rng = random.Random(1)
    added = [[rng.choice(WORDS + ["quokka"]) for _ in range(rng.randint(1, 20))] for _ in range(25)]
    updated = counts.taken(kept, added)
    fresh = bm25s_index([documents[i] for i in kept] + added)
    for query in QUERIES:  # every weight moved: the IDFs and the average length are the new collection's
        assert np.allclose(scores(updated.retriever(), query), scores(fresh, query), rtol=1e-6, atol=1e-7), query
    assert scores(updated.retriever(), ["quokka"])[len(kept):].max() > 0

    retriever = updated.retriever()  # saved beside bm25s's files and loaded back, memory-mapped
    retriever.save(str(tmp_path))
    updated.save(tmp_path)
    loaded = bm25s.BM25.load(str(tmp_path), mmap=True)
    again = TermCounts.load(tmp_path, loaded)
    assert again is not None
    assert np.allclose(scores(again.taken(np.arange(len(again)), []).retriever(), ["moss"]), scores(fresh, ["moss"]),
                       rtol=1e-6, atol=1e-7)
