"""Citations in an LLM answer are checked, not trusted: invented markers go, kept ones get their quote."""

from __future__ import annotations

import re

import numpy as np

from assistant.evidence import Sentence, SentenceBank, term_overlap, terms
from assistant.models import Citation, Draft, Hit
from assistant.params import DEFAULT_EXTRACTIVE, ExtractiveParams
from assistant.prompts import NO_ANSWER

# [1], [1, 2], [1][3], [1-2] and the like.
MARKER = re.compile(r"\[(\s*\d+(?:\s*(?:[,;–-]|and)\s*\d+)*\s*)\]")
_ABSTAIN = re.compile(
    re.escape(NO_ANSWER.rstrip(".")) + r"|\b(cannot|can't|can not|unable to) (answer|be answered)|\bno (paper|source)s? (in the collection |here )?(answers?|addresses|covers|mentions)",
    re.IGNORECASE)


def _numbers(group: str) -> list[int]:
    numbers: list[int] = []
    for part in re.split(r"\s*(?:[,;]|and)\s*", group.strip()):
        bounds = re.split(r"\s*[–-]\s*", part)
        if len(bounds) == 2 and all(b.isdigit() for b in bounds) and 0 < int(bounds[1]) - int(bounds[0]) < 20:
            numbers.extend(range(int(bounds[0]), int(bounds[1]) + 1))
        elif part.isdigit():
            numbers.append(int(part))
    return numbers


def is_abstention(text: str) -> bool:
    """Whether the text says the sources do not answer."""
    return bool(_ABSTAIN.search(text))


def check_citations(text: str, hits: list[Hit], bank: SentenceBank, params: ExtractiveParams = DEFAULT_EXTRACTIVE) -> Draft:
    """Keep markers that name a source, renumber them 1..n in order of use, quote each from its abstract."""
    invented: list[int] = []
    order: dict[int, int] = {}  # source number -> citation number

    def replace(match: re.Match[str]) -> str:
        kept = []
        for number in _numbers(match.group(1)):
            if 1 <= number <= len(hits):
                kept.append(order.setdefault(number, len(order) + 1))
            elif number not in invented:
                invented.append(number)
        return "".join(f"[{n}]" for n in dict.fromkeys(kept))

    cleaned = MARKER.sub(replace, text)
    cleaned = re.sub(r"[ \t]+([.,;:])", r"\1", re.sub(r"[ \t]{2,}", " ", cleaned)).strip()
    notes = [f"Removed citation marker(s) {', '.join(f'[{n}]' for n in invented)}: they point to no retrieved source."] if invented else []
    claims = _claims_by_citation(cleaned)
    sentences = bank.sentences([hits[source - 1] for source in order])
    citations = []
    for source, number in sorted(order.items(), key=lambda item: item[1]):
        hit = hits[source - 1]
        quote = _supporting_sentence(" ".join(claims.get(number, [])), sentences.get(hit.paper_id, []), bank, params.overlap_weight)
        citations.append(Citation(number=number, paper_id=hit.paper_id, title=hit.title, urls=hit.urls,
                                  quote=quote.text if quote else hit.abstract[:300],
                                  spans=[(quote.start, quote.end)] if quote else []))
    return Draft(text=cleaned, citations=citations, abstained=is_abstention(cleaned) and not citations, notes=notes)


def _claims_by_citation(text: str) -> dict[int, list[str]]:
    """The answer's sentences (markers removed) that carry each citation number."""
    claims: dict[int, list[str]] = {}
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        numbers = [int(n) for n in re.findall(r"\[(\d+)\]", sentence)]
        plain = MARKER.sub("", sentence).strip(" -*")
        for number in numbers:
            claims.setdefault(number, []).append(plain)
    return claims


def _supporting_sentence(claim: str, sentences: list[Sentence], bank: SentenceBank, overlap_weight: float) -> Sentence | None:
    """The abstract sentence most like the claim (cosine plus shared words)."""
    if not sentences:
        return None
    if not claim.strip():
        return sentences[0]
    vector = bank.embedder.embed([claim])[0]
    claim_terms = terms(claim)
    return max(sentences, key=lambda s: float(np.dot(vector, s.vector)) + overlap_weight * term_overlap(claim_terms, s.text))
