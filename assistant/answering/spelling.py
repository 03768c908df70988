"""Misspelt words of a question read as the word the collection uses ("reinforcment lerning from human feedbak" as
"reinforcement learning from human feedback"), with pyspellchecker's English word frequencies (MIT, shipped in its
package: no download).

Only a word that is no English word and that no text of the collection uses is corrected, and only to the word one
edit away that the collection uses (a British spelling becomes the collection's: "optimise" -> "optimize"): an English word the collection never uses ("Which eye tracker ...") is what the
question asks about, not a typo, and a technical term no text uses ("aethalometer") stays as written, so the rules that
refuse such questions still see it. Names (any capital) are never touched.
"""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.lexical import LexicalIndex, tokenize

MIN_LETTERS = 5  # shorter words have too many neighbours one edit away
CLEAR_LEAD = 10  # of several, the one this many times as frequent in English ("simulaton": simulation, not simulator)
MIN_CHUNKS = 3  # a correction the collection uses this rarely may be a reading accident of a PDF ("convent" for "convnet")
# British spellings and the American ones a collection may use instead.
_BRITISH = ((r"is(e|es|ed|ing|ation|ations)$", r"iz\1"), (r"ys(e|es|ed|ing)$", r"yz\1"), (r"our(s|ed|ing)?$", r"or\1"),
            (r"tre(s)?$", r"ter\1"), (r"ogue(s)?$", r"og\1"), (r"lled$", "led"), (r"lling$", "ling"), (r"ence$", "ense"))
_VOWELS = "aeiouy"
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
# Each key's neighbours on a QWERTY keyboard: the keys beside it in its row and the nearest in the rows above and below.
_BESIDE = {key: "".join(row[max(0, i - 1):i + 2] + "".join(other[max(0, i - 1):i + 2] for other in _ROWS[max(0, r - 1):r + 2]
                                                              if other is not row)).replace(key, "")
           for r, row in enumerate(_ROWS) for i, key in enumerate(row)}
_WORD = re.compile(r"(?<![\w-])[a-z]+(?![\w'’-])")  # not "couldn" of "couldn't"


def corrected(question: str, lexical: LexicalIndex) -> tuple[str, list[tuple[str, str]]]:
    """The question with its misspelt words corrected, and the (written, read as) pairs; unchanged when none is."""
    changes = []
    for word in dict.fromkeys(match.group() for match in _WORD.finditer(question)):
        if len(word) >= MIN_LETTERS and _frequency(lexical, word) == 0:
            fix = _correction(word, lexical)
            if fix:
                changes.append((word, fix))
    for word, fix in changes:
        question = re.sub(rf"(?<![\w-]){word}(?![\w-])", fix, question)
    return question, changes


def _frequency(lexical: LexicalIndex, word: str) -> int:
    """In how many chunks of the collection the word occurs, as BM25 stems it (-1: a word BM25 leaves out)."""
    stems = tokenize([word])[0]
    return min((lexical.document_frequencies(stems).get(stem, 0) for stem in stems), default=-1)


def _correction(word: str, lexical: LexicalIndex) -> str | None:
    """For a word that is no English word: its American spelling when the collection uses it ("optimize" for
    "optimise", "color" for "colour"); else the one English word one edit away that the collection uses in at least
    MIN_CHUNKS chunks, the far likeliest of them (CLEAR_LEAD); None when there is none, or no clear one (a guess is no
    reading)."""
    checker = _checker()
    if checker.known([word]):
        return None
    for british, american in _BRITISH:
        variant = re.sub(british, american, word)
        if variant != word and _frequency(lexical, variant) > 0:
            return variant
    used = sorted((checker.word_usage_frequency(candidate), candidate)
                  for candidate in checker.known(checker.edit_distance_1(word))
                  if _slip(word, candidate) and _frequency(lexical, candidate) >= MIN_CHUNKS)
    if not used or (len(used) > 1 and used[-1][0] < CLEAR_LEAD * used[-2][0]):
        return None
    return used[-1][1]


def _slip(word: str, candidate: str) -> bool:
    """Whether one edit makes the word the candidate the way a typist slips: a letter left out, doubled, added or two
    swapped, or one replaced by a key beside it or by another vowel ("varion" -> "virion"); not "tegmental" ->
    "segmental", a different word."""
    if len(word) != len(candidate):
        return True
    differ = [i for i, (a, b) in enumerate(zip(word, candidate)) if a != b]
    if len(differ) != 1:
        return True  # two letters swapped
    a, b = word[differ[0]], candidate[differ[0]]
    return (a in _VOWELS and b in _VOWELS) or b in _BESIDE.get(a, "")


@lru_cache(maxsize=1)
def _checker():  # noqa: ANN202 - a spellchecker.SpellChecker, imported only here
    from spellchecker import SpellChecker

    return SpellChecker(distance=1)
