"""Questions about the collection itself ("What topics does this collection cover?"): its papers, grouped by topic.

No passage of any one paper answers such a question, so retrieval has nothing to find and the answerer used to abstain.
The answer is made from the collection as a whole instead: the papers are grouped by their vectors (the mean of their
chunks' embeddings, already stored: Retriever.paper_vectors), each group is named by the words its titles use far more
than the rest of the collection's, and each named paper is cited with the sentence of its abstract nearest its vector.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from assistant.evidence import Sentence
from assistant.lexical import stem_words
from assistant.models import Citation, Draft, Hit
from bm25s.stopwords import STOPWORDS_EN

# Every word of an overview question is one of these: it asks about the collection, and about nothing in it.
_OVERVIEW_WORDS = set("""
what whats what's which is are was the this my your our of in on about does do cover covers covered contain contains
include includes hold holds have has you we i there here it its give me an a overview summary summarise summarize
describe topics topic subjects subject areas area fields field themes theme kinds kind sorts sort types type research
main broad broadly overall general generally please tell show list all every any can could ask questions question
collection library corpus database set papers paper documents articles literature loaded indexed available how many
number total
""".split())
# ... and names the collection, or its topics, or asks what it holds ("What papers do you have?"): "Summarize this paper"
# is about one paper, never the collection.
_ABOUT_THE_WHOLE = re.compile(r"\b(collection|library|corpus|database|topics|themes|subjects|fields|"
                              r"(papers|documents|articles) (do|are|have) (you|we|there|here|in)|what can i ask)\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z][a-z'’]*")

MAX_TOPICS = 8
NAMED_PER_TOPIC = 3
LABEL_WORDS = 3
# Words every field's titles use, which name no topic.
_GENERIC = set("""
approach approaches method methods model models based using via towards toward study studies analysis new novel learning
framework frameworks system systems paper data effect effects use case results improving improved efficient evaluation
""".split())


def is_overview_question(question: str) -> bool:
    """Whether the question asks what the collection holds as a whole ("What topics does this collection cover?", "What
    papers do you have?", "Give me an overview of my library"), naming no topic of its own."""
    words = _WORD.findall(question.lower().replace("’", "'"))
    return bool(words) and all(word in _OVERVIEW_WORDS for word in words) and bool(_ABOUT_THE_WHOLE.search(question))


@dataclass(frozen=True)
class Topic:
    """A group of papers alike in content, with the words that name it, papers nearest its centre first."""

    label: list[str]
    paper_ids: list[str]


def topic_count(papers: int) -> int:
    """How many groups a collection of this size is shown in: about one per dozen papers, at most MAX_TOPICS (one for
    fewer than four papers)."""
    return max(1, min(MAX_TOPICS, round(papers / 12), papers // 2)) if papers >= 4 else 1


def group(vectors: np.ndarray, groups: int, restarts: int = 8, rounds: int = 30) -> np.ndarray:
    """Spherical k-means, the best of a few k-means++ starts (a fixed seed: the same collection is grouped the same way
    every time): the group number of each row."""
    if groups <= 1 or len(vectors) <= groups:
        return np.zeros(len(vectors), dtype=np.int64) if groups <= 1 else np.arange(len(vectors))
    rng = np.random.default_rng(0)
    best, best_fit = np.zeros(len(vectors), dtype=np.int64), -np.inf
    for _ in range(restarts):
        centre = _plus_plus(vectors, groups, rng)
        assigned = np.full(len(vectors), -1)
        for _ in range(rounds):
            now = np.argmax(vectors @ centre.T, axis=1)
            if np.array_equal(now, assigned):
                break
            assigned = now
            for number in range(groups):
                members = vectors[assigned == number]
                if len(members):
                    mean = members.mean(axis=0)
                    centre[number] = mean / (np.linalg.norm(mean) or 1.0)
        fit = float((vectors @ centre.T).max(axis=1).sum())
        if fit > best_fit:
            best, best_fit = assigned, fit
    return best


def _plus_plus(vectors: np.ndarray, groups: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ starting centres: each next one drawn with odds growing with its distance to the centres so far."""
    chosen = [int(rng.integers(len(vectors)))]
    while len(chosen) < groups:
        distance = np.clip(1.0 - (vectors @ vectors[chosen].T).max(axis=1), 0.0, None) ** 2
        total = distance.sum()
        chosen.append(int(rng.choice(len(vectors), p=distance / total)) if total > 0 else int(rng.integers(len(vectors))))
    return vectors[chosen].copy()


def _title_terms(title: str) -> dict[str, str]:
    """The terms a title names, stemmed (stem -> the word as written): its content words, and pairs of adjacent words
    ("reinforcement learning", "language models"), where a word every field uses may stand in a pair but not alone."""
    words = [word for word in _WORD.findall(title.lower()) if len(word) > 1]
    stems = stem_words(words)
    found = {stem: word for word, stem in zip(words, stems) if len(word) > 2 and word not in STOPWORDS_EN and word not in _GENERIC}
    for (first, second), (stem_a, stem_b) in zip(zip(words, words[1:]), zip(stems, stems[1:])):
        if first not in STOPWORDS_EN and second not in STOPWORDS_EN and not (first in _GENERIC and second in _GENERIC):
            found[f"{stem_a} {stem_b}"] = f"{first} {second}"
    return found


def label(titles: Sequence[str], all_titles: Sequence[str]) -> list[str]:
    """The words that name a group of titles among all the collection's (see _label)."""
    return _label([_title_terms(title) for title in titles], _collection_terms([_title_terms(title) for title in all_titles]))


def _collection_terms(title_terms: Sequence[Mapping[str, str]]) -> tuple[Counter[str], int]:
    """In how many titles each term stands, and how many titles there are."""
    return Counter(stem for terms_ in title_terms for stem in terms_), len(title_terms)


def _label(group_terms: Sequence[Mapping[str, str]], collection: tuple[Counter[str], int]) -> list[str]:
    """The words that name a group: the terms its titles use most, weighed by how rare they are in the whole collection
    (a term in every title names no group); a pair of words before its single words, never a word twice."""
    everywhere, total = collection
    here: Counter[str] = Counter()
    written: dict[str, Counter[str]] = {}
    for terms_ in group_terms:
        for stem, word in terms_.items():
            here[stem] += 1
            written.setdefault(stem, Counter())[word] += 1
    weight = {stem: count * math.log(total / everywhere[stem]) * (1.5 if " " in stem else 1.0)
              for stem, count in here.items() if count > 1 or len(group_terms) <= 3}
    chosen: list[str] = []
    for stem in sorted(weight, key=lambda stem: (-weight[stem], stem)):
        if len(chosen) == LABEL_WORDS:
            break
        if not any(set(stem.split()) & set(other.split()) for other in chosen):
            chosen.append(stem)
    return [written[stem].most_common(1)[0][0] for stem in chosen]


def topics(paper_ids: Sequence[str], vectors: np.ndarray, titles: Mapping[str, str]) -> list[Topic]:
    """The collection's papers in groups alike in content, the largest group first, each group's papers nearest its
    centre first."""
    assigned = group(vectors, topic_count(len(paper_ids)))
    terms_of = {pid: _title_terms(titles[pid]) for pid in paper_ids}  # each title read once, however many groups
    collection = _collection_terms(list(terms_of.values()))
    found = []
    for number in np.unique(assigned):
        rows = np.flatnonzero(assigned == number)
        centre = vectors[rows].mean(axis=0)
        order = rows[np.argsort(-(vectors[rows] @ centre), kind="stable")]
        members = [paper_ids[row] for row in order]
        found.append(Topic(_label([terms_of[pid] for pid in members], collection), members))
    return sorted(found, key=lambda topic: (-len(topic.paper_ids), topic.paper_ids[0]))


def overview_draft(found: list[Topic], hits: Mapping[str, Hit], quotes: Mapping[str, Sentence], full_texts: int) -> Draft:
    """The answer: how many papers the collection holds, then each group with its words and its first papers (those with
    a sentence to quote: `quotes`), cited with that sentence."""
    papers = sum(len(topic.paper_ids) for topic in found)
    held = f"{papers} paper{'s' if papers != 1 else ''}" + (f" ({full_texts} with their full text)" if full_texts else "")
    grouped = len(found) > 1
    lines = [f"The collection holds {held}." + (" By what they are about, they fall into these groups:" if grouped else "")]
    citations: list[Citation] = []
    for topic in found:
        named = []
        for paper_id in [pid for pid in topic.paper_ids if pid in quotes][:NAMED_PER_TOPIC]:
            hit, sentence = hits[paper_id], quotes[paper_id]
            citations.append(Citation(number=len(citations) + 1, paper_id=paper_id, title=hit.title, urls=hit.urls,
                                      quote=sentence.text, spans=[(sentence.start, sentence.end)]))
            named.append(f"{_short_title(hit.title)} [{len(citations)}]")
        rest = len(topic.paper_ids) - len(named)
        listed = ", ".join(named) + (f" and {rest} more" if rest else "") if named else "none with a sentence to quote"
        size = f"{len(topic.paper_ids)} paper{'s' if len(topic.paper_ids) != 1 else ''}"
        lines.append(f"- **{', '.join(topic.label) or 'other'}** ({size}): {listed}" if grouped else f"- {listed}")
    lines.append("\nAsk about any of these, or see every paper in the Papers view (in a terminal: `assistant papers`).")
    return Draft(text="\n".join(lines), citations=citations)


def _short_title(title: str) -> str:
    """A title's name before its colon when it has one ("Pangu-Agent: A Fine-Tunable ..." -> "Pangu-Agent"; "Agent Q: ..."),
    else the title."""
    head, colon, _ = title.partition(":")
    words = head.split()
    named = len(words) == 1 or (len(words) <= 3 and any(re.search(r"\d|.[A-Z]|^[A-Z]+$", word) for word in words))
    return head.strip() if colon and named else title
