"""The offline answerer: quotes the abstract sentences that best answer the question and cites each one."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from bm25s.stopwords import STOPWORDS_EN_PLUS

from assistant.chunking import place
from assistant.evidence import Reading, Scorer, Sentence, SentenceBank, share_held, terms
from assistant.lexical import tokenize
from assistant.markdown import escape_markdown
from assistant.names import (is_acronym, is_identifier, is_own_name, is_proper_word, mentions, mentions_apart, mentions_count,
                             specific_terms, spells_out)
from assistant.models import Citation, Draft, Hit, PaperRef, listed_names
from assistant.params import DEFAULT_EXTRACTIVE, ExtractiveParams
from assistant.prompts import NO_ANSWER
from assistant.answering.acronyms import Acronym, defined_acronyms
from assistant.answering.asked_thing import GENERIC_TERMS, unspoken_asked_for
from assistant.answering.asked_figure import is_unit, states_a_figure, states_asked_figure, version_of, what_is_asked
from assistant.answering.word_forms import compounds, holds_compound

# A question for the code or the project's page asks where it is or whether it is out: "where is the code?", "is the
# AutoManual code released?", "link to the repo?". "How many threads per block does the CUDA implementation launch?"
# names the code but asks about the paper.
_CODE_THING = re.compile(r"\b(code|github|repo|repository|implementation|source|link|url|project (page|site|website)|"
                         r"website|homepage)\b", re.IGNORECASE)
_CODE_ASK = re.compile(r"\b(where|link|url|github|repo|repository|released?|available|availability|open[- ]sourced?|"
                       r"download|public(ly)?|find|access)\b|^\W*(the\s+|any\s+)?" + _CODE_THING.pattern,  # "project site for X?"
                       re.IGNORECASE)
# "Which papers ...", "Is there a method ...", "any work on ...": questions answered by a list of papers.
_LIST_QUESTION = re.compile(
    r"\b(which|what|any|are there|is there|list|name|find)\b(?P<gap>.{0,40})\b(?P<noun>papers?|works?|studies|articles|methods?|approach(es)?|research)\b"
    r"(?P<after>\s+\w+)?", re.IGNORECASE)
# Not a list: one paper, or a thing of one, asked about. "What does the DAFormer paper propose?", "What is the main finding
# of the paper?" (a paper that the words before it pin down: "the", "this", or a verb: "does", "is"); "Which method does
# HRDA use?", "What methods did DAFormer compare against?" (a method asked for, of a paper the question names).
_ONE_PAPER_PINNED = re.compile(r"\b(the|this|that|its|their|his|her|our|your|does|did|do|is|was)\b", re.IGNORECASE)
_SINGULAR_NOUNS = {"paper", "work", "study", "article", "method", "approach"}
# "Who wrote the DAFormer paper?", "Who are the authors of SMART?": the authors, from the paper's record.
_AUTHOR_QUESTION = re.compile(r"\bwho (wrote|authored|are the authors|is the author|were the authors)\b|"
                              r"\b(list|name|give) (me )?the authors\b|^\W*(the )?authors of\b", re.IGNORECASE)
MAX_AUTHORS = 5  # named in an answer; more are "and others"
# "How many papers are about trading?": the collection's papers counted, answered by their list.
_PAPER_COUNT = re.compile(r"\bhow many (of the |of these )?(papers?|works|studies|articles|publications)\b", re.IGNORECASE)
# "Is there a method ...", "any work on ...": asks whether one exists (the best evidence answers), not for every paper.
_ONE_ASKED_FOR = re.compile(
    r"\b(is there|any)\s+(a\s+|an\s+|one\s+|some\s+)?([\w-]+\s+)?(paper|work|study|article|method|approach|way|technique|"
    r"framework|system|model|research)\b", re.IGNORECASE)
# "How many ...", "what percentage ...", "by how much ...": the answer must be a figure.
# The answerability model's figure features were fitted with _FITTED_QUANTITY alone; a feature read differently from its
# fit shifts the model ("How far did the plover flock fly?" fell from answered to 0.05), so it keeps that one.
_FITTED_QUANTITY = re.compile(
    r"\b(how (many|much|long|large|big|fast|often)|by how much|what (percentage|percent|fraction|share|proportion|number|"
    r"accuracy|score|win rate|success rate|rate)|what ([\w-]+ ){1,2}(accuracy|score|rate)|in what percentage)\b",
    re.IGNORECASE)  # "what word error rate", "what F1 score", "what top-1 accuracy"
# More questions for a figure, for routing and quoting: "how far", "what speedup", "what speed", "which version", "what
# was the highest".
_MORE_QUANTITY = re.compile(
    r"\b(how (far|high|low|small)|what (speed-?up|values?|threshold|factor|speed|velocity|temperature|distance|latency|"
    r"duration|dose|dosage|budget)|what ([\w-]+ ){1,2}(speed-?up|values?|threshold|factor|speed|velocity|temperature|"
    r"distance|latency|duration|dose|dosage|budget)|which version|what (average|mean|median|total)(?![\w-])|"
    r"what\b[^?]{0,40}\b(highest|lowest|largest|smallest|maximum|minimum|peak))\b", re.IGNORECASE)
# A paper's list of keywords, read with its abstract: never quoted, unless asked for.
_KEYWORD_LINE = re.compile(r"\s*(key\s?words?|index terms|subjects?|jel classification|ccs concepts)\s*[:.—–-]", re.IGNORECASE)
_KEYWORDS_ASKED = re.compile(r"\b(key\s?words?|index terms|subjects?)\b", re.IGNORECASE)
# "Which GPU was ...", "what type of CPU did ...": the word before the verb is the kind of thing asked for.
_ASKED_KIND = re.compile(r"\b(?:which|what)\s+(?:(?:kind|type|sort|model|brand|make) of\s+)?([A-Za-z][\w-]*)\s+"
                         r"(?:was|were|is|are|did|does|do|has|have|had)\b", re.IGNORECASE)
# "How many GPUs ...": what is counted, which the paper must mention for its figures to be about it.
_COUNTED = re.compile(r"\bhow many ([A-Za-z][\w\-]*)", re.IGNORECASE)
_NOT_COUNTED = {"fewer", "more", "less", "times", "of", "other", "different"}
# A paper in brief ("Summarize the DAFormer paper") quotes this many sentences of its abstract.
SUMMARY_SENTENCES = 3
# A second sentence joins a quote when the reader scores it within this many logits of the best one (and above its own
# threshold): the fact spans both.
READER_MARGIN = 2.0
# Quotes read by the reader when it does not rank papers (ASSISTANT_READER_QUOTES, off by default): each cited paper's
# QUOTE_SHORTLIST sentences that cosine and shared words put first (more for a single-paper answer), at most
# QUOTE_BUDGET pairs a question, one batch; the quote is the sentence the reader scores highest, the cosine-and-words
# score added with QUOTE_MIX_WEIGHT (20 and 60 tried on the seeds: at best as good as quoting without the reader,
# docs/READER.md).
QUOTE_SHORTLIST = 4
QUOTE_SHORTLIST_ONE_PAPER = 6
QUOTE_BUDGET = 12
QUOTE_MIX_WEIGHT = 0.0
# A full text quoted alone (ASSISTANT_READER_QUOTES=full-text, the default): the quote is the reader's pick and the
# quote score's best sentence on the pick's page, the pick being the first by the reader's logit + FULL_TEXT_MIX_WEIGHT x
# the quote score among the FULL_TEXT_SHORTLIST sentences the quote score puts first. Chosen on COVID-QA's FIT papers
# (924 questions asked of their own full text), then reported on its HELD papers and the real-PDF sets (docs/READER.md).
FULL_TEXT_SHORTLIST = 24
FULL_TEXT_MIX_WEIGHT = 5.0
# A paper whose title names the names the question asks about ("What is SMART evaluated on?", SMART's paper titled
# "SMART: ...") is ranked first among the hits: larger than any sentence score and fused score together (a share of it
# for a share of the names: "How do Long Term Memory and MANSA differ?").
TITLE_NAME_BONUS = 2.0


@dataclass(frozen=True)
class _Scored:
    sentence: Sentence
    score: float  # for ranking papers: base plus bonuses for names and numbers
    base: float  # cosine plus shared words: what the evidence threshold is judged on
    quote: float  # for choosing the quote within its paper: as score, but the names its title carries earn nothing
    antecedent: Sentence | None = None  # the sentence before, which it points back to and was read with (then quoted with)


def is_list_question(question: str) -> bool:
    """ "Which papers ...", "is there a method ...", "any work on ...": answered by a list of papers ("how many papers ..."
    too, once as_list_question has read it so)."""
    match = _LIST_QUESTION.search(question)
    if match is None:
        return False
    noun, after = match.group("noun").lower(), (match.group("after") or "").strip().lower()
    if noun in _SINGULAR_NOUNS and _ONE_PAPER_PINNED.search(match.group("gap")):
        return False
    return not (after in ("does", "did", "do") and (noun in _SINGULAR_NOUNS or noun in ("methods", "approaches")))


def as_list_question(question: str) -> str:
    """ "How many papers are about trading?" read as "which papers are about trading?": the list answers it, and its
    length is the count (the words "how many" are no topic a paper should hold)."""
    return _PAPER_COUNT.sub(lambda match: "which " + match.group(2), question)


def asks_for_every_paper(question: str) -> bool:
    """ "Which papers ...", "are there papers ...": a list of every paper that bears on it, not "is there a method ..."."""
    return is_list_question(question) and not _ONE_ASKED_FOR.search(question)


def asks_whether_any(question: str) -> bool:
    """ "Is there any work on ...?", "Any paper that ...?": whether the collection holds something on a topic at all."""
    return is_list_question(question) and bool(_ONE_ASKED_FOR.search(question))


def _quoted(terms_: list[str]) -> str:
    return ", ".join(f"“{escape_markdown(t)}”" for t in terms_)


def is_author_question(question: str) -> bool:
    """ "Who wrote the DAFormer paper?", "Who are the authors of ...?": answered from the paper's record."""
    return bool(_AUTHOR_QUESTION.search(question))


