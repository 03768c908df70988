"""The offline answerer: quotes the abstract sentences that best answer the question and cites each one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from assistant.evidence import Sentence, SentenceBank, term_overlap, terms
from assistant.models import Citation, Hit
from assistant.prompts import NO_ANSWER

# A sentence's score: cosine to the question plus this much x the share of question words it contains.
OVERLAP_WEIGHT = 0.35
# Below this best-sentence score the evidence is too weak to answer from.
MIN_EVIDENCE_SCORE = 0.42
# Another paper joins the answer when its best sentence scores at least this share of the best one.
SECOND_PAPER_RATIO = 0.82
MAX_PAPERS = 4
MAX_SENTENCES_PER_PAPER = 2

_CODE_QUESTION = re.compile(
    r"\b(code|github|repo|repository|implementation|source|link|url|project (page|site|website)|website|"
    r"homepage|released?|open[- ]sourced?|download|available)\b", re.IGNORECASE)
# "Which papers ...", "Is there a method ...", "any work on ...": questions answered by a list of papers.
_LIST_QUESTION = re.compile(
    r"\b(which|what|any|are there|is there|list|name|find)\b.{0,40}\b(papers?|works?|studies|articles|methods?|approach(es)?|research)\b",
    re.IGNORECASE)
_WORD = re.compile(r"(?<![\w-])([A-Za-z0-9][\w\-.’']*[\w]|[A-Za-z0-9])(?![\w-])")
# Acronyms and capitals so common in this field that their absence says nothing.
_GENERIC_NAMES = {"llm", "llms", "ai", "rl", "ml", "nlp", "i", "q", "a", "ais", "vlm", "vlms", "lm", "lms", "gpu"}


@dataclass
class Draft:
    """What the offline answerer produced."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    abstained: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Scored:
    sentence: Sentence
    score: float


def specific_terms(question: str) -> list[str]:
    """The question's words that name something specific: acronyms, mixed case, numbers, capitalised names."""
    found = []
    sentence_start = True
    for match in _WORD.finditer(question):
        word = re.sub(r"['’]s$", "", match.group(1).strip("."))
        preceding = question[: match.start()].rstrip()
        sentence_start = not preceding or preceding[-1] in ".?!:;\n"
        uppers = sum(c.isupper() for c in word)
        if word.lower() in _GENERIC_NAMES or len(word) < 2 and not word.isdigit():
            continue
        if any(c.isdigit() for c in word) or uppers >= 2 or (uppers == 1 and (not word[0].isupper() or not sentence_start)):
            found.append(word)
    return list(dict.fromkeys(found))


def mentions(text: str, term: str) -> bool:
    """Whether text mentions term, ignoring case, a plural s and hyphen/space variants."""
    stem = re.sub(r"s$", "", term) if len(term) > 3 else term
    pattern = re.escape(stem).replace(r"\-", r"[\s\-]?").replace(r"\ ", r"[\s\-]?")
    return re.search(rf"(?<![A-Za-z0-9]){pattern}s?(?![A-Za-z0-9])", text, re.IGNORECASE) is not None


def _quoted(terms_: list[str]) -> str:
    return ", ".join(f"“{t}”" for t in terms_)


def is_code_question(question: str) -> bool:
    return bool(_CODE_QUESTION.search(question))


def _score_sentences(question: str, question_vector: np.ndarray, sentences: list[Sentence]) -> list[_Scored]:
    question_terms = terms(question)
    scored = []
    for sentence in sentences:
        cosine = float(np.dot(question_vector, sentence.vector))
        scored.append(_Scored(sentence, cosine + OVERLAP_WEIGHT * term_overlap(question_terms, sentence.text)))
    return sorted(scored, key=lambda s: -s.score)


def closest_papers_text(hits: list[Hit], limit: int = 3) -> str:
    """A short list of the closest papers, for an abstention."""
    if not hits:
        return ""
    lines = "\n".join(f"- {hit.title}" for hit in hits[:limit])
    return f"\n\nThe closest papers in the collection:\n{lines}"


