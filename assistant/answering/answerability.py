"""Answerability: generic features of a question and its retrieved evidence, and a fitted logistic model giving P(answerable).

The features are pure functions of values the answer path already has (the hits with their dense and BM25
scores, the sentences of their abstracts, the question's vector, the collection's term statistics). The model
is a small versioned JSON file (assistant/data/answerability.json) fitted by bench/fit_answerability.py.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from assistant.evidence import Sentence, SentenceBank, terms
from assistant.answering.asked_figure import has_quantity
from assistant.answering.extractive import asks_for_figure_as_fitted, asks_for_papers_as_fitted
from assistant.lexical import LexicalIndex, tokenize
from assistant.models import Hit
from assistant.names import as_tokenised, mentions, specific_terms

MODEL_PATH = Path(__file__).parent.parent / "data" / "answerability.json"
FEATURES = ("dense_top", "dense_margin", "bm25_top", "bm25_margin", "agree", "sentence_top",
            "coverage_paper", "coverage_sentence", "unknown_terms", "names_missing", "figure_missing", "kind_list",
            "kind_quantity", "kind_yes_no",
            # Relative to the other hits and to the question itself, so that they read alike whatever the question's style:
            "dense_gap", "bm25_gap", "coverage_margin", "sentence_margin", "bigram_paper", "rare_terms_paper",
            "coverage_best_sentence", "coverage_top3", "question_terms", "mean_idf",
            # The best value over every hit, not only the retrieval's first (the answer may quote another paper):
            "coverage_any_paper", "bigram_any_paper", "rare_terms_any_paper", "coverage_any_sentence")
RARE_TERMS = 3  # rare_terms_*: the question's this many rarest content terms
# Words that frame a question without naming its topic (stemmed, as terms() gives them).
_FRAME_TERMS = terms("paper papers work works study studies use uses used using method methods approach approaches "
                     "propose proposes research article articles collection here there any which what list name find show "
                     "true is it that does do how")
_YES_NO_QUESTION = re.compile(r"^\W*(is|are|was|were|does|do|did|can|could|has|have|will|would|should)\b", re.IGNORECASE)
# "Is it true that <claim>?", "True or false: <claim>": a statement to check, worded as the evidence would word it.
_CLAIM_QUESTION = re.compile(r"^\W*(is it (really )?(true|the case|correct) that|true or false\b|is the (claim|statement) that)\b",
                             re.IGNORECASE)


@dataclass(frozen=True)
class TermStats:
    """How many documents (chunks) the collection has and in how many each term occurs."""

    documents: int
    frequency: Mapping[str, int] = field(default_factory=dict)

    def idf(self, term: str) -> float:
        """BM25's idf (Lucene form); a term absent from the collection gets the largest value."""
        df = self.frequency.get(term, 0)
        return math.log(1 + (self.documents - df + 0.5) / (df + 0.5))


def term_stats(question: str, lexical: LexicalIndex) -> TermStats:
    """The collection's statistics of the question's terms (and of the two halves of an identifier, see
    _identifier_halves): how many chunks it has, and how many hold each term."""
    words = tokenize([question])[0]
    return TermStats(len(lexical.chunks), lexical.document_frequencies(words + [half for w in words for half in _identifier_halves(w)]))


# An identifier of letters then digits ("mi250x", "resnet50", "gpt4"), which a text may write in two ("ResNet-50").
_LETTERS_THEN_DIGITS = re.compile(r"([a-z]+)(\d\w*)")


def _identifier_halves(word: str) -> tuple[str, ...]:
    """"resnet50" -> ("resnet", "50"): how a text writing "ResNet-50" holds it; () for a word that is no such identifier."""
    match = _LETTERS_THEN_DIGITS.fullmatch(word)
    return match.groups() if match else ()


def _heard(word: str, stats: TermStats) -> bool:
    """Whether some text uses the word, whole or (an identifier) as its two halves."""
    if stats.frequency.get(word):
        return True
    halves = _identifier_halves(word)
    if not halves or len(halves[0]) < 2:
        return False  # "a20": no name in its letters
    letters, digits = halves  # digits of one character ("gpt4": "4") are no word of BM25's: not counted
    return bool(stats.frequency.get(letters)) and (len(digits) < 2 or bool(stats.frequency.get(digits)))


