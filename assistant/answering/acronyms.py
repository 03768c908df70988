"""Acronyms the papers define ("Monte Carlo Tree Search (MCTS)"), so that a text that writes one form is found by a
question that writes the other: "Which papers use Monte Carlo Tree Search?" finds a paper that only says "leverages MCTS",
and "LLM agents" finds "large language model agents".

Definitions are read from the texts at hand (the retrieved papers and the question): an acronym in brackets right after
words whose initials spell it. Words are compared as the lexical index stems them (assistant.lexical.tokenize).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable, Mapping, NamedTuple

from assistant.lexical import tokenize

# "<words> (<ACRONYM>)": two to eight capitals (a plural "s" and lower-case letters inside allowed: LLMs, MoE).
_DEFINED = re.compile(r"((?:[A-Za-z][\w'-]*\s+){1,10})\(\s*([A-Za-z]*[A-Z][A-Za-z]*[A-Z][A-Za-z]*?)(s?)\s*\)")
# Small words an expansion may hold without a letter in the acronym ("Mixture of Experts (MoE)").
_SKIPPABLE = {"of", "the", "and", "for", "from", "to", "in", "on", "at", "as", "with", "a", "an", "by", "via"}
MAX_LETTERS = 8
# A paper defines its acronyms where it first uses them, early on: only this many characters of each text are read
# (a list question reads ten full texts; the whole of them took 0.17 s per 260,000 characters).
DEFINITION_CHARS = 20_000


class Acronym(NamedTuple):
    """An acronym as a text writes it ("MCTS"), and its expansion: as written, and as stems."""

    written: str
    expansion: str
    stems: tuple[str, ...]


def _expansion(words: list[str], letters: str) -> list[str] | None:
    """The words at the end of `words` whose initials spell `letters` (case-insensitive), small words skipped where the
    acronym has no letter for them; None when they do not spell it."""
    parts = [part for word in words for part in word.split("-") if part]
    wanted = letters.lower()
    chosen: list[str] = []
    position = len(wanted)
    for part in reversed(parts):
        if position == 0:
            break
        if part[0].lower() == wanted[position - 1]:
            chosen.append(part)
            position -= 1
        elif part.lower() in _SKIPPABLE and chosen:
            chosen.append(part)  # inside the expansion, without a letter
        else:
            return None
    return list(reversed(chosen)) if position == 0 else None


def spells(words: list[str], letters: str) -> bool:
    """Whether the last of these words spell the acronym by their initials ("Self-Play Preference Optimization", SPPO)."""
    return _expansion(words, letters) is not None


def defined_acronyms(texts: Iterable[str]) -> dict[str, Acronym]:
    """Acronym stem -> the acronym, for every acronym the texts define ("mcts": MCTS, Monte Carlo Tree Search)."""
    found: dict[str, Acronym] = {}
    for text in texts:
        for key, acronym in _defined_in((text or "")[:DEFINITION_CHARS]):
            found.setdefault(key, acronym)
    return found


@lru_cache(maxsize=512)
def _defined_in(text: str) -> tuple[tuple[str, Acronym], ...]:
    """The acronyms one text defines, in order, by stem; remembered: a list question reads its papers' texts once to
    search again and once to list them, and the same papers come back question after question."""
    found = []
    for words, acronym, _plural in _DEFINED.findall(text):
        letters = acronym if len(acronym) <= MAX_LETTERS else ""
        expansion = _expansion(words.split(), letters) if letters else None
        if not expansion:
            continue
        stems = tuple(tokenize([" ".join(expansion)])[0])
        key = tokenize([acronym])[0]
        if len(key) == 1 and len(stems) >= 2:
            found.append((key[0], Acronym(acronym, " ".join(expansion), stems)))
    return tuple(found)


def _holds(words: list[str], sequence: tuple[str, ...]) -> bool:
    """Whether the words hold the sequence, side by side."""
    width = len(sequence)
    return any(tuple(words[i : i + width]) == sequence for i in range(len(words) - width + 1))


def with_acronyms(words: list[str], acronyms: Mapping[str, Acronym]) -> set[str]:
    """The stems of a text (words: its tokens in order) plus, for every acronym it uses, its expansion's stems, and for
    every expansion it spells out, the acronym ("llms" counts as "llm")."""
    present = set(words)
    result = set(present)
    for acronym, defined in acronyms.items():
        if acronym in present or acronym + "s" in present:
            result.update(defined.stems)
            result.add(acronym)
        elif _holds(words, defined.stems):
            result.add(acronym)
    return result


def other_forms(question: str, acronyms: Mapping[str, Acronym]) -> list[str]:
    """The acronyms of what the question spells out, when it does not write them: "MCTS" for "Which papers use Monte
    Carlo Tree Search?". Only this way round: a search given "Large Language Models" for a question that says "LLMs" would
    weigh that one idea three times over the question's other words (it listed strays for "the mathematical reasoning of
    LLMs", bench/lists.py)."""
    words = tokenize([question])[0]
    present = set(words)
    return [defined.written for acronym, defined in acronyms.items()
            if acronym not in present and acronym + "s" not in present and _holds(words, defined.stems)]