# "Summarize the DAFormer paper", "Give me a brief overview of ...", "What is the paper on X about?": one paper in brief.
_SUMMARY_QUESTION = re.compile(r"^\W*(summari[sz]e|give (me )?(an? )?((short|brief|quick) )?(summary|overview)|tl;?dr)\b"
                               r"|^\W*what(\s+i|')s\s+(the|this)\b.*\b(paper|article|study|preprint)\b.*\babout\W*$", re.IGNORECASE)


# A question about several papers ("Summarize the papers on X", "What do the papers on X find?"): a list, never one paper.
_SEVERAL_PAPERS = re.compile(r"\b(papers|articles|studies|works)\b", re.IGNORECASE)


def is_summary_question(question: str) -> bool:
    """Whether the question asks for one paper in brief (never "Summarize the papers on X": a list of papers)."""
    return bool(_SUMMARY_QUESTION.search(question)) and not _SEVERAL_PAPERS.search(question)


# "What does the DAFormer paper find?", "What are the main findings of X?", "What did they conclude about Y?": what a paper
# found, which its abstract states in sentences of their own ("We find that ...", "Our results show ...").
_FINDINGS_QUESTION = re.compile(
    r"^\W*what\s+(?:does|did|do)\b.{0,150}?\b(?:find|show|conclude|demonstrate|discover)(?:\s+(?:about|regarding|on|for)\b.*)?\W*$"
    r"|^\W*what\s+(?:are|were|is|was)\s+(?:the\s+|its\s+|their\s+)?(?:(?:main|key|major|principal|central|most important)\s+)?"
    r"(?:findings?|conclusions?|takeaways?)\b"
    r"|^\W*what\s+(?:are|were|is|was)\s+(?:the\s+|its\s+|their\s+)?(?:main|key|major|principal|central|most important)\s+results?\b",
    re.IGNORECASE)
# A sentence stating a finding: "We find that ...", "Our results show ...", "... outperforms ...".
_FINDING = re.compile(
    r"\b(?:we|our\s+(?:results|findings|experiments|analys[ie]s|simulations|model))\s+(?:\w+\s+){0,2}?"
    r"(?:find|found|show|showed|shown|demonstrate|demonstrated|reveal|revealed|observe|observed|conclude|suggest|indicate|confirm)\b"
    r"|\b(?:results|findings|experiments|analys[ie]s|simulations)\s+(?:\w+\s+){0,2}?"
    r"(?:show|showed|indicate|indicated|suggest|suggested|reveal|revealed|demonstrate|demonstrated|confirm|confirmed)\b"
    r"|\bour\s+(?:results|findings)\b|\b(?:out-?perform|surpass)\w*", re.IGNORECASE)


def is_findings_question(question: str) -> bool:
    """Whether the question asks what one paper found (never "What do the papers on X find?": a list of papers)."""
    return bool(_FINDINGS_QUESTION.search(question)) and not _SEVERAL_PAPERS.search(question)


def is_code_question(question: str) -> bool:
    """Whether the question asks where the code (or the project's page) is, or whether it is out; never one that asks for
    a figure."""
    return bool(_CODE_THING.search(question) and _CODE_ASK.search(question)) and not is_quantity_question(question)


def asked_kind(question: str) -> str | None:
    """The kind of thing a "which ...?" question asks for, when it is an acronym: "GPU" of "Which GPU was it trained on?",
    "CPUs" of "What CPUs were the benchmarks run on?"."""
    match = _ASKED_KIND.search(question)
    return match.group(1) if match and is_acronym(match.group(1)) else None


def is_quantity_question(question: str) -> bool:
    """ "How many ...", "what percentage ...", "which version ...": the answer must be a figure."""
    return asks_for_figure_as_fitted(question) or bool(_MORE_QUANTITY.search(question))


def asks_for_papers_as_fitted(question: str) -> bool:
    """Whether the question reads as a list question as the answerability model's features were fitted to read it: the
    list pattern alone, without is_list_question's exclusions (refit bench/fit_answerability.py before narrowing it)."""
    return _LIST_QUESTION.search(question) is not None


def asks_for_figure_as_fitted(question: str) -> bool:
    """Whether the question asks for a figure as the answerability model's features were fitted to read it (a narrower
    pattern than is_quantity_question's; refit bench/fit_answerability.py before widening it)."""
    return bool(_FITTED_QUANTITY.search(question))


# A question for a figure is answered only when one of the top paper's this many best sentences states one (its name can
# put three sentences of its abstract first: "How many offspring did female Pisaura mirabilis produce ...?" is answered
# by the fourth, "... mean offspring produced by females receiving nuptial gifts is 25.74 ± 0.96"). Was 3 while a
# citation's year counted as a figure; 4 and 5 tried on the eighteen real-PDF sets: 4 won that question and lost none, 5
# lost a near miss.
FIGURE_SENTENCES = 4
# "In the best case ...", "what was the highest ...", "at most": a question for an extreme figure, answered by a sentence
# that marks its figure as one ("In the most different case, the loss is reduced by 52.71%"), which counts this much more.
_EXTREME = re.compile(r"\b(best|worst|highest|lowest|largest|smallest|greatest|maximum|minimum|max|min|peak|most|least|"
                      r"at most|at least|up to|as (high|low|much|many|large) as)\b", re.IGNORECASE)
EXTREME_WEIGHT = 0.2  # as FOCUS_WEIGHT; on the three real-PDF sets it mended two questions and changed no other (real_pdfs.md)
# "Why does performance drop when K is raised above 10?": the sentence giving a reason ("The reason for this could be
# that ...", "... because ...") answers it, rather than the one restating what happens; it counts this much more.
_WHY = re.compile(r"\bwhy\b", re.IGNORECASE)
# (A purpose or a premise is a reason too: "black was excluded, since R. D. Morey (2011) showed that black exhibited
# markedly different effects", "... at a fixed drain current, to ensure constant RC"; not "since 2010".)
_REASON = re.compile(r"\b(because|due to|owing to|thanks to|the reason|reasons? (for|why)|caused by|attribut(ed|able) to|"
                     r"explained by|stems? from|could be that|as a result of|in order to|to ensure|so that|so as to|"
                     r"since(?! \d)|given that|(which|this|that) is why|for this reason|consequently|as a consequence)\b",
                     re.IGNORECASE)
REASON_WEIGHT = 0.2  # as EXTREME_WEIGHT
# "What limitation does the paper note ...?", "When would the search struggle?": the sentence admitting one ("A
# limitation of this work is ...", "the search process may not be able to keep up", "However, this is only secure
# against ...") answers it rather than one describing what works; it counts as much more as a reason for a why-question.
_WEAKNESS_ASKED = re.compile(r"\b(limitations?|drawbacks?|weakness(es)?|shortcomings?|caveats?|downsides?|struggle\w*|"
                             r"fail\w*|limit(s|ed)?)\b", re.IGNORECASE)
_WEAKNESS = re.compile(r"\b(limitations?|limited|drawbacks?|weakness(es)?|shortcomings?|caveats?|however|cannot|unable|"
                       r"not (be )?able|difficult\w*|struggl\w*|fail\w*|future work|(does|did|do|may|could|would) not)\b",
                       re.IGNORECASE)
# "What is Agent Q evaluated on?": the sentence saying where it was tested ("We validate our approach in the WebShop
# environment ...") answers it, whatever verb it uses; it counts as much more as a reason for a why-question.
_ASKS_WHERE_TESTED = re.compile(r"\b(evaluat\w*|test\w*|validat\w*|benchmark\w*|assess\w*)\s+(on|in|with|against|using)\b|"
                                r"\bhow (was|were|is|are|did)\b.{0,60}\b(evaluat|test|validat|benchmark|assess)\w*", re.IGNORECASE)
# A sentence of an abstract pointing to where the code is ("The AgentGym suite is available on https://...") answers only
# a question asking for it; as a quote of anything else it counts this much less (REASON_WEIGHT). (In a full text a link
# often sits in a sentence stating a fact: "... re-implemented in Keras (https://keras.io) ...".)
_LINK_SENTENCE = re.compile(r"https?://|\bgithub\b|\b(code|implementation|suite|data(set)?|models?) (is|are) (publicly )?available\b",
                            re.IGNORECASE)
# "What is AgentGym?", "How do WebRL and AgentGym differ?": nothing asked but the names: the sentence introducing what a
# paper proposes answers it ("We propose AgentGym, a new framework ..."), as much more.
_INTRODUCES = re.compile(r"\b(we|this (paper|work|study|article))\s+(propose|present|introduce|develop|describe)\w*\b|"
                         r"\b(propose|present|introduce)\w*\s+(a|an)\b", re.IGNORECASE)
_ONLY_NAMES_ASKED = terms("differ differs difference differences compare compared comparison contrast versus vs what how do "
                          "does is are between relate relation")