def extractive_answer(question: str, hits: list[Hit], bank: SentenceBank) -> Draft:
    """Quote and cite the best evidence among the hits, or abstain when it does not answer the question."""
    if not hits:
        return Draft(text=NO_ANSWER, abstained=True, notes=["No paper in the index matched the question."])
    question_vector = bank.embedder.embed([question])[0]
    sentences = bank.sentences(hits)
    best_by_paper = {hit.paper_id: _score_sentences(question, question_vector, sentences.get(hit.paper_id, [])) for hit in hits}
    ranked = sorted((hit for hit in hits if best_by_paper[hit.paper_id]),
                    key=lambda hit: -(best_by_paper[hit.paper_id][0].score + 0.5 * hit.score))
    if not ranked:
        return Draft(text=NO_ANSWER + closest_papers_text(hits), abstained=True)
    top = ranked[0]
    top_score = best_by_paper[top.paper_id][0].score

    named = specific_terms(question)
    text_of = {hit.paper_id: f"{hit.title} {hit.abstract}" for hit in ranked}
    missing = [term for term in named if not any(mentions(text_of[hit.paper_id], term) for hit in ranked[:3])]
    is_list = bool(_LIST_QUESTION.search(question))
    # A paper that names everything the question names is strong evidence even when the wording differs.
    named_match = bool(named) and not missing and all(mentions(text_of[top.paper_id], term) for term in named)
    notes = []
    if missing and not is_list:
        reason = f"None of the closest papers mentions {_quoted(missing)}."
        return Draft(text=f"{NO_ANSWER} {reason}{closest_papers_text(ranked)}", abstained=True)
    if top_score < MIN_EVIDENCE_SCORE and not named_match:
        reason = "The closest abstracts do not address the question closely enough."
        return Draft(text=f"{NO_ANSWER} {reason}{closest_papers_text(ranked)}", abstained=True)
    if missing:
        notes.append(f"No retrieved paper mentions {_quoted(missing)}; the answer covers the rest of the question.")

    if is_code_question(question):
        return _link_answer(top, best_by_paper[top.paper_id])

    present = [term for term in named if term not in missing]
    chosen = [top]
    for hit in ranked[1:]:
        if len(chosen) >= MAX_PAPERS:
            break
        names_all = bool(present) and all(mentions(text_of[hit.paper_id], term) for term in present)
        if best_by_paper[hit.paper_id][0].score >= SECOND_PAPER_RATIO * top_score or (is_list and names_all):
            chosen.append(hit)
    draft = _compose(chosen, best_by_paper, top_score)
    draft.notes.extend(notes)
    return draft


def _quote(scored: list[_Scored], top_score: float, limit: int) -> list[Sentence]:
    """The paper's best sentence, plus the next one when it is nearly as good, in abstract order."""
    picked = [scored[0].sentence]
    for item in scored[1:limit]:
        if item.score >= 0.9 * scored[0].score:
            picked.append(item.sentence)
    return sorted(picked, key=lambda s: s.start)


def _citation(number: int, hit: Hit, quoted: list[Sentence]) -> Citation:
    return Citation(number=number, paper_id=hit.paper_id, title=hit.title, urls=hit.urls,
                    quote=" ".join(s.text for s in quoted), spans=[(s.start, s.end) for s in quoted])


def _compose(chosen: list[Hit], best_by_paper: dict[str, list[_Scored]], top_score: float) -> Draft:
    citations = []
    for number, hit in enumerate(chosen, start=1):
        limit = MAX_SENTENCES_PER_PAPER if len(chosen) == 1 else 1
        citations.append(_citation(number, hit, _quote(best_by_paper[hit.paper_id], top_score, limit)))
    if len(citations) == 1:
        only = citations[0]
        text = f"From *{only.title}* [1]:\n\n> {only.quote} [1]"
    else:
        lines = [f"- **{c.title}** [{c.number}]: {c.quote} [{c.number}]" for c in citations]
        text = f"{len(citations)} papers in the collection bear on this:\n\n" + "\n".join(lines)
    return Draft(text=text, citations=citations)


def _link_answer(hit: Hit, scored: list[_Scored]) -> Draft:
    """Code/link questions: the paper's links, cited to the sentence that carries them."""
    carrying = [s.sentence for s in scored if any(url in s.sentence.text for url in hit.urls)]
    quoted = sorted(carrying[:1] or [scored[0].sentence], key=lambda s: s.start)
    citation = _citation(1, hit, quoted)
    if hit.urls:
        links = ", ".join(hit.urls)
        text = f"*{hit.title}* [1] links to: {links} [1]\n\n> {citation.quote} [1]"
    else:
        text = f"The abstract of *{hit.title}* [1] gives no link to code or a project page.\n\n> {citation.quote} [1]"
    return Draft(text=text, citations=[citation])
