"""List membership: whether one retrieved paper belongs in the answer to a "which papers ..." question.

A small logistic model (assistant/data/list_membership.json, fitted by bench/lists.py --fit) reads generic features of
the question and one paper: how much of the question's topic the paper's text holds (IDF-weighted, any form of a word,
compounds kept whole), and its fused retrieval score, alone and as a share of the best paper's. Richer features (the share
held by one sentence, the question's rarest term, its names, the best sentence's cosine, the proximity of its words) did no
better on questions held out (bench/lists.py, docs/BENCH.md).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping, Sequence

from bm25s.stopwords import STOPWORDS_EN_PLUS

from assistant.answering.asked_thing import as_written
from assistant.answering.acronyms import Acronym, defined_acronyms, other_forms, with_acronyms
from assistant.answering.answerability import AnswerabilityModel, TermStats, content_terms, weighted_share
from assistant.evidence import Reading, terms
from assistant.lexical import tokenize
from assistant.models import Hit
from assistant.retrieval import Retriever
from assistant.answering.word_forms import compounds, found_terms, holds_compound
from assistant.names import specific_terms

LIST_MODEL_PATH = Path(__file__).parent.parent / "data" / "list_membership.json"
PAPER_FEATURES = ("coverage", "fused_share", "fused")
# With the reader on (ASSISTANT_USE_READER), a paper's best sentence's logit is one more feature (bench/lists.py fits it
# when its rows were read); the shipped model does not use it yet.
READER_FEATURE = "reader"
# What a list question asks about is its topic: the fuller stop-word list drops the words that only carry the sentence
# ("from", "can", "so", "here"), which BM25's short list keeps.
# So do the words asking for advice on what to read ("Which paper should I read first about LLM agents?").
# Words that ask for something ("Summarize the paper on ...", "Give an overview of ...") name no topic.
_NOT_TOPIC = terms(" ".join(STOPWORDS_EN_PLUS)) | terms("read reading start starting begin recommend recommended suggest "
                                                        "summarize summarise summary summaries overview explain describe "
                                                        "description outline give tell brief briefly")
# A list question whose topic is mostly words the collection never uses (over this share of its IDF weight) lists none.
UNHEARD_SHARE = 0.5
# A list looks this many times its limit deep for papers on its topic. Deeper (3x) found more of the dev lists' papers but
# listed more strays on questions held out (bench/lists.py).
LIST_DEPTH = 2
# A paper holding less than this share of the topic's weight is never listed, however high it ranks: the model reads rank
# and coverage together, and the top hit of "Which papers study hallucination in vision-language models?" (a paper on
# language-model goals, holding only "models") scored at the threshold on its rank alone. On the lists bench no member
# holds less than 0.2 (0.25 would drop one); the model alone lists a top-ranked paper from a coverage of about 0.05.
MIN_COVERAGE = 0.1


def list_candidates(limit: int) -> int:
    """How many hits a list question retrieves for its membership gate, for a list of at most limit papers."""
    return LIST_DEPTH * limit


def list_hits(retriever: Retriever, question: str, k: int, paper_ids: list[str] | None = None) -> list[Hit]:
    """The candidates of a list question: retrieved, then again with the other forms of its acronyms that the retrieved
    papers define, so that a paper that writes only "MCTS" is found for "Monte Carlo Tree Search" (and the other way round)."""
    hits = retriever.retrieve(question, k=k, paper_ids=paper_ids)
    forms = other_forms(question, hits_acronyms(question, hits))
    return retriever.retrieve(question, k=k, paper_ids=paper_ids, also_words=" ".join(forms)) if forms else hits


def topic_terms(question: str) -> set[str]:
    """The stemmed words of a list question's topic: its content words less common function words."""
    return content_terms(question) - _NOT_TOPIC


def topic_found(question: str, text: str, acronyms: Mapping[str, Acronym] = {}) -> set[str]:
    """The question's topic terms that the text holds in any form of the word, or as an acronym defined in `acronyms`
    (defined_acronyms: "MCTS" holds Monte Carlo Tree Search, and the other way round); a compound's words count only
    where the text has them side by side ("self-play" is not found in "self-reflection ... play")."""
    return _held(topic_terms(question), compounds(question), tokenize([text])[0], acronyms)


def _held(topic: set[str], pairs: list[tuple[str, str]], words: list[str], acronyms: Mapping[str, Acronym]) -> set[str]:
    """The topic terms a text's words hold (topic_found), a compound's words only side by side."""
    found = found_terms(topic, with_acronyms(words, acronyms))
    for compound in pairs:
        if not holds_compound(words, compound):
            found -= set(compound)
    return found


