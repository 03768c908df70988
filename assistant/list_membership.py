"""List membership: whether one retrieved paper belongs in the answer to a "which papers ..." question.

A small logistic model (assistant/data/list_membership.json, fitted by bench/lists.py --fit) reads generic features of
the question and one paper: how much of the question's content the paper's text holds (IDF-weighted, any form of a
word), and its fused retrieval score, alone and as a share of the best paper's. Richer features (the share held by one
sentence, the question's rarest term, its names, the best sentence's cosine) did no better on questions held out
(bench/lists.py, docs/EVAL.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from assistant.answerability import AnswerabilityModel, TermStats, content_terms, term_stats, weighted_share
from assistant.evidence import terms
from assistant.lexical import LexicalIndex
from assistant.models import Hit

LIST_MODEL_PATH = Path(__file__).parent / "data" / "list_membership.json"
PAPER_FEATURES = ("coverage", "fused_share", "fused")
# Two stems name the same word when they share this long a beginning, and it is most of the shorter one: "homeostasis"
# and "homeostatic" stem to homeostasi and homeostat; "general" and "generate" (genera-) stay apart.
SHARED_PREFIX = 7
SHARED_SHARE = 0.8


def same_word(stem: str, other: str) -> bool:
    """Whether two stems are forms of one word (equal, or sharing a long enough beginning)."""
    if stem == other:
        return True
    shared = len(os.path.commonprefix([stem, other]))
    return shared >= SHARED_PREFIX and shared >= SHARED_SHARE * min(len(stem), len(other))


def found_terms(question_terms: set[str], text_terms: set[str]) -> set[str]:
    """The question's terms that the text holds, in any form of the word."""
    by_beginning: dict[str, list[str]] = {}
    for term in text_terms:
        by_beginning.setdefault(term[:SHARED_PREFIX], []).append(term)
    return {t for t in question_terms
            if t in text_terms or any(same_word(t, u) for u in by_beginning.get(t[:SHARED_PREFIX], ()))}


def paper_features(question: str, hit: Hit, top_fused: float, stats: TermStats) -> dict[str, float]:
    """The list-membership features of one retrieved paper (see PAPER_FEATURES); top_fused: the best hit's fused score."""
    asked = content_terms(question)
    found = found_terms(asked, terms(f"{hit.title} {hit.abstract}"))
    return {"coverage": weighted_share(asked, found, stats), "fused_share": hit.score / top_fused if top_fused > 0 else 0.0,
            "fused": hit.score}


def list_members(question: str, hits: Sequence[Hit], lexical: LexicalIndex, model: AnswerabilityModel) -> set[str]:
    """The hits that belong in a list answer: P(member) at or above the model's threshold."""
    if not hits:
        return set()
    stats = term_stats(question, lexical)
    top = max(hit.score for hit in hits)
    return {hit.paper_id for hit in hits if model.probability(paper_features(question, hit, top, stats)) >= model.threshold}
