"""What the collection holds: papers, their neighbours, index statistics, building the index and deleting a collection
(over default Assistants)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from assistant.config import Settings, get_settings
from assistant.errors import CollectionError
from assistant.models import Paper
from assistant.service import Progress, collection_assistant, default_assistant, forget_default_assistants
from assistant.store import IngestReport, PaperStore


@dataclass(frozen=True)
class IndexStats:
    """Counts and whereabouts of the index."""

    papers: int
    chunks: int
    embedder: str
    location: str
    llm_configured: bool
    llm_model: str | None


def list_papers(settings: Settings | None = None, collection: str | None = None) -> list[Paper]:
    """Every paper of the collection (or the named one), sorted by title."""
    return collection_assistant(settings, collection).papers()


def related_papers(paper_id: str, k: int = 5, settings: Settings | None = None,
                   collection: str | None = None) -> list[tuple[Paper, float]]:
    """The k papers nearest to paper_id in the index, with their cosine similarity."""
    return collection_assistant(settings, collection).related(paper_id, k)


def index_stats(settings: Settings | None = None, collection: str | None = None) -> IndexStats:
    """How many papers and chunks are indexed, with which embedder, where."""
    assistant = collection_assistant(settings, collection)
    settings, store = assistant.settings, assistant.store
    if not settings.seed_when_empty and store.version() is None:
        from assistant.named_collections import missing_collection

        raise missing_collection(settings)
    return IndexStats(papers=store.count_papers(), chunks=store.count_chunks(), embedder=store.embedder.identity,
                      location=store.location, llm_configured=settings.llm_enabled,
                      llm_model=settings.llm_model if settings.llm_enabled else None)


def index_is_empty(settings: Settings | None = None) -> bool:
    """True when no paper is indexed yet (the first run builds the index from the seeds)."""
    return default_assistant(settings).store.count_papers() == 0


def build_index(settings: Settings | None = None, *, progress: Progress | None = None) -> IngestReport:
    """Ingest the seeds folder; progress(done, total) is called as chunks are embedded."""
    return default_assistant(settings).ingest(progress=progress)


def delete_collection(name: str, settings: Settings | None = None) -> int:
    """Delete collection `name` (its Chroma collections and BM25 files); the number of papers it held."""
    from assistant.lexical import lexical_dir
    from assistant.store.lock import writer_lock  # the write path, loaded only when something is deleted

    settings = settings or get_settings()
    target = settings if name == settings.collection else settings.model_copy(update={"collection": name, "seed_when_empty": False})
    store = PaperStore(target)
    sizes = store.collection_sizes()
    if name not in sizes:
        listed = ", ".join(sorted(sizes)) or "none"
        raise CollectionError(f"There is no collection {name!r} at {store.location} to delete (collections: {listed}); "
                              f"nothing was deleted. `assistant collections` lists them.")
    with writer_lock(target, store):
        store.drop()
    shutil.rmtree(lexical_dir(target), ignore_errors=True)  # only a cache: rebuilt from the store when needed
    forget_default_assistants(name)
    return sizes[name]
