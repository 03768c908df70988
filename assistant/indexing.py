"""Build and refresh the index (the write path): read paper files, chunk, embed into Chroma, then BM25."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterable

from assistant.chunking import chunk_paper
from assistant.config import Settings
from assistant.corpus import ReadReport, read_papers
from assistant.errors import AssistantError, StoreError
from assistant.dense import load_dense
from assistant.lexical import load_lexical
from assistant.models import Paper
from assistant.sentence_vectors import store_sentences
from assistant.store import UNFINISHED, DamagedIndexError, IngestReport, PaperStore
from assistant.store.lock import writer_lock


def ingest_papers(papers: list[Paper], settings: Settings, *, sync: bool = False, rebuild: bool = False,
                  store: PaperStore | None = None, progress: Callable[[int], None] | None = None,
                  on_plan: Callable[[int], None] | None = None, on_wait: Callable[[str], None] | None = None) -> IngestReport:
    """Make the index hold these papers; with rebuild, from scratch (readers keep the old index until the new one is complete).

    Holds the index's writer lock throughout: another ingest of the same index waits (on_wait is told why).
    """
    report = _ingest(papers, settings, sync=sync, rebuild=rebuild, store=store, progress=progress, on_plan=on_plan,
                     on_wait=on_wait, if_missing=False)
    assert report is not None
    return report


def ingest_paths(paths: Iterable[str | Path], settings: Settings, *, on_page: Callable[[int], None] | None = None,
                 **options) -> IngestReport:
    """Read paper files (all checked before anything is written), then ingest them; on_page(n) counts PDF pages read."""
    started = time.perf_counter()
    read = _read(paths, settings, on_page)
    reading = time.perf_counter() - started
    return _reading_included(ingest_read(read, settings, **options), reading)


def ingest_read(read: ReadReport, settings: Settings, **options) -> IngestReport:
    """Ingest the papers of a read report; the ingest report starts with the read's notes (cut, skipped)."""
    return _with_notes(ingest_papers(read.papers, settings, **options), read)


def ingest_paths_if_missing(paths: Iterable[str | Path], settings: Settings, *, on_page: Callable[[int], None] | None = None,
                            **options) -> IngestReport | None:
    """Ingest paper files only when there is no index yet (None when one holds a finished ingest).

    Decided under the writer lock, so a first ingest running elsewhere is waited for, not repeated. An index left by
    a killed first ingest is a StoreError saying so: it is not filled with these papers unasked.
    """
    started = time.perf_counter()
    read = _read(paths, settings, on_page)
    reading = time.perf_counter() - started
    report = _ingest(read.papers, settings, if_missing=True, **options)
    return None if report is None else _reading_included(_with_notes(report, read), reading)


def unfinished_index_message(store: PaperStore) -> str:
    return (f"The index at {store.location} holds no finished ingest: the first one into it was stopped before it "
            f"completed. Run `assistant ingest PATHS` again with the papers you meant to add (or `assistant ingest` for "
            f"the seed papers), or `assistant ingest --rebuild PATHS` to start it afresh.")


def pdf_cache(settings: Settings) -> Path:
    """Where the text read from PDFs is kept, so a stopped ingest resumes without reading them again."""
    return Path(settings.data_dir) / "pdf-text"


def _read(paths: Iterable[str | Path], settings: Settings, on_page: Callable[[int], None] | None = None) -> ReadReport:
    read = read_papers(list(paths), on_page=on_page, cache=pdf_cache(settings))
    if not read.papers:
        raise AssistantError("No papers found in the given files; nothing to ingest.")
    return read


def _reading_included(report: IngestReport, seconds: float) -> IngestReport:
    """The report with the reading of the paper files (done before the ingest proper) counted in its time."""
    report.steps = {"reading the files": seconds, **report.steps}
    report.seconds += seconds
    return report


def _with_notes(report: IngestReport, read: ReadReport) -> IngestReport:
    """The ingest report with what reading changed (cut titles or abstracts) first, and the PDF pages read and their speed."""
    report.notes[:0] = read.notes
    report.pages = read.pages
    if read.pages:
        total = read.seconds + report.seconds
        report.notes.append(f"{read.pages} PDF pages: read in {read.seconds:.1f} s, embedded and stored in {report.seconds:.1f} s, "
                            f"{read.pages / total if total else 0:.1f} pages/s")
    return report


