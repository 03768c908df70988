"""The sentences of retrieved abstracts, embedded once, scored against a question or a claim."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Mapping, Protocol, Sequence

import numpy as np

from assistant.chunking import quotable_spans
from assistant.embedding import Embedder
from assistant.lexical import tokenize
from assistant.models import Hit


@dataclass(frozen=True)
class Sentence:
    """One sentence of an abstract, with its span and vector."""

    paper_id: str
    text: str
    start: int
    end: int
    vector: np.ndarray


# Sentence spans and vectors of some hits' abstracts, by paper id (those it has); e.g. made at ingest and stored.
StoredSentences = Callable[[list[Hit]], dict[str, tuple[list[tuple[int, int]], np.ndarray]]]


class SentenceBank:
    """Abstract sentences and their vectors, computed once per abstract text (or taken from stored ones), at most
    `capacity` sentences kept (emptied when full; a full text has hundreds: a count of papers would not bound the memory)."""

    def __init__(self, embedder: Embedder, capacity: int = 50_000, stored: StoredSentences | None = None):
        self.embedder = embedder
        self._stored = stored
        self._cache: dict[tuple[str, int], list[Sentence]] = {}
        self._cached = 0  # sentences in the cache
        self._capacity = capacity
        self._lock = threading.Lock()

    def _keep(self, hit: Hit, sentences: list[Sentence]) -> None:
        """Cache a hit's sentences (the lock held), emptying the cache first when it is full."""
        if self._cached + len(sentences) > self._capacity:
            self._cache.clear()
            self._cached = 0
        self._cache[(hit.paper_id, hash(hit.abstract))] = sentences
        self._cached += len(sentences)

    def sentences(self, hits: list[Hit]) -> dict[str, list[Sentence]]:
        """The sentences of each hit's abstract, by paper id (embedding only the abstracts not seen before)."""
        result: dict[str, list[Sentence]] = {}
        missing: list[Hit] = []
        with self._lock:
            for hit in hits:
                cached = self._cache.get((hit.paper_id, hash(hit.abstract)))
                if cached is None:
                    missing.append(hit)
                else:
                    result[hit.paper_id] = cached
        if missing and self._stored is not None:  # the vectors made at ingest (or made now the same way)
            found = self._stored(missing)
            with self._lock:
                for hit in missing:
                    if hit.paper_id in found:
                        spans_, vectors_ = found[hit.paper_id]
                        sentences_ = [Sentence(hit.paper_id, hit.abstract[s:e], s, e, v) for (s, e), v in zip(spans_, vectors_)]
                        self._keep(hit, sentences_)
                        result[hit.paper_id] = sentences_
            missing = [hit for hit in missing if hit.paper_id not in found]
        if missing:
            spans = [quotable_spans(hit.abstract, hit.sections) for hit in missing]
            texts = [hit.abstract[s:e] for hit, hit_spans in zip(missing, spans) for s, e in hit_spans]
            vectors = self.embedder.embed(texts) if texts else np.zeros((0, 0))
            position = 0
            with self._lock:
                for hit, hit_spans in zip(missing, spans):
                    sentences = []
                    for start, end in hit_spans:
                        sentences.append(Sentence(hit.paper_id, hit.abstract[start:end], start, end, vectors[position]))
                        position += 1
                    self._keep(hit, sentences)
                    result[hit.paper_id] = sentences
        return result


def terms(text: str) -> set[str]:
    """Stemmed content words of text (the same analysis BM25 uses)."""
    return set(tokenize([text])[0])


def term_overlap(question_terms: set[str], text: str) -> float:
    """Fraction of the question's content words that text contains."""
    return share_held(question_terms, terms(text))


def share_held(asked: set[str], held: set[str], weights: Mapping[str, float] | None = None) -> float:
    """Fraction of the asked words that are held (words a text holds, tokenised already: terms()); with weights, each word
    counts its weight (a word missing from them counts 1)."""
    if weights is None:
        return len(asked & held) / len(asked) if asked else 0.0
    total = sum(weights.get(word, 1.0) for word in asked)
    return sum(weights.get(word, 1.0) for word in asked & held) / total if total else 0.0


class Scorer(Protocol):
    """What reads a pair: assistant.answering.reader.Reader (a cross-encoder), or a fake in tests."""

    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray: ...


# The reader reads at least this many sentences of each paper, the ones nearest the question by their stored vectors
# (three hold the SciFact rationale sentence far more often than one, docs/ANSWERABILITY.md), and more when there are few
# papers, up to READ_BUDGET pairs a question: a question about one paper has all its sentences read.
READ_PER_PAPER = 3
READ_BUDGET = 24


@dataclass(frozen=True)
class Reading:
    """The reader's logits for a question against some sentences of some papers: paper id -> sentence start -> logit."""

    logits: Mapping[str, Mapping[int, float]]
    threshold: float = 0.0  # the reader's own boundary: above it, a sentence answers the question

    def paper(self, paper_id: str) -> float:
        """The paper's best sentence's logit (-inf when none was read)."""
        return max(self.logits.get(paper_id, {}).values(), default=float("-inf"))

    def sentence(self, sentence: Sentence) -> float | None:
        """The sentence's logit, None when it was not read."""
        return self.logits.get(sentence.paper_id, {}).get(sentence.start)

    def ranked(self, paper_ids: Sequence[str]) -> list[tuple[str, float]]:
        """The papers with their best logit, best first."""
        return sorted(((pid, self.paper(pid)) for pid in paper_ids), key=lambda item: -item[1])


def nearest(question_vector: np.ndarray, sentences: Sequence[Sentence], limit: int) -> list[Sentence]:
    """The limit sentences nearest the question by their stored vectors, best first."""
    if not sentences:
        return []
    cosines = np.array([float(np.dot(question_vector, s.vector)) for s in sentences])
    return [sentences[i] for i in np.argsort(-cosines, kind="stable")[:limit]]


def read(scorer: Scorer, question: str, hits: Sequence[Hit], sentences: Mapping[str, Sequence[Sentence]],
         question_vector: np.ndarray, per_paper: int | None = None, threshold: float = 0.0) -> Reading:
    """The reader's logits for the question against each hit's per_paper sentences nearest it, in one batch (default:
    READ_PER_PAPER, or more while READ_BUDGET allows)."""
    per_paper = per_paper or max(READ_PER_PAPER, READ_BUDGET // max(1, len(hits)))
    chosen = [(hit.paper_id, s) for hit in hits for s in nearest(question_vector, sentences.get(hit.paper_id, ()), per_paper)]
    logits = scorer.score_pairs([(question, s.text) for _, s in chosen]) if chosen else np.zeros(0)
    result: dict[str, dict[int, float]] = {}
    for (paper_id, sentence), logit in zip(chosen, logits):
        result.setdefault(paper_id, {})[sentence.start] = float(logit)
    return Reading(result, threshold)
