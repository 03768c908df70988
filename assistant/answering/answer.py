"""The story of an answer: clean the question, resolve a follow-up, retrieve, draft offline, generate and check, build it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterable, Iterator, Protocol

from assistant.answering.answerability import AnswerabilityModel, confidence, term_stats, unheard_names
from assistant.config import Settings
from assistant.evidence import Scorer, SentenceBank, read
from assistant.answering.list_membership import list_candidates, list_hits, list_members, unheard_topic, unspoken_topic
from assistant.answering.extractive import (abstention, as_list_question, asks_for_every_paper, asks_whether_any,
                                           central_abstract_sentences, extractive_answer)
from assistant.answering.generation import llm_answer
from assistant.llm import ChatModel
from assistant.markdown import escape_markdown
from assistant.models import Answer, Draft, Hit, Timings
from assistant.params import ExtractiveParams
from assistant.pages import place_citations
from assistant.answering.followup import FollowUp, Turn
from assistant.answering.question import clean_question, standalone_question
from assistant.answering.rare_terms import unheard_terms, without_other_endings
from assistant.answering.spelling import corrected
from assistant.answering.reader import Reader
from assistant.answering.dated import LISTED, DateAsked, date_asked, dated_draft, papers_by_date
from assistant.answering.overview import NAMED_PER_TOPIC, is_overview_question, overview_draft, topics
from assistant.retrieval import RERANK_DEPTH, Retriever, check_paper_ids, paper_hit, rerank

History = Iterable[Turn] | None


class Answerer(Protocol):
    """What an answer is made with: one collection's retriever, sentence bank and fitted models (service.Assistant)."""

    settings: Settings
    retriever: Retriever
    extractive_params: ExtractiveParams

    @property
    def bank(self) -> SentenceBank: ...

    @property
    def answerability(self) -> AnswerabilityModel: ...

    @property
    def list_membership(self) -> AnswerabilityModel: ...

    @property
    def reader(self) -> Reader | None: ...

    @property
    def quote_reader(self) -> Scorer | None: ...

    def confidence_floor_for(self, question: str) -> float: ...

    def ensure_ready(self) -> None: ...


def answer_stream(assistant: Answerer, question: str, *, chat: ChatModel | None, history: History = None, k: int | None = None,
                  paper_ids: list[str] | None = None, stream: bool = True) -> Iterator[str | Answer]:
    """Yield the answer's text as it is written (the LLM's, or the offline answer at once), then the final Answer."""
    started = time.perf_counter()
    settings = assistant.settings
    question, notes = clean_question(question, settings)
    assistant.ensure_ready()
    turns: list[Turn] = list(history or [])

    snapshot = assistant.retriever.state().snapshot
    papers = snapshot.papers
    if paper_ids:
        check_paper_ids(paper_ids, snapshot)
    # A restricted search is about its papers: "what does this paper propose?" refers to them; so is any question in a
    # collection of one paper ("What data did the study use?" of one uploaded PDF asked which paper was meant).
    about = list(paper_ids) if paper_ids else list(papers) if len(papers) == 1 else []
    context = [*turns, {"role": "assistant", "content": "", "paper_ids": about}] if about else turns
    # Asked of one paper, a question needs no rewriting: "What are its limitations?" searched as "What are <its long
    # title>'s limitations?" quoted a sentence about the title's words.
    follow = FollowUp(question) if len(about) == 1 else standalone_question(
        question, context, chat, notes, lambda pid: papers[pid].title if pid in papers else None,
        lambda: (paper.title for paper in papers.values()))  # read only when needed
    if follow.unresolved:
        if follow.paper_ids:
            cited = len(follow.paper_ids)
            text = (f"Which paper do you mean by “{follow.unresolved}”? The previous answer cited {cited} paper{'s' if cited != 1 else ''}: "
                    f"name the paper or its method, or say “the first one”{', “the second one”, …' if cited > 1 else ''}.")
        else:
            text = (f"Which paper do you mean by “{follow.unresolved}”? There is no earlier answer in this conversation to take "
                    f"it from: name the paper or its method, or open it in the Papers view and use “Ask about this paper”.")
        yield text
        yield Answer(question=question, text=text, abstained=True, notes=notes, timings=Timings(
            total_ms=round((time.perf_counter() - started) * 1000, 1)))
        return
    standalone, misspelt = corrected(follow.searched, assistant.retriever.loaded_state().lexical)
    if misspelt:
        notes.append("Read " + ", ".join(f"“{word}” as “{fix}”" for word, fix in misspelt) + ".")
    # "the first one": asked of that paper, as "Ask about this paper" is; "these papers": of every paper the previous
    # answer named, and when none of them bears on it, the collection's papers that do are named instead.
    scoped = list(follow.paper_ids) if follow.paper_ids and not paper_ids else []
    chosen = paper_ids or scoped or None
    # A collection of one paper: every question is asked of it, as "Ask about this paper" asks ("How many participants
    # were included?" in a collection holding one uploaded PDF was declined at 10%, its abstract saying "n = 1977"); but
    # what it lacks still makes no answer (extractive_answer's sole).
    sole = list(papers) if chosen is None and len(papers) == 1 else None
    t0 = time.perf_counter()
    asked_date = date_asked(standalone)
    if chosen is None and is_overview_question(standalone):
        offline = _overview(assistant)
    elif asked_date is not None:
        offline = _by_date(assistant, asked_date, chosen)
    else:
        offline = _offline_answer(assistant, standalone, k, sole or chosen, restricted=bool(paper_ids) or len(scoped) == 1,
                                  sole=sole is not None)
    if len(scoped) > 1 and offline.draft.abstained:
        wider = _offline_answer(assistant, standalone, k, None, restricted=False)
        offline = _widened(offline, wider, follow.pointer or "these papers")
    hits, confident, floor, draft = offline.hits, offline.confidence, offline.floor, offline.draft
    answer: Answer | None = None
    if chat is not None and hits and confident < floor and not paper_ids and sole is None:
        # Too unlikely to be answered from these papers: the offline answer abstained already, and the LLM call is saved.
        notes.append(f"The LLM was not asked: the collection is unlikely to answer this (confidence {confident:.2f}, "
                     f"below ASSISTANT_MIN_CONFIDENCE {floor:.2f}).")
    elif chat is not None and hits and offline.llm_writes:
        answer = yield from llm_answer(standalone, hits, chat, assistant.bank, settings, notes, stream, assistant.extractive_params,
                                       assistant.reader)
    if answer is None:
        yield draft.text
        answer = _from_draft(draft, hits, notes)
    place_citations(answer, hits)
    answer.question = question
    answer.confidence = round(confident, 3)
    answer.standalone_question = standalone if standalone != question else None
    answer.timings = Timings(retrieve_ms=round(offline.retrieve_ms, 1), generate_ms=round((time.perf_counter() - t0 - offline.retrieve_ms / 1000) * 1000, 1),
                             total_ms=round((time.perf_counter() - started) * 1000, 1))
    yield answer


