"""Questions written about real research papers (PDFs from public repositories), for the reader's training.

bench/data/reader_pdf_qa.jsonl holds them: {"question", "pdf", "page", "fact"} (the fact: the words of the answering
sentence, as the product reads the PDF), or {"question", "pdf", "absent": true} (a question of the paper's field that
the paper does not answer). They were written by helpers from the text the product reads
(`assistant.corpus.pdf.read_full_text`), for training only: none of their papers is in a real-PDF bench set
(bench/data/real_pdfs*_sources.md), so those sets stay held out. The PDFs are not committed (their licenses vary):
bench/data/reader_pdf_qa_sources.md names each one's repository, commit and path; put them in one folder
(`--pdf-dir`, default .cache/reader/pdfs).

Split by paper (a crc32 of the PDF's name): the HELD fifth is never trained on; bench/reader/evaluate.py --parts pdf
reports on it. Each FIT question becomes a record: the paper's sentences holding the fact positive; negatives are the sentences of the
same paper that answering would meet (the 10 nearest the question by the embedder, and the 6 sharing most of its rarer
words); an absent question's 10 nearest sentences are all negative.
"""

from __future__ import annotations

import json
import re
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from assistant.answering.extractive import rarity_weights
from bench.real_pdfs import folded

QUESTIONS = Path(__file__).resolve().parent.parent / "data" / "reader_pdf_qa.jsonl"
NEAREST, LEXICAL, ABSENT_NEAREST = 10, 6, 10
HELD_SHARE = 0.2
_WORD = re.compile(r"[a-z0-9][a-z0-9\-]+")


def split_of(pdf_name: str) -> str:
    return "held" if zlib.crc32(pdf_name.encode()) % 1000 < HELD_SHARE * 1000 else "fit"


def questions_by_pdf(split: str, questions_file: Path = QUESTIONS) -> dict[str, list[dict]]:
    by_pdf: dict[str, list[dict]] = {}
    for line in questions_file.read_text(encoding="utf-8").splitlines():
        if line.strip():
            q = json.loads(line)
            if split_of(q["pdf"]) == split:
                by_pdf.setdefault(q["pdf"], []).append(q)
    return dict(sorted(by_pdf.items()))


def answering(fact: str, folded_sentences: Sequence[str]) -> list[int]:
    """The sentences holding the fact, each sentence as real_pdfs.folded made it; none when it spans a sentence boundary."""
    fact = folded(fact)
    return [j for j, sentence in enumerate(folded_sentences) if fact in sentence]


def paper_sentences(pdf: Path) -> list[str]:
    """The sentences a quote can be made of, as the product reads the PDF (headings and references left out)."""
    from assistant.chunking import quotable_spans
    from assistant.corpus.pdf import read_full_text

    paper = read_full_text(pdf)
    text = paper.abstract + "\n\n" + paper.body
    return [" ".join(text[start:end].split()) for start, end in quotable_spans(text, paper.sections)]


def lexical_nearest(question: str, sentences: Sequence[str], limit: int, skip: set[int]) -> list[int]:
    """The sentences sharing most of the question's words, each weighted by its rarity among the paper's sentences."""
    held = [set(_WORD.findall(s.lower())) for s in sentences]
    asked = set(_WORD.findall(question.lower()))
    weight = rarity_weights(asked, held)
    scores = [(sum(weight[w] for w in asked & words), j) for j, words in enumerate(held) if j not in skip]
    return [j for score, j in sorted(scores, reverse=True)[:limit] if score > 0]


def records(pdf_dir: Path, embed: Callable[[list[str]], np.ndarray], questions_file: Path = QUESTIONS) -> tuple[list[tuple[list[str], list[str], list[int], str]], dict[str, int]]:
    """(forms, candidates, labels, kind) per FIT question, and counts of what was used and skipped."""
    if not pdf_dir.is_dir() or not any(pdf_dir.glob("*.pdf")):
        raise SystemExit(f"{pdf_dir} holds no PDFs: put the papers listed in bench/data/reader_pdf_qa_sources.md there "
                         "(each as owner+repo.pdf, the name the questions use), or leave out --pdf-qa.")
    out: list[tuple[list[str], list[str], list[int], str]] = []
    counts = Counter[str]()
    for name, asked in questions_by_pdf("fit", questions_file).items():
        file = pdf_dir / name
        if not file.exists():
            counts["pdf missing"] += 1
            continue
        sentences = paper_sentences(file)
        if len(sentences) < 20:
            counts["pdf too short"] += 1
            continue
        vectors = embed(sentences)
        question_vectors = embed([q["question"] for q in asked])
        folded_sentences = [folded(s) for s in sentences]
        for q, qvec in zip(asked, question_vectors):
            order = [int(j) for j in np.argsort(-(vectors @ qvec))]
            if q.get("absent"):
                negatives = order[:ABSENT_NEAREST]
                out.append(([q["question"]], [sentences[j] for j in negatives], [0] * len(negatives), "pdf-absent"))
                counts["absent"] += 1
                continue
            positives = answering(q["fact"], folded_sentences)
            if not positives or len(positives) > 2:
                counts["fact not in one sentence" if not positives else "fact in 3+ sentences"] += 1
                continue
            skip = set(positives)
            negatives = [j for j in order if j not in skip][:NEAREST]
            negatives += [j for j in lexical_nearest(q["question"], sentences, LEXICAL + len(negatives), skip) if j not in negatives][:LEXICAL]
            candidates = positives + negatives
            out.append(([q["question"]], [sentences[j] for j in candidates], [1] * len(positives) + [0] * len(negatives), "pdf-qa"))
            counts["answered"] += 1
    return out, dict(counts)
