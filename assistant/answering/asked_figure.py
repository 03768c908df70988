"""The figure a question pins down: a unit it names ("What tidal volume in mL/kg ...?") or a version ("Which Python
version ...?"), and whether a sentence states one.

A paper that never gives that figure does not answer, however closely its sentences match the rest of the question:
"ventilated using a low tidal volume strategy" is no tidal volume in mL/kg, and "using the Python programming language
[42]" names no version.
"""

from __future__ import annotations

import re

_UNIT_NAME = (r"(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|ms|µs|us|ns|s|h|"
              r"hz|khz|mhz|ghz|w|kw|mw|gw|wh|kwh|mwh|gwh|j|kj|mj|ev|mev|kev|pa|kpa|mpa|gpa|bar|n|kn|"
              r"m|mm|cm|km|nm|µm|um|g|mg|kg|µg|l|ml|µl|db|k|°c|percent|gb|mb|tb|ppm|ppb|mol|mmol|µm|v|mv|kv|ma|"
              r"ω|ohms?|tonnes?|tons?|lit(?:er|re)s?|met(?:er|re)s?)")
# "in mL/kg were", "in Hz,", "in seconds?", "in m2/g,": a unit after "in", then what closes the question's noun phrase (so that
# "in PD patients" or "in MS" is no unit).
_ASKED_UNIT = re.compile(rf"\bin (?P<unit>{_UNIT_NAME}[²³23]?(\s?/\s?{_UNIT_NAME}[²³23]?)?)"
                         r"(?=\s*[,?.]|\s+(was|were|is|are|did|does|do|has|have|had|for|of|at|on|that|when|after|before)\b)",
                         re.IGNORECASE)
# A unit as the texts write it, where its name has other forms ("12 h", "3.5 s", "90 min").
_WRITTEN = {
    "second": r"(s|secs?|seconds?)", "minute": r"(min|mins|minutes?)", "hour": r"(h|hrs?|hours?)",
    "day": r"(d|days?)", "week": r"(wks?|weeks?)", "month": r"(mo|months?)", "year": r"(yrs?|years?)",
    "percent": r"(%|percent|per cent)", "liter": r"(l|lit(er|re)s?)", "litre": r"(l|lit(er|re)s?)",
    "meter": r"(m|met(er|re)s?)", "metre": r"(m|met(er|re)s?)", "tonne": r"(t|tonnes?|tons?)", "ton": r"(t|tonnes?|tons?)",
    "ohm": r"(ω|ohms?)",
}
_WRITTEN.update({"sec": _WRITTEN["second"], "min": _WRITTEN["minute"], "hr": _WRITTEN["hour"], "yr": _WRITTEN["year"]})
_NUMBER = (r"(?<![\w\[.])(\d[\d,]*(\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
           r"forty|fifty|sixty|hundred|thousand|half)")
# (not "which classic lemma do they prove an adaptive version of?": the version asked for comes within a few words)
_VERSION_ASKED = re.compile(r"\b(which|what) ([\w-]+ ){0,3}(version|release)\b(?! of\b)|\b(which|what) (version|release) of\b",
                            re.IGNORECASE)
# "4.0.3", "v6.0", "version 2", "IntCal20", "the May 2021 release"
_VERSION = re.compile(r"\d+\.\d+|\bv\.?\s?\d|\bversion\s*\d|\b(19|20)\d\d\b|\b[A-Za-z]+\d{2,}\b")
_CITATION_MARKER = re.compile(r"\[\d[\d,\s–-]*\]")


_SUPERSCRIPTS = str.maketrans("²³", "23")  # "m²" as a PDF's text has it after NFKC: "m2"


def is_unit(word: str) -> bool:
    """Whether the word names a unit ("minutes", "kWh", "GB")."""
    return re.fullmatch(_UNIT_NAME, word, re.IGNORECASE) is not None


def asked_unit(question: str) -> str | None:
    """The unit the question wants its figure in ("mL/kg", "seconds"), if it names one."""
    match = _ASKED_UNIT.search(question)
    return match.group("unit") if match else None


def asks_for_version(question: str) -> bool:
    """ "Which FSL version ...?", "Which version of COMSOL ...?": the answer is a version."""
    return bool(_VERSION_ASKED.search(question))


