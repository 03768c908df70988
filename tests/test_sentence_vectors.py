"""Sentence vectors made at ingest (late chunking), stored per index version, used by first-time answers."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from assistant.config import Settings
from assistant.embedding import LocalEmbedder, _span_sums, get_embedder
from assistant.indexing import ingest_papers
from assistant.models import Chunk, Hit, Paper
from assistant.sentence_vectors import (SentenceVectors, _sentence_parts, compute, digest, embed_papers, load_sentences,
                                        sentences_dir)
from assistant.service import Assistant
from assistant.store import PaperStore

PAPERS = [
    Paper(paper_id="widgets", title="Robust Widgets",
          abstract="Widgets break under stress. We propose a robust widget made of steel. It survives a hundred drops."),
    Paper(paper_id="gadgets", title="Plain Gadgets",
          abstract="Gadgets are plain and cheap. Our gadget costs one dollar. Users liked it in a survey of 40 people."),
]


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner: LocalEmbedder):
        self.inner, self.identity, self.dimension = inner, inner.identity, inner.dimension
        self.texts: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.embed(texts)

    def embed_spans(self, texts, spans):
        self.texts.extend(texts)
        return self.inner.embed_spans(texts, spans)


class RemoteLikeEmbedder:
    """An embedder without token states (as a remote server is): a fixed vector per text."""

    identity, dimension = "fake-remote", 8

    def embed(self, texts: list[str]) -> np.ndarray:
        rows = [np.random.default_rng(abs(hash(t)) % 2**32).normal(size=8) for t in texts]
        array = np.array(rows, dtype=np.float32).reshape(len(texts), 8)
        return array / np.linalg.norm(array, axis=1, keepdims=True)


def test_span_sums_add_the_tokens_that_start_inside_each_span():
    hidden = np.arange(12, dtype=np.float32).reshape(6, 2)  # [CLS], 4 tokens, [SEP]
    offsets = [(0, 0), (0, 3), (4, 7), (8, 9), (10, 14), (0, 0)]
    sums, counts = _span_sums(hidden, offsets, [(0, 8), (8, 14), (20, 30)])
    assert counts.tolist() == [2, 2, 0]
    assert sums[0].tolist() == (hidden[1] + hidden[2]).tolist() and sums[1].tolist() == (hidden[3] + hidden[4]).tolist()
    assert sums[2].tolist() == [0.0, 0.0]


def test_a_sentence_is_offered_from_every_chunk_holding_it_whole_and_a_split_one_from_every_part():
    chunks = [Chunk(paper_id="p", title="T", index=0, start=0, end=50, text="x" * 50, token_count=1),
              Chunk(paper_id="p", title="T", index=1, start=30, end=90, text="x" * 60, token_count=1),
              Chunk(paper_id="p", title="T", index=2, start=90, end=120, text="x" * 30, token_count=1)]
    parts = _sentence_parts(chunks, [(0, 29), (30, 50), (51, 110)])
    assert parts == [[(0, 0, 29, True), (1, 30, 50, True)], [(1, 30, 50, True), (2, 51, 90, False)], [(2, 90, 110, False)]]


def test_late_chunked_vectors_are_the_chunk_pass_tokens_of_each_sentence():
    embedder = get_embedder(Settings(_env_file=None))
    paper = PAPERS[0]
    chunk = Chunk(paper_id=paper.paper_id, title=paper.title, index=0, start=0, end=len(paper.abstract),
                  text=paper.abstract, token_count=30)
    chunk_vectors, [sentences] = embed_papers(embedder, [(paper, [chunk])])
    assert np.allclose(chunk_vectors[0], embedder.embed([chunk.embed_text])[0], atol=1e-5)
    assert [paper.abstract[s:e] for s, e in sentences.spans] == [
        "Widgets break under stress.", "We propose a robust widget made of steel.", "It survives a hundred drops."]
    hidden, attention, encodings = embedder._hidden([chunk.embed_text])
    prefix = len(chunk.embed_text) - len(chunk.text)
    start, end = sentences.spans[1]
    rows = [i for i, (a, b) in enumerate(encodings[0].offsets) if b > a and start + prefix <= a < end + prefix]
    expected = hidden[0, rows].mean(axis=0)
    assert np.allclose(sentences.vectors[1], expected / np.linalg.norm(expected), atol=2e-3)  # stored as float16
    alone = embedder.embed([paper.abstract[start:end]])[0]
    assert float(np.dot(sentences.vectors[1].astype(np.float32), alone)) < 0.999  # not the separate embedding


def test_an_embedder_without_token_states_embeds_each_sentence_alone():
    embedder = RemoteLikeEmbedder()
    paper = PAPERS[1]
    chunk = Chunk(paper_id=paper.paper_id, title=paper.title, index=0, start=0, end=len(paper.abstract),
                  text=paper.abstract, token_count=30)
    _, [sentences] = embed_papers(embedder, [(paper, [chunk])])  # type: ignore[arg-type]
    texts = [paper.abstract[s:e] for s, e in sentences.spans]
    assert np.allclose(sentences.vectors.astype(np.float32), embedder.embed(texts), atol=2e-3)


def _hit(paper: Paper) -> Hit:
    return Hit(paper_id=paper.paper_id, title=paper.title, score=1.0, urls=[], abstract=paper.abstract, chunks=[])


def test_ingest_stores_the_sentence_vectors_and_a_first_time_answer_embeds_only_the_question(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    counting = CountingEmbedder(get_embedder(settings))  # type: ignore[arg-type]
    store = PaperStore(settings, embedder=counting)  # type: ignore[arg-type]
    ingest_papers(PAPERS, settings, store=store)
    stored = load_sentences(settings, counting, store.version())  # type: ignore[arg-type]
    assert stored is not None and len(stored) == 2
    remade = compute(settings, counting, PAPERS)  # type: ignore[arg-type]
    for paper in PAPERS:
        got = stored.get(paper.paper_id, paper.title, paper.abstract)
        assert got is not None and got.spans == remade[paper.paper_id].spans
        assert np.allclose(got.vectors, remade[paper.paper_id].vectors, atol=2e-3)

    counting.texts.clear()
    assistant = Assistant(settings, store=store, offline=True)
    answer = assistant.ask("How much does the gadget cost?")
    assert counting.texts == ["How much does the gadget cost?"]
    assert answer.citations and answer.citations[0].paper_id == "gadgets"


def test_stored_vectors_are_never_used_for_another_text_of_the_paper(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    ingest_papers(PAPERS, settings)
    stored = load_sentences(settings, get_embedder(settings), PaperStore(settings).version())
    assert stored is not None
    assert stored.get("widgets", PAPERS[0].title, PAPERS[0].abstract) is not None
    assert stored.get("widgets", PAPERS[0].title, PAPERS[0].abstract + " Edited.") is None
    assert stored.get("widgets", "Another title", PAPERS[0].abstract) is None
    assert stored.get("nobody", "x", "y") is None


def test_an_index_without_stored_sentences_answers_the_same_and_the_next_ingest_stores_them(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    ingest_papers(PAPERS, settings)
    question = "Which widget survives drops?"
    with_stored = Assistant(settings, offline=True).ask(question)
    shutil.rmtree(sentences_dir(settings))  # as an index built before sentence vectors were stored

    counting = CountingEmbedder(get_embedder(settings))  # type: ignore[arg-type]
    without = Assistant(settings, store=PaperStore(settings, embedder=counting), offline=True).ask(question)  # type: ignore[arg-type]
    assert without.text == with_stored.text and without.citations == with_stored.citations
    assert len(counting.texts) > 1  # made on the spot, the way ingest makes them

    report = ingest_papers(PAPERS, settings)  # nothing changed: no chunk embedded, but the sentences are stored again
    assert report.chunks_written == 0
    assert "the sentence vectors of 2 paper(s) already in the index were made and stored" in report.summary()
    assert load_sentences(settings, get_embedder(settings), PaperStore(settings).version()) is not None


@pytest.mark.parametrize("damage", ["json", "vectors", "format"])
def test_damaged_stored_sentences_are_ignored_not_trusted(tmp_path, damage):
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    ingest_papers(PAPERS, settings)
    version = PaperStore(settings).version()
    assert version is not None
    [folder] = [f for f in sentences_dir(settings).iterdir()]
    if damage == "json":
        (folder / "sentences.json").write_text("{not json")
    elif damage == "vectors":
        np.save(folder / "vectors.npy", np.zeros((1, 384), dtype=np.float16))
    else:
        (folder / "sentences.json").write_text((folder / "sentences.json").read_text().replace('"format": 1', '"format": 0'))
    assert load_sentences(settings, get_embedder(settings), version) is None
    answer = Assistant(settings, offline=True).ask("Which widget survives drops?")
    assert answer.citations and answer.citations[0].paper_id == "widgets"
    ingest_papers(PAPERS, settings)  # the next ingest stores them again, whole
    assert load_sentences(settings, get_embedder(settings), version) is not None


def test_an_edited_paper_gets_new_vectors_and_the_others_are_carried_over(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    ingest_papers(PAPERS, settings)
    before = load_sentences(settings, get_embedder(settings), PaperStore(settings).version())
    assert before is not None
    widgets = before.get("widgets", PAPERS[0].title, PAPERS[0].abstract)
    edited = PAPERS[1].model_copy(update={"abstract": "Gadgets are plain. Ours glows in the dark."})
    report = ingest_papers([PAPERS[0], edited], settings)
    assert report.updated == ["gadgets"]
    stored = load_sentences(settings, get_embedder(settings), PaperStore(settings).version())
    assert stored is not None and len(stored) == 2
    got = stored.get("gadgets", edited.title, edited.abstract)
    assert got is not None and [edited.abstract[s:e] for s, e in got.spans] == ["Gadgets are plain.", "Ours glows in the dark."]
    carried = stored.get("widgets", PAPERS[0].title, PAPERS[0].abstract)  # its rows copied as they were
    assert carried is not None and widgets is not None
    assert carried.spans == widgets.spans and np.array_equal(carried.vectors, widgets.vectors)
    assert digest(edited.title, edited.abstract) != digest(PAPERS[1].title, PAPERS[1].abstract)


def test_saved_vectors_round_trip(tmp_path):
    embedder = RemoteLikeEmbedder()
    chunk = Chunk(paper_id="gadgets", title=PAPERS[1].title, index=0, start=0, end=len(PAPERS[1].abstract),
                  text=PAPERS[1].abstract, token_count=30)
    _, [sentences] = embed_papers(embedder, [(PAPERS[1], [chunk])])  # type: ignore[arg-type]
    SentenceVectors.save(tmp_path, "v1", "fake-remote", "separate", {"gadgets": sentences})
    loaded = SentenceVectors.load(tmp_path, "fake-remote", "separate")
    assert loaded is not None and loaded.version == "v1"
    got = loaded.get("gadgets", PAPERS[1].title, PAPERS[1].abstract)
    assert got is not None and got.spans == sentences.spans and np.array_equal(got.vectors, sentences.vectors.astype(np.float32))
    assert SentenceVectors.load(tmp_path, "another-embedder", "separate") is None


def test_separate_sentence_vectors_when_asked_and_a_changed_setting_never_uses_the_other_kind(tmp_path):
    late = Settings(_env_file=None, data_dir=tmp_path / "data")
    ingest_papers(PAPERS, late)
    separate = Settings(_env_file=None, data_dir=tmp_path / "data", sentence_vectors="separate")
    embedder = get_embedder(separate)
    version = PaperStore(separate).version()
    assert version is not None and load_sentences(separate, embedder, version) is None  # the stored ones are late-chunked

    report = ingest_papers(PAPERS, separate)  # nothing changed in the papers: the sentences are made anew, separately
    assert report.chunks_written == 0 and "sentence vectors of 2 paper(s)" in report.summary()
    stored = load_sentences(separate, embedder, version)
    assert stored is not None
    got = stored.get("widgets", PAPERS[0].title, PAPERS[0].abstract)
    assert got is not None
    alone = embedder.embed([PAPERS[0].abstract[s:e] for s, e in got.spans])
    assert np.allclose(got.vectors, alone, atol=2e-3)
    assert load_sentences(late, embedder, version) is None
