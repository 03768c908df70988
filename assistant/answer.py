"""The story of an answer: clean the question, resolve a follow-up, retrieve, draft offline, generate and check, build it."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Iterable, Iterator

from assistant.answerability import confidence, term_stats
from assistant.list_membership import list_candidates, list_members, unheard_topic
from assistant.extractive import asks_for_every_paper, extractive_answer
from assistant.generation import llm_answer
from assistant.llm import ChatModel
from assistant.models import Answer, Draft, Hit, Timings
from assistant.pages import place_citations
from assistant.followup import Turn
from assistant.question import clean_question, standalone_question
from assistant.retrieval import check_paper_ids

if TYPE_CHECKING:
    from assistant.service import Assistant

History = Iterable[Turn] | None


def answer_stream(assistant: Assistant, question: str, *, chat: ChatModel | None, history: History = None, k: int | None = None,
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
    # A restricted search is about its papers: "what does this paper propose?" refers to them.
    context = [*turns, {"role": "assistant", "content": "", "paper_ids": list(paper_ids)}] if paper_ids else turns
    follow = standalone_question(question, context, chat, notes, lambda pid: papers[pid].title if pid in papers else None,
                                 [paper.title for paper in papers.values()])
    if follow.unresolved:
        text = (f"Which paper do you mean by “{follow.unresolved}”? There is no earlier answer in this conversation to take "
                f"it from: name the paper or its method, or open it in the Papers view and use “Ask about this paper”.")
        yield text
        yield Answer(question=question, text=text, abstained=True, notes=notes, timings=Timings(
            total_ms=round((time.perf_counter() - started) * 1000, 1)))
        return
    standalone = follow.searched
    wanted = k or settings.top_k
    # A list answer names every paper that bears on the question, so it looks further than the top few.
    listing = asks_for_every_paper(standalone) and not paper_ids
    t0 = time.perf_counter()
    hits = assistant.retriever.retrieve(standalone, k=max(wanted, list_candidates(settings.max_list_papers)) if listing else wanted, paper_ids=paper_ids)
    retrieve_ms = (time.perf_counter() - t0) * 1000

    t0 = time.perf_counter()
    vector = assistant.retriever.embed_query(standalone)
    lexical = assistant.retriever.loaded_state().lexical  # the BM25 statistics of the version the hits came from
    # The model was fitted on the top_k hits a question gets: judged on the same, however many a list looks at.
    confident = confidence(standalone, hits[:settings.top_k], assistant.bank, vector, lexical,
                           assistant.answerability)
    floor = assistant.confidence_floor_for(standalone)
    list_stats = term_stats(standalone, lexical) if listing else None  # read by both list checks below
    draft = extractive_answer(standalone, hits, assistant.bank, restricted=bool(paper_ids), question_vector=vector,
                              params=assistant.extractive_params, confidence=confident, min_confidence=floor,
                              sure_confidence=max(floor, assistant.answerability.threshold),
                              list_limit=settings.max_list_papers if listing else None,
                              members=list_members(standalone, hits, list_stats, assistant.list_membership) if list_stats is not None else None,
                              unheard=unheard_topic(standalone, list_stats) if list_stats is not None else ())
    answer: Answer | None = None
    if chat is not None and hits and confident < floor and not paper_ids:
        # Too unlikely to be answered from these papers: the offline answer abstained already, and the LLM call is saved.
        notes.append(f"The LLM was not asked: the collection is unlikely to answer this (confidence {confident:.2f}, "
                     f"below ASSISTANT_MIN_CONFIDENCE {floor:.2f}).")
    elif chat is not None and hits:
        answer = yield from llm_answer(standalone, hits, chat, assistant.bank, settings, notes, stream, assistant.extractive_params)
    if answer is None:
        yield draft.text
        answer = _from_draft(draft, hits, notes)
    place_citations(answer, hits)
    answer.question = question
    answer.confidence = round(confident, 3)
    answer.standalone_question = standalone if standalone != question else None
    answer.timings = Timings(retrieve_ms=round(retrieve_ms, 1), generate_ms=round((time.perf_counter() - t0) * 1000, 1),
                             total_ms=round((time.perf_counter() - started) * 1000, 1))
    yield answer


def _from_draft(draft: Draft, hits: list[Hit], notes: list[str]) -> Answer:
    return Answer(question="", text=draft.text, citations=draft.citations, abstained=draft.abstained, more=draft.more,
                  mode="extractive", notes=notes + draft.notes, sources=hits)
