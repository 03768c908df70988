"""Names in a question (DAFormer, Monte Carlo, GPT-4, nuScenes) and whether a text mentions them."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

from bm25s.stopwords import STOPWORDS_EN

_NUMBER = re.compile(r"[\d.,]+")  # a bare number: "4", "1.5", "250,000"
# A unit the answer is asked in ("in kWh", "how many GHz", "in MB"): the question's wording, not a thing it asks about.
_UNIT = re.compile(r"[kMGTmµnp]?(Wh|W|Hz|B|bps|V|A|J|eV|Pa|N|Ω)|[kMGT]?(Wh|Hz|B|bps)/s")
# Words a bare number counts in, singular: "1 year", "30 million", "50 percent".
_COUNTS = {"million", "billion", "thousand", "hundred", "percent", "year", "month", "week", "day", "hour", "minute", "second",
           "fold", "time", "pair"}
# "1 or 2", "3 to 5": numbers joined with no unit, which a text writes in many ways ("quality=1, 2"): not a name.
_NUMBERS_ONLY = re.compile(r"[\d.,]+(\s+(or|and|to)\s+[\d.,]+)+")
# A decade ("1990s", "’90s"): a time a text writes otherwise ("in 1991", "the nineties"), not a name to find in it.
_DECADE = re.compile(r"(?:1[5-9]|20)?\d0s|['’]\d0s")
_TIMES = re.compile(r"(?<=\d)\s?[x×]\s?(?=\d)")  # the "x" of "2x2", "2 × 2"
# A thousands separator: the comma or (thin) space of "5,000" and "5 000", which a question may leave out ("5000").
_THOUSANDS = re.compile(r"(?<=\d)[,\s\u2009\u202f](?=\d{3}(?![\d.,]?\d))")
_LONG_NUMBER = re.compile(r"\d[,\s\u2009\u202f]?\d{3}")
_WORD = re.compile(r"(?<![\w-])([A-Za-z0-9][\w\-.’']*[\w]|[A-Za-z0-9])(?![\w-])")
# An abbreviation's full stop, which ends no sentence: "U.S. Senators", "e.g. Python", "Smith et al. Table".
_ABBREVIATION_END = re.compile(r"(?:\b[A-Za-z]\.){2,}$|\b(?:et al|cf|vs|approx|Dr|Fig|Eq|No)\.$")
# Acronyms so common in this field that their absence says nothing.
_GENERIC_NAMES = {"llm", "llms", "ai", "rl", "ml", "nlp", "i", "q", "a", "ais", "vlm", "vlms", "lm", "lms", "api", "apis", "gpu", "gpus",
                  "cpu", "cpus", "url", "urls", "sota"}

# Capitalised at the start of a question without being a name.
_FUNCTION_WORDS = set(STOPWORDS_EN) | {
    "what", "which", "who", "whom", "whose", "why", "how", "where", "when", "does", "do", "did", "is", "are", "was",
    "were", "can", "could", "should", "would", "will", "has", "have", "had", "any", "tell", "show", "list", "give",
    "find", "explain", "describe", "compare", "summarise", "summarize", "please", "i", "we", "my", "our", "papers", "paper"}


def _name_like(word: str, sentence_start: bool) -> bool:
    uppers = sum(c.isupper() for c in word)
    return any(c.isdigit() for c in word) or uppers >= 2 or (uppers == 1 and (not word[0].isupper() or not sentence_start))


def specific_terms(question: str) -> list[str]:
    """The question's names: acronyms, mixed case, numbers, capitalised words, and runs of them ("Monte Carlo", "Agent Q")."""
    words = []
    for match in _WORD.finditer(question):
        raw = match.group(1).strip(".")
        word = re.sub(r"['’]s$", "", raw)
        preceding = question[: match.start()].rstrip()
        sentence_start = not preceding or (preceding[-1] in ".?!:;\n" and not _ABBREVIATION_END.search(preceding))
        words.append((word, match.start(), match.end(), sentence_start, word != raw))
    found: list[str] = []
    run: list[str] = []
    for index, (word, start, end, sentence_start, possessive) in enumerate(words):
        follows = bool(run) and question[words[index - 1][2] : start] == " "
        capitalised = word[:1].isupper() and word.lower() not in _FUNCTION_WORDS
        next_joins = index + 1 < len(words) and question[end : words[index + 1][1]] == " " and words[index + 1][0][:1].isupper()
        # "4 bits": a bare number names nothing alone, so it takes the word after it; a name that ends in a number
        # ("Figure 7", "PGE 2") does not take the verb after it ("Figure 7 compare ...").
        after_number = (follows and bool(_NUMBER.fullmatch(run[-1]))
                        and all(part.islower() or _NUMBER.fullmatch(part) for part in run)  # "3 and 6 years"
                        and (word in ("and", "or", "to") or word in _COUNTS or word.endswith("s") and word not in ("vs", "versus")))
        # (what a number counts: a plural, "4 bits", "50 epochs", or a unit, "1 year", "30 million"; not "9 logistic" in
        # "MNIST 7 vs 9 logistic regression", which the paper writes "7s and 9s")
        if (follows and (capitalised or word[:1].isdigit() or after_number)) or _name_like(word, sentence_start) or (capitalised and next_joins and not possessive):
            if follows and _strong(run[-1]) and _strong(word):  # "the MGH L1000 corpus": two names side by side
                found.append(_finished(run))
                run = []
            if run and not follows:  # "DAFormer, ViT": a name apart from the one before it ends that one's run
                found.append(_finished(run))
                run = []
            run = run + [word]
        else:
            if run:
                found.append(_finished(run))
            run = []
            continue
        if possessive:
            found.append(_finished(run))
            run = []
    if run:
        found.append(_finished(run))
    return list(dict.fromkeys(t for t in found if t and t.lower() not in _GENERIC_NAMES and (len(t) > 1 or t.isdigit())
                              and not _NUMBERS_ONLY.fullmatch(t) and not _UNIT.fullmatch(t) and not _DECADE.fullmatch(t)))


