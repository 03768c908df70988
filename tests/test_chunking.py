"""Chunks are token-bounded runs of whole sentences, overlap as asked, and map back to the abstract."""

from __future__ import annotations

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from assistant.chunking import chunk_paper, chunk_text, sentence_spans
from assistant.corpus import load_papers
from assistant.models import Paper
from assistant.tokens import count_tokens, get_encoding

from conftest import SEEDS_DIR


@pytest.fixture(scope="module")
def seed_papers() -> list[Paper]:
    return load_papers([SEEDS_DIR])


def test_tiktoken_works_offline_from_the_bundled_file():
    encoding = get_encoding("cl100k_base")
    assert encoding.decode(encoding.encode("Monte Carlo Tree Search")) == "Monte Carlo Tree Search"
    assert count_tokens("hello world") == 2


@pytest.mark.parametrize("max_tokens,overlap", [(160, 40), (64, 16), (300, 0)])
def test_no_chunk_exceeds_the_limit_and_spans_map_back(seed_papers, max_tokens, overlap):
    for paper in seed_papers:
        chunks = chunk_paper(paper, max_tokens, overlap)
        assert chunks, paper.title
        for chunk in chunks:
            assert chunk.text == paper.abstract[chunk.start : chunk.end]
            assert chunk.token_count == count_tokens(chunk.text)
            assert chunk.token_count <= max_tokens
            assert chunk.paper_id == paper.paper_id and chunk.title == paper.title
        assert [c.index for c in chunks] == list(range(len(chunks)))
        assert chunks[0].start == 0 and chunks[-1].end == len(paper.abstract.rstrip())


def test_overlap_repeats_trailing_sentences(seed_papers):
    long_paper = max(seed_papers, key=lambda p: len(p.abstract))
    chunks = chunk_paper(long_paper, 120, 40)
    assert len(chunks) >= 3
    for previous, following in zip(chunks, chunks[1:]):
        assert following.start < previous.end, "consecutive chunks should overlap"
        shared = long_paper.abstract[following.start : previous.end]
        assert count_tokens(shared) <= 40
        assert following.start > previous.start, "every chunk moves forward"


def test_no_overlap_means_chunks_tile_the_abstract(seed_papers):
    paper = seed_papers[0]
    chunks = chunk_paper(paper, 100, 0)
    for previous, following in zip(chunks, chunks[1:]):
        assert following.start >= previous.end
        assert paper.abstract[previous.end : following.start].strip() == ""


def test_chunks_end_on_sentence_boundaries(seed_papers):
    paper = seed_papers[1]
    ends = {end for _, end in sentence_spans(paper.abstract)}
    for chunk in chunk_paper(paper, 100, 20):
        assert chunk.end in ends


def test_embedded_text_carries_the_title(seed_papers):
    chunk = chunk_paper(seed_papers[0])[0]
    assert chunk.embed_text.startswith(seed_papers[0].title)


def test_a_sentence_longer_than_a_chunk_is_cut_at_words():
    text = " ".join(["word"] * 500) + "."
    chunks = chunk_text(text, 50, 10)
    assert len(chunks) > 5
    assert all(tokens <= 50 for _, _, tokens in chunks)
    assert all(text[s:e].strip() == text[s:e] for s, e, _ in chunks)


@hsettings(max_examples=60, deadline=None)
@given(st.text(min_size=0, max_size=600))
def test_arbitrary_text_chunks_cover_every_word(text):
    chunks = chunk_text(text, 24, 8)
    covered = set()
    for start, end, tokens in chunks:
        assert 0 <= start < end <= len(text)
        assert tokens <= 24 or len(text[start:end].split()) == 1  # only an unsplittable single word may exceed
        covered.update(range(start, end))
    for index, char in enumerate(text):
        if not char.isspace():
            assert index in covered, f"character {index} ({char!r}) is in no chunk"


def _scifact_abstracts(limit: int) -> list[str]:
    import gzip
    import json

    from conftest import QUESTIONS

    corpus = QUESTIONS.parent.parent / "bench" / "scifact" / "corpus.jsonl.gz"
    if not corpus.exists():
        pytest.skip(f"{corpus} not found: SciFact lives in ../shared/bench")
    with gzip.open(corpus, "rt") as lines:
        abstracts = [json.loads(line)["text"] for line in lines]
    return sorted(abstracts, key=len)[-limit:]  # the longest ones, where cutting into pieces could matter


def test_sentences_of_real_abstracts_are_pysbds_own(seed_papers):
    from assistant.chunking import _segment

    for text in [paper.abstract for paper in seed_papers] + _scifact_abstracts(60):
        assert sentence_spans(text) == _segment(text)


def test_long_texts_reach_the_segmenter_in_bounded_pieces(monkeypatch):
    import assistant.chunking as chunking

    seen: list[int] = []
    real = chunking._segment
    monkeypatch.setattr(chunking, "_segment", lambda text: seen.append(len(text)) or real(text))
    text = " ".join(f"Sentence number {i} describes what the model of that study learns." for i in range(4000))  # ~200k chars
    spans = sentence_spans(text)
    assert max(seen) <= chunking.PIECE_CHARS and sum(seen) == len(text)
    assert len(spans) == 4000 and all(text[s:e].startswith("Sentence number") for s, e in spans)
    no_punctuation = "word " * 30_000  # one 150k-character "sentence"
    seen.clear()
    assert " ".join(no_punctuation[s:e] for s, e in sentence_spans(no_punctuation)).split() == no_punctuation.split()
    assert max(seen) <= chunking.PIECE_CHARS


def test_an_inline_enumeration_stays_in_its_sentence_and_a_list_after_a_full_stop_is_split():
    text = ("Specifically, the method incorporates 1) a curriculum of new tasks, 2) a reward model, and 3) adaptive "
            "strategies. It is based on two strategies. 1) Reliability-driven adaptation: high-score objects are kept. "
            "2) Noise-guard adaptation: low-score objects are used.")
    sentences = [text[start:end] for start, end in sentence_spans(text)]
    assert sentences[0] == "Specifically, the method incorporates 1) a curriculum of new tasks, 2) a reward model, and 3) adaptive strategies."
    assert sentences[2].startswith("1) Reliability-driven") and sentences[3].startswith("2) Noise-guard")