@dataclass
class _Offline:
    """The offline answer of a question over one search, with what decided it."""

    hits: list[Hit]
    confidence: float
    floor: float
    draft: Draft
    retrieve_ms: float
    llm_writes: bool = True  # False: this answer is the final one, with or without an LLM


def _offline_answer(assistant: Answerer, standalone: str, k: int | None, paper_ids: list[str] | None, restricted: bool,
                    sole: bool = False) -> _Offline:
    """Retrieve (from paper_ids only, when given), judge answerability, and draft the extractive answer (sole: paper_ids
    is the collection's only paper, extractive_answer's sole)."""
    settings = assistant.settings
    standalone = as_list_question(standalone)
    wanted = k or settings.top_k
    # A list answer names every paper that bears on the question, so it looks further than the top few.
    listing = asks_for_every_paper(standalone) and not restricted
    t0 = time.perf_counter()
    reader = assistant.reader
    # A list looks at every candidate; any other question at the fused top RERANK_DEPTH, reordered by the reader.
    fetch = max(wanted, list_candidates(settings.max_list_papers)) if listing else max(wanted, RERANK_DEPTH) if reader else wanted
    fused = (list_hits(assistant.retriever, standalone, fetch, paper_ids) if listing
             else assistant.retriever.retrieve(standalone, k=fetch, paper_ids=paper_ids))
    retrieve_ms = (time.perf_counter() - t0) * 1000
    vector = assistant.retriever.embed_query(standalone)
    # The BM25 statistics of the version the hits came from, read by the confidence, the list checks and the unheard names.
    lexical = assistant.retriever.loaded_state().lexical
    stats = term_stats(standalone, lexical)
    # The model was fitted on the top_k fused hits a question gets: judged on the same, however many are read or listed.
    confident = confidence(standalone, fused[:settings.top_k], assistant.bank, vector, stats, assistant.answerability)
    floor = assistant.confidence_floor_for(standalone)
    reading = read(reader, standalone, fused, assistant.bank.sentences(fused), vector,
                   threshold=reader.config.threshold) if reader is not None and fused else None
    hits = fused if listing else rerank(fused, reading, wanted) if reading is not None else fused[:wanted]
    draft = extractive_answer(standalone, hits, assistant.bank, restricted=restricted, sole=sole, question_vector=vector,
                              params=assistant.extractive_params, confidence=confident, min_confidence=floor,
                              sure_confidence=max(floor, assistant.answerability.threshold),
                              list_limit=settings.max_list_papers if listing else None,
                              members=list_members(standalone, hits, stats, assistant.list_membership, reading) if listing else None,
                              unheard=without_other_endings(unheard_topic(standalone, stats), lexical), unheard_names=unheard_names(standalone, stats),
                              unheard_technical=unheard_terms(standalone, stats, lexical),
                              reading=reading,
                              quote_reader=assistant.quote_reader, quote_abstracts=settings.reader_quotes == "all")
    if asks_whether_any(standalone) and not draft.abstained and not restricted:
        cited = {citation.paper_id for citation in draft.citations}
        topic = unspoken_topic(standalone, [hit for hit in hits if hit.paper_id in cited])
        if topic:  # "Is there any work on protein structure prediction?" of a paper on the mechanics of proteins
            draft = abstention(f"No paper in the collection speaks of “{escape_markdown(topic)}”: the closest use some of its "
                               f"words, never together.", hits)
    return _Offline(hits, confident, floor, draft, retrieve_ms)


