"""The shipped reader (assistant/data/reader/): loads with onnxruntime alone and ranks the sentence that answers first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.chunking import sentence_spans
from assistant.errors import ReaderError
from assistant.answering.reader import Reader, get_reader, shipped_model_dir

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def reader() -> Reader:
    return get_reader()


@pytest.fixture(scope="module")
def mate_choice() -> list[str]:
    """The sentences of a seeds abstract (never trained on: the reader learns from SciFact's biomedical abstracts)."""
    from assistant.corpus import load_papers

    paper = next(p for p in load_papers([ROOT / "seeds"]) if p.title.startswith("All You Need Is Sex for Diversity"))
    return [paper.abstract[start:end] for start, end in sentence_spans(paper.abstract)]


# A question about the setting ("on which problems ...") was missed until the reader learnt from questions about PDFs
# (2026-12-08): it ranked the sentence announcing the comparison first.
@pytest.mark.parametrize("question, answer", [
    ("On which kinds of problems were the mate choice experiments run?", "three symbolic regression problems"),
    ("Do self-adaptive mating preferences give a more diverse set of solutions?", "more diverse set of solutions"),
])
def test_the_answering_sentence_ranks_above_the_rest_of_its_abstract(reader: Reader, mate_choice: list[str], question: str, answer: str):
    scores = reader.scores(question, mate_choice)
    assert answer in mate_choice[int(np.argmax(scores))]


def test_a_question_the_abstract_does_not_answer_scores_below_one_it_does(reader: Reader, mate_choice: list[str]):
    answered = reader.scores("Do self-adaptive mating preferences give a more diverse set of solutions?", mate_choice).max()
    unanswered = reader.scores("How many GPUs were used to train the language model?", mate_choice).max()
    assert answered > unanswered


def test_one_float32_logit_per_passage_in_order_whatever_the_batching(reader: Reader, mate_choice: list[str]):
    # int8 dynamic quantisation scales activations per batch, so a logit moves a little with its batch mates (a cosine by
    # ~0.025, times the dual reader's scale of ~20): hence 1.0 on logits that span ~10 (docs/READER.md, known limits).
    question = "What do mating preferences change?"
    whole = reader.scores(question, mate_choice)
    small = Reader.load()
    small.batch_size = 3
    assert whole.dtype == np.float32 and whole.shape == (len(mate_choice),)
    np.testing.assert_allclose(small.scores(question, mate_choice), whole, atol=1.0)
    np.testing.assert_allclose(reader.scores(question, mate_choice[::-1]), whole[::-1], atol=1.0)
    pairs = reader.score_pairs([(question, mate_choice[2]), ("Which problems were used?", mate_choice[9])])
    np.testing.assert_allclose(pairs, [whole[2], reader.scores("Which problems were used?", [mate_choice[9]])[0]], atol=1.0)


def test_empty_input_and_empty_or_long_passages(reader: Reader):
    assert reader.scores("anything?", []).shape == (0,)
    assert reader.score_pairs([]).dtype == np.float32
    scores = reader.score_pairs([("", ""), ("what is cut?", "word " * 5000)])  # the long passage is truncated to max_length
    assert scores.shape == (2,) and np.isfinite(scores).all()


def test_the_shipped_files_are_small_and_described():
    config = Reader.load().config
    assert (shipped_model_dir() / "reader.onnx").stat().st_size <= 25_000_000
    assert config.max_length >= 64 and config.version


def test_a_missing_model_says_what_to_do(tmp_path: Path):
    with pytest.raises(ReaderError, match="make reader"):
        Reader.load(tmp_path)
    (tmp_path / "reader.onnx").write_bytes(b"not a model")
    (tmp_path / "reader.json").write_text('{"version": "x", "max_length": 128}')
    with pytest.raises(ReaderError, match="cannot be loaded"):
        Reader.load(tmp_path)


def test_no_torch_at_run_time():
    code = ("import sys; from assistant.answering.reader import Reader; Reader.load().scores('q?', ['a passage']); "
            "sys.exit(int('torch' in sys.modules or 'transformers' in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
