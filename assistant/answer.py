"""ask(): retrieve, then write a cited answer with the LLM or, offline, quote the evidence."""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Iterator

from assistant.citations import check_citations
from assistant.config import Settings, get_settings
from assistant.errors import LLMError, QuestionError
from assistant.evidence import SentenceBank
from assistant.extractive import closest_papers_text, extractive_answer
from assistant.indexing import ingest_paths
from assistant.llm import ChatModel, ChatReply, Message, chat_model_from
from assistant.models import Answer, Draft, Hit, Timings
from assistant.prompts import NO_ANSWER, format_sources, render
from assistant.retrieval import Retriever
from assistant.store import PaperStore
from assistant.tokens import count_tokens, truncate_tokens

History = Iterable[Message] | None
_UNSET = object()
# Follow-ups this short (in words) lean on the conversation; offline, they are searched together with the previous question.
_SHORT_FOLLOW_UP_WORDS = 12
_FOLLOW_UP_WORDS = re.compile(r"\b(it|its|they|them|their|this|that|these|those|the paper|the method|same|also|more)\b", re.IGNORECASE)


@dataclass
class Services:
    """The heavy, shareable objects of one index: store, retriever, sentence bank."""

    store: PaperStore
    retriever: Retriever
    bank: SentenceBank
    ready: bool = False  # the index was found non-empty once; not asked again on every question


_services: dict[tuple, Services] = {}
_services_lock = threading.Lock()


def get_services(settings: Settings) -> Services:
    """The services for these settings, created once per process; an empty index is built from the seeds first."""
    key = (str(settings.data_dir), settings.collection, settings.chroma_host, settings.chroma_port,
           settings.embedding_backend, str(settings.embedding_model_dir), str(settings.seeds_dir))
    with _services_lock:
        services = _services.get(key)
        if services is None:
            store = PaperStore(settings)
            services = Services(store, Retriever(settings, store), SentenceBank(store.embedder))
            _services[key] = services
    if not services.ready:
        ensure_index(services.store)
        services.ready = True
    return services


_build_lock = threading.Lock()


def ensure_index(store: PaperStore) -> bool:
    """Build the index from the seeds folder when it is empty; True when it built one."""
    if store.count_papers() > 0:
        return False
    with _build_lock:
        if store.count_papers() > 0:
            return False
        ingest_paths([store.settings.seeds_dir], store.settings, store=store)
        return True


def retrieve(question: str, *, k: int = 10, paper_ids: list[str] | None = None, settings: Settings | None = None) -> list[Hit]:
    """The k best papers for the question, one Hit per paper, best first."""
    settings = settings or get_settings()
    question, _ = clean_question(question, settings)
    return get_services(settings).retriever.retrieve(question, k=k, paper_ids=paper_ids)


def clean_question(question: str, settings: Settings) -> tuple[str, list[str]]:
    """The question without control characters, cut to the token budget; notes say what was changed."""
    if not isinstance(question, str) or not question.strip():
        raise QuestionError("The question is empty: type a question about the papers.")
    text = "".join(ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in question)
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise QuestionError("The question has no readable text: type a question about the papers.")
    notes = []
    if count_tokens(text, settings.tokenizer_encoding) > settings.max_question_tokens:
        text = truncate_tokens(text, settings.max_question_tokens, settings.tokenizer_encoding)
        notes.append(f"The question was longer than {settings.max_question_tokens} tokens and was cut to that length.")
    return text, notes


def ask(question: str, *, history: History = None, k: int | None = None, paper_ids: list[str] | None = None,
        settings: Settings | None = None, llm: ChatModel | None | object = _UNSET) -> Answer:
    """Answer a question from the collection, citing a paper for every claim.

    llm: a ChatModel, None to answer offline (extractive), or left out to use the LLM the settings configure.
    """
    answer = None
    for item in _answer(question, history=history, k=k, paper_ids=paper_ids, settings=settings, llm=llm, stream=False):
        if isinstance(item, Answer):
            answer = item
    assert answer is not None
    return answer


def ask_stream(question: str, *, history: History = None, k: int | None = None, paper_ids: list[str] | None = None,
               settings: Settings | None = None, llm: ChatModel | None | object = _UNSET) -> Iterator[str | Answer]:
    """Yield the answer's text as it is written, then the final Answer.

    llm: a ChatModel, None to answer offline, or left out to use the one the settings configure.
    """
    return _answer(question, history=history, k=k, paper_ids=paper_ids, settings=settings, llm=llm, stream=True)


