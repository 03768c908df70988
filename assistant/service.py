"""The Assistant: one collection with everything needed to answer from it, and the module-level conveniences over it.

    assistant = Assistant(settings, chat=my_chat_model)   # or Assistant(settings, offline=True)
    assistant.ask("Which papers use self-play?")

`ask()`, `ask_stream()`, `retrieve()` and the functions of collection.py are thin wrappers over
`default_assistant(settings)`, one Assistant per distinct settings, kept in the one cache documented there.
"""

from __future__ import annotations

import copy
import threading
from functools import cached_property
from typing import TYPE_CHECKING, Callable, Iterator

from assistant.answering.answer import History, answer_stream
from assistant.answering.answerability import AnswerabilityModel
from assistant.answering.list_membership import LIST_MODEL_PATH
from assistant.config import Settings, get_settings
from assistant.evidence import Scorer, SentenceBank
from assistant.llm import ChatModel, chat_model_from
from assistant.models import Answer, Hit, Paper
from assistant.params import DEFAULT_EXTRACTIVE, DEFAULT_RETRIEVAL, ExtractiveParams, RetrievalParams
from assistant.answering.question import clean_question
from assistant.retrieval import Retriever
from assistant.sentence_vectors import SentenceSource
from assistant.store import UNFINISHED, IngestReport, PaperStore

if TYPE_CHECKING:
    from assistant.answering.reader import Reader

Progress = Callable[[int, int], None]  # progress(chunks embedded so far, chunks to embed)
_UNSET: object = object()
_build_lock = threading.Lock()  # one first build from the seeds at a time in this process