# "What does RLSP stand for?": the sentence defining the acronym ("... called Reinforcement Learning via Self-Play
# (RLSP)") is the answer; it counts this much more, for the quote and for choosing the paper.
_STANDS_FOR = re.compile(r"\b(?i:what (?:does|do|is|are) (?:the )?(?:acronym |abbreviation )?)([A-Z][A-Za-z0-9-]*[A-Z][A-Za-z0-9-]*)s? "
                         r"(?i:stand for|mean|short for|abbreviate)|\b(?i:(?:meaning|expansion) of (?:the )?(?:acronym |abbreviation )?)"
                         r"([A-Z][A-Za-z0-9-]*[A-Z][A-Za-z0-9-]*)\b")
DEFINITION_WEIGHT = 1.0
_TESTED = re.compile(r"\b(evaluat\w*|test(s|ed|ing)?|validat\w*|benchmarks?|experiments?|experimental|assess\w*)\b", re.IGNORECASE)
# A compound of the question ("low-scoring") held by a sentence counts for this share of a name's bonus.
COMPOUND_SHARE = 0.5
# In a full text, the question's words that a sentence lacks but the sentence before it holds count this much of their
# own weight: "What training did the six volunteer developers receive?" is answered by "... we gave them a 20-min
# lecture about the tool", after "a group of 6 developers volunteered". Chosen on the first four real-PDF sets (0.5: one
# fact gained, none lost; 1.0: two gained, one lost), then checked on a fifth written after it (one fact gained, none
# lost; bench/data/real_pdfs.md). Abstracts are read as before.
CONTEXT_WEIGHT = 0.5
RARE_COMPOUND_SENTENCES = 4  # a compound counts when at most one in this many of the paper's sentences holds it