def paper_features(question: str, hit: Hit, top_fused: float, stats: TermStats, reading: Reading | None = None,
                   acronyms: Mapping[str, Acronym] = {}) -> dict[str, float]:
    """The list-membership features of one retrieved paper (see PAPER_FEATURES); top_fused: the best hit's fused score;
    reading: the reader's logits (its best sentence's is "reader"; without one, the feature is left out and counts at its mean);
    acronyms: those the retrieved papers define (hits_acronyms)."""
    asked = topic_terms(question)
    found = topic_found(question, f"{hit.title} {hit.abstract}", acronyms)
    values = {"coverage": weighted_share(asked, found, stats), "fused_share": hit.score / top_fused if top_fused > 0 else 0.0,
              "fused": hit.score}
    if reading is not None and reading.logits.get(hit.paper_id):
        values[READER_FEATURE] = reading.paper(hit.paper_id)
    return values


def unheard_topic_terms(question: str, stats: TermStats) -> tuple[set[str], set[str]]:
    """The question's topic terms, names aside (the name rules judge those), and those of them no text of the collection
    uses (stats: term_stats of the question)."""
    named = set().union(*(terms(name) for name in specific_terms(question)))
    topic = topic_terms(question) - named
    return topic, {term for term in topic if not stats.frequency.get(term)}


def unheard_topic(question: str, stats: TermStats) -> list[str]:
    """The question's words that no text in the collection uses, as the question writes them, when they carry most of its
    topic's weight, names aside ("federated" in "Which papers study federated learning?"); otherwise none. Names
    ("Anthropic's Claude") are left to the name rules, which accept a list where some of the names are found."""
    topic, unheard = unheard_topic_terms(question, stats)
    total = sum(stats.idf(term) for term in topic)
    if not unheard or total <= 0 or sum(stats.idf(term) for term in unheard) / total <= UNHEARD_SHARE:
        return []
    return as_written(question, unheard)


def list_members(question: str, hits: Sequence[Hit], stats: TermStats, model: AnswerabilityModel,
                 reading: Reading | None = None) -> dict[str, float]:
    """The hits that belong in a list answer, with their P(member): those at or above the model's threshold that hold at
    least MIN_COVERAGE of the topic (stats: the collection's statistics of the question's terms, term_stats; reading: the
    reader's logits for the hits' sentences)."""
    if not hits:
        return {}
    top = max(hit.score for hit in hits)
    acronyms = hits_acronyms(question, hits)
    features = {hit.paper_id: paper_features(question, hit, top, stats, reading, acronyms) for hit in hits}
    chances = {paper_id: model.probability(values) for paper_id, values in features.items() if values["coverage"] >= MIN_COVERAGE}
    return {paper_id: chance for paper_id, chance in chances.items() if chance >= model.threshold}


def paper_sentences(hit: Hit) -> list[str]:
    """A paper's title and the sentences of its text (split at sentence ends: enough to tell which words stand together)."""
    return [hit.title, *_SENTENCE_END.split(hit.abstract)]


def unspoken_topic(question: str, hits: Sequence[Hit]) -> str | None:
    """The question's topic as it writes it ("protein structure prediction") when none of these papers speaks of it
    whole in one sentence (speaks_of_whole_topic); else None."""
    acronyms = hits_acronyms(question, hits)
    if not hits or any(speaks_of_whole_topic(question, paper_sentences(hit), acronyms) for hit in hits):
        return None
    return " ".join(as_written(question, topic_terms(question)))


WHOLE_TOPIC_TERMS = 5  # a topic of at most this many words ("protein structure prediction") is named in one sentence
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def speaks_of_whole_topic(question: str, sentences: Sequence[str], acronyms: Mapping[str, Acronym] = {}) -> bool:
    """Whether one of a paper's sentences (or its title) holds the question's whole topic, when that is a few words: all
    of two or three, all but one of four or five. "Is there any work on protein structure prediction?" is not answered
    by a paper on "predictions of nanomechanical properties of proteins" that speaks of structure elsewhere; a longer
    topic is a description, worded otherwise by the paper that answers it."""
    topic = topic_terms(question)
    if not 2 <= len(topic) <= WHOLE_TOPIC_TERMS:
        return True
    needed = len(topic) if len(topic) <= 3 else len(topic) - 1
    pairs = compounds(question)
    return any(len(_held(topic, pairs, words, acronyms)) >= needed for words in tokenize(list(sentences)))


def hits_acronyms(question: str, hits: Sequence[Hit]) -> dict[str, Acronym]:
    """The acronyms the question and the retrieved papers define (a paper that writes only "MCTS" is read with the
    expansion another paper gives)."""
    return defined_acronyms([question, *(f"{hit.title}. {hit.abstract}" for hit in hits)])
