"""Technical terms the question asks about that no text of the collection uses, in any near form ("tetracycline" asked
of papers on sulfonamides; "aethalometer" of a study that measured particles with other sensors)."""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

from assistant.answering.answerability import TermStats
from assistant.answering.list_membership import unheard_topic_terms
from assistant.lexical import LexicalIndex, tokenize

# A word the general vocabulary of the embedder's tokenizer (30,522 wordpieces) splits into this many pieces or more is
# rare in everyday English: a technical term ("tetracycline" 5, "aethalometer" 3, "helminth" 3), not a word a question
# is merely phrased with ("give", "tourist", "admissions": 1; "criticises": 2).
TECHNICAL_PIECES = 3
# A form of the word the collection does use shares this many letters of its stem ("subdividing" and "subdivision",
# "coevolving" and "coevolution"), or is this close to it, letter by letter (difflib's ratio: "carageenan" and
# "carrageenan", "limtations" and "limitations", "concamitant" and "concomitant"): then the word is a variant or a typo,
# not a thing the collection never mentions.
NEAR_FORM_LETTERS = 6
NEAR_SPELLING = 0.7


def unheard_technical_terms(question: str, stats: TermStats, lexical: LexicalIndex) -> list[str]:
    """The question's topic words (names aside: the name rules judge those) that are technical terms and that no text of
    the collection uses in any near form, as the question writes them (stats: term_stats of the question over lexical)."""
    _, unheard = unheard_topic_terms(question, stats)
    found = []
    for word in dict.fromkeys(re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", question)):
        stems = set(tokenize([word])[0]) & unheard
        if stems and _pieces(word.lower()) >= TECHNICAL_PIECES and not any(_near_form(stem, lexical) for stem in stems):
            found.append(word)
    return found


def _near_form(stem: str, lexical: LexicalIndex) -> bool:
    """Whether the collection uses a near form or a near spelling of the (stemmed) word: among its words with the same
    first two letters."""
    if lexical.words_starting(stem[:NEAR_FORM_LETTERS]):
        return True
    matcher = difflib.SequenceMatcher(a=stem)
    for word in lexical.words_starting(stem[:2]):
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
