"""Build and refresh the index: read paper files, chunk, embed into Chroma, refresh BM25."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Iterable

from assistant.chunking import chunk_paper
from assistant.config import Settings
from assistant.corpus import load_papers
from assistant.errors import AssistantError
from assistant.lexical import LexicalIndex
from assistant.models import Paper
from assistant.store import DamagedIndexError, IngestReport, PaperStore, Snapshot

log = logging.getLogger(__name__)


def lexical_dir(settings: Settings) -> Path:
    """Where the BM25 index of the settings' collection is kept."""
    where = f"{settings.chroma_host}_{settings.chroma_port}" if settings.chroma_host else "local"
    return Path(settings.data_dir) / "bm25" / f"{where}_{settings.collection}"


def refresh_lexical(store: PaperStore, snapshot: Snapshot | None = None) -> LexicalIndex:
    """The BM25 index for the snapshot's version (default: the store's current one): loaded from disk, or rebuilt
    from the store's chunks that the snapshot names."""
    snapshot = snapshot or store.snapshot()
    directory = lexical_dir(store.settings)
    index = LexicalIndex.load(directory, snapshot.version)
    if index is not None:
        return index
    live = [c for c in store.all_chunks() if (p := snapshot.papers.get(c.paper_id)) and p.index_hash == c.index_hash]
    index = LexicalIndex(live, snapshot.version)
    try:
        index.save(directory)
    except OSError as error:  # a read-only or full data dir still answers; the index is rebuilt in memory next time
        log.warning("Could not save the BM25 index to %s (%s); it is kept in memory only.", directory, error)
    return index


def ingest_papers(papers: list[Paper], settings: Settings, *, sync: bool = False, rebuild: bool = False,
                  store: PaperStore | None = None, progress: Callable[[int], None] | None = None,
                  on_plan: Callable[[int], None] | None = None) -> IngestReport:
    """Make the index hold these papers; with rebuild, from scratch (the old index stays until the new one is complete)."""
    store = store or PaperStore(settings)

    def chunker(paper: Paper):
        return chunk_paper(paper, settings.chunk_tokens, settings.chunk_overlap, settings.tokenizer_encoding)

    if rebuild:
        staging = PaperStore(settings.model_copy(update={"collection": f"{settings.collection}--rebuild"}), store.embedder)

        def build() -> IngestReport:
            staging.drop()  # leftovers of a rebuild that was killed
            built = staging.ingest(papers, chunker=chunker, sync=True, progress=progress, on_plan=on_plan)
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
        report = store.ingest(papers, chunker=chunker, sync=sync, progress=progress, on_plan=on_plan)
    refresh_lexical(store)
    return report


def ingest_paths(paths: Iterable[str | Path], settings: Settings, **options) -> IngestReport:
    """Read paper files (all checked before anything is written), then ingest them."""
    papers = load_papers(list(paths))
    if not papers:
        raise AssistantError("No papers found in the given files; nothing to ingest.")
    return ingest_papers(papers, settings, **options)
