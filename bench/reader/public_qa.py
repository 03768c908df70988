"""Questions written by people about real papers, for the reader: COVID-QA and PubMedQA (bench/data/public_qa/).

- COVID-QA (deepset, Apache-2.0; Möller et al. 2020): 2,019 questions by biomedical experts over 147 full-text papers
  (this file: 1,380 over 98), each with its answer span. The sentence(s) holding the span answer; the paper's other
  sentences are what a full-text answer must not quote.
- PubMedQA, expert-labelled part (Jin et al. 2019, MIT): 1,000 questions (an article's title as a question) with its
  abstract; the conclusion (LONG_ANSWER) answers. Other abstracts' sentences do not.

Split by paper (a hash of its id): HELD papers and their questions are never trained on; bench/reader/evaluate.py
reports on them (corpora the reader and the answerability floor were not fitted on).
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path(__file__).resolve().parent.parent / "data" / "public_qa"
HELD_SHARE = 0.3


@dataclass
class Paper:
    paper_id: str
    title: str
    sentences: list[str]
    split: str  # "fit" or "held"


@dataclass
class Question:
    text: str
    paper_id: str
    answers: list[int]  # indexes of the paper's sentences that answer
    split: str


def load(file_name: str) -> Any:
    """One of the sets as published (a gzipped JSON file in bench/data/public_qa/)."""
    return json.loads(gzip.decompress((DATA / file_name).read_bytes()))


def split_of(paper_id: str) -> str:
    return "held" if zlib.crc32(paper_id.encode()) % 1000 < HELD_SHARE * 1000 else "fit"


def _sentences(text: str) -> list[tuple[int, int]]:
    from assistant.chunking import sentence_spans

    return sentence_spans(text)


def covid_qa() -> tuple[dict[str, Paper], list[Question]]:
    """Full-text papers split into sentences, and each question with the sentences its answer span touches."""
    data = load("covid_qa.json.gz")["data"]
    papers: dict[str, Paper] = {}
    questions: list[Question] = []
    for article in data:
        for paragraph in article["paragraphs"]:
            context, paper_id = paragraph["context"], f"covid-{paragraph['document_id']}"
            spans = [(a, b) for a, b in _sentences(context) if len(context[a:b].split()) >= 4]
            title = context.split("\n", 1)[0].strip()
            papers[paper_id] = Paper(paper_id, title, [" ".join(context[a:b].split()) for a, b in spans], split_of(paper_id))
            for qa in paragraph["qas"]:
                if qa.get("is_impossible") or not qa["answers"]:
                    continue
                answer = qa["answers"][0]
                start, end = answer["answer_start"], answer["answer_start"] + len(answer["text"])
                touched = [i for i, (a, b) in enumerate(spans) if a < end and start < b]
                if touched and len(touched) <= 2:
                    questions.append(Question(" ".join(qa["question"].split()), paper_id, touched, papers[paper_id].split))
    return papers, questions


def pubmed_qa() -> tuple[dict[str, Paper], list[Question]]:
    """Abstracts (contexts then conclusion) and each title-question with its conclusion's sentences as the answer."""
    data = load("pubmedqa_pqal.json.gz")
    papers: dict[str, Paper] = {}
    questions: list[Question] = []
    for pmid, record in data.items():
        paper_id = f"pubmed-{pmid}"
        context = " ".join(record["CONTEXTS"])
        body = [context[a:b] for a, b in _sentences(context)]
        conclusion = [record["LONG_ANSWER"][a:b] for a, b in _sentences(record["LONG_ANSWER"])]
        papers[paper_id] = Paper(paper_id, record["QUESTION"], body + conclusion, split_of(paper_id))
        questions.append(Question(record["QUESTION"].strip(), paper_id, list(range(len(body), len(body) + len(conclusion))),
                                  papers[paper_id].split))
    return papers, questions


class PublicSpace:
    """One public set's papers with the embedder's vectors: nearest papers and best sentences for a question."""

    def __init__(self, name: str, papers: dict[str, Paper], cache: Path):
        from bench.reader.data import embedder_

        self.papers = papers
        self.ids = sorted(papers)
        self.spans: dict[str, tuple[int, int]] = {}
        start = 0
        for pid in self.ids:
            self.spans[pid] = (start, start + len(papers[pid].sentences))
            start += len(papers[pid].sentences)
        path = cache / f"{name}-vectors.npz"
        if path.is_file():
            saved = np.load(path)
            self.paper_vectors, self.sentence_vectors = saved["papers"], saved["sentences"]
        else:
            embedder = embedder_()
            self.paper_vectors = embedder.embed([f"{papers[p].title}. {' '.join(papers[p].sentences[:12])}" for p in self.ids])
            self.sentence_vectors = embedder.embed([s for p in self.ids for s in papers[p].sentences])
            cache.mkdir(parents=True, exist_ok=True)
            np.savez(path, papers=self.paper_vectors, sentences=self.sentence_vectors)

    def nearest(self, qvec: np.ndarray, n: int, exclude: str, split: str) -> list[str]:
        """The n papers of the split nearest the question, other than `exclude`."""
        order = np.argsort(-(self.paper_vectors @ qvec))
        return [self.ids[i] for i in order if self.ids[i] != exclude and self.papers[self.ids[i]].split == split][:n]

    def best(self, qvec: np.ndarray, paper_id: str, n: int, skip: Collection[int] = ()) -> list[int]:
        lo, hi = self.spans[paper_id]
        order = np.argsort(-(self.sentence_vectors[lo:hi] @ qvec))
        return [int(j) for j in order if int(j) not in skip][:n]

    def vectors_of(self, paper_id: str) -> np.ndarray:
        lo, hi = self.spans[paper_id]
        return self.sentence_vectors[lo:hi]