def _score_sentences(question: str, question_vector: np.ndarray, sentences: list[Sentence], named: list[str],
                     quantity: bool, params: ExtractiveParams, title: str = "", full_text: bool = False,
                     asked_vector: np.ndarray | None = None, authors: Sequence[str] = ()) -> list[_Scored]:
    """Sentences best first: cosine to the question, plus shared words, names of the question, and numbers when asked for.

    Within a paper whose title carries a name of the question every sentence is about that name, so the one that merely
    repeats it (often the opening one) is no better a quote: for choosing the quote, those names and their words count
    for nothing ("What are FinMem's three core modules?" quotes the sentence listing the modules). Nor do its authors'
    names: "... described by Onyejekwe and Gerber?" names the paper, and quoted its corresponding author's address.
    """
    # A paper's keyword line is no finding ("Keywords: physical optics modeling, ..."), nor a heading or label read as a
    # sentence of its own ("SEDEF", "CONVENTIONAL COMMITS SPECIFICATION?").
    if not _KEYWORDS_ASKED.search(question):
        sentences = _without_keywords(sentences)
    sentences = [sentence for sentence in sentences if not _is_label(sentence.text)]
    # Unless the question asks how to reach the authors: a first page's footnote ("*Corresponding author: ..., e-mail:
    # ..."), and the byline read into a PDF's abstract ("Daniel L. Parton,1 Sonya M. Hanson,1 ... and John D. Chodera1,
    # ∗ ..."), the authors' names, two or more, are no answer (who wrote the paper is answered from its record).
    if not _CONTACT_ASKED.search(question):
        sentences = [sentence for sentence in sentences if not _EMAIL.search(sentence.text)
                     and mentions_count(sentence.text, authors) < BYLINE_NAMES]
    question_terms = terms(question)
    byline = "; ".join(authors)
    in_title = [name for name in named if mentions(title, name) or mentions(byline, name)]
    quote_terms = question_terms - {t for name in in_title for t in terms(name)}
    focus = asked_for(question) & quote_terms
    extreme = quantity and bool(_EXTREME.search(question))
    why = bool(_WHY.search(question))
    weakness = bool(_WEAKNESS_ASKED.search(question))
    where_tested = not quantity and bool(_ASKS_WHERE_TESTED.search(question))  # "How many molecules ... tested on": a figure
    link_asked = is_code_question(question)
    defined = _stands_for(question)
    # "What python version ...?": a sentence giving a version of python is the answer, whatever the question's case.
    versioned = terms(version_of(question) or "") - GENERIC_TERMS
    names_only = bool(named) and not (question_terms - {t for name in named for t in terms(name)} - _ONLY_NAMES_ASKED)
    words_of = [tokenize([sentence.text])[0] for sentence in sentences]
    # A compound that a quarter of the paper's sentences hold ("fine-tuning" in a paper about fine-tuning) does not tell
    # them apart; one in the title counts for choosing the paper, not the quote (as names in the title).
    rare = max(1, len(sentences) // RARE_COMPOUND_SENTENCES)
    joined = [compound for compound in compounds(question) if sum(holds_compound(words, compound) for words in words_of) <= rare]
    title_words = tokenize([title])[0]
    title_compounds = [compound for compound in joined if holds_compound(title_words, compound)]
    # In a full text, the question's words that many of its sentences hold (the paper's topic: "SPM", "smooth") tell the
    # sentences apart less than the rare ones ("limitation"): for the quote, each counts by its rarity in the paper.
    rarity = rarity_weights(quote_terms, words_of) if full_text else None
    scored = []
    for index, (sentence, words) in enumerate(zip(sentences, words_of)):
        cosine = float(np.dot(question_vector, sentence.vector))
        # The sentence's words, tokenised once for every measure below. "At most, how far apart were the two models?"
        # "... Yet, this difference is 2 x 10^-3 Pa at most": in a full text a figure often sits in the sentence after the
        # one naming what it measures, and a reason in the sentence after the one it explains ("... we use only the first
        # term. This is because ..."). For a question asking for a figure or why, a sentence that points back is read
        # with the one before it (and quoted with it, _quote): the words and names of both, and the pair's meaning (the
        # mean of their vectors) when that is closer to the question. (For every question, it quoted "This nonuniform
        # sampling ..." over the answer to "What kind of transformation ...?": bench/data/real_pdfs.md.)
        held_terms = set(words)
        antecedent = sentences[index - 1] if full_text and (quantity or why) and index and points_back(sentence.text) else None
        if antecedent is not None:
            held_terms |= set(words_of[index - 1])
            pair = sentence.vector + antecedent.vector
            cosine = max(cosine, float(np.dot(question_vector, pair)) / max(float(np.linalg.norm(pair)), 1e-9))
        base = cosine + params.overlap_weight * share_held(question_terms, held_terms)
        # For the quote, the meaning of what is asked counts as much as that of the whole question (asked_of_paper).
        quote_cosine = cosine if asked_vector is None else (cosine + float(np.dot(asked_vector, sentence.vector))) / 2
        quote = quote_cosine + params.overlap_weight * share_held(quote_terms, held_terms, rarity)
        if full_text and index and antecedent is None:
            before = set(words_of[index - 1])
            base += CONTEXT_WEIGHT * params.overlap_weight * _share_missing(question_terms, held_terms, before)
            quote += CONTEXT_WEIGHT * params.overlap_weight * _share_missing(quote_terms, held_terms, before)
        score = base
        if focus:  # "On which CPU and GPU ...": the sentence naming what is asked for
            quote += FOCUS_WEIGHT * share_held(focus, held_terms)
        if named:  # a sentence read with the one before it names what the two name ("This is because ..." of "adHD")
            read = sentence.text if antecedent is None else f"{antecedent.text} {sentence.text}"
            score += params.name_bonus * sum(mentions(read, term) for term in named) / len(named)
            quote += params.name_bonus * sum(mentions(read, term) for term in named if term not in in_title) / len(named)
        if joined:  # "low-scoring detections": a sentence on "low-score objects", not one on "high-score" ones
            held = [compound for compound in joined if holds_compound(words, compound)]
            score += COMPOUND_SHARE * params.name_bonus * len(held) / len(joined)
            quote += COMPOUND_SHARE * params.name_bonus * sum(compound not in title_compounds for compound in held) / len(joined)
        if why and _REASON.search(sentence.text):
            quote += REASON_WEIGHT
        if weakness and _WEAKNESS.search(sentence.text):
            quote += REASON_WEIGHT
        if where_tested and _TESTED.search(sentence.text):
            quote += REASON_WEIGHT
        if not link_asked and not full_text and _LINK_SENTENCE.search(sentence.text):  # a full text's links sit in its facts
            quote -= REASON_WEIGHT
        if names_only and _INTRODUCES.search(sentence.text):
            quote += REASON_WEIGHT
        if defined and defined in defined_acronyms([sentence.text]):
            score += DEFINITION_WEIGHT
            quote += DEFINITION_WEIGHT
        if versioned and versioned <= set(words) and states_asked_figure(question, sentence.text):
            score += DEFINITION_WEIGHT  # "Python 3.7.4" answers "What python version ...?" outright, as a definition does
            quote += DEFINITION_WEIGHT
        if quantity and states_a_figure(sentence.text, question):
            score += params.number_bonus
            quote += params.number_bonus
            if extreme and _EXTREME.search(sentence.text):
                quote += EXTREME_WEIGHT
        scored.append(_Scored(sentence, score, base, quote, antecedent))
    return sorted(scored, key=lambda s: -s.score)


def _without_keywords(sentences: list[Sentence]) -> list[Sentence]:
    """The sentences but a keyword line ("Keywords: physical optics modeling, ..."), and the line after a bare label
    ("Key words." then "(stars:) gamma-ray bursts – methods: data analysis")."""
    kept = []
    for index, sentence in enumerate(sentences):
        before = sentences[index - 1].text if index else ""
        bare = bool(_KEYWORD_LINE.match(before)) and len(before.split()) <= 3
        if not _KEYWORD_LINE.match(sentence.text) and not bare:
            kept.append(sentence)
    return kept


# A sentence naming this many of its paper's authors is the byline.
BYLINE_NAMES = 2
# An e-mail address, and a question asking how to reach the authors (then the sentence giving it is no debris).
_EMAIL = re.compile(r"[\w.+-]+@[A-Za-z][\w-]*(?:\.[\w-]+)*\.[A-Za-z]{2,}")
_CONTACT_ASKED = re.compile(r"\b(e-?mails?|contact\w*|correspond\w*)\b", re.IGNORECASE)


def _is_label(text: str) -> bool:
    """A heading or label standing as a sentence: one word ("SEDEF"), or a line in capitals ("CWT GRADIENT MATCHING")."""
    words = re.findall(r"[^\W\d_]{2,}", text)
    letters = "".join(words)
    return len(words) < 2 or (len(words) <= 12 and letters.isupper())


def _stands_for(question: str) -> str | None:
    """The acronym a "What does RLSP stand for?" question asks to expand, as defined_acronyms keys it; else None."""
    match = _STANDS_FOR.search(question)
    key = tokenize([match.group(1) or match.group(2)])[0] if match else []
    return key[0] if key else None


def asked_of_paper(question: str, title: str, sentences: Sequence[Sentence], body_start: int | None,
                   authors: Sequence[str] = ()) -> str | None:
    """The question without the words that name its paper: those its title, abstract or byline holds, in any form ("In the
    validation of the ElecSim agent-based model of the UK electricity market, what population size did the GA use?" ->
    "In the of the, what population size did the use?"); None when nothing is left to ask, or nothing was taken out.

    Within a full text, the words a question names its paper by match the abstract's sentences best, whose cosine then
    puts them first: the sentence giving "a population size of 120" was not among the 24 the reader read. What is left
    says what is asked; the quote reads its meaning beside the whole question's (real-PDF sets: page right 257 -> 273,
    quote holds the fact 226 -> 237 of 349; COVID-QA HELD 304 -> 312 of 456; bench/data/real_pdfs.md)."""
    paper_words = set(tokenize([" ".join([title, *authors])])[0])
    for sentence in sentences:
        if body_start is not None and sentence.start < body_start:
            paper_words.update(tokenize([sentence.text])[0])
    words = _ASKED_WORDS.findall(question)
    kept = [word for word in words if not set(tokenize([word])[0]) & paper_words]
    if len(kept) == len(words) or not terms(" ".join(kept)) - _FUNCTION_TERMS:
        return None
    return " ".join(kept)


_ASKED_WORDS = re.compile(r"[\w'’-]+|[^\w\s]")
_FUNCTION_TERMS = terms(" ".join(STOPWORDS_EN_PLUS))  # "does", "did": left alone, nothing is asked


def rarity_weights(asked: set[str], words_of: Sequence[Sequence[str]]) -> dict[str, float]:
    """Each asked word's weight by how few of a paper's sentences hold it: log(1 + sentences / (1 + sentences holding it)).
    On full texts it put the answer first more often than equal weights: COVID-QA HELD 266 -> 271 of 456, the five
    real-PDF sets' page right 66 -> 68 of 82 (docs/READER.md)."""
    holding = {word: 0 for word in asked}
    for words in words_of:
        for word in asked.intersection(words):
            holding[word] += 1
    return {word: math.log(1 + len(words_of) / (1 + count)) for word, count in holding.items()}


def is_full_text(hit: Hit) -> bool:
    """Whether the hit is a paper's full text (a PDF's, or a body given with the abstract), not an abstract alone."""
    return hit.body_start is not None or bool(hit.pages)


def _share_missing(asked: set[str], held: set[str], context: set[str]) -> float:
    """The share of the asked words that a sentence lacks and its context holds."""
    return len((asked - held) & context) / len(asked) if asked else 0.0


# "Which CPU and GPU were ...", "what gradient clipping threshold is ...": the words naming what the answer is.
_ASKED_FOR = re.compile(r"\b(?:which|what)\s+((?:[\w-]+\s+){0,5}?)(?:is|are|was|were|did|does|do|has|have|had|can|could|"
                        r"would|will|should|of|in|on|for|from|to|by|with|at|during|the)\b", re.IGNORECASE)
# Those words count this much more in choosing the quote (0.2 and 0.35 tried: 0.35 lost a held-out PDF question,
# bench/data/real_pdfs.md).
FOCUS_WEIGHT = 0.2


def asked_for(question: str) -> set[str]:
    """The stemmed words naming what a which/what question asks for ("CPU", "GPU" in "On which CPU and GPU were ...")."""
    match = _ASKED_FOR.search(question)
    return terms(match.group(1)) if match else set()


def closest_papers_text(hits: list[Hit], limit: int = 3) -> str:
    """A short list of the closest papers, for an abstention."""
    if not hits:
        return ""
    lines = "\n".join(f"- {escape_markdown(hit.title)}" for hit in hits[:limit])
    return f"\n\nThe closest papers in the collection:\n{lines}"


def extractive_answer(question: str, hits: list[Hit], bank: SentenceBank, *, restricted: bool = False, sole: bool = False,
                      question_vector: np.ndarray | None = None, params: ExtractiveParams = DEFAULT_EXTRACTIVE,
                      confidence: float | None = None, min_confidence: float = 0.0, sure_confidence: float = 1.0,
                      list_limit: int | None = None,
                      members: Mapping[str, float] | None = None, unheard: Sequence[str] = (), unheard_names: Sequence[str] = (),
                      unheard_technical: Sequence[str] = (),
                      reading: Reading | None = None,
                      quote_reader: Scorer | None = None, quote_abstracts: bool = True) -> Draft:
    """Quote and cite the best evidence among the hits, or abstain when it does not answer the question.

    restricted: the user chose the papers to search, so weak wording overlap is no reason to abstain.
    sole: the hits are the collection's only paper, so every question is asked of it: neither the confidence nor weak
    wording overlap is a reason to abstain, but what it lacks (a name, a topic, a figure asked for) still is.
    confidence: P(answerable) from the answerability model. Below min_confidence the answer abstains; at or above
    sure_confidence it answers; in between, the evidence rules decide (named terms found, a figure when one is asked for,
    the best sentence's score over params.min_evidence_score). None: the evidence rules alone.
    list_limit: a "which papers ..." answer lists every paper that bears on it, up to this many (then "and N more",
    the others in Draft.more); None: at most params.max_papers, as for any other question.
    members: for a list question, the papers the list-membership model lets in, with their P(member) (list_membership.py),
    the likeliest listed first; None: the old hand rule (a share of the best paper's score, or every name or topic word of the question).
    unheard: the words of the question's topic that no paper in the collection uses, when they are most of it
    (list_membership.unheard_topic): for a list, unless the confidence is sure, no paper is about it; for another
    question asked of a full text, two such words or more, no paper answers it, whatever the confidence.
    unheard_technical: the technical terms of the question that no text of the collection uses in any near form, and
    what a which/what question asks for when no text mentions that kind of thing (rare_terms.unheard_terms): asked of
    full texts, outside a list, no paper answers it.
    unheard_names: the names the question asks about that no text in the collection uses (answerability.unheard_names):
    a figure asked about one of them, or anything asked of a full text that never names them, is no answer, whatever the
    confidence.
    reading: the reader's logits for the hits' candidate sentences (evidence.read): papers are ranked by their best
    sentence's logit and quoted with the sentences it scores highest; None: by cosine and shared words.
    quote_reader: without a reading, the reader that picks each cited paper's quote among the sentences cosine and
    shared words put first (papers are still chosen and ranked as without it); None: cosine and shared words alone.
    quote_abstracts: True: quote_reader orders every cited paper's quote sentences; False: it only picks a sentence to
    join the quote of a full text cited alone.
    """
    if not hits:
        return Draft(text=NO_ANSWER, abstained=True, notes=["No paper in the index matched the question."])
    if question_vector is None:
        question_vector = bank.embedder.embed([question])[0]
    sentences = bank.sentences(hits)
    named = specific_terms(question)
    ranking_names = [name for name in named if not is_acronym(name)]  # acronyms are matched well by BM25 already
    quantity = is_quantity_question(question)
    # Of a full text, what is asked without the words naming the paper: read by the quote score and the reader.
    asked_texts = ((hit.paper_id, asked_of_paper(question, hit.title, sentences.get(hit.paper_id, []), hit.body_start, hit.authors))
                   for hit in hits if is_full_text(hit))
    asked = {paper_id: text for paper_id, text in asked_texts if text is not None}
    asked_vectors = dict(zip(asked, bank.embedder.embed(list(asked.values())))) if asked else {}
    best_by_paper = {hit.paper_id: _score_sentences(question, question_vector, sentences.get(hit.paper_id, []), ranking_names, quantity,
                                                    params, hit.title, full_text=is_full_text(hit),
                                                    asked_vector=asked_vectors.get(hit.paper_id), authors=hit.authors)
                     for hit in hits}
    # (with its authors: "In Harris, Taylor and White's forecasting study, ..." names the paper by them)
    text_of = {hit.paper_id: f"{hit.title} {hit.abstract} {'; '.join(hit.authors)}" for hit in hits}
    # "the Natural History of Song (NHS)": a paper writing the name out speaks of the acronym the question defines.
    defined = defined_acronyms([question])

    def paper_score(hit: Hit) -> float:
        names = sum(mentions(text_of[hit.paper_id], n) for n in ranking_names) / len(ranking_names) if ranking_names else 0.0
        # "What is SMART evaluated on?": the paper whose own name is SMART ("SMART: ...") is the one asked about, however
        # its sentences word it. Not any title holding a name: "How many Monte Carlo iterations does the melanoma model's
        # sensitivity analysis use?" is not asked of "MC-NEST -- ... a Monte Carlo Nash Equilibrium Self-Refine Tree".
        titled = TITLE_NAME_BONUS * sum(is_own_name(hit.title, n) for n in named) / len(named) if named else 0.0
        if reading is not None and reading.logits.get(hit.paper_id):
            return reading.paper(hit.paper_id) + 0.5 * hit.score + titled  # the fused score only breaks near-ties
        return best_by_paper[hit.paper_id][0].score + 0.5 * hit.score + params.name_bonus * names + titled

    ranked = sorted((hit for hit in hits if best_by_paper[hit.paper_id]), key=lambda hit: -paper_score(hit))
    if not ranked:
        return Draft(text=NO_ANSWER + closest_papers_text(hits), abstained=True)
    top = ranked[0]
    top_score = best_by_paper[top.paper_id][0].score
    evidence_score = max(s.base for s in best_by_paper[top.paper_id])

    # (a name of capitalised words counts as mentioned when each of them is, "the Early Acheulean Gona sample"; an acronym
    # when it is written out, "Markov chain Monte Carlo" for MCMC)
    missing = [term for term in named if not any(_speaks_of(text_of[hit.paper_id], term, defined) for hit in ranked[:3])]
    is_list = asks_for_every_paper(question)
    # A paper that names what the question names is strong evidence even when the wording differs.
    present = [term for term in named if term not in missing]
    named_match = bool(present) and all(mentions(text_of[top.paper_id], term) for term in present)
    # "How do AutoManual and B-STaR differ?": each name is a retrieved paper's own name; together they answer it.
    named_match = named_match or (len(present) >= 2 and all(any(is_own_name(hit.title, term) for hit in ranked) for term in present))
    # "Which of these papers use DPO?": a list is answered by every paper naming what it names, whichever comes first
    # (two papers tied, and the first never names DPO: the list was refused, though Agent Q's abstract uses DPO).
    named_match = named_match or (is_list and bool(present)
                                  and any(all(mentions(text_of[hit.paper_id], term) for term in present) for hit in ranked[:3]))
    notes = []
    # An acronym no text uses is still heard when a retrieved paper writes it out ("Markov chain Monte Carlo", MCMC).
    # So is an author's name, and an acronym the question defines whose words a paper writes.
    unheard_names = [name for name in unheard_names if not any(_speaks_of(text_of[hit.paper_id], name, defined) for hit in hits)]
    # Words no text uses may be the authors' names ("Naumann, Ainsley and Ahmad's Medical Concept Extraction paper").
    bylines = "; ".join(author for hit in hits for author in hit.authors)
    unheard = [word for word in unheard if not mentions(bylines, word)]
    unheard_technical = [word for word in unheard_technical if not mentions(bylines, word)]
    # The fitted model (assistant/answering/answerability.py) decides when it is clear either way; the evidence rules decide between.
    # Neither alone generalises from SciFact claims to questions in a reader's own words (docs/ANSWERABILITY.md). A figure
    # asked for and found in no quote is an abstention whatever the confidence: no quote could hold the answer.
    unheard_note = f"No paper in the collection mentions {_quoted(list(unheard_names))}." if unheard_names else ""
    if unheard_names and not is_list and (quantity or top.pages):
        # "What word error rate did Whisper give on StoRM's speech?" in a collection that never mentions Whisper: any
        # figure quoted would be about something else, however sure the model is that StoRM is here. Over a full text
        # any question: a paper's whole text that never names Gazebo does not compare ReBeT with it. (An abstract is
        # too short to tell: SciFact's abstracts support claims about "VB6" or "cRCT" without those words.)
        return abstention(unheard_note, hits)
    if len(unheard) >= 2 and not is_list and top.pages and not restricted:
        # "How accurately did SVD imputation predict which rodents host which helminth parasites?" over full texts that
        # never use "rodents", "helminth" or "parasites": what it asks about is in no paper. (Over abstracts, no: SciFact's
        # claims often word their topic otherwise than the abstract that supports them. One word, no: "What AUC did the
        # Kalman filter model reach?" over a paper that never says "reach", its topic left once the names are set apart.)
        return abstention(f"No paper in the collection mentions {_quoted(list(unheard))}.", hits)
    if unheard_technical and not is_list and top.pages and not restricted:
        # "What adsorption energy was computed for tetracycline on the phosphorene quantum dots?" over full texts none of
        # which uses "tetracycline" or a near form of it: the one technical term it asks about is in no paper.
        return abstention(f"No paper in the collection mentions {_quoted(list(unheard_technical))}.", hits)
    if confidence is not None and confidence < min_confidence and not restricted and not sole:
        reason = f"The closest abstracts do not address the question closely enough (confidence {confidence:.2f})."
        return abstention(f"{unheard_note} {reason}".strip(), hits)
    judged = confidence is None or confidence < sure_confidence
    uncounted = [noun for noun in _COUNTED.findall(question)
                 if noun.lower() not in _NOT_COUNTED and not mentions(text_of[top.paper_id], noun)]
    # Over a full text, whatever the confidence: a whole paper never naming what is counted gives no count of it (not a
    # unit: "How many minutes ...?" is answered "12 min").
    counted_things = [noun for noun in uncounted if not is_unit(noun)]
    if (uncounted and judged or counted_things and top.pages and not restricted) and not is_list:
        # "How many GPUs ...?" over a paper that never mentions GPUs: none of its figures counts them.
        reason = f"The closest paper, *{escape_markdown(top.title)}*, does not mention {_quoted(uncounted)}."
        return abstention(reason, hits)
    kind = asked_kind(question)
    if kind and not is_list and not _names_all(text_of[top.paper_id], [kind], _other_forms(hits)):
        # "Which GPU was DAFormer trained on?" over a paper that never mentions a GPU: what it asks for is not there.
        reason = f"The closest paper, *{escape_markdown(top.title)}*, does not mention {_quoted([kind])}."
        return abstention(reason, hits)
    unnamed = [term for term in present if not _speaks_of(text_of[top.paper_id], term, defined)]
    if quantity and unnamed and not is_list and judged:
        # "What accuracy does DOTS reach on MNIST?" over the DOTS paper, which never mentions MNIST (another paper does):
        # none of its figures is the one asked for.
        reason = f"The closest paper, *{escape_markdown(top.title)}*, does not mention {_quoted(unnamed)}."
        return abstention(reason, hits)
    unread = [term for term in named if (is_identifier(term) or is_proper_word(term))
              and not _speaks_of(text_of[top.paper_id], _as_named(term), defined) and not any(is_own_name(hit.title, term) for hit in ranked)]
    if top.pages and unread and not is_list:
        # "Which MRI scanner imaged the spinal cord in the thermal grill experiments?" over a full text that never names MRI
        # (another paper does): a whole paper silent on it says nothing of it; nor is a UK market model "validated on the
        # German electricity market" by a paper never saying "German". (Not a paper's own name: "How does ReBeT compare
        # with RoboChart?" is answered by both. An abstract is too short to tell.)
        reason = f"The closest paper, *{escape_markdown(top.title)}*, does not mention {_quoted(unread)}."
        return abstention(reason, hits)
    unspoken = unspoken_asked_for(question, text_of[top.paper_id]) if top.pages and not is_list and not restricted else []
    if unspoken:
        # "What odds ratio for hypertension did short workday sleep give?" of a full text that never speaks of odds, "Which
        # eye tracker ...?" of one never naming an eye tracker: no figure or name in it is the one asked for. (An abstract
        # is too short to tell; a paper the user chose is asked anyway.)
        reason = f"The closest paper, *{escape_markdown(top.title)}*, does not mention {_quoted(unspoken)}."
        return abstention(reason, hits)
    # Not one of the names the question asks about is in the closest papers: whatever the confidence, they cannot say
    # anything about them ("What BLEU score did X reach on Defects4J?" over papers naming neither).
    if missing and not is_list and (judged or (len(missing) == len(named) and not restricted)):
        reason = f"None of the closest papers mentions {_quoted(missing)}."
        return abstention(reason, hits)
    if judged and evidence_score < params.min_evidence_score and not named_match and not restricted and not sole:
        reason = "The closest abstracts do not address the question closely enough."
        return abstention(reason, hits)
    if quantity and not is_list and not any(states_a_figure(s.sentence.text, question)
                                            for s in best_by_paper[top.paper_id][:FIGURE_SENTENCES]):
        reason = f"The closest paper, *{escape_markdown(top.title)}*, reports no figure that answers it."
        return abstention(reason, hits)
    pinned = what_is_asked(question)
    if pinned and not is_list and not any(states_asked_figure(question, s.sentence.text) for s in best_by_paper[top.paper_id][:3]):
        # "What tidal volume in mL/kg were the sheep ventilated with?" over "ventilated using a low tidal volume
        # strategy": a figure in another unit, or none, is no answer; so is "the Python programming language [42]" for
        # "Which Python version ...?".
        reason = f"The closest paper, *{escape_markdown(top.title)}*, gives no {escape_markdown(pinned)} that answers it."
        return abstention(reason, hits)
    if missing:
        notes.append(f"No retrieved paper mentions {_quoted(missing)}; the answer covers the rest of the question.")

    if is_code_question(question):
        return _link_answer(top, best_by_paper[top.paper_id])
    if is_author_question(question):
        return _authors_answer(top, best_by_paper[top.paper_id], hits)
    if is_summary_question(question):
        return _summary_answer(top, best_by_paper[top.paper_id])
    if is_findings_question(question):  # its abstract's findings, else the abstract in brief
        return (_findings_answer(top, best_by_paper[top.paper_id]) or _conclusions_answer(top, best_by_paper[top.paper_id])
                or _summary_answer(top, best_by_paper[top.paper_id]))

    topic = terms(question) - GENERIC_TERMS
    limit = list_limit if is_list and list_limit else params.max_papers
    if is_list and members is not None:
        if unheard and judged and not restricted:
            return abstention(f"No paper in the collection mentions {_quoted(list(unheard))}.", hits)
        # The papers most likely to belong come first: they are the ones shown with quotes, the rest as "N more".
        chosen = sorted((hit for hit in ranked if hit.paper_id in members), key=lambda hit: -members[hit.paper_id])
        if named and chosen and not any(mentions(text_of[hit.paper_id], term) for hit in chosen for term in named):
            # "which papers evaluate on ARC-AGI?": no listed paper names what the question names, so none answers it
            return abstention(f"None of the closest papers mentions {_quoted(named)}.", hits)
        if not chosen:
            return abstention("No paper in the collection bears on it closely enough.", hits)
        identifiers = [name for name in named if " " not in name]  # WebShop, GSM8K, MCTS; not a phrase with variants
        other = _other_forms(hits) if identifiers else {}
        naming = [hit for hit in chosen if _names_all(text_of[hit.paper_id], identifiers, other)]
        if identifiers and naming and len(naming) < len(chosen):
            # "Do any of these papers evaluate on WebShop?": a paper that never names WebShop does not (an acronym
            # counts as named in its expansion, as a paper defines it: "Monte Carlo Tree Search" for MCTS). Not a
            # phrase: "Monte Carlo Tree Search" lists MC-NEST, built on "Monte Carlo Tree Self-Refine".
            chosen = naming
        draft = _compose(chosen[:limit], best_by_paper, params.max_sentences_per_paper, more=chosen[limit:], reading=reading,
                         question=question, quote_reader=quote_reader, quote_abstracts=quote_abstracts, listing=True, asked=asked)
        draft.notes.extend(notes)
        return draft
    stands_for = _stands_for(question)
    if stands_for and not is_list:
        # "What does MCTS mean?": one paper's definition answers it; the first whose best sentence defines it.
        defining = [hit for hit in ranked if stands_for in defined_acronyms([best_by_paper[hit.paper_id][0].sentence.text])]
        draft = _compose(defining[:1] or [top], best_by_paper, params.max_sentences_per_paper, question=question)
        draft.notes.extend(notes)
        return draft
    top_named = [term for term in present if is_own_name(top.title, term)]  # the question asks about that paper
    chosen = [top]
    for hit in ranked[1:]:
        if len(chosen) >= limit and not (is_list and list_limit):
            break
        # For "which papers ..." a paper also belongs when it names all the question names or holds all its topic words.
        names_all = bool(present) and all(mentions(text_of[hit.paper_id], term) for term in present)
        topic_all = len(topic) >= 1 and topic <= terms(text_of[hit.paper_id])
        if top_named and not is_list and not all(mentions(text_of[hit.paper_id], term) for term in top_named):
            # "What is Agent Q evaluated on?": Agent Q is the closest paper's own name; a paper that never names it says
            # nothing of it. (Not any name its text or title holds: SciFact's "cyclin A2" is in one title, and the gold
            # abstract, after it, writes "cyclin A".)
            continue
        # A full text that answers best answers alone: a second paper's close sentence took the quote down to one sentence
        # per paper, of the abstract ("Which language model served as the backbone of the plan-then-execute agent?" was
        # answered by four papers' first lines, GPT-3.5-turbo on page 5 unquoted).
        if is_list and (names_all or topic_all) or (best_by_paper[hit.paper_id][0].score >= params.second_paper_ratio * top_score
                                                     and (is_list or not top.pages)):
            chosen.append(hit)
    if len(present) >= 2 and not is_list:
        # "Compare WebRL and Agent Q": each name the question asks about is answered from the paper that names it.
        naming = _papers_naming(present, ranked, chosen, text_of)
        chosen = naming + [hit for hit in chosen if hit not in naming]
    draft = _compose(chosen[:limit], best_by_paper, params.max_sentences_per_paper, more=chosen[limit:], reading=reading,
                     question=question, quote_reader=quote_reader, quote_abstracts=quote_abstracts, asked=asked)
    draft.notes.extend(notes)
    return draft


def _speaks_of(text: str, term: str, defined: Mapping[str, Acronym] | None = None) -> bool:
    """Whether text names term: as written (names.mentions), each word of a name of capitalised words, an acronym
    written out, or (defined: the acronyms the question itself defines) an acronym as the question writes it out."""
    acronym = (defined or {}).get(term.lower())
    return mentions_apart(text, term) or spells_out(text, term) or (acronym is not None and mentions(text, acronym.expansion))


def _as_named(term: str) -> str:
    """The name without the question's opening word it was read with ("Under ReBeT" of "Under ReBeT's requirement ...")."""
    words = term.split()
    return " ".join(words[1:]) if len(words) >= 2 and not is_identifier(words[0]) and is_identifier(" ".join(words[1:])) else term


def _other_forms(hits: list[Hit]) -> dict[str, str]:
    """Each acronym the retrieved papers define and its expansion, lower-cased, to the other one as written."""
    other: dict[str, str] = {}
    for acronym in defined_acronyms(f"{hit.title}. {hit.abstract}" for hit in hits).values():
        other[acronym.written.lower()] = acronym.expansion
        other[acronym.expansion.lower()] = acronym.written
    return other


def _names_all(text: str, names: list[str], other: Mapping[str, str]) -> bool:
    """Whether the text names every name, or its other form (_other_forms: "Monte Carlo Tree Search" for "MCTS", and the
    other way round; an acronym written out, spells_out)."""
    return all(mentions(text, name) or (name.lower() in other and mentions(text, other[name.lower()])) or spells_out(text, name)
               for name in names)


def _papers_naming(names: list[str], ranked: list[Hit], chosen: list[Hit], text_of: Mapping[str, str]) -> list[Hit]:
    """For each name, the best ranked paper whose own name it is ("Agent Q" of "Agent Q: Advanced Reasoning ..."), or,
    when no chosen paper mentions it, the best ranked paper that does; in the order of the ranking."""
    found: list[Hit] = []
    for name in names:
        owners = [hit for hit in ranked if is_own_name(hit.title, name)]
        if not owners and not any(mentions(text_of[hit.paper_id], name) for hit in chosen):
            owners = [hit for hit in ranked if mentions(text_of[hit.paper_id], name)]
        if owners and owners[0] not in found:
            found.append(owners[0])
    return sorted(found, key=ranked.index)


def abstention(reason: str, closest: list[Hit]) -> Draft:
    """An abstention naming the closest papers in retrieval order (the order the sources are shown in)."""
    return Draft(text=f"{NO_ANSWER} {reason}{closest_papers_text(closest)}", abstained=True)


def _quote(scored: list[_Scored], limit: int, reading: Reading | None = None,
           pages: Sequence[tuple[int, int]] = ()) -> list[Sentence]:
    """The paper's `limit` best sentences for a quote, in abstract order: those the reader scores highest (a second one
    only when the reader also finds it answers), else by cosine and shared words.

    pages: a full-text paper's (offset, page) marks. A second sentence then joins only from the best one's page, so the
    quote starts on the page that holds its fact (Citation.page is where a quote starts).
    """
    read = [(logit, item.sentence) for item in scored if reading is not None and (logit := reading.sentence(item.sentence)) is not None]
    if read:
        read.sort(key=lambda pair: -pair[0])
        best_logit, best = read[0]
        others = [(logit, s) for logit, s in read[1:] if _same_page(pages, s, best)]
        chosen = [best] + [s for logit, s in others[:limit - 1] if logit >= reading.threshold and logit >= best_logit - READER_MARGIN]  # type: ignore[union-attr]
        return sorted(chosen, key=lambda s: s.start)
    # Two sentences hold a SciFact rationale sentence 0.79 of the time, one only 0.56 (docs/ANSWERABILITY.md).
    ordered = sorted(scored, key=lambda s: -s.quote)
    if ordered and ordered[0].antecedent is not None and limit > 1:
        return [ordered[0].antecedent, ordered[0].sentence]  # "... near the inlet. Yet, this difference is 2 Pa at most."
    return _best_on_one_page([item.sentence for item in ordered], limit, pages)


def _best_on_one_page(ordered: Sequence[Sentence], limit: int, pages: Sequence[tuple[int, int]]) -> list[Sentence]:
    """The first (best) sentence and the next best from its page, `limit` in all, in abstract order."""
    if not ordered:
        return []
    chosen = [ordered[0]] + [s for s in ordered[1:] if _same_page(pages, s, ordered[0])][:limit - 1]
    return sorted(chosen, key=lambda s: s.start)


# A sentence that opens by pointing at the one before it: "This type of ...", "Yet, this difference ...", "These results ...".
# ("The primary reason for this is ..." points back too.)
_POINTS_BACK = re.compile(r"^(?:the\s+(?:\w+\s+)?(?:reasons?|causes?|explanations?)\s+(?:for|of)\s+(?:this|these|that|it)\b|"
                          r"(?:(?:yet|however|thus|hence|therefore|so|but|moreover|still|again|in addition|in contrast|"
                          r"as a result),?\s+)?(?:this|these|that|those|such|it|they)\b(?!\s+(?:paper|work|study|article)\b))",
                          re.IGNORECASE)


def points_back(text: str) -> bool:
    """Whether the sentence opens with a word pointing back at the sentence before it (not "This paper ...")."""
    return bool(_POINTS_BACK.match(text))


def _same_page(pages: Sequence[tuple[int, int]], sentence: Sentence, best: Sentence) -> bool:
    """Whether the sentence starts on the page the best one starts on (always, for a paper without pages)."""
    return not pages or place(pages, sentence.start) == place(pages, best.start)


def joined(abstract: str, quoted: list[Sentence]) -> str:
    """The quoted sentences as one quote: neighbours as the abstract has them, others apart with " … " between."""
    text = ""
    for previous, sentence in zip([None, *quoted], quoted):
        if previous is None:
            text = sentence.text
        elif abstract[previous.end:sentence.start].strip():
            text += f" … {sentence.text}"
        else:
            text += f" {sentence.text}"
    return text


# A sentence that announces what the next one says: "These datasets have known limitations.", "There are two reasons:",
# "The procedure is as follows." Quoted alone it says nothing.
_ANNOUNCES = re.compile(r"(:|\b(as follows|the following)\W*)$|\b(several|some|known|certain|two|three|four|five|a few|a number of|"
                        r"many|important|main|key|major|notable|further|other)\s+(\w+\s+)?(limitations|reasons|advantages|"
                        r"disadvantages|drawbacks|steps|stages|components|challenges|issues|problems|differences|contributions|"
                        r"findings|ways|factors|caveats|assumptions|shortcomings|weaknesses|strengths|benefits|implications|"
                        r"consequences|causes|sources)\W*$", re.IGNORECASE)
ANNOUNCING_WORDS = 16  # a sentence of more words than this says something of its own


def announces(text: str) -> bool:
    """Whether the sentence only announces what follows it (_ANNOUNCES, and short)."""
    return len(text.split()) <= ANNOUNCING_WORDS and bool(_ANNOUNCES.search(text.strip()))


def _with_what_it_announces(quoted: list[Sentence], sentences: Sequence[Sentence]) -> list[Sentence]:
    """The quote with the sentence after its last one when that one only announces it ("These datasets have known
    limitations." + the limitations)."""
    if not quoted or not announces(quoted[-1].text):
        return quoted
    after = [sentence for sentence in sentences if sentence.start >= quoted[-1].end]
    return quoted + [min(after, key=lambda sentence: sentence.start)] if after else quoted


def _citation(number: int, hit: Hit, quoted: list[Sentence]) -> Citation:
    return Citation(number=number, paper_id=hit.paper_id, title=hit.title, urls=hit.urls,
                    quote=joined(hit.abstract, quoted), spans=[(s.start, s.end) for s in quoted])


def _read_quotes(question: str, chosen: list[Hit], best_by_paper: dict[str, list[_Scored]], reader: Scorer) -> dict[str, list[Sentence]]:
    """Each chosen paper's sentences ordered for quoting by the reader (plus QUOTE_MIX_WEIGHT x cosine and words), in
    one batch of at most QUOTE_BUDGET pairs; the shortlists come from cosine and shared words."""
    per_paper = QUOTE_SHORTLIST_ONE_PAPER if len(chosen) == 1 else max(1, min(QUOTE_SHORTLIST, QUOTE_BUDGET // len(chosen)))
    shortlists = {hit.paper_id: sorted(best_by_paper[hit.paper_id], key=lambda s: -s.quote)[:per_paper] for hit in chosen}
    candidates = [item for items in shortlists.values() for item in items]
    if not candidates or all(len(items) == 1 for items in shortlists.values()):
        return {pid: [item.sentence for item in items] for pid, items in shortlists.items()}
    logits = reader.score_pairs([(question, item.sentence.text) for item in candidates])
    mixed = {id(item): float(logit) + QUOTE_MIX_WEIGHT * item.quote for item, logit in zip(candidates, logits)}
    return {pid: [item.sentence for item in sorted(items, key=lambda s: -mixed[id(s)])] for pid, items in shortlists.items()}


def _reader_ranking(question: str, scored: list[_Scored], reader: Scorer, asked: str | None = None) -> list[Sentence]:
    """A full text's sentences in the order the reader puts them (its logit + FULL_TEXT_MIX_WEIGHT x the quote score),
    among the FULL_TEXT_SHORTLIST the quote score puts first; given what is asked without the words naming the paper
    (asked_of_paper), the logit is the mean of the reader's for the question and for that. Asked "How many ...?", only
    the sentences stating a figure, and the one alone when only one does. [] when there is nothing to choose from."""
    shortlist = sorted(scored, key=lambda s: -s.quote)[:FULL_TEXT_SHORTLIST]
    if is_quantity_question(question):  # "How many ...?": only a sentence stating a figure can answer it
        stating = [item for item in shortlist if states_a_figure(item.sentence.text, question)]
        if len(stating) == 1:
            return [stating[0].sentence]
        shortlist = stating or shortlist
    if len(shortlist) < 2:
        return []
    texts = [item.sentence.text for item in shortlist]
    if asked is None:
        logits = [float(logit) for logit in reader.score_pairs([(question, text) for text in texts])]
    else:  # one batch for both
        both = reader.score_pairs([(question, text) for text in texts] + [(asked, text) for text in texts])
        logits = [(float(whole) + float(part)) / 2 for whole, part in zip(both[:len(texts)], both[len(texts):])]
    ranked = sorted(zip(shortlist, logits), key=lambda pair: -(pair[1] + FULL_TEXT_MIX_WEIGHT * pair[0].quote))
    return [item.sentence for item, _ in ranked]


_WORDS = re.compile(r"[^\W\d_]{2,}")


def _abstract_first(scored: list[_Scored], hit: Hit, topic: set[str]) -> list[_Scored]:
    """A full text's sentences to quote one of in a list of papers: its abstract's, which say what the paper is about,
    unless a sentence of its body holds more of the question's topic words than any of the abstract's ("Which papers
    are about medical imaging?" quoted "Table 1: Train-test splits for the datasets used in this paper." of a body)."""
    if hit.body_start is None:
        return scored
    # A sentence of the abstract saying something: a PDF's abstract may hold debris ("?", "Received 3 May").
    abstract = [item for item in scored if item.sentence.start < hit.body_start and len(_WORDS.findall(item.sentence.text)) >= 4]
    if not abstract:
        return scored

    def held(items: list[_Scored]) -> int:
        return max(len(terms(item.sentence.text) & topic) for item in items)

    return scored if held(scored) > held(abstract) else abstract


def _quote_with_pick(scored: list[_Scored], ranking: list[Sentence], limit: int, pages: Sequence[tuple[int, int]]) -> list[Sentence]:
    """The reader's pick (the first of its ranking, _reader_ranking) and the next sentence of that ranking on the pick's
    page (the quote starts on the page of the pick, which holds the fact more often than the quote score's best:
    bench/data/real_pdfs.md), or the sentence before the pick when the pick points back to it; the quote as without the
    reader (_quote, `limit` sentences) when the pick is the quote score's best. (Before: a best sentence that points back,
    "These data were obtained ...", was quoted with its antecedent instead of the pick, "After the first rejection of a
    time step, α is reduced to 1.03". The second sentence was the quote score's best on the page; the reader's next is
    right more often: the real-PDF bench's quotes held the fact 372 -> 378 times of 493.)"""
    pick = ranking[0]
    ordered = sorted(scored, key=lambda s: -s.quote)
    if pick is ordered[0].sentence:
        return _quote(scored, limit, None, pages)
    picked = next(item for item in ordered if item.sentence is pick)
    if picked.antecedent is not None and limit > 1:
        return [picked.antecedent, pick]
    rest = [item.sentence for item in ordered if not any(item.sentence is s for s in ranking)]
    return _best_on_one_page(ranking + rest, min(limit, 2), pages)


def _compose(chosen: list[Hit], best_by_paper: dict[str, list[_Scored]], max_sentences: int, more: Sequence[Hit] = (),
             reading: Reading | None = None, question: str = "", quote_reader: Scorer | None = None,
             quote_abstracts: bool = True, listing: bool = False, asked: Mapping[str, str] = {}) -> Draft:
    """The answer citing the chosen papers; papers past the list limit are counted in the text and carried in Draft.more.
    listing: the answer to "which papers ...?", which says how many papers bear on it, one too. asked: a full text's
    question without the words naming its paper (asked_of_paper), by paper id, which the reader reads as well."""
    read_order = (_read_quotes(question, chosen, best_by_paper, quote_reader)
                  if quote_reader is not None and quote_abstracts and reading is None else {})
    citations = []
    topic = terms(question) - GENERIC_TERMS
    for number, hit in enumerate(chosen, start=1):
        limit = max_sentences if len(chosen) == 1 and not more else 1
        ordered = read_order.get(hit.paper_id)
        ranking = (_reader_ranking(question, best_by_paper[hit.paper_id], quote_reader, asked.get(hit.paper_id))
                   if quote_reader is not None and not quote_abstracts and reading is None and limit > 1 and is_full_text(hit) else [])
        if ordered:
            quoted = _best_on_one_page(ordered, limit, hit.pages)
        elif ranking:
            quoted = _quote_with_pick(best_by_paper[hit.paper_id], ranking, limit, hit.pages)
        else:
            scored = best_by_paper[hit.paper_id] if limit > 1 else _abstract_first(best_by_paper[hit.paper_id], hit, topic)
            quoted = _quote(scored, limit, reading, hit.pages)
        if limit > 1:
            quoted = _with_what_it_announces(quoted, [item.sentence for item in best_by_paper[hit.paper_id]])
        citations.append(_citation(number, hit, quoted))
    extra = []
    for hit in more:
        quoted = _quote(_abstract_first(best_by_paper[hit.paper_id], hit, topic), 1, reading)
        extra.append(PaperRef(paper_id=hit.paper_id, title=hit.title, urls=hit.urls, quote=joined(hit.abstract, quoted),
                              spans=[(s.start, s.end) for s in quoted]))
    if len(citations) == 1 and not extra and not listing:
        only = citations[0]
        text = f"From *{escape_markdown(only.title)}*:\n\n> {escape_markdown(only.quote)} [1]"
        if (_WEAKNESS_ASKED.search(question) and not is_full_text(chosen[0])
                and not any(_admits_own_weakness(item.sentence.text) for item in best_by_paper[chosen[0].paper_id])):
            # "What are the limitations of SWE-Search?" quoted what its abstract says of earlier agents, as if its own.
            # (Not said of a full text: a long text's silence is harder to tell.)
            text = (f"The abstract of *{escape_markdown(only.title)}* names no limitation of its own; the passage nearest "
                    f"the question:\n\n> {escape_markdown(only.quote)} [1]")
    else:
        lines = [f"- **{escape_markdown(c.title)}**: {escape_markdown(c.quote)} [{c.number}]" for c in citations]
        if extra:
            # Never a count the list does not show: the total, the ones shown, and how many more there are.
            head = f"{len(citations) + len(extra)} papers in the collection bear on this; the {len(citations)} with the strongest evidence:"
            text = f"{head}\n\n" + "\n".join(lines) + f"\n\n…and {len(extra)} more."
        else:
            head = ("One paper in the collection bears on this:" if len(citations) == 1
                    else f"{len(citations)} papers in the collection bear on this:")
            text = f"{head}\n\n" + "\n".join(lines)
    return Draft(text=text, citations=citations, more=extra)


# A weakness a paper admits of its own work, not of "existing methods" it improves on.
_OWN_WORK = re.compile(r"\b(we|our|this (paper|work|study|approach|method|model)|the proposed)\b", re.IGNORECASE)
_OTHERS_WORK = re.compile(r"\b(existing|current|previous|prior|traditional|conventional|classical|earlier|other|"
                          r"state-of-the-art)\b", re.IGNORECASE)


def _admits_own_weakness(sentence: str) -> bool:
    """Whether a sentence admits a weakness of the paper's own work ("Our method cannot ...", "A limitation is ..."),
    not of the work it sets out to improve ("However, current LLM-based agents often repeat ineffective actions")."""
    return bool(_WEAKNESS.search(sentence)) and (bool(_OWN_WORK.search(sentence)) or not _OTHERS_WORK.search(sentence))


def _authors_answer(hit: Hit, scored: list[_Scored], hits: list[Hit]) -> Draft:
    """Who wrote it: the paper's authors from its record (its metadata, not its text), cited to the paper; a record
    without authors says so, as an abstention."""
    if not hit.authors:
        # (Not "The collection has no paper that answers this": the paper is there, its record lacks the answer.)
        return Draft(text=f"The collection does not record who wrote *{escape_markdown(hit.title)}*: its record has no "
                          f"authors.", abstained=True)
    listed = listed_names(hit.authors, MAX_AUTHORS)
    year = f" ({hit.date[:4]})" if hit.date else ""
    # Cited with what the paper is about, in its abstract's words: no sentence of it says who wrote it.
    citation = _citation(1, hit, central_abstract_sentences([s.sentence for s in scored], hit.body_start, 1))
    return Draft(text=f"*{escape_markdown(hit.title)}*{year} is by {escape_markdown(listed)}. [1]", citations=[citation])


def _summary_answer(hit: Hit, scored: list[_Scored]) -> Draft:
    """A paper in brief: the SUMMARY_SENTENCES sentences of its abstract nearest the abstract as a whole."""
    citation = _citation(1, hit, central_abstract_sentences([s.sentence for s in scored], hit.body_start, SUMMARY_SENTENCES))
    return Draft(text=f"*{escape_markdown(hit.title)}* in brief, from its abstract:\n\n> {escape_markdown(citation.quote)} [1]",
                 citations=[citation])


def _findings_answer(hit: Hit, scored: list[_Scored]) -> Draft | None:
    """What a paper found: the (at most SUMMARY_SENTENCES) sentences of its abstract stating a finding that the quote score
    puts first, in the abstract's order; None when its abstract states none in so many words ("What does the paper on X
    find?" had quoted "First, we find the fitness of males ...", a step of its model, and "the main findings" its
    introduction)."""
    stating = [item for item in sorted(scored, key=lambda item: -item.quote)
               if (hit.body_start is None or item.sentence.start < hit.body_start) and _FINDING.search(item.sentence.text)]
    if not stating:
        return None
    quoted = [item.sentence for item in stating[:SUMMARY_SENTENCES]]
    if len(quoted) == 1:  # one ("Our results provide a general framework ..."): with what the abstract is about
        central = central_abstract_sentences([item.sentence for item in scored], hit.body_start, SUMMARY_SENTENCES)
        quoted += [sentence for sentence in central if sentence is not quoted[0]][:SUMMARY_SENTENCES - 1]
    quoted.sort(key=lambda sentence: sentence.start)
    citation = _citation(1, hit, quoted)
    return Draft(text=f"What *{escape_markdown(hit.title)}* found, from its abstract:\n\n> {escape_markdown(citation.quote)} [1]",
                 citations=[citation])


# A full text's section of conclusions: "7 CONCLUSIONS", "5. Concluding remarks", "Summary and conclusions".
_CONCLUSIONS_HEADING = re.compile(r"^\W*(?:[\dIVX]+(?:\.\d+)*\.?\s+)?(?:(?:summary|discussion) and )?(?:conclusions?|concluding remarks)\b",
                                  re.IGNORECASE)


def _conclusions_answer(hit: Hit, scored: list[_Scored]) -> Draft | None:
    """What a full text concluded, when its abstract states no finding in so many words: the (at most SUMMARY_SENTENCES)
    sentences of its conclusions section that the quote score puts first, in the text's order ("What did the Ovid
    stylometry paper conclude about the Epistula Sapphus?" was answered with the abstract's opening, which says what the
    article "aims to contribute"); None without such a section."""
    ordered = sorted(scored, key=lambda item: -item.quote)
    ends = [start for start, _ in hit.sections[1:]] + [len(hit.abstract)]
    for (start, heading), end in zip(hit.sections, ends):
        if not _CONCLUSIONS_HEADING.match(heading):
            continue
        inside = [item for item in ordered if start <= item.sentence.start < end]
        if inside:
            quoted = sorted((item.sentence for item in inside[:SUMMARY_SENTENCES]), key=lambda sentence: sentence.start)
            citation = _citation(1, hit, quoted)
            return Draft(text=f"What *{escape_markdown(hit.title)}* concluded, from its section “{escape_markdown(heading)}”:"
                              f"\n\n> {escape_markdown(citation.quote)} [1]", citations=[citation])
    return None


def central_abstract_sentences(sentences: Sequence[Sentence], body_start: int | None, count: int,
                               centre: np.ndarray | None = None) -> list[Sentence]:
    """The `count` sentences of a paper's abstract nearest `centre` (by default the abstract as a whole: its mean sentence
    vector), in the abstract's order: what the paper is about, in its own words; of a full text, never its body (nor the
    affiliations or sidebar a first page may begin with, for a centre that is the paper's vector)."""
    abstract = [sentence for sentence in sentences if body_start is None or sentence.start < body_start] or list(sentences)
    if not abstract:
        return []
    centre = np.mean([sentence.vector for sentence in abstract], axis=0) if centre is None else centre
    central = sorted(abstract, key=lambda sentence: -float(np.dot(sentence.vector, centre)))[:count]
    return sorted(central, key=lambda sentence: sentence.start)


def _link_answer(hit: Hit, scored: list[_Scored]) -> Draft:
    """Code/link questions: the paper's links, cited to the sentence that carries them."""
    carrying = [s.sentence for s in scored if any(url in s.sentence.text for url in hit.urls)]
    quoted = sorted(carrying[:1] or [scored[0].sentence], key=lambda s: s.start)
    citation = _citation(1, hit, quoted)
    if hit.urls:
        links = ", ".join(hit.urls)
        text = f"*{escape_markdown(hit.title)}* links to: {links} [1]\n\n> {escape_markdown(citation.quote)} [1]"
    else:
        said = "Neither the abstract nor the body of {} [1] gives" if hit.body_start is not None else "The abstract of {} [1] gives no"
        text = (said.format(f"*{escape_markdown(hit.title)}*") + " link to code or a project page.\n\n"
                f"> {escape_markdown(citation.quote)} [1]")
    return Draft(text=text, citations=[citation])