def _is_identifier(word: str) -> bool:
    """A word of letters and digits ("mi250x", "4v", "t5")."""
    return bool(re.search(r"\d", word)) and bool(re.search(r"[a-z]", word))


def unheard_names(question: str, stats: TermStats) -> list[str]:
    """The names the question asks about (names.specific_terms) that no text in the collection uses: not a single word
    of them ("Whisper" in a collection without it), or not a word that tells them apart: an identifier ("AMD MI250X GPU"
    in a collection that names GPUs but never an MI250X; "GPT-4V" where only GPT-4 is) or, in a name of several words, a
    capitalised one ("Intel Stratix 10 FPGA" where FPGAs are named, never a Stratix). No paper can say anything about them."""
    return [name for name in specific_terms(question)
            if (words := set(tokenize([as_tokenised(name)])[0]))
            and (not any(_heard(word, stats) for word in words) or any(not _heard(w, stats) for w in _distinctive_words(as_tokenised(name))))]


def _distinctive_words(name: str) -> list[str]:
    """The (tokenised) words of a name that tell it apart from others of its kind: its identifiers, and in a name of
    several words its capitalised words of three letters or more ("Stratix" in "Intel Stratix 10 FPGA")."""
    several = len(name.split()) > 1
    return [token for word in name.split() for token in tokenize([word])[0]
            if _is_identifier(token) or (several and re.match(r"[A-Z][a-z]{2,}", word))]


def is_claim_question(question: str) -> bool:
    """A statement to check ("Is it true that ...?"): it shares its words with the evidence, unlike a question in a
    reader's own words, so the same confidence means less and it gets its own floor (AnswerabilityModel.claim_floor)."""
    return bool(_CLAIM_QUESTION.search(question))


def content_terms(question: str) -> set[str]:
    """The question's stemmed content words, without the words that only frame it ("which papers", "is it true")."""
    return terms(question) - _FRAME_TERMS


def weighted_share(question_terms: set[str], text_terms: set[str], stats: TermStats) -> float:
    """IDF-weighted share of the question's terms that the text contains (0 when the question has none)."""
    total = sum(stats.idf(t) for t in question_terms)
    if total <= 0:
        return 0.0
    return sum(stats.idf(t) for t in question_terms & text_terms) / total


def bm25_ceiling(question: str, stats: TermStats) -> float:
    """What normalises a BM25 score: the summed idf of the question's words (unknown words count, at the largest idf)."""
    return sum(stats.idf(t) for t in set(tokenize([question])[0])) or 1.0


