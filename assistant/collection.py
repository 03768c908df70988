"""What the collection holds: papers, their neighbours, index statistics, and building the index."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from assistant.answer import get_services
from assistant.config import Settings, get_settings
from assistant.indexing import ingest_paths
from assistant.models import Paper
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


def list_papers(settings: Settings | None = None) -> list[Paper]:
    """Every paper of the collection, sorted by title."""
    settings = settings or get_settings()
    snapshot = get_services(settings).retriever.state().snapshot
    return sorted((record.to_paper() for record in snapshot.papers.values()), key=lambda p: p.title.lower())


def related_papers(paper_id: str, k: int = 5, settings: Settings | None = None) -> list[tuple[Paper, float]]:
    """The k papers nearest to paper_id in the index, with their cosine similarity."""
    settings = settings or get_settings()
    services = get_services(settings)
    papers = services.retriever.state().snapshot.papers
    return [(papers[pid].to_paper(), score) for pid, score in services.store.related(paper_id, k) if pid in papers]


def index_stats(settings: Settings | None = None) -> IndexStats:
    """How many papers and chunks are indexed, with which embedder, where."""
    settings = settings or get_settings()
    store = PaperStore(settings)
    return IndexStats(papers=store.count_papers(), chunks=store.count_chunks(), embedder=store.embedder.identity,
                      location=store.location, llm_configured=settings.llm_enabled,
                      llm_model=settings.llm_model if settings.llm_enabled else None)


def index_is_empty(settings: Settings | None = None) -> bool:
    """True when no paper is indexed yet (the first run builds the index from the seeds)."""
    return PaperStore(settings or get_settings()).count_papers() == 0


def build_index(settings: Settings | None = None, *, progress: Callable[[int, int], None] | None = None) -> IngestReport:
    """Ingest the seeds folder; progress(done, total) is called as chunks are embedded."""
    settings = settings or get_settings()
    total = [0]
    done = [0]

    def on_plan(count: int) -> None:
        total[0] = count
        if progress:
            progress(0, count)

    def on_progress(count: int) -> None:
        done[0] += count
        if progress:
            progress(done[0], total[0])

    return ingest_paths([settings.seeds_dir], settings, progress=on_progress, on_plan=on_plan)
