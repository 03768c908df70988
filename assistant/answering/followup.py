"""Follow-up questions: whether a question leans on the conversation, and the subject it refers back to."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.answering.acronyms import spells
from assistant.names import is_acronym, specific_terms

# Words that point back at something named earlier ("how does it work?", "where is their code?"); "it" as in
# "is it true that ..." points at nothing.
_PRONOUN = re.compile(r"\b(it|its|they|them|their|theirs)\b(?!\s+(?:is|was)\s+(?:true|possible|known|said|likely)\b)",
                      re.IGNORECASE)
_POSSESSIVE = {"its", "their", "theirs"}
_SUBJECT = {"it", "they"}
_PLURAL = {"they", "them", "their", "theirs"}
_EXPLETIVE = re.compile(r"\b(is|was|isn't|wasn't)\s+it\s+(true|possible|known|the case)\b|\bit\s+(is|was)\s+(true|possible|known)\b",
                        re.IGNORECASE)
_DEMONSTRATIVE = re.compile(
    r"\b(this|that|these|those|the same|said|the)\s+(paper|papers|method|methods|model|models|approach|approaches|work|"
    r"works|study|studies|one|ones|system|systems|framework|technique|algorithm|authors?|agent|agents|benchmark|dataset|"
    r"architecture|network|pipeline|strategy|tool|idea)\b(?!\s+(that|which|on|about|of|for|in|where)\b)",
    re.IGNORECASE)
# What a demonstrative may point at that belongs to a paper rather than being it.
_OF_THE_PAPER = {"author", "authors", "benchmark", "dataset"}
# Something the question itself introduces, that a later "it" or "they" can point at: "does any paper quantize an LLM so
# it runs on a phone?", "which papers use DPO and what do they report?"
# ("which papers" is no antecedent of "it": "Which papers use it?", after "What is DPO?", asks about DPO)
_OWN_ANTECEDENT = re.compile(r"\b(a|an|any|some|each|every)\s+[\w-]+", re.IGNORECASE)
_OWN_PLURAL_ANTECEDENT = re.compile(r"\b(which|what)\s+(papers|works|methods|models|approaches|studies|systems|agents)\b",
                                    re.IGNORECASE)
# Questions that continue the previous one without a subject of their own: "what about HRDA?", "and the second one?"
_CONTINUATION = re.compile(r"^\s*(and|also|but|so|then|what about|how about|what else|same for)\b[\s,]*", re.IGNORECASE)
# A turn of the conversation: role, content, and for an answer optionally the ids of the papers it cited (in order, the
# papers past a list's limit after them).
Turn = Mapping[str, Any]
# "the first one", "the second paper", "the last method": one paper of the previous answer, by its place in it.
_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "fifth": 4, "5th": 4,
             "sixth": 5, "6th": 5, "seventh": 6, "7th": 6, "eighth": 7, "8th": 7, "ninth": 8, "9th": 8, "tenth": 9, "10th": 9,
             "last": -1}
_ORDINAL = re.compile(r"\bthe\s+(" + "|".join(_ORDINALS) + r")\s+(one|paper|method|model|approach|work|study|system|"
                      r"framework|technique|algorithm|agent|result|article)\b", re.IGNORECASE)
# "the first two", "the last three papers", "both papers": some papers of the previous answer, by their place in it.
_COUNTS = {"two": 2, "2": 2, "three": 3, "3": 3, "four": 4, "4": 4, "both": 2}
_FIRST_FEW = re.compile(r"\bthe\s+(first|top|last)\s+(two|three|four|2|3|4)(\s+(?:papers|ones|methods|works|studies|approaches|"
                        r"models|articles))?\b|\b(both)(\s+(?:papers|methods|works|studies|approaches|models|articles|of them))\b",
                        re.IGNORECASE)
# "these papers", "those methods", "which of them", "among these": every paper of the previous answer.
_THESE = re.compile(r"\b(these|those|the above|all (?:of )?(?:these|those|the))\s+(papers|works|studies|methods|approaches|"
                    r"ones|articles|models|systems)\b|\b(?:of|among|in|between)\s+(them|these|those)\b", re.IGNORECASE)
# "it" or "them" as the object of a verb ("how does the third one use it?"), not its subject ("how does it work?").
_OBJECT_PRONOUN = re.compile(r"(?<!\bdoes )(?<!\bdo )(?<!\bdid )(?<!\bis )(?<!\bare )(?<!\bwas )(?<!\bwere )(?<!\bcan )"
                             r"(?<!\bcould )(?<!\bwould )(?<!\bwill )(?<!\bshould )(?<!\bhas )(?<!\bhave )(?<!\band )"
                             r"(?<!^)\b(it|them)\b(?!\s+(?:is|was|are|were)\b)", re.IGNORECASE)
_WHAT_ABOUT = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(.+?)\s*\??\s*$", re.IGNORECASE)
# Content words that say what is asked, not what it is about.
_GENERIC = set("""paper papers method methods model models approach work works study studies result results dataset datasets
data evaluate evaluated evaluation evaluations benchmark benchmarks improve improves improved improvement improvements
performance perform performs use uses used using code authors author propose proposes proposed show shows main
contribution contributions limitation limitations achieve achieves achieved accuracy score scores compare compared
baseline baselines train trained training test tested experiment experiments work works find finds found key idea ideas
better best much many good number numbers problem problems task tasks one ones do does did get gets first second third
last next other others previous former latter more else""".split())
_WORDS = re.compile(r"[A-Za-z][A-Za-z\-]+")
_STOP = set("""what which who whom whose why how where when is are was were be been the a an of in on for to and or with by from
at as it its they them their theirs this that these those does do did can could should would will has have had about
any there here than then also but so same said please tell me us""".split())


@dataclass(frozen=True)
class FollowUp:
    """How a question was read against the conversation: the question searched, or a request to say what is meant."""

    searched: str
    unresolved: str | None = None  # the words that refer back to nothing (paper_ids: the papers there were to choose from)
    paper_ids: tuple[str, ...] = ()  # the papers of the previous answer it is asked of ("the first one", "these papers")
    pointer: str | None = None  # the words that pointed at them


def refers_back(question: str) -> bool:
    """Whether the question points at something named earlier instead of naming its own subject."""
    if _ORDINAL.search(question) or _THESE.search(question) or _FIRST_FEW.search(question):
        return True
    text = _EXPLETIVE.sub(" ", question)
    pronoun = _PRONOUN.search(text)
    plural = pronoun is not None and pronoun.group(1).lower() in _PLURAL
    if pronoun and (_OWN_ANTECEDENT.search(text[: pronoun.start()])
                    or plural and _OWN_PLURAL_ANTECEDENT.search(text[: pronoun.start()])):
        pronoun = None  # "it" points at what the question itself introduced
    if pronoun and _names_own_antecedent(text, pronoun):
        pronoun = None  # "What GPU did LAGraph use for its benchmarks?": LAGraph's, not the previous answer's paper
    if pronoun or _DEMONSTRATIVE.search(text) or _WHAT_ABOUT.match(question):
        return True
    # "and the second one?" continues; "And which papers use DPO?" is a new question that names its subject.
    opener = _CONTINUATION.match(question)
    return opener is not None and not has_own_subject(question[opener.end():])


def _names_own_antecedent(text: str, pronoun: re.Match[str]) -> bool:
    """Whether a pronoun points at a name the question gives before it: a possessive ("What GPU did LAGraph use for its
    benchmarks?") or a subject ("What benchmarks does WebRL evaluate on and how well does it do?"). An object still points
    back ("How does HRDA improve on it?")."""
    word = pronoun.group(1).lower()
    if word not in _POSSESSIVE and word not in _SUBJECT or not specific_terms(text[: pronoun.start()]):
        return False
    return word in _POSSESSIVE or _OBJECT_PRONOUN.match(text, pronoun.start()) is None


def has_own_subject(question: str) -> bool:
    """Whether the question names what it is about: a name, or content words beyond the generic ones."""
    if specific_terms(question):
        return True
    words = [w.lower() for w in _WORDS.findall(_EXPLETIVE.sub(" ", question))]
    return any(w not in _STOP and w not in _GENERIC for w in words)


def subject_of(history: Sequence[Turn], title_of: Callable[[str], str | None],
               known_titles: Callable[[], Iterable[str]]) -> list[str]:
    """Short names of what the previous turn was about: the term it asked to define ("What is DPO?": "Which papers use
    it?" asks about DPO, not the paper quoted for it), else the papers its answer cited, else the names its question used."""
    defined = _defined_term(previous_question(history))
    for message in reversed(history):
        if message.get("role") == "assistant":
            ids: object = message.get("paper_ids")
            titles: list[str] = [t for t in (title_of(str(pid)) for pid in ids) if t] if isinstance(ids, list) else []
            if not titles:
                text = str(message.get("content", "")).replace("\\", "")
                titles = [t for t in known_titles() if t and t in text]
            if titles:
                names = list(dict.fromkeys(short_name(t) for t in titles))
                if defined and not any(_names_paper(defined, title) for title in titles):
                    return [defined]
                return names[:2]
        elif message.get("role") == "user":
            names = specific_terms(str(message.get("content", "")))
            if names:
                return names[:2]
            return []
    return []


# "What is DPO?", "What does MCTS stand for?", "Explain RLHF": a term asked to be defined.
_DEFINITION = re.compile(r"^\W*(?:what\s+(?:is|are)\s+(?:an?\s+|the\s+)?|what\s+is\s+meant\s+by\s+|what\s+(?:does|do)\s+|explain\s+|"
                         r"define\s+)(?P<term>.+?)(?:\s+(?:stand for|mean|short for))?\W*$", re.IGNORECASE)


def _defined_term(question: str) -> str | None:
    """The name a definition question asks about ("DPO" of "What is DPO?"), when that is all it names; else None."""
    match = _DEFINITION.match(question)
    names = specific_terms(question) if match else []
    return names[0] if len(names) == 1 and names[0] == match.group("term").strip() else None  # type: ignore[union-attr]


def _names_paper(term: str, title: str) -> bool:
    """Whether a term is a paper's own name: in its title, or spelled by the initials of its title's first words ("SPPO" of
    "Self-Play Preference Optimization for ...")."""
    if term.lower() in title.lower():
        return True
    words = re.findall(r"\w+", title)
    return is_acronym(term) and any(spells(words[:end], term) for end in range(1, len(words) + 1))


def short_name(title: str) -> str:
    """What people call a paper: the part before the colon of "DAFormer: Improving ...", else the title."""
    head = title.split(":", 1)[0].strip()
    return head if head != title and len(head.split()) <= 5 else title


def resolve(question: str, history: Sequence[Turn], title_of: Callable[[str], str | None],
            known_titles: Callable[[], Iterable[str]]) -> FollowUp:
    """The question to search: itself when it stands alone, else with what it refers to put in its place."""
    if not refers_back(question):
        return FollowUp(question)
    subject = subject_of(history, title_of, known_titles)
    previous = previous_question(history)
    if not subject:
        if previous:
            return FollowUp(f"{previous} {question}")  # the earlier question named nothing either: search both
        if has_own_subject(question):
            return FollowUp(question)
        pointer = _pointer(question)
        return FollowUp(question, unresolved=pointer)
    name = " and ".join(subject)
    about = _WHAT_ABOUT.match(question)
    if about:  # "what about HRDA?": the previous question, asked of the new subject
        new = about.group(1)
        asked = previous
        for old in subject:
            asked = re.sub(re.escape(old), new, asked, flags=re.IGNORECASE)
        return FollowUp(asked if asked != previous else f"{previous} {new}".strip())
    searched = _replace_pointer(_CONTINUATION.sub("", question, count=1) or question, name)
    if searched == question or name.lower() not in searched.lower():
        searched = f"{question} ({name})"
    return FollowUp(searched[:1].upper() + searched[1:])


def _pointer(question: str) -> str:
    text = _EXPLETIVE.sub(" ", question)
    match = _ORDINAL.search(text) or _DEMONSTRATIVE.search(text) or _PRONOUN.search(text)
    return match.group(0) if match else question.split()[0]


def _replace_pointer(question: str, name: str) -> str:
    """The question with its first pointer ("it", "this method", "their") replaced by name."""
    demonstrative = _DEMONSTRATIVE.search(question)
    if demonstrative:
        # "the authors", "this dataset": something of the paper, not the paper ("Who are the authors?" was searched as
        # "Who are A general model for ...?")
        replacement = f"{demonstrative.group(0)} of {name}" if demonstrative.group(2).lower() in _OF_THE_PAPER else name
        return question[: demonstrative.start()] + replacement + question[demonstrative.end():]
    pronoun = _PRONOUN.search(_EXPLETIVE.sub(lambda m: " " * len(m.group(0)), question))
    if pronoun:
        word = pronoun.group(1).lower()
        replacement = f"{name}'s" if word in ("its", "their", "theirs") else name
        return question[: pronoun.start()] + replacement + question[pronoun.end():]
    return question


def previous_question(history: Sequence[Turn]) -> str:
    """The conversation's last question ("" when there is none)."""
    return next((str(m.get("content", "")) for m in reversed(history) if m.get("role") == "user"), "")


def previous_papers(history: Sequence[Turn]) -> list[str]:
    """The ids of the papers the last answer of the conversation cited, in its order (none when it cited none)."""
    for message in reversed(history):
        if message.get("role") == "assistant":
            ids: object = message.get("paper_ids")
            return list(dict.fromkeys(str(pid) for pid in ids)) if isinstance(ids, list) else []
    return []


def scope(question: str, history: Sequence[Turn], title_of: Callable[[str], str | None]) -> FollowUp | None:
    """The question asked of papers of the previous answer, by place ("the first one") or all of them ("these papers");
    None when it points at no such list. Out of range ("the third one" after two papers) is unresolved."""
    few = _FIRST_FEW.search(question)
    if few is not None:
        return _first_few(question, few, previous_papers(history), title_of)
    ordinal, these = _ORDINAL.search(question), _THESE.search(question)
    if ordinal is None and these is None:
        return None
    ids = previous_papers(history)
    pointer = ordinal.group(0) if ordinal else these.group(0) if these and these.group(1) else "these papers"
    if not ids:
        return None
    if ordinal is None:
        return FollowUp(question, paper_ids=tuple(ids), pointer=pointer)
    place = _ORDINALS[ordinal.group(1).lower()]
    if place >= len(ids):
        return FollowUp(question, unresolved=pointer, paper_ids=tuple(ids))
    chosen = ids[place]
    title = title_of(chosen)
    searched = question if not title else question[: ordinal.start()] + short_name(title) + question[ordinal.end():]
    searched = _object_named(searched, history)
    return FollowUp(searched[:1].upper() + searched[1:], paper_ids=(chosen,), pointer=pointer)


def _first_few(question: str, few: re.Match[str], ids: list[str], title_of: Callable[[str], str | None]) -> FollowUp | None:
    """"How do the first two differ?": the question asked of those papers of the previous answer, named in its place; None
    when there was no previous answer with papers, unresolved when it had fewer than asked for."""
    if not ids:
        return None
    count = _COUNTS[(few.group(2) or few.group(4)).lower()]
    if count > len(ids):
        return FollowUp(question, unresolved=few.group(0), paper_ids=tuple(ids))
    chosen = ids[-count:] if (few.group(1) or "").lower() == "last" else ids[:count]
    names = [short_name(title) for title in (title_of(pid) for pid in chosen) if title]
    searched = question[: few.start()] + " and ".join(names) + question[few.end():] if len(names) == count else question
    return FollowUp(searched[:1].upper() + searched[1:], paper_ids=tuple(chosen), pointer=few.group(0))


def _object_named(question: str, history: Sequence[Turn]) -> str:
    """"How does SWE-Search use it?" after "Which papers use Monte Carlo Tree Search?": the "it" a verb takes is what the
    previous question named (its names, names.specific_terms), put in its place; left as it is when that named nothing."""
    previous = previous_question(history)
    names = specific_terms(previous)
    pronoun = _OBJECT_PRONOUN.search(_EXPLETIVE.sub(lambda m: " " * len(m.group(0)), question))
    if not names or pronoun is None:
        return question
    return question[: pronoun.start()] + " and ".join(names[:2]) + question[pronoun.end():]
