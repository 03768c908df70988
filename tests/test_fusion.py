"""How chunk scores become paper scores: the second chunk's share (dense), the paper-level share (BM25), the BM25 weight."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.lexical import LexicalIndex
from assistant.params import DEFAULT_RETRIEVAL
from assistant.retrieval import _fuse, lexical_weight
from assistant.store import ChunkRecord


def _chunk(paper_id: str, index: int, score: float) -> ChunkRecord:
    return ChunkRecord(f"{paper_id}#h#{index}", paper_id, "h", index, 0, 10, "", score)


def _ranked(scores: dict[str, float]) -> list[str]:
    return sorted(scores, key=lambda pid: -scores[pid])


def test_a_share_of_the_second_chunk_lifts_a_paper_that_two_chunks_match():
    dense = {"one": [_chunk("one", 0, 0.80)], "two": [_chunk("two", 0, 0.78), _chunk("two", 1, 0.70)]}

    best_only = _fuse(dense, {}, {}, "dense", 0.0, replace(DEFAULT_RETRIEVAL, second_chunk_share=0.0))
    with_second = _fuse(dense, {}, {}, "dense", 0.0, replace(DEFAULT_RETRIEVAL, second_chunk_share=0.1))

    assert _ranked(best_only) == ["one", "two"]
    assert _ranked(with_second) == ["two", "one"]
    assert with_second["two"] == pytest.approx(0.78 + 0.1 * 0.70)


def test_the_paper_level_share_decides_between_the_best_chunk_and_the_whole_paper():
    lexical = {"chunky": [_chunk("chunky", 0, 6.0)], "whole": [_chunk("whole", 0, 4.0)]}  # BM25 of the best chunks
    papers = {"chunky": 5.0, "whole": 10.0}  # BM25 of title + abstract

    def lexical_ranking(share: float) -> list[str]:
        return _ranked(_fuse({}, lexical, papers, "lexical", 0.0, replace(DEFAULT_RETRIEVAL, paper_lexical_share=share)))

    assert lexical_ranking(0.0) == ["chunky", "whole"]
    assert lexical_ranking(1.0) == ["whole", "chunky"]
    mixed = _fuse({}, lexical, papers, "lexical", 0.0, replace(DEFAULT_RETRIEVAL, paper_lexical_share=0.6))
    assert mixed["whole"] == pytest.approx(0.4 * (4.0 / 6.0) + 0.6)


def test_a_paper_only_bm25_found_is_fused_at_the_weakest_dense_score():
    dense = {"seen": [_chunk("seen", 0, 0.5)], "weak": [_chunk("weak", 0, 0.3)]}
    fused = _fuse(dense, {}, {"unseen": 8.0}, "fused", 0.4, replace(DEFAULT_RETRIEVAL, paper_lexical_share=1.0))

    assert fused["unseen"] == pytest.approx(0.3 + 0.4)
    assert fused["seen"] == 0.5


def test_the_lexical_weight_is_the_share_of_the_question_words_the_best_bm25_paper_holds():
    params = replace(DEFAULT_RETRIEVAL, lexical_weight=0.5)
    index = LexicalIndex([], "v1", paper_texts={"ice": "Glacier retreat\nMoss colonises the slopes retreating glaciers leave.",
                                                "fire": "Volcanoes\nLava flows."})

    assert lexical_weight("glacier moss", index, "ice", params) == pytest.approx(0.5)
    assert lexical_weight("glacier volcano", index, "ice", params) == pytest.approx(0.25)  # a paraphrase's words are missing
    assert lexical_weight("glacier volcano", index, "fire", params) == pytest.approx(0.25)
    assert lexical_weight("glacier moss", index, None, params) == 0.0  # BM25 found nothing
    assert lexical_weight("the of and", index, "ice", params) == 0.0  # no word BM25 reads
