"""Technical terms the question asks about that no text of the collection uses, in any near form ("tetracycline" asked
of papers on sulfonamides; "aethalometer" of a study that measured particles with other sensors)."""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

from assistant.answering.answerability import TermStats
from assistant.answering.asked_thing import GENERIC_TERMS, NEAR_FORM_LETTERS, NO_KIND, as_written
from assistant.answering.extractive import asked_for, is_quantity_question
from assistant.answering.list_membership import unheard_topic_terms
from assistant.evidence import terms
from assistant.lexical import LexicalIndex, tokenize
from assistant.names import specific_terms

# A word the general vocabulary of the embedder's tokenizer (30,522 wordpieces) splits into this many pieces or more is
# rare in everyday English: a technical term ("tetracycline" 5, "aethalometer" 3, "helminth" 3), not a word a question
# is merely phrased with ("give", "tourist", "admissions": 1; "criticises": 2).
TECHNICAL_PIECES = 3
# A form of the word the collection does use shares NEAR_FORM_LETTERS letters of its stem (asked_thing.py), or is this
# close to it, letter by letter (difflib's ratio: "carageenan" and "carrageenan", "limtations" and "limitations",
# "concamitant" and "concomitant") and as long, give or take TYPO_LETTERS letters: then the word is a variant or a typo,
# not a thing the collection never mentions. (Not "metabarcoding" for "metabolic": their stems are 0.71 alike, but a typo
# does not drop three letters.)
NEAR_SPELLING = 0.7
TYPO_LETTERS = 2
NEAR_ENDING = 3
# What a "which ... of ..." question asks for belongs to ("Which brand of power meter ..."): the words after "of".
_ASKED_OF = re.compile(r"\b(?:which|what)\s+(?:[\w-]+\s+){1,2}?of\s+(?:the\s+|a\s+|an\s+)?((?:[\w-]+\s+){0,4}?)(?:is|are|was|were|"
                       r"did|does|do|has|have|had|can|could|would|will|should|in|on|for|from|to|by|with|at|during|the)\b",
                       re.IGNORECASE)


def unheard_terms(question: str, stats: TermStats, lexical: LexicalIndex) -> list[str]:
    """The technical terms of the question no text uses (unheard_technical_terms), and what it asks for when no text
    mentions that kind of thing (unheard_asked_for): asked of full texts, no paper answers it."""
    return list(dict.fromkeys(unheard_technical_terms(question, stats, lexical) + unheard_asked_for(question, stats, lexical)
                              + unheard_compound(question, stats, lexical)))


_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def unheard_compound(question: str, stats: TermStats, lexical: LexicalIndex) -> list[str]:
    """Two topic words side by side (names aside) that no text of the collection uses with any ending ("nylon fishing nets",
    "zebrafish larva"): the thing they name together is in no paper. (Two unheard words apart are often phrasing:
    "whose ... unusually", "bother training a 2-d convnet".) [] when there are none."""
    unheard = unheard_topic_terms(question, stats)[1] - NO_KIND - GENERIC_TERMS  # ("Which aethalometer brand ...")
    if len(unheard) < 2:
        return []
    words = list(_WORD.finditer(question))
    for first, second in zip(words, words[1:]):
        pair = [first.group(), second.group()]
        side_by_side = not question[first.end():second.start()].strip()
        if side_by_side and all(set(tokenize([word])[0]) & unheard for word in pair) and without_other_endings(pair, lexical) == pair:
            return pair
    return []


def unheard_technical_terms(question: str, stats: TermStats, lexical: LexicalIndex) -> list[str]:
    """The question's topic words (names aside: the name rules judge those) that are technical terms and that no text of
    the collection uses in any near form, as the question writes them (stats: term_stats of the question over lexical)."""
    _, unheard = unheard_topic_terms(question, stats)
    found = []
    for word in dict.fromkeys(_WORD.findall(question)):
        stems = set(tokenize([word])[0]) & unheard
        if stems and _pieces(word.lower()) >= TECHNICAL_PIECES and not any(_near_form(stem, lexical) for stem in stems):
            found.append(word)
    return found


