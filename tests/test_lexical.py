"""BM25 at two levels: chunks (which passage matched) and whole papers (title + abstract), saved per index version and format."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from assistant.config import Settings
from assistant.corpus import load_papers
from assistant.indexing import ingest_papers
from assistant.lexical import FORMAT, LexicalIndex, lexical_dir, load_lexical
from assistant.models import Paper
from assistant.params import DEFAULT_RETRIEVAL
from assistant.retrieval import Retriever
from assistant.store import ChunkRecord, PaperStore
from conftest import SEEDS_DIR

# Paper "split" holds both words of the query, but in different chunks; "one" and "two" each hold one word in one chunk.
CHUNKS = [ChunkRecord("split#h#0", "split", "h", 0, 0, 10, "Split paper\nThe glacier retreated."),
          ChunkRecord("split#h#1", "split", "h", 1, 10, 20, "Split paper\nMoss colonised the slope."),
          ChunkRecord("one#h#0", "one", "h", 0, 0, 10, "One\nA glacier glacier survey of glacier ice."),
          ChunkRecord("two#h#0", "two", "h", 0, 0, 10, "Two\nMoss on roofs.")]
PAPERS = {"split": "Split paper\nThe glacier retreated. Moss colonised the slope.",
          "one": "One\nA glacier glacier survey of glacier ice.", "two": "Two\nMoss on roofs."}


def _index() -> LexicalIndex:
    return LexicalIndex(CHUNKS, "v1", paper_texts=PAPERS)


def test_the_paper_level_bm25_ranks_first_the_paper_holding_every_word_across_its_chunks():
    index = _index()
    best_chunk = {}
    for chunk, score in zip(index.chunks, index.scores("glacier moss")):
        best_chunk[chunk.paper_id] = max(best_chunk.get(chunk.paper_id, 0.0), float(score))
    papers = dict(zip(index.paper_ids, index.paper_scores("glacier moss")))

    assert max(best_chunk, key=best_chunk.__getitem__) == "one"  # no chunk of "split" holds both words
    assert max(papers, key=papers.__getitem__) == "split"
    assert list(index.paper_scores("volcano")) == [0.0, 0.0, 0.0]


def test_a_saved_index_loads_with_the_same_chunk_and_paper_scores(tmp_path):
    index = _index()
    index.save(tmp_path)

    loaded = LexicalIndex.load(tmp_path, "v1")

    assert loaded is not None and loaded.paper_ids == index.paper_ids
    assert list(loaded.paper_scores("glacier moss")) == list(index.paper_scores("glacier moss"))
    assert list(loaded.scores("glacier moss")) == list(index.scores("glacier moss"))


@pytest.fixture
def small_index(tmp_path) -> tuple[Settings, list[Paper]]:
    """Settings of an index of three seed papers."""
    papers = load_papers([SEEDS_DIR])[:3]
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", seeds_dir=SEEDS_DIR)
    ingest_papers(papers, settings)
    return settings, papers


def test_an_index_saved_in_an_older_format_is_rebuilt_and_its_folder_removed(small_index):
    settings, papers = small_index
    directory = lexical_dir(settings)
    (current,) = directory.iterdir()
    assert current.name.endswith(f"-f{FORMAT}")
    old = directory / current.name.removesuffix(f"-f{FORMAT}")  # as the previous release saved it: chunk level only
    current.rename(old)
    meta = json.loads((old / "chunks.json").read_text())
    (old / "chunks.json").write_text(json.dumps({"version": meta["version"], "chunks": []}))  # no paper level, no columns

    index = load_lexical(PaperStore(settings))

    assert sorted(index.paper_ids) == sorted(p.paper_id for p in papers)
    assert [p.name for p in directory.iterdir()] == [current.name]
    assert LexicalIndex.load(directory, meta["version"]) is not None


def test_the_paper_level_bm25_keeps_to_the_papers_asked_about(small_index):
    settings, papers = small_index
    retriever = Retriever(settings, params=replace(DEFAULT_RETRIEVAL, paper_lexical_share=1.0))

    hits = retriever.retrieve(papers[0].title, k=3, method="lexical", paper_ids=[papers[1].paper_id])

    assert [hit.paper_id for hit in hits] == [papers[1].paper_id]
    assert retriever.retrieve(papers[0].title, k=1, method="lexical")[0].paper_id == papers[0].paper_id


def test_tokenize_gives_the_same_words_from_its_cache_as_from_bm25s():
    import bm25s

    from assistant.lexical import _stemmer, tokenize

    texts = ["Monte Carlo Tree Search (MCTS) helps agents.", "", "the of and", "Monte Carlo Tree Search (MCTS) helps agents."]
    expected = [list(t) for t in bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)]
    first, again = tokenize(texts), tokenize(texts)  # the second call reads the cache
    assert first == again == expected
    again[0].append("changed")  # callers get their own lists
    assert tokenize(texts[:1]) == expected[:1]