def as_tokenised(name: str) -> str:
    """The name as a text's words are counted: "2x2" as "2 2", since a text writing "2 × 2" is counted so."""
    return _TIMES.sub(" ", name)


def _strong(word: str) -> bool:
    """A word that is a name on its own: an acronym (MGH, SARS) or a letter with digits after it (L1000, A100); not a
    modifier opening with its number ("4-bit" in "4-bit LoRA", "3D")."""
    if re.fullmatch(r"[IVX]+", word):  # "StarCraft II": a numeral of the name before it
        return False
    return sum(c.isupper() for c in word) >= 2 or (word[:1].isalpha() and any(c.isdigit() for c in word))


def _finished(run: list[str]) -> str:
    """The run as a name, without the function words it took at its end ("rated 1 or 2 for quality": "1 or 2")."""
    words = list(run)
    while words and words[-1].islower() and words[-1] in _FUNCTION_WORDS:  # "for", not the acronyms IS, WHO, NO
        words.pop()
    return " ".join(words)


# A dash joining two words: the en dash of "Kaplan–Meier" or "Navier–Stokes", the Unicode hyphens.
_DASH_BETWEEN = re.compile(r"(?<=\w)[\u2010\u2011\u2012\u2013](?=\w)")


def mentions(text: str, term: str, exact_acronym: bool = False, as_capitalised: bool = False) -> bool:
    """Whether text mentions term: a plural s and hyphen/space variants allowed; a name with capitals
    (SCoRe, DAFormer) is not matched by a plain lower-case word (score), though other capitalisations are (a mouse
    gene's "Aire" for "AIRE"). exact_acronym: an acronym only in capitals, for a title, whose words are capitalised
    anyway ("SELF" is not the "Self" of "Self-rationalization Improves ..."). as_capitalised: a capitalised word only with a
    capital (a word of a name found apart: "System", "Usability" and "Scale" are not any "system" and "scale")."""
    if _TIMES.search(term):  # "2x2" is written "2 × 2" or "2x2"
        term, text = _TIMES.sub("x", term), _TIMES.sub("x", text)
    if _LONG_NUMBER.search(term):  # "5000 travellers" is typeset "5 000 travellers" or "5,000 travellers"
        term, text = _THOUSANDS.sub("", term), _THOUSANDS.sub("", text)
    if "-" in term or _DASH_BETWEEN.search(term):  # "Kaplan-Meier" is typeset "Kaplan–Meier"
        term, text = _DASH_BETWEEN.sub("-", term), _DASH_BETWEEN.sub("-", text)
    stem = re.sub(r"s$", "", term) if len(term) > 3 else term
    lowered = text.lower()
    if not all(piece in lowered for piece in re.split(r"[\s\-]+", stem.lower()) if piece):
        return False  # a piece of the name is nowhere in the text: the pattern below cannot match (and costs far more)
    pattern = re.escape(stem).replace(r"\-", r"[\s\-]?").replace(r"\ ", r"[\s\-]?")
    # (one word capitalised only at its start is matched in any case: "Python" by "a simple python 3.8 routine"; not a
    # name of several words, which its capitals set apart: "Long Term Memory" is not any paper's "long-term memory")
    lenient = " " not in term.strip() and not as_capitalised
    has_capitals = any(c.isupper() for c in (term[1:] if lenient else term))
    acronym = exact_acronym and is_acronym(term)
    for match in re.finditer(rf"(?<![A-Za-z0-9]){pattern}s?(?![A-Za-z0-9])", text, re.IGNORECASE):
        found = match.group(0)
        if acronym and not re.sub(r"s$", "", found).isupper():
            continue
        if not has_capitals or any(c.isupper() or c.isdigit() for c in found):
            return True
    return False