def unheard_asked_for(question: str, stats: TermStats, lexical: LexicalIndex) -> list[str]:
    """What a which/what question asks for ("eye tracker" in "Which eye tracker was used ...?", "brand" in "Which brand
    of power meter ...?"), as the question writes it, when no text of the collection uses any of its words nor a word
    starting like one of them (no answer can name a thing of a kind no text mentions); otherwise none. Generic words
    ("model", "method") are no such kind."""
    if is_quantity_question(question):
        return []  # a figure asked for is given without its kind's name as often as with it
    no_kind = GENERIC_TERMS | NO_KIND | set().union(*(terms(name) for name in specific_terms(question)))
    asked = asked_for(question) - no_kind
    if not asked:  # "Which brand of power meter ...?": a brand of a power meter; no text mentioning power meters, no answer
        asked = _asked_of(question) - no_kind
    if not asked or any(stats.frequency.get(term) or _near_ending(term, lexical) for term in asked):
        return []
    return as_written(question, asked)


def _asked_of(question: str) -> set[str]:
    """What the thing a which/what question asks for belongs to, by its head word ("meter" in "Which brand of power meter
    ...?": a text on power that never mentions a meter names no brand of one)."""
    match = _ASKED_OF.search(question)
    words = match.group(1).split() if match else []
    return terms(words[-1]) if words else set()


def without_other_endings(words: list[str], lexical: LexicalIndex) -> list[str]:
    """The words (as a question writes them) the collection uses with no other ending: "cheaters" is heard in a text on
    "cheating" (stems "cheater" and "cheat"). Not a near spelling: "parasites" is not heard in "parameters", nor
    "helminth" in "health" (the spelling corrector has mended the question's typos before)."""
    return [word for word in words if not any(_near_ending(stem, lexical) or _shorter_form(stem, lexical)
                                               for stem in tokenize([word])[0])]


def _shorter_form(stem: str, lexical: LexicalIndex) -> bool:
    """Whether the collection uses the (stemmed) word without its last letters: at most NEAR_ENDING fewer, and four or
    more left ("cheat" for "cheater")."""
    return any(stem[:length] in lexical.words_starting(stem[:length])
               for length in range(max(4, len(stem) - NEAR_ENDING), len(stem)))


def _near_ending(stem: str, lexical: LexicalIndex) -> bool:
    """Whether the collection uses the (stemmed) word with another ending: a word starting with its first
    NEAR_FORM_LETTERS letters, at most NEAR_ENDING letters longer ("trackers" for "tracker"; not "Brandimont" for "brand")."""
    return any(len(word) <= len(stem) + NEAR_ENDING for word in lexical.words_starting(stem[:NEAR_FORM_LETTERS]))


def _near_form(stem: str, lexical: LexicalIndex) -> bool:
    """Whether the collection uses a near form or a near spelling of the (stemmed) word: among its words with the same
    first two letters."""
    if lexical.words_starting(stem[:NEAR_FORM_LETTERS]):
        return True
    matcher = difflib.SequenceMatcher(a=stem)
    for word in lexical.words_starting(stem[:2]):
        if abs(len(word) - len(stem)) > TYPO_LETTERS:
            continue
        matcher.set_seq2(word)
        if matcher.real_quick_ratio() >= NEAR_SPELLING and matcher.quick_ratio() >= NEAR_SPELLING and matcher.ratio() >= NEAR_SPELLING:
            return True
    return False


@lru_cache(maxsize=4096)
def _pieces(word: str) -> int:
    return len(_tokenizer().encode(word, add_special_tokens=False).tokens)


@lru_cache(maxsize=1)
def _tokenizer():  # noqa: ANN202 - a tokenizers.Tokenizer, imported only here
    from tokenizers import Tokenizer

    from assistant.embedding import _bundled_model_files

    tokenizer = Tokenizer.from_file(str(_bundled_model_files()[1]))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer
