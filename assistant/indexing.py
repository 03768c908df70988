"""Build and refresh the index (the write path): read paper files, chunk, embed into Chroma, then BM25."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from assistant.chunking import chunk_paper
from assistant.config import Settings
from assistant.corpus import load_papers
from assistant.errors import AssistantError
from assistant.lexical import load_lexical
from assistant.models import Paper
from assistant.store import CollectionNames, DamagedIndexError, IngestReport, PaperStore
from assistant.store.lock import writer_lock


def ingest_papers(papers: list[Paper], settings: Settings, *, sync: bool = False, rebuild: bool = False,
                  store: PaperStore | None = None, progress: Callable[[int], None] | None = None,
                  on_plan: Callable[[int], None] | None = None, on_wait: Callable[[str], None] | None = None) -> IngestReport:
    """Make the index hold these papers; with rebuild, from scratch (the old index stays until the new one is complete).

    Holds the index's writer lock throughout: another ingest of the same index waits (on_wait is told why).
    """
    store = store or PaperStore(settings)

    def chunker(paper: Paper):
        return chunk_paper(paper, settings.chunk_tokens, settings.chunk_overlap, settings.tokenizer_encoding)

    with writer_lock(settings, store, on_wait=on_wait) as lock:
        if rebuild:
            staging = PaperStore(settings.model_copy(update={"collection": CollectionNames.staging(settings.collection)}), store.embedder)

            def build() -> IngestReport:
                staging.drop()  # leftovers of a rebuild that was killed
                built = staging.ingest(papers, chunker=chunker, sync=True, progress=progress, on_plan=on_plan,
                                       guard=lock.ensure_held)
                lock.ensure_held()
                store.replace_with(staging)
                return built

            try:
                report = build()
            except DamagedIndexError:  # nothing in the old files can be kept: set them aside and build anew
                moved = store.set_aside()
                report = build()
                report.notes.append(f"The damaged index was moved to {moved}.")
            report.added, report.updated, report.unchanged = report.added + report.updated, [], []
        else:
            report = store.ingest(papers, chunker=chunker, sync=sync, progress=progress, on_plan=on_plan,
                                  guard=lock.ensure_held)
    load_lexical(store)  # built now for the new version, so the first question does not wait for it
    return report


def ingest_paths(paths: Iterable[str | Path], settings: Settings, **options) -> IngestReport:
    """Read paper files (all checked before anything is written), then ingest them."""
    papers = load_papers(list(paths))
    if not papers:
        raise AssistantError("No papers found in the given files; nothing to ingest.")
    return ingest_papers(papers, settings, **options)