def _ingest(papers: list[Paper], settings: Settings, *, sync: bool = False, rebuild: bool = False,
            store: PaperStore | None = None, progress: Callable[[int], None] | None = None,
            on_plan: Callable[[int], None] | None = None, on_wait: Callable[[str], None] | None = None,
            if_missing: bool) -> IngestReport | None:
    started = time.perf_counter()
    store = store or PaperStore(settings)

    def chunker(paper: Paper):
        return chunk_paper(paper, settings.chunk_tokens, settings.chunk_overlap, settings.tokenizer_encoding)

    with writer_lock(settings, store, on_wait=on_wait) as lock:
        if if_missing:
            version = store.version()
            if version == UNFINISHED:
                raise StoreError(unfinished_index_message(store))
            if version is not None:
                return None
        if rebuild:
            def build() -> IngestReport:
                return store.rebuild(papers, chunker=chunker, progress=progress, on_plan=on_plan, guard=lock.ensure_held)

            try:
                report = build()
            except DamagedIndexError:  # nothing in the old files can be kept: set them aside and build anew
                moved = store.set_aside()
                report = build()
                if moved is not None:
                    report.notes.append(f"The damaged index was moved to {moved} (to restore it: move the "
                                        f"new {moved.with_name('chroma')} aside, then {moved} back to {moved.with_name('chroma')})")
            report.added, report.updated, report.unchanged = report.added + report.updated, [], []
        else:
            report = store.ingest(papers, chunker=chunker, sync=sync, progress=progress, on_plan=on_plan,
                                  guard=lock.ensure_held)
    steps = {"writing the index": time.perf_counter() - started}  # the writer lock's wait included
    step = time.perf_counter()
    snapshot = store.snapshot()
    load_lexical(store, snapshot)  # built now for the new version, so the first question does not wait for it
    steps["BM25"], step = time.perf_counter() - step, time.perf_counter()
    load_dense(store, snapshot)
    steps["dense matrix"], step = time.perf_counter() - step, time.perf_counter()
    store_sentences(store, snapshot, report.sentences, report.notes)  # likewise the sentence vectors (unchanged papers' carried over)
    steps["sentence vectors"] = time.perf_counter() - step
    report.sentences = {}
    report.steps = {**report.steps, **steps}
    report.seconds = time.perf_counter() - started  # every step: the report's time is the time the user waited
    return report


def ingest_zotero(directory: str | Path, settings: Settings, *, zotero_collection: str | None = None,
                  into: str | None = None, **options) -> list[tuple[str, IngestReport]]:
    """Mirror a local Zotero library into collections, read-only; each run syncs them (new, changed and removed items).

    The whole library goes to the collection `zotero` and each Zotero collection (with its sub-collections' items) to
    `zotero-<its name>`; with zotero_collection, only that one (into `into` when given). Unchanged items cost nothing.
    """
    from assistant.corpus import slugify, zotero_papers
    from assistant.corpus.zotero import item_records, read_library
    from assistant.named_collections import check_name, with_collection

    library = read_library(directory)
    if zotero_collection is not None:
        chosen = library.collection_named(zotero_collection)
        name = library.collections[chosen][0]
        targets = [(into or f"zotero-{slugify(name)}"[:40].rstrip("-"), library.items_in(chosen))]
    else:
        targets = [(into or "zotero", library.items)]
        targets += [(f"zotero-{slugify(name)}"[:40].rstrip("-"), library.items_in(cid))
                    for cid, (name, _) in sorted(library.collections.items(), key=lambda c: c[1][0].lower())]
    for name, _ in targets:
        check_name(name)
    reports = []
    wanted = {item.key: item for _, items in targets for item in items}
    found = zotero_papers(item_records(list(wanted.values()), library.directory, pdf_cache(settings)))  # each PDF read once
    for number, (name, items) in enumerate(targets):
        keys = {f"zotero:{item.key}" for item in items}
        read = ReadReport(papers=[p for p in found.papers if p.paper_id in keys], pages=found.pages if number == 0 else 0,
                          notes=found.notes if number == 0 else [], skipped=found.skipped if number == 0 else [])
        target = with_collection(settings, name)
        if not read.papers:
            reports.append((name, IngestReport(notes=[*read.notes, "No item with an abstract or a readable PDF; nothing to ingest."])))
            continue
        reports.append((name, ingest_read(read, target, sync=True, **options)))
    return reports