def _by_date(assistant: Answerer, asked: DateAsked, paper_ids: list[str] | None) -> _Offline:
    """When the papers (of paper_ids, else the collection) were written, from their records (dated.py): no passage says
    it, so nothing is retrieved and no LLM asked; each paper named is cited with its abstract's central sentence."""
    t0 = time.perf_counter()
    snapshot = assistant.retriever.loaded_state().snapshot
    records = [snapshot.papers[paper_id] for paper_id in (paper_ids or snapshot.papers)]
    hits = [paper_hit(snapshot, paper.paper_id) for paper in papers_by_date(records, asked)[:LISTED]]
    sentences = assistant.bank.sentences(hits)
    quotes = {hit.paper_id: central[0] for hit in hits
              if (central := central_abstract_sentences(sentences.get(hit.paper_id, []), hit.body_start, 1))}
    draft = dated_draft(records, asked, quotes)
    return _Offline(hits, 0.0 if draft.abstained else 1.0, 0.0, draft, (time.perf_counter() - t0) * 1000, llm_writes=False)


def _widened(scoped: _Offline, wider: _Offline, pointer: str) -> _Offline:
    """None of the papers pointed at bears on the question: say so, then name the collection's papers that do (if any)."""
    count = len({hit.paper_id for hit in scoped.hits})
    head = f"None of {pointer} (the {count} papers of the previous answer) bears on this."
    if wider.draft.abstained:
        draft = Draft(text=f"{head} {wider.draft.text}", abstained=True, notes=wider.draft.notes)
    else:
        draft = Draft(text=f"{head} In the whole collection:\n\n{wider.draft.text}", citations=wider.draft.citations,
                      more=wider.draft.more, notes=wider.draft.notes)
    return _Offline(wider.hits, wider.confidence, wider.floor, draft, scoped.retrieve_ms + wider.retrieve_ms, llm_writes=False)


def _overview(assistant: Answerer) -> _Offline:
    """What the collection holds, by topic (overview.py): no passage answers that, so nothing is retrieved and no LLM asked."""
    t0 = time.perf_counter()
    paper_ids, vectors = assistant.retriever.paper_vectors()
    snapshot = assistant.retriever.loaded_state().snapshot
    found = topics(paper_ids, vectors, {pid: snapshot.papers[pid].title for pid in paper_ids})
    # A few more than are named, in case one has no sentence to quote.
    candidates = [paper_hit(snapshot, pid) for topic in found for pid in topic.paper_ids[:2 * NAMED_PER_TOPIC]]
    vector_of = dict(zip(paper_ids, vectors))
    sentences = assistant.bank.sentences(candidates)  # one call for all: the stored vectors are read once
    quotes = {hit.paper_id: nearest[0] for hit in candidates  # the sentence of its abstract nearest the paper's vector
              if (nearest := central_abstract_sentences(sentences.get(hit.paper_id, []), hit.body_start, 1, vector_of[hit.paper_id]))}
    full_texts = sum(1 for pid in paper_ids if snapshot.papers[pid].body_start is not None)
    draft = overview_draft(found, {hit.paper_id: hit for hit in candidates}, quotes, full_texts)
    cited = {citation.paper_id for citation in draft.citations}
    return _Offline([hit for hit in candidates if hit.paper_id in cited], 1.0, 0.0, draft, (time.perf_counter() - t0) * 1000,
                    llm_writes=False)


def _from_draft(draft: Draft, hits: list[Hit], notes: list[str]) -> Answer:
    return Answer(question="", text=draft.text, citations=draft.citations, abstained=draft.abstained, more=draft.more,
                  mode="extractive", notes=notes + draft.notes, sources=hits)
