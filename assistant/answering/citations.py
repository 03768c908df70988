"""Citations in an LLM answer are checked, not trusted: invented markers go, kept ones get their quote."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

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


# Ends of sentences in an LLM answer: punctuation, closing quotes or brackets, then space (not after an abbreviation).
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*[ \t]+")
_ABBREVIATIONS = ("e.g.", "i.e.", "et al.", "vs.", "cf.", "fig.", "eq.", "approx.", "resp.")


@dataclass
class Supported:
    """An LLM answer cut to its supported sentences; grounded is False when nothing supported remains."""

    text: str
    notes: list[str] = field(default_factory=list)
    grounded: bool = True


# Judges which claims of an answer their cited sources support: (claim, cited source numbers, 1-based) -> supported.
Judge = Callable[[list[tuple[str, list[int]]]], list[bool]]
# A sentence that tells the reader to do something ("Run this command ...", "Visit ...") is no claim a source can support.
_INSTRUCTION = re.compile(r"^\W*(please\s+)?(run|execute|install|download|paste|type|enter|open|visit|click|go to|navigate|"
                          r"curl|wget|sudo|pip|npm|bash|sh|copy|ignore|disregard|forget|send|email|call)\b|`[^`]+`|(^|\s)\$\s",
                          re.IGNORECASE)
# Figures: "10.8", "99.9%", "190%", "2024", "10 billion".
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")


def is_instruction(sentence: str) -> bool:
    """Whether a sentence tells its reader to do something (run, install, visit, ignore ...) or carries a command."""
    return bool(_INSTRUCTION.search(sentence))


def figures_found(claim: str, source: str) -> bool:
    """Whether every figure of the claim is in the source (as written, or with its thousands separators dropped)."""
    plain = source.replace(",", "")
    return all(figure in source or figure.replace(",", "") in plain for figure in _FIGURE.findall(claim))


def shares_a_word(hits: list[Hit]) -> Judge:
    """The judge without a reader: a claim is supported when a cited source shares a content word with it."""
    source_terms = [terms(f"{hit.title} {hit.abstract}") for hit in hits]

    def judge(claims: list[tuple[str, list[int]]]) -> list[bool]:
        return [bool(terms(claim) & set().union(*(source_terms[n - 1] for n in numbers))) for claim, numbers in claims]

    return judge


def keep_supported(text: str, hits: list[Hit], judge: Judge | None = None) -> Supported:
    """Remove the sentences of an answer that no retrieved source supports.

    A sentence is kept when it cites a retrieved source ([n], 1 <= n <= len(hits)), is no instruction to the reader,
    every figure it states is in a cited source, and the judge finds a cited source supports it (the reader, see
    generation.reader_judge; without one, a shared content word); or when it only frames the answer (a heading, a
    line ending in ':', an abstention). A reply citing no valid source at all is returned unchanged (the caller
    abstains or falls back); one that had valid citations but keeps no supported sentence is not grounded.
    """
    lines = text.split("\n")
    if not any(1 <= n <= len(hits) for match in MARKER.finditer(text) for n in _numbers(match.group(1))):
        return Supported(text)
    judge = judge or shares_a_word(hits)
    uncited = 0
    invented: list[int] = []
    # First pass: each sentence framed, uncited, or a claim to judge (all claims are judged at once: one batch).
    parts: list[list[tuple[str, str]]] = []  # per line: (sentence, "keep" | "drop" | "claim" | "figure" | "instruction")
    claims: list[tuple[str, list[int]]] = []
    for line in lines:
        row = []
        for sentence in _sentences(line):
            plain = MARKER.sub("", sentence).strip(" -*#>\t")
            numbers = [n for match in MARKER.finditer(sentence) for n in _numbers(match.group(1)) if 1 <= n <= len(hits)]
            if not plain:
                row.append((sentence, "keep"))  # list bullets, stray whitespace
            elif not numbers:
                if _frames(sentence, plain):
                    row.append((sentence, "keep"))
                else:
                    uncited += 1
                    row.append((sentence, "drop"))
                    invented.extend(n for match in MARKER.finditer(sentence) for n in _numbers(match.group(1)) if n not in invented)
            elif is_instruction(plain):
                row.append((sentence, "instruction"))
            elif not figures_found(plain, " ".join(f"{hits[n - 1].title} {hits[n - 1].abstract}" for n in numbers)):
                row.append((sentence, "figure"))
            else:
                row.append((sentence, "claim"))
                claims.append((plain, numbers))
        parts.append(row)
    verdicts = iter(judge(claims) if claims else [])
    supported = unsupported = instructions = figures = 0
    kept_lines = []
    for line, row in zip(lines, parts):
        kept = []
        for sentence, kind in row:
            if kind == "claim":
                if next(verdicts):
                    kept.append(sentence)
                    supported += 1
                else:
                    unsupported += 1
            elif kind == "keep":
                kept.append(sentence)
            elif kind == "instruction":
                instructions += 1
            elif kind == "figure":
                figures += 1
        joined = "".join(kept).rstrip()
        if joined.strip(" -*#>\t") or not line.strip():
            kept_lines.append(joined)
    notes = [f"Removed citation marker(s) {', '.join(f'[{n}]' for n in invented)}: they point to no retrieved source."] if invented else []
    if uncited:
        notes.append(f"Removed {uncited} sentence(s) of the LLM's answer that cite no retrieved source: only cited text is shown.")
    if unsupported:
        notes.append(f"Removed {unsupported} sentence(s) of the LLM's answer that the source(s) they cite do not support.")
    if figures:
        notes.append(f"Removed {figures} sentence(s) of the LLM's answer stating figures the source(s) they cite do not hold.")
    if instructions:
        notes.append(f"Removed {instructions} sentence(s) of the LLM's answer that tell the reader to do something: a source "
                     f"states findings, it gives no instructions.")
    if not supported:
        return Supported(text, notes, grounded=False)
    return Supported(re.sub(r"\n{3,}", "\n\n", "\n".join(kept_lines)).strip(), notes)


def _sentences(line: str) -> list[str]:
    """The line cut into sentences, each with its trailing space (so joining the kept ones keeps the spacing)."""
    pieces, start = [], 0
    for match in _SENTENCE_END.finditer(line):
        before = line[start : match.start() + 1].lower()
        if before.endswith(_ABBREVIATIONS) or (len(before) >= 2 and before[-2].isdigit() and line[match.end():match.end() + 1].isdigit()):
            continue
        pieces.append(line[start : match.end()])
        start = match.end()
    if start < len(line):
        pieces.append(line[start:])
    return pieces


def _frames(sentence: str, plain: str) -> bool:
    """A heading, a list intro (ending in ':'), or an abstention: not a claim that needs a source."""
    stripped = sentence.strip()
    return stripped.startswith("#") or stripped.endswith(":") or is_abstention(plain)
