"""The sentences of retrieved abstracts, embedded once, scored against a question or a claim."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from assistant.chunking import sentence_spans
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


class SentenceBank:
    """Abstract sentences and their vectors, computed once per abstract text."""

    def __init__(self, embedder: Embedder, capacity: int = 5000):
        self.embedder = embedder
        self._cache: dict[tuple[str, int], list[Sentence]] = {}
        self._capacity = capacity
        self._lock = threading.Lock()

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
        if missing:
            spans = [sentence_spans(hit.abstract) for hit in missing]
            texts = [hit.abstract[s:e] for hit, hit_spans in zip(missing, spans) for s, e in hit_spans]
            vectors = self.embedder.embed(texts) if texts else np.zeros((0, 0))
            position = 0
            with self._lock:
                if len(self._cache) > self._capacity:
                    self._cache.clear()
                for hit, hit_spans in zip(missing, spans):
                    sentences = []
                    for start, end in hit_spans:
                        sentences.append(Sentence(hit.paper_id, hit.abstract[start:end], start, end, vectors[position]))
                        position += 1
                    self._cache[(hit.paper_id, hash(hit.abstract))] = sentences
                    result[hit.paper_id] = sentences
        return result


def terms(text: str) -> set[str]:
    """Stemmed content words of text (the same analysis BM25 uses)."""
    return set(tokenize([text])[0])


def term_overlap(question_terms: set[str], text: str) -> float:
    """Fraction of the question's content words that text contains."""
    if not question_terms:
        return 0.0
    return len(question_terms & terms(text)) / len(question_terms)