def _top_two(values: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(values, reverse=True)
    if not ordered:
        return 0.0, 0.0
    return ordered[0], ordered[1] if len(ordered) > 1 else 0.0


@dataclass(frozen=True)
class _PaperEvidence:
    """What one hit holds of the question: its terms, their IDF-weighted share, the share of the question's adjacent
    word pairs and of its rarest terms, the best share one sentence holds, and each sentence's cosine."""

    terms: set[str]
    coverage: float
    phrases: float
    rare: float
    best_sentence: float
    cosines: list[float]


def _pairs(tokens: Sequence[str]) -> set[tuple[str, str]]:
    """Adjacent word pairs (stop words already dropped): a phrase the question shares, not only its words."""
    return set(zip(tokens, tokens[1:]))


def _mean_others(values: Sequence[float]) -> float:
    """The top value minus the mean of the others (0 with fewer than two)."""
    ordered = sorted(values, reverse=True)
    return ordered[0] - float(np.mean(ordered[1:])) if len(ordered) > 1 else 0.0


def _question_features(asked: set[str], stats: TermStats) -> dict[str, float]:
    """How many content terms the question has, and how specific they are (mean idf over the largest possible)."""
    mean_idf = sum(stats.idf(t) for t in asked) / len(asked) / math.log(2 + stats.documents) if asked else 0.0
    return {"question_terms": math.log(1 + len(asked)), "mean_idf": mean_idf}


def _relative_features(question: str, hits: Sequence[Hit], sentences: Mapping[str, Sequence[Sentence]],
                       question_vector: np.ndarray, stats: TermStats, asked: set[str]) -> dict[str, float]:
    """Features of the hits relative to each other and per paper at its best (see FEATURES); zeros without hits."""
    names = ("dense_gap", "bm25_gap", "coverage_margin", "sentence_margin", "bigram_paper", "rare_terms_paper",
             "coverage_best_sentence", "coverage_top3", "coverage_any_paper", "bigram_any_paper", "rare_terms_any_paper",
             "coverage_any_sentence")
    if not hits:
        return dict.fromkeys(names, 0.0)
    pairs = _pairs([t for t in tokenize([question])[0] if t not in _FRAME_TERMS])
    rare = set(sorted(asked, key=lambda t: (-stats.idf(t), t))[:RARE_TERMS])
    per_paper = []
    for hit in hits:
        own = list(sentences.get(hit.paper_id, ()))
        tokens = tokenize([f"{hit.title} {hit.abstract}", *(s.text for s in own)])
        paper_terms = set(tokens[0])
        per_paper.append(_PaperEvidence(
            terms=paper_terms,
            coverage=weighted_share(asked, paper_terms, stats),
            phrases=len(pairs & _pairs(tokens[0])) / len(pairs) if pairs else 0.0,
            rare=weighted_share(rare, paper_terms, stats),
            best_sentence=max((weighted_share(asked, set(t), stats) for t in tokens[1:]), default=0.0),
            cosines=[float(np.dot(question_vector, s.vector)) for s in own]))
    top = per_paper[0]
    ceiling = bm25_ceiling(question, stats)
    return {
        "dense_gap": _mean_others([h.dense_score for h in hits if h.dense_score is not None]),
        "bm25_gap": _mean_others([h.lexical_score / ceiling for h in hits if h.lexical_score is not None]),
        "coverage_margin": top.coverage - max((p.coverage for p in per_paper[1:]), default=0.0),
        "sentence_margin": max(top.cosines) - float(np.mean(top.cosines)) if top.cosines else 0.0,
        "bigram_paper": top.phrases,
        "rare_terms_paper": top.rare,
        "coverage_best_sentence": top.best_sentence,
        "coverage_top3": weighted_share(asked, set().union(*(p.terms for p in per_paper[:3])), stats),
        "coverage_any_paper": max(p.coverage for p in per_paper),
        "bigram_any_paper": max(p.phrases for p in per_paper),
        "rare_terms_any_paper": max(p.rare for p in per_paper),
        "coverage_any_sentence": max(p.best_sentence for p in per_paper),
    }


def features(question: str, hits: Sequence[Hit], sentences: Mapping[str, Sequence[Sentence]], question_vector: np.ndarray,
             stats: TermStats) -> dict[str, float]:
    """The answerability features of a question and its hits (best first), by name (see FEATURES)."""
    dense = {h.paper_id: h.dense_score for h in hits if h.dense_score is not None}
    lexical = {h.paper_id: h.lexical_score for h in hits if h.lexical_score is not None}
    dense_top, dense_next = _top_two(list(dense.values()))
    ceiling = bm25_ceiling(question, stats)
    bm25_top, bm25_next = _top_two([v / ceiling for v in lexical.values()])
    agree = float(bool(dense) and bool(lexical) and max(dense, key=lambda p: dense[p]) == max(lexical, key=lambda p: lexical[p]))

    best_sentence: Sentence | None = None
    best_cosine = 0.0
    top_paper = hits[0].paper_id if hits else None
    top_sentence: Sentence | None = None
    top_sentence_cosine = -1.0
    for hit in hits:
        for sentence in sentences.get(hit.paper_id, ()):
            cosine = float(np.dot(question_vector, sentence.vector))
            if best_sentence is None or cosine > best_cosine:
                best_sentence, best_cosine = sentence, cosine
            if hit.paper_id == top_paper and cosine > top_sentence_cosine:
                top_sentence, top_sentence_cosine = sentence, cosine

    named = specific_terms(question)
    named_texts = [f"{hit.title} {hit.abstract}" for hit in hits[:3]]
    names_missing = sum(1 for name in named if not any(mentions(text, name) for text in named_texts)) / len(named) if named else 0.0
    quantity = asks_for_figure_as_fitted(question)  # as fitted: kind_quantity and figure_missing
    top_cosines = sorted(((float(np.dot(question_vector, s.vector)), s.text) for s in sentences.get(top_paper, ())), reverse=True)[:3] if top_paper else []
    figure_missing = float(quantity and bool(hits) and not any(has_quantity(text) for _, text in top_cosines))
    asked = content_terms(question)
    paper_terms = terms(f"{hits[0].title} {hits[0].abstract}") if hits else set()
    sentence_terms = terms(top_sentence.text) if top_sentence is not None else set()
    unknown = sum(1 for t in asked if stats.frequency.get(t, 0) == 0) / len(asked) if asked else 0.0
    return {**_question_features(asked, stats), **_relative_features(question, hits, sentences, question_vector, stats, asked),
        "dense_top": dense_top,
        "dense_margin": dense_top - dense_next,
        "bm25_top": bm25_top,
        "bm25_margin": bm25_top - bm25_next,
        "agree": agree,
        "sentence_top": best_cosine if best_sentence is not None else 0.0,
        "coverage_paper": weighted_share(asked, paper_terms, stats),
        "coverage_sentence": weighted_share(asked, sentence_terms, stats),
        "unknown_terms": unknown,
        "names_missing": names_missing,
        "figure_missing": figure_missing,
        "kind_list": float(asks_for_papers_as_fitted(question)),
        "kind_quantity": float(quantity),
        "kind_yes_no": float(bool(_YES_NO_QUESTION.search(question))),
    }


def confidence(question: str, hits: Sequence[Hit], bank: SentenceBank, question_vector: np.ndarray, stats: TermStats,
               model: AnswerabilityModel) -> float:
    """P(answerable) of the question over its hits (0 without hits): the features, read by the model (stats: the
    collection's statistics of the question's terms, term_stats)."""
    if not hits:
        return 0.0
    return model.probability(features(question, hits, bank.sentences(list(hits)), question_vector, stats))


@dataclass(frozen=True)
class AnswerabilityModel:
    """A logistic model over standardised features: P(answerable) = sigmoid(intercept + sum w_i (x_i - mean_i) / scale_i)."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    intercept: float
    version: str = "0"
    fitted_on: str = ""
    threshold: float = 0.5  # at or above: answered whatever the hand evidence rules say
    floor: float = 0.0  # below: abstained (and no LLM call); in between, the evidence rules decide
    claim_floor: float | None = None  # the floor of a claim to check (is_claim_question); None: the floor

    def floor_for(self, question: str) -> float:
        """The floor that applies to this question: claim_floor for a claim to check, else floor."""
        return self.claim_floor if self.claim_floor is not None and is_claim_question(question) else self.floor

    def probability(self, values: Mapping[str, float]) -> float:
        """P(answerable) for the features by name; a missing feature counts at its mean (contributes nothing)."""
        z = self.intercept
        for name, mean, scale, weight in zip(self.features, self.mean, self.scale, self.weights):
            x = values.get(name, mean)
            z += weight * (float(x) - mean) / (scale or 1.0)
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def to_json(self) -> str:
        return json.dumps({"version": self.version, "fitted_on": self.fitted_on, "threshold": self.threshold,
                           "floor": self.floor, **({"claim_floor": self.claim_floor} if self.claim_floor is not None else {}),
                           "features": list(self.features), "mean": list(self.mean), "scale": list(self.scale),
                           "weights": list(self.weights), "intercept": self.intercept}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> AnswerabilityModel:
        data = json.loads(text)
        n = len(data["features"])
        if not all(len(data[key]) == n for key in ("mean", "scale", "weights")):
            raise ValueError("answerability model: features, mean, scale and weights must have the same length")
        return cls(features=tuple(data["features"]), mean=tuple(map(float, data["mean"])), scale=tuple(map(float, data["scale"])),
                   weights=tuple(map(float, data["weights"])), intercept=float(data["intercept"]), version=str(data.get("version", "0")),
                   fitted_on=str(data.get("fitted_on", "")), threshold=float(data.get("threshold", 0.5)),
                   floor=float(data.get("floor", 0.0)),
                   claim_floor=None if data.get("claim_floor") is None else float(data["claim_floor"]))

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> AnswerabilityModel:
        """The model in path (default: the one shipped in the package)."""
        return cls.from_json(path.read_text(encoding="utf-8"))