class Assistant:
    """Store, retriever, sentence bank and chat model of one collection; safe to share between threads.

    chat: the ChatModel to write answers with; left out, the one the settings configure (looked up on every
    question, so a changed environment is seen), or none at all with offline=True (extractive answers only).
    """

    def __init__(self, settings: Settings | None = None, chat: ChatModel | None = None, *, offline: bool = False,
                 store: PaperStore | None = None, retrieval_params: RetrievalParams = DEFAULT_RETRIEVAL,
                 extractive_params: ExtractiveParams = DEFAULT_EXTRACTIVE):
        self.settings = settings or get_settings()
        self.store = store or PaperStore(self.settings)
        self.retriever = Retriever(self.settings, self.store, retrieval_params)
        self.extractive_params = extractive_params
        self._chat = chat
        self._offline = offline and chat is None
        self._ready = threading.Event()  # set once the index was found non-empty (shared with with_chat copies)

    @cached_property
    def answerability(self) -> AnswerabilityModel:
        """The fitted answerability model shipped in the package (read once)."""
        return AnswerabilityModel.load()

    @property
    def confidence_floor(self) -> float:
        """Below this confidence an answer abstains and no LLM is asked: ASSISTANT_MIN_CONFIDENCE, else the model's floor."""
        return self.answerability.floor if self.settings.min_confidence is None else self.settings.min_confidence

    def confidence_floor_for(self, question: str) -> float:
        """The floor for this question: ASSISTANT_MIN_CONFIDENCE, else the model's floor for its kind (a claim to check has its own)."""
        return self.answerability.floor_for(question) if self.settings.min_confidence is None else self.settings.min_confidence

    @cached_property
    def reader(self) -> Reader | None:
        """The reader shipped in the package, loaded on first use (None when ASSISTANT_USE_READER is off)."""
        if not self.settings.use_reader:
            return None
        from assistant.answering.reader import get_reader  # onnxruntime's second session, loaded only when a question is read

        return get_reader()

    @cached_property
    def quote_reader(self) -> Scorer | None:
        """The reader that picks quotes (ASSISTANT_READER_QUOTES: full texts' by default; or ASSISTANT_USE_READER), loaded
        when it first reads a quote: a collection of abstracts never loads it."""
        if self.settings.reader_quotes == "off" and not self.settings.use_reader:
            return None
        from assistant.answering.reader import LazyReader

        return LazyReader()

    @cached_property
    def list_membership(self) -> AnswerabilityModel:
        """The fitted model of which retrieved papers belong in a "which papers ..." list (read once)."""
        return AnswerabilityModel.load(LIST_MODEL_PATH)

    @cached_property
    def bank(self) -> SentenceBank:
        """The sentences of retrieved abstracts, embedded once (the embedder loads on first use, not here)."""
        source = SentenceSource(self.settings, lambda: self.store.embedder, self.retriever.loaded_version)
        return SentenceBank(self.store.embedder, stored=source)

    def with_chat(self, chat: ChatModel | None) -> Assistant:
        """The same collection (sharing store, retriever and sentence bank) answering with chat; None: offline."""
        self.bank  # noqa: B018 - made first, so that the copy shares it (and its cache of embedded sentences)
        self.answerability  # noqa: B018 - and the models, read once
        self.list_membership  # noqa: B018
        self.reader  # noqa: B018
        self.quote_reader  # noqa: B018
        other = copy.copy(self)
        other._chat, other._offline = chat, chat is None
        return other

    @property
    def chat(self) -> ChatModel | None:
        """The chat model answers are written with; None answers offline."""
        if self._chat is not None or self._offline:
            return self._chat
        return chat_model_from(self.settings)

    # -- answering --------------------------------------------------------------------------------

    def ask(self, question: str, *, history: History = None, k: int | None = None, paper_ids: list[str] | None = None) -> Answer:
        """Answer a question from the collection, citing a paper for every claim."""
        answer = None
        for item in answer_stream(self, question, chat=self.chat, history=history, k=k, paper_ids=paper_ids, stream=False):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def ask_stream(self, question: str, *, history: History = None, k: int | None = None,
                   paper_ids: list[str] | None = None) -> Iterator[str | Answer]:
        """Yield the answer's text as it is written, then the final Answer."""
        return answer_stream(self, question, chat=self.chat, history=history, k=k, paper_ids=paper_ids, stream=True)

    def retrieve(self, question: str, *, k: int = 10, paper_ids: list[str] | None = None) -> list[Hit]:
        """The k best papers for the question, one Hit per paper, best first."""
        question, _ = clean_question(question, self.settings)
        self.ensure_ready()
        return self.retriever.retrieve(question, k=k, paper_ids=paper_ids)

    def search(self, question: str, *, k: int = 10, paper_ids: list[str] | None = None) -> list[Hit]:
        """The k best papers for the question, the fused top reordered by the reader (retrieve() without it, when off)."""
        question, _ = clean_question(question, self.settings)
        self.ensure_ready()
        if self.reader is None:
            return self.retriever.retrieve(question, k=k, paper_ids=paper_ids)
        return self.retriever.reranked(question, self.reader, self.bank, k=k, paper_ids=paper_ids)

    # -- the collection ---------------------------------------------------------------------------

    def papers(self) -> list[Paper]:
        """Every paper of the collection, sorted by title."""
        self.ensure_ready()
        snapshot = self.retriever.state().snapshot
        return sorted((record.to_paper() for record in snapshot.papers.values()), key=lambda p: p.title.lower())

    def related(self, paper_id: str, k: int = 5) -> list[tuple[Paper, float]]:
        """The k papers nearest to paper_id in the index, with their cosine similarity."""
        self.ensure_ready()
        papers = self.retriever.state().snapshot.papers
        return [(papers[pid].to_paper(), score) for pid, score in self.store.related(paper_id, k) if pid in papers]

    def ingest(self, paths: list | None = None, *, sync: bool = False, rebuild: bool = False,
               progress: Progress | None = None) -> IngestReport:
        """Index paper files (default: the seeds folder); progress(done, total) is called as chunks are embedded."""
        from assistant.indexing import ingest_paths  # the write path, loaded only when something is written

        return ingest_paths(paths or [self.settings.seeds_dir], self.settings, sync=sync, rebuild=rebuild, store=self.store,
                            **progress_callbacks(progress))

    def ensure_index(self, progress: Progress | None = None) -> IngestReport | None:
        """Build the index from the seeds folder when there is none; the report when it built one, else None.

        An index left by a killed first ingest is a StoreError that says so (it is not filled with the seeds unasked).
        progress(done, total) is called with (0, 0) as the build starts, then as chunks are embedded.
        """
        version = self.store.version()
        if version not in (None, UNFINISHED):
            return None
        if version is None and not self.settings.seed_when_empty:  # a named collection holds only what was put in it
            from assistant.named_collections import missing_collection

            raise missing_collection(self.settings)
        from assistant.indexing import ingest_paths_if_missing  # decides again under the writer lock

        with _build_lock:
            if progress:
                progress(0, 0)
            return ingest_paths_if_missing([self.settings.seeds_dir], self.settings, store=self.store,
                                           **progress_callbacks(progress))

    def ensure_ready(self) -> None:
        """ensure_index() the first time this Assistant is used; not asked again on every question."""
        if not self._ready.is_set():
            self.ensure_index()
            self._ready.set()


