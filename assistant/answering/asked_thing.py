"""What a question asks for ("Which eye tracker ...", "What odds ratio ..."), and whether a paper's text speaks of it
at all: a paper that never names a kind of thing names no instance of it."""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.evidence import terms
from assistant.lexical import tokenize
from assistant.names import specific_terms

# Words of "which papers use/study/propose ..." that say nothing about the topic (stemmed, as terms() gives them).
GENERIC_TERMS = terms("paper papers work works study studies use uses used using method methods approach approaches "
                      "propose proposes research article articles collection here there any which what list name find show "
                      "model models learning")
# Words a question asks for that name no kind of thing ("What kind of ...", "Which version ...", "What happens ...") or
# name a measure, which a text gives as a figure without naming it ("What AED cutoff was used?" of "genes with an AED
# above 0.47 were removed"): never unheard.
NO_KIND = terms("kind kinds type types sort sorts version versions value values number numbers way ways part parts one "
                "ones thing things aspect aspects form forms main key best first last other new cutoff cutoffs threshold "
                "thresholds rate rates ratio ratios size sizes level levels amount amounts score scores percentage share "
                "proportion count counts length duration period time range limit limits setting settings parameter "
                "parameters criterion criteria happen happens happened cause causes caused make makes made explain "
                "explains determine determines affect affects drive drives "
                # Umbrella words: a text names the instance ("an AMD EPYC 7282", "R 4.2", "a Garmin watch"), rarely the
                # umbrella ("What hardware ...?", "Which software ...?").
                "hardware machine machines computer computers equipment device devices software tool tools setup brand brands "
                # Qualifiers, which say which one, not what kind: "What real dataset ...?" of a paper that says "empirical".
                "real actual exact precise specific particular certain overall total final initial typical approximate")
# A form of the word a text does use shares this many letters of its stem ("subdividing" and "subdivision",
# "coevolving" and "coevolution").
NEAR_FORM_LETTERS = 6
# What a question asks for is judged against one paper when it is named in this many words or more (unspoken_asked_for).
ASKED_FOR_WORDS = 2
# "What odds ratio for hypertension did ...", "Which brand of eye tracker was ...": the words between which/what and the
# verb, a noun phrase (not "which instrument took ...": a verb of its own ends no noun phrase here; nor "What percentage of
# people ...", nor "What technology produced antibodies that are ...").
_NOT_IN_PHRASE = (r"(?!(?:that|which|who|whom|whose|where|when|why|how|of|is|are|was|were|did|does|do|has|have|had|can|could|"
                  r"would|will|should|may|might|must)\b)")
_ASKED_PHRASE = re.compile(rf"\b(?:which|what)\s+(?:(?:kind|type|sort|brand|make|model|version|form|family|class|category)s?\s+"
                           rf"of\s+)?((?:{_NOT_IN_PHRASE}[\w()-]+\s+){{0,5}}?{_NOT_IN_PHRASE}[\w()-]+)\s+(?:is|are|was|were|did|"
                           r"does|do|has|have|had|can|could|would|will|should|may|might|must)\b", re.IGNORECASE)
# Words naming a measure or a part of one, which a text gives without naming (a "growth factor" of "multiplied by 1.5", a
# "runtime gain" of "ten times faster"), on top of NO_KIND's.
_MEASURE_WORDS = terms("factor factors minimum maximum mean average median gain gains baseline baselines library libraries "
                       "package packages cut-off cut-offs")


def unspoken_asked_for(question: str, text: str) -> list[str]:
    """What a which/what question asks for, named in two words or more ("What odds ratio for hypertension ...", "Which
    eye tracker ..."), that a paper's whole text never uses in any near form: a word of it, as the question writes it
    ("odds", "eye", "tracker"). A text naming no odds ratio gives none; one never mentioning an eye tracker names none.
    One word asked for is too little to tell ("What organ ...?" is answered "the lung"), and generic words ("value",
    "hardware", "software") are answered by instances, never named; [] when nothing is missing."""
    match = _ASKED_PHRASE.search(question)
    asked = terms(match.group(1)) if match else set()
    if len(asked) < ASKED_FOR_WORDS:
        return []
    wanted = asked - GENERIC_TERMS - NO_KIND - _MEASURE_WORDS - set().union(*(terms(name) for name in specific_terms(question)))
    if not wanted:
        return []
    used, beginnings = _words_of(text)
    missing = {stem for stem in wanted if stem not in used and _british_or_american(stem) not in used
               and not (len(stem) >= NEAR_FORM_LETTERS and stem[:NEAR_FORM_LETTERS] in beginnings)}
    return as_written(question, missing)


@lru_cache(maxsize=32)
def _words_of(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """A text's stemmed words and their beginnings (a whole paper's: ~20 ms for 120,000 characters, so kept for the next
    question about the same paper)."""
    used = frozenset(terms(text))
    return used, frozenset(word[:NEAR_FORM_LETTERS] for word in used)


def _british_or_american(stem: str) -> str:
    """The stem as the other spelling writes it ("polaris" / "polariz", "behaviour" / "behavior")."""
    swapped = stem.replace("is", "iz") if "is" in stem else stem.replace("iz", "is")
    return swapped.replace("our", "or") if "our" in swapped else swapped


def as_written(question: str, stems: set[str]) -> list[str]:
    """The question's words whose stems are among these, as it writes them, once each, in its order."""
    return [word for word in dict.fromkeys(re.findall(r"[\w-]+", question)) if set(tokenize([word])[0]) & stems]