def mentions_count(text: str, terms: Sequence[str]) -> int:
    """How many of the terms text mentions (names.mentions), each looked for only when the longest run of letters
    mentions would match is in the text: over a full text's thousand sentences and a paper's authors, most end there
    (9 authors: 59 -> 2 ms for 1,021 sentences)."""
    lowered = text.lower()
    return sum(mentions(text, term) for term in terms if _longest_letters(term) in lowered)


@lru_cache(maxsize=1024)
def _longest_letters(term: str) -> str:
    """The longest run of letters of the term as mentions matches it (its plural s off), lower-cased: mentions finds a
    term only where every piece of it, so this run, is in the lower-cased text ("" for a term without letters)."""
    stem = re.sub(r"s$", "", term) if len(term) > 3 else term
    return max(re.findall(r"[^\W\d_]+", stem.lower()), key=len, default="")


def mentions_apart(text: str, term: str) -> bool:
    """Whether text mentions term, or, for a name of capitalised words, each of its words: "the Early Acheulean Gona
    sample" asked of a paper on "the Early Acheulean" found "at Gona", "Texas RID filers" of one on Texas voters who
    filled out a RID."""
    if mentions(text, term):
        return True
    words = term.split()
    return (len(words) >= 2 and all((word[:1].isupper() and len(word) > 1) or word.isdigit() for word in words)
            and all(mentions(text, word, as_capitalised=True) for word in words))


def is_identifier(name: str) -> bool:
    """A name that is one thing's and nothing else's: an acronym or a word with inner capitals (MRI, ImageNet, ReBeT), or
    capitalised words without figures ("System Usability Scale"); not "2017 State" or "Hubble-like PSFs"."""
    words = [word for word in name.split() if word.lower() not in _FUNCTION_WORDS]  # "Under ReBeT": a question's opening
    if not words or any(c.isdigit() for c in name) or any(part[:1].islower() for word in words for part in word.split("-")):
        return False
    return len(words) >= 2 or is_acronym(words[0]) or has_inner_capitals(words[0])


def is_proper_word(name: str) -> bool:
    """One capitalised word of a question that is no function word, without figures, each part of it capitalised:
    "German", "Twitter", "Gazebo" (specific_terms leaves out a question's capitalised first word); not "Llama-based"."""
    parts = name.split("-")
    return (" " not in name and name.lower() not in _FUNCTION_WORDS and not any(c.isdigit() for c in name)
            and all(part[:1].isupper() for part in parts))


def spells_out(text: str, acronym: str) -> bool:
    """Whether text writes the acronym out as words whose initials spell it ("Markov chain Monte Carlo" for MCMC), for
    acronyms of three letters or more (two letters match too many word pairs), each word of three letters or more and
    none a function word."""
    letters = re.sub(r"s$", "", acronym) if is_acronym(acronym) else ""
    if len(letters) < 3:
        return False
    pattern = r"[\s-]+".join(rf"{letter}[a-z]{{2,}}" for letter in letters)  # words of three letters or more
    return any(not any(word.lower() in _FUNCTION_WORDS for word in re.split(r"[\s-]+", match.group(0)))  # not "is computed using"
               for match in re.finditer(rf"(?<![A-Za-z]){pattern}(?![A-Za-z])", text, re.IGNORECASE))


def is_acronym(name: str) -> bool:
    """DPO, APIs: all capitals (plural s allowed); BM25 already matches these exactly."""
    return re.fullmatch(r"[A-Z]{2,}s?", name) is not None


def has_inner_capitals(name: str) -> bool:
    """SCoRe, DAFormer, nuScenes, GPT-4-Turbo: case that carries identity, which lower-casing (as BM25 does) loses."""
    return not is_acronym(name) and any(c.isupper() for c in name[1:]) and any(c.islower() for c in name)


def own_name_of(title: str) -> str:
    """A paper's own name: its title before a colon, when that is short ("Agent-R" of "Agent-R: Training ...", "Put Your
    Money Where Your Mouth Is" of "Put Your Money Where Your Mouth Is: Evaluating ..."); else ""."""
    head, colon, _ = title.partition(":")
    return head if colon and 0 < len(head.split()) <= 8 else ""


def is_own_name(title: str, name: str) -> bool:
    """Whether name is the paper's own name (own_name_of), however hyphenated, spaced or starred: "Agent-R" and "Agent R"
    of "Agent-R: ...", "ReST-MCTS" of "ReST-MCTS*: ..."; not "MCTS" of it."""
    own = own_name_of(title)
    return bool(own) and _letters(own) == _letters(name)


def _letters(text: str) -> str:
    return re.sub(r"[\W_]", "", text).lower()