def progress_callbacks(progress: Progress | None) -> dict[str, Callable[[int], None]]:
    """The ingest's on_plan and progress callbacks that report progress(done, total)."""
    done, total = [0], [0]

    def on_plan(count: int) -> None:  # the chunks to embed found so far: again when more are found
        total[0] = count
        if progress:
            progress(done[0], count)

    def on_progress(count: int) -> None:
        done[0] += count
        if progress:
            progress(done[0], total[0])

    return {"on_plan": on_plan, "progress": on_progress}


# -- the default Assistants -----------------------------------------------------------------------

# The one cache of default Assistants: one per distinct settings (every field, the API key by hash, never in
# clear), created on first use and kept for the life of the process, so their embedder, catalog and BM25 index
# are loaded once. Tests and callers that want their own build an Assistant instead.
_defaults: dict[tuple[str, int], Assistant] = {}
_defaults_lock = threading.Lock()


def _settings_key(settings: Settings) -> tuple[str, int]:
    secret = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    return settings.model_dump_json(), hash(secret)


def default_assistant(settings: Settings | None = None) -> Assistant:
    """The shared Assistant for these settings (default: the environment's), created once per process."""
    settings = settings or get_settings()
    key = _settings_key(settings)
    with _defaults_lock:
        assistant = _defaults.get(key)
        if assistant is None:
            assistant = _defaults[key] = Assistant(settings)
    return assistant


def forget_default_assistants(collection: str) -> None:
    """Drop the default Assistants of a collection (after it was deleted: a new one starts from what is there now)."""
    with _defaults_lock:
        for key in [key for key, assistant in _defaults.items() if assistant.settings.collection == collection]:
            del _defaults[key]


def collection_assistant(settings: Settings | None = None, collection: str | None = None) -> Assistant:
    """The shared Assistant of a named collection (None: the settings' own collection)."""
    from assistant.named_collections import with_collection

    return default_assistant(with_collection(settings, collection))


def _for_call(settings: Settings | None, llm: ChatModel | None | object, collection: str | None) -> Assistant:
    assistant = collection_assistant(settings, collection)
    return assistant if llm is _UNSET else assistant.with_chat(llm)  # type: ignore[arg-type]


def ask(question: str, *, history: History = None, k: int | None = None, paper_ids: list[str] | None = None,
        settings: Settings | None = None, llm: ChatModel | None | object = _UNSET, collection: str | None = None) -> Answer:
    """Answer a question from the collection (or the named one), citing a paper for every claim.

    llm: a ChatModel, None to answer offline (extractive), or left out to use the LLM the settings configure.
    """
    return _for_call(settings, llm, collection).ask(question, history=history, k=k, paper_ids=paper_ids)


def ask_stream(question: str, *, history: History = None, k: int | None = None, paper_ids: list[str] | None = None,
               settings: Settings | None = None, llm: ChatModel | None | object = _UNSET,
               collection: str | None = None) -> Iterator[str | Answer]:
    """Yield the answer's text as it is written, then the final Answer (llm and collection as for ask())."""
    return _for_call(settings, llm, collection).ask_stream(question, history=history, k=k, paper_ids=paper_ids)


def retrieve(question: str, *, k: int = 10, paper_ids: list[str] | None = None, settings: Settings | None = None,
             collection: str | None = None) -> list[Hit]:
    """The k best papers for the question, one Hit per paper, best first."""
    return collection_assistant(settings, collection).retrieve(question, k=k, paper_ids=paper_ids)