def _answer(question: str, *, history: History, k: int | None, paper_ids: list[str] | None, settings: Settings | None,
            llm: ChatModel | None | object, stream: bool) -> Iterator[str | Answer]:
    started = time.perf_counter()
    settings = settings or get_settings()
    chat: ChatModel | None = chat_model_from(settings) if llm is _UNSET else llm  # type: ignore[assignment]
    question, notes = clean_question(question, settings)
    services = get_services(settings)
    history = list(history or [])

    standalone = _standalone_question(question, history, chat, notes) if history else question
    t0 = time.perf_counter()
    hits = services.retriever.retrieve(standalone, k=k or settings.top_k, paper_ids=paper_ids)
    retrieve_ms = (time.perf_counter() - t0) * 1000

    t0 = time.perf_counter()
    draft = extractive_answer(standalone, hits, services.bank, restricted=bool(paper_ids),
                              question_vector=services.retriever.embed_query(standalone))
    answer: Answer | None = None
    if chat is not None and hits:
        answer = yield from _llm_answer(standalone, hits, chat, services, settings, notes, stream)
    if answer is None:
        yield draft.text
        answer = _from_draft(draft, hits, notes)
    answer.question = question
    answer.standalone_question = standalone if standalone != question else None
    answer.timings = Timings(retrieve_ms=round(retrieve_ms, 1), generate_ms=round((time.perf_counter() - t0) * 1000, 1),
                             total_ms=round((time.perf_counter() - started) * 1000, 1))
    yield answer


def _from_draft(draft: Draft, hits: list[Hit], notes: list[str]) -> Answer:
    return Answer(question="", text=draft.text, citations=draft.citations, abstained=draft.abstained,
                  mode="extractive", notes=notes + draft.notes, sources=hits)


def _llm_answer(question: str, hits: list[Hit], chat: ChatModel, services: Services, settings: Settings,
                notes: list[str], stream: bool) -> Iterator[str]:
    """Stream the LLM's answer and check its citations; None (after a note) when the offline answer must stand in."""
    used = _fit_sources(hits, settings)
    messages = [
        {"role": "system", "content": render("answer_system", no_answer=NO_ANSWER)},
        {"role": "user", "content": render("answer_user", sources=format_sources([(n, h.title, h.abstract) for n, h in enumerate(used, 1)]),
                                           question=question, valid_markers=", ".join(f"[{n}]" for n in range(1, len(used) + 1)))},
    ]
    reply: ChatReply | None = None
    streamed = False
    try:
        for item in chat.stream(messages) if stream else [chat.complete(messages)]:
            if isinstance(item, ChatReply):
                reply = item
                if not stream:
                    yield reply.text
            elif item:
                streamed = True
                yield item
    except LLMError as error:
        notes.append(f"{error} Showing the offline answer instead.")
        if streamed:
            yield "\n\n---\n\n"
        return None
    if reply is None:
        notes.append("The LLM ended its reply without finishing it. Showing the offline answer instead.")
        return None

    if reply.truncated:
        notes.append(f"The LLM's answer was cut at its token limit ({settings.llm_max_tokens}); raise ASSISTANT_LLM_MAX_TOKENS for longer answers.")
    checked = check_citations(reply.text, used, services.bank)
    notes.extend(checked.notes)
    usage = reply.usage
    if checked.abstained:
        text = NO_ANSWER + closest_papers_text(hits)
        return Answer(question=question, text=text, abstained=True, mode="llm", model=reply.model, usage=usage, notes=notes, sources=hits)
    if not checked.citations:
        notes.append("The LLM's answer cited none of the sources, so the offline answer is shown instead.")
        if streamed:
            yield "\n\n---\n\n"
        return None
    return Answer(question=question, text=checked.text, citations=checked.citations, mode="llm", model=reply.model,
                  usage=usage, notes=notes, sources=hits)


def _fit_sources(hits: list[Hit], settings: Settings) -> list[Hit]:
    """The hits whose title and abstract fit the context budget; the last one may be cut, the first is always kept."""
    used, budget = [], settings.context_tokens
    for hit in hits:
        cost = count_tokens(f"{hit.title}\n{hit.abstract}", settings.tokenizer_encoding) + 12
        if cost <= budget:
            used.append(hit)
            budget -= cost
        else:
            if budget > 64 or not used:
                used.append(hit.model_copy(update={"abstract": truncate_tokens(hit.abstract, max(budget, 64), settings.tokenizer_encoding)}))
            break
    return used


def _standalone_question(question: str, history: list[Message], chat: ChatModel | None, notes: list[str]) -> str:
    """The follow-up rewritten to stand alone: by the LLM when there is one, else joined to the previous question."""
    previous = [m["content"] for m in history if m.get("role") == "user" and m.get("content", "").strip()]
    if not previous:
        return question
    if chat is not None:
        transcript = "\n".join(f"{m['role']}: {truncate_tokens(m['content'], 300)}" for m in history[-6:])
        try:
            rewritten = chat.complete([{"role": "user", "content": render("rewrite_question", history=transcript, question=question)}]).text
            rewritten = rewritten.strip().splitlines()[0].strip().strip('"') if rewritten.strip() else ""
            if rewritten:
                return rewritten
        except LLMError as error:
            notes.append(f"Could not rewrite the follow-up with the LLM ({error}); searched it with the previous question.")
    if len(question.split()) <= _SHORT_FOLLOW_UP_WORDS or _FOLLOW_UP_WORDS.search(question):
        return f"{previous[-1]} {question}"
    return question