# "which FSL version", "what python version": the words between which/what and "version" name what it is a version of.
_VERSION_OF = re.compile(r"\b(?:which|what) ((?:[\w-]+ ){1,3})(?:version|release)\b(?! of\b)", re.IGNORECASE)


def version_of(question: str) -> str | None:
    """What a version is asked of, as the question writes it ("python" of "what python version and hardware ...?"), when
    it names it before "version"; else None."""
    match = _VERSION_OF.search(question)
    return match.group(1).strip() if match else None


def what_is_asked(question: str) -> str | None:
    """The figure the question pins down, in words ("a figure in mL/kg", "a version"), or None."""
    unit = asked_unit(question)
    if unit:
        return f"figure in {unit}"
    return "version" if asks_for_version(question) else None


def states_asked_figure(question: str, text: str) -> bool:
    """Whether text states the figure the question pins down: a number in its unit, or a version (True when the question
    pins down neither)."""
    unit = asked_unit(question)
    if unit:
        return bool(_figure_in(unit).search(text.translate(_SUPERSCRIPTS)))
    if asks_for_version(question):
        return bool(_VERSION.search(_CITATION_MARKER.sub(" ", text)))
    return True


def _figure_in(unit: str) -> re.Pattern[str]:
    """A number followed by the unit as texts write it: "0.06 ml/ kg", "6 mL kg−1" (the first part of a unit per unit
    stands for it), "12 h", "3,600 seconds"."""
    first = re.split(r"\s?/\s?", unit.lower().translate(_SUPERSCRIPTS))[0]
    written = _WRITTEN.get(re.sub(r"s$", "", first)) if first not in ("s", "ms", "us", "ns") else None
    pattern = written or re.escape(first)
    return re.compile(rf"{_NUMBER}\s?(-\s?)?{pattern}(?![a-z])", re.IGNORECASE)


# Digits that state no figure: a label's number ("Fig. 2", "Table S1", "Eq. (3)", "Section 4.2"), a citation's ("[12]",
# "Smith et al., 2020"), an identifier's ("Z802", "GPT-4", "SDATA-18").
_LABEL_NUMBER = re.compile(r"\b(fig(ure)?s?|tables?|sections?|sec|eqs?|equations?|appendix|appendices|chapters?|panels?|"
                           r"algorithms?|theorems?|lemmas?|propositions?|definitions?)\.?\s*\(?[A-Z]?\d+(\.\d+)*[a-z]?\)?"
                           r"(\s*(,|and|–|-|to)\s*\(?[A-Z]?\d+(\.\d+)*[a-z]?\)?)*", re.IGNORECASE)
_AUTHOR_YEAR = re.compile(r"\b[A-Z][\w'-]+(\s+et\s+al\.?|\s+(and|&)\s+[A-Z][\w'-]+)?,?\s+\(?(19|20)\d\d[a-z]?\b")
_IDENTIFIER = re.compile(r"\b[A-Za-z]+[-_]?\d+[A-Za-z\d]*\b")
_DIGITS = re.compile(r"\d")
_NUMBER_WORD = re.compile(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|hundred|"
                          r"thousand|million|billion|twice|double|triple|half|percent|dozens?)\b", re.IGNORECASE)
_QUESTION_NUMBER = re.compile(r"\d[\d,.]*\w*")


def states_a_figure(text: str, question: str = "") -> bool:
    """Whether text states a figure: digits or a number word, not counting those of a label ("Fig. 2. Light curve ..."),
    a citation, an identifier ("Function Z802") or a figure the question already gives ("GRB 120711A", "1,989 articles")."""
    for number in set(_QUESTION_NUMBER.findall(question)):
        text = re.sub(rf"(?<![\w.]){re.escape(number.rstrip('.,'))}(?!\w)", " ", text)
    for pattern in (_CITATION_MARKER, _LABEL_NUMBER, _AUTHOR_YEAR, _IDENTIFIER):
        text = pattern.sub(" ", text)
    return has_quantity(text)


def has_quantity(text: str) -> bool:
    """Whether text holds digits or a number word at all (labels and citations too: the answerability model's figure
    feature was fitted reading it so)."""
    return bool(_DIGITS.search(text) or _NUMBER_WORD.search(text))
