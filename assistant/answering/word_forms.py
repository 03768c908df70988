"""Forms of a word and ideas of two words: stems that name one word ("homeostasis", "homeostatic"), and a question's
hyphenated compounds ("self-play", "low-scoring"), which count only where a text has their words side by side."""

from __future__ import annotations

import os
import re

from assistant.lexical import tokenize

# Two stems name the same word when they share this long a beginning, and it is most of the shorter one: "homeostasis"
# and "homeostatic" stem to homeostasi and homeostat; "general" and "generate" (genera-) stay apart.
SHARED_PREFIX = 7
SHARED_SHARE = 0.8
_COMPOUND = re.compile(r"\b(\w+)-(\w+)\b")


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


def compounds(question: str) -> list[tuple[str, str]]:
    """The question's hyphenated compounds ("self-play", "test-time") as stem pairs: one idea, not two words."""
    pairs = []
    for first, second in _COMPOUND.findall(question):
        stems = tokenize([first, second])
        if stems[0] and stems[1]:
            pairs.append((stems[0][-1], stems[1][0]))
    return pairs


def holds_compound(words: list[str], compound: tuple[str, str]) -> bool:
    """Whether the text's stems (in order) hold the compound's two words side by side, in any of their forms."""
    first, second = compound
    return any(same_word(first, a) and same_word(second, b) for a, b in zip(words, words[1:]))
