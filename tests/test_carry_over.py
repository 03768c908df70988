"""A new version's dense matrix and BM25 index are made from the previous version's and the new chunks alone, and are
what a read of every chunk from the store gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import assistant.dense
import assistant.lexical
from assistant.config import Settings
from assistant.corpus import load_papers
from assistant.dense import DenseIndex, dense_dir, load_dense
from assistant.indexing import ingest_papers
from assistant.lexical import LexicalIndex, lexical_dir, load_lexical
from assistant.models import Paper
from assistant.store import PaperStore
from conftest import SEEDS_DIR, copy_index

QUESTIONS = ["quokka benchmark", "domain adaptation segmentation", "language model agents", "protein"]


@pytest.fixture
def settings(tmp_path: Path, five_paper_index: Path) -> Settings:
    return Settings(_env_file=None, data_dir=copy_index(five_paper_index, tmp_path), seeds_dir=SEEDS_DIR)


@pytest.fixture
def papers() -> list[Paper]:
    return load_papers([SEEDS_DIR])[:6]


def changed(papers: list[Paper]) -> list[Paper]:
    """The five papers with the second revised, the fifth removed and a sixth added."""
    revised = papers[1].model_copy(update={"abstract": papers[1].abstract + " A revision adds a quokka benchmark."})
    return [papers[0], revised, papers[2], papers[3], papers[5]]


def whole_read(store: PaperStore) -> tuple[DenseIndex, LexicalIndex]:
    snapshot = store.snapshot()
    return assistant.dense._read_whole(store, snapshot), assistant.lexical._read_whole(store, snapshot)


def by_chunk(index_chunks, values) -> dict[str, object]:
    return {chunk.chunk_id: value for chunk, value in zip(index_chunks, values)}


def test_an_ingest_updates_the_derived_files_without_reading_every_chunk(settings, papers, monkeypatch):
    store = PaperStore(settings)
    before = load_dense(store, store.snapshot())
    assert before.embedder == store.embedder.identity and load_lexical(store).counts is not None

    def refused(*args, **kwargs):
        raise AssertionError("every chunk was read from the store")

    monkeypatch.setattr(PaperStore, "chunk_vectors", refused)
    monkeypatch.setattr(PaperStore, "all_chunks", refused)
    ingest_papers(changed(papers), settings, sync=True, store=store)
    snapshot = store.snapshot()
    dense = DenseIndex.load(dense_dir(store), snapshot.version)
    lexical = LexicalIndex.load(lexical_dir(settings), snapshot.version)
    assert dense is not None and lexical is not None
    monkeypatch.undo()

    whole_dense, whole_lexical = whole_read(store)
    assert by_chunk(dense.chunks, dense.chunks).keys() == by_chunk(whole_dense.chunks, whole_dense.chunks).keys()
    assert {c.paper_id for c in dense.chunks} == {p.paper_id for p in changed(papers)}
    ours, theirs = by_chunk(dense.chunks, dense.vectors), by_chunk(whole_dense.chunks, whole_dense.vectors)
    assert all(np.array_equal(ours[chunk], theirs[chunk]) for chunk in theirs)
    assert [(c.start, c.end) for c in sorted(dense.chunks, key=lambda c: c.chunk_id)] == \
        [(c.start, c.end) for c in sorted(whole_dense.chunks, key=lambda c: c.chunk_id)]

    assert sorted(lexical.paper_ids) == sorted(whole_lexical.paper_ids)
    for question in QUESTIONS:
        ours, theirs = by_chunk(lexical.chunks, lexical.scores(question)), by_chunk(whole_lexical.chunks, whole_lexical.scores(question))
        assert ours.keys() == theirs.keys()
        assert np.allclose([ours[c] for c in theirs], list(theirs.values()), rtol=1e-6, atol=1e-6), question
        ours = dict(zip(lexical.paper_ids, lexical.paper_scores(question)))
        theirs = dict(zip(whole_lexical.paper_ids, whole_lexical.paper_scores(question)))
        assert np.allclose([ours[p] for p in theirs], list(theirs.values()), rtol=1e-6, atol=1e-6), question
    assert max(lexical.scores("quokka")) > 0


def test_vectors_of_another_embedder_are_never_carried_over(settings, papers, monkeypatch):
    """A rebuild with another embedder keeps every index hash: the previous matrix must not be reused."""
    store = PaperStore(settings)
    snapshot = store.snapshot()
    previous = load_dense(store, snapshot)
    DenseIndex(previous.chunks, np.asarray(previous.vectors), snapshot.version, embedder="another-embedder").save(
        dense_dir(store), replace=True)
    reads = []
    whole = PaperStore.chunk_vectors
    monkeypatch.setattr(PaperStore, "chunk_vectors", lambda self: reads.append(1) or whole(self))
    ingest_papers(changed(papers), settings, sync=True, store=store)
    assert reads == [1]
    dense = DenseIndex.load(dense_dir(store), store.version())
    assert dense is not None and dense.embedder == store.embedder.identity
