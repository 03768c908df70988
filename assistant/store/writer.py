"""Writing the index: ingest (embed, publish, sweep), rebuild as a new generation and switch to it, drop, set aside.

An ingest writes new chunks first (invisible), then the catalog in one step, then removes stale chunks;
killed at any point, the next ingest converges to exactly what a clean one would give.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any, Callable


from assistant.config import Settings
from assistant.embedding import Embedder
from assistant.errors import IdClashError, StoreError
from assistant.models import PAPER_ID_SCHEME, Chunk, Paper
from assistant.store.catalog_file import catalog_dir, keep_catalog, load_catalog
from assistant.store.chunk_writer import ChunkWriter, Pending
from assistant.store.connection import Connection, callers, delete_in_pages, listing, paged
from assistant.store.records import (UNFINISHED, CollectionNames, IngestReport, LiveIndex, PaperRecord, Snapshot,
                                     chunk_id, index_collections, index_hash, paper_metadata, paper_record)
from assistant.store.texts import read_papers, read_texts, write_texts

_COPY_PAGE = 2000
# In a catalog's metadata: whether the chunks and texts of versions it does not name have been removed since it was
# published. An ingest into a swept catalog removes only the versions its batch replaced; else it looks at them all.
SWEPT_KEY = "swept"
# publish(papers_col, pending, vectors, removed, guard) -> (the version published, the catalog now live)
Publish = Callable[[Any, Pending, dict[str, Any], list[str], Callable[[], None] | None], tuple[str, Any]]



class Writer:
    """The write side of one index."""

    def __init__(self, connection: Connection, embedder: Callable[[], Embedder]):
        self._connection = connection
        self._embedder = embedder
        self._chunks = ChunkWriter(embedder, connection.settings.sentence_vectors)

    @property
    def embedder(self) -> Embedder:
        return self._embedder()

    def ingest(self, papers: list[Paper], *, chunker: Callable[[Paper], list[Chunk]], sync: bool = False,
               progress: Callable[[int], None] | None = None, on_plan: Callable[[int], None] | None = None,
               guard: Callable[[], None] | None = None) -> IngestReport:
        """Make the index hold these papers (and, with sync, only these); unchanged papers cost nothing.

        An unchanged paper missing some of its chunks is re-embedded (the index heals without a rebuild); a paper
        whose id names a different stored paper is an IdClashError before anything is written. guard() runs just
        before publishing (the writer lock's check that it is still held). Run under the writer lock: it first
        removes what earlier rebuilds left (superseded generations, a killed rebuild's collections).
        """
        started = time.perf_counter()

        def write(client: Any) -> IngestReport:
            notes = self._settle_interrupted(client)
            self._remove_debris(client, keep=set())
            found = self._connection.collections(client, self.embedder, create=True)
            assert found is not None
            _check_id_scheme(found[1], self._connection.location)
            live = self._connection.live(listing(client))
            assert live is not None
            atomic = live.generation is not None and _version(found[1]) != UNFINISHED  # else nothing is visible yet
            texts_col = self._connection.texts(client, live.names.papers)
            publish = functools.partial(self._publish_catalog, client, live) if atomic else self._publish_in_place
            report, version = self._fill(*found, papers, chunker=chunker, sync=sync, progress=progress, on_plan=on_plan,
                                         guard=guard, publish=functools.partial(publish, texts_col=texts_col),
                                         texts_col=texts_col)
            report.notes[:0] = notes
            if version is not None:
                self._connection.published(version)
            return report

        with self._connection.writing():
            report = self._connection.call("write the index", write)
        report.seconds = time.perf_counter() - started
        return report

    def rebuild(self, papers: list[Paper], *, chunker: Callable[[Paper], list[Chunk]],
                progress: Callable[[int], None] | None = None, on_plan: Callable[[int], None] | None = None,
                guard: Callable[[], None] | None = None) -> IngestReport:
        """Build the index anew from these papers, as a new generation, then switch the pointer to it in one write.

        Readers keep answering from the live generation until the switch. The generation it replaces is kept until
        the next write (a reader may still be using it); killed, the rebuild leaves the live generation serving and
        its own collections are removed by the next write. Run under the writer lock.
        """
        started = time.perf_counter()

        def build(client: Any) -> IngestReport:
            existing = listing(client)
            live = self._remove_debris(client, keep=set(), collections=existing)
            numbers = [n for name in existing if (n := CollectionNames.generation_of(self._connection.name, name)) is not None]
            number = max(numbers, default=0) + 1  # never a number used before, not even by a killed rebuild
            names = CollectionNames.generation(self._connection.name, number)
            chunks_col, papers_col = self._connection.create(client, names, self.embedder)
            texts_col = self._connection.texts(client, names.papers)
            report, version = self._fill(chunks_col, papers_col, papers, chunker=chunker, sync=True, progress=progress,
                                         on_plan=on_plan, guard=guard, texts_col=texts_col,
                                         publish=functools.partial(self._publish_in_place, texts_col=texts_col))  # not live yet
            if guard:
                guard()
            self._connection.point_to(client, number, exists=live is not None and live.generation is not None)
            if version is not None:
                self._connection.published(version)
            self._remove_debris(client, keep=set() if live is None else set(live.names))  # a reader may still use it
            return report

        with self._connection.writing():
            report = self._connection.call("rebuild the index", build)
        report.seconds = time.perf_counter() - started
        return report

    def _fill(self, chunks_col: Any, papers_col: Any, papers: list[Paper], *, chunker: Callable[[Paper], list[Chunk]],
              sync: bool, progress: Callable[[int], None] | None, on_plan: Callable[[int], None] | None,
              guard: Callable[[], None] | None, publish: Publish, texts_col: Any | None = None
              ) -> tuple[IngestReport, str | None]:
        """Ingest into these collections: the report, and the version published (None when nothing changed)."""
        settings = self._connection.settings
        chunker = callers(chunker)
        progress, on_plan = (callers(progress) if progress else None), (callers(on_plan) if on_plan else None)
        report = IngestReport()
        current = _current_catalog(settings, papers_col, texts_col)
        check_id_clashes(papers, current)
        present = _stored_chunks(chunks_col, [(p.paper_id, h, current[p.paper_id].chunk_count) for p in papers
                                              if p.paper_id in current and current[p.paper_id].index_hash == (h := index_hash(p, settings))])
        wanted = {p.paper_id: p for p in papers}
        to_write: list[tuple[Paper, str]] = []
        for paper in papers:
            hash_ = index_hash(paper, settings)
            old = current.get(paper.paper_id)
            if old is not None and old.index_hash == hash_:
                if present.get((paper.paper_id, hash_), 0) >= old.chunk_count:
                    report.unchanged.append(paper.paper_id)
                    continue
                report.repaired.append(paper.paper_id)  # chunks lost (e.g. to an old concurrent ingest): re-embed them
            else:
                (report.updated if old is not None else report.added).append(paper.paper_id)
            to_write.append((paper, hash_))
        removed = [pid for pid in current if sync and pid not in wanted]
        if report.repaired:
            report.notes.append(f"{len(report.repaired)} unchanged paper(s) had lost chunks; they were re-embedded")

        pending, vectors = self._chunks.write(chunks_col, to_write, chunker, progress, on_plan, report)
        version = None
        before = papers_col
        if pending or removed:
            if guard:
                guard()
            version, papers_col = publish(papers_col, pending, vectors, removed, guard)
            _keep_catalog(settings, version, current, pending, removed)
        report.removed = removed
        kept = 0
        swept_before = bool((before.metadata or {}).get(SWEPT_KEY))
        if swept_before and not sync and version is None:
            pass  # nothing published into a swept catalog: nothing is stale
        elif swept_before and not sync and papers_col.name != before.name:
            # published as a new catalog over a swept one: only the versions this batch replaced can be stale
            replaced = [(paper.paper_id, old.index_hash, old.chunk_count) for paper, hash_, _ in pending
                        if (old := current.get(paper.paper_id)) is not None and old.index_hash != hash_]
            ChunkWriter.remove_versions(chunks_col, texts_col, replaced)
        else:  # a sync (it also removes what unwanted papers left), an ingest killed before its sweep, an in-place publish
            kept = ChunkWriter.remove_stale(chunks_col, papers_col, wanted=set(wanted) if sync else None, texts_col=texts_col)
        if not (papers_col.metadata or {}).get(SWEPT_KEY):
            papers_col.modify(metadata={**dict(papers_col.metadata or {}), SWEPT_KEY: True})
        if kept:
            report.notes.append(f"{kept} embedded chunk(s) of papers not in the collection (an interrupted ingest's) are "
                                f"kept, invisible, and reused when those papers are ingested again")
        report.chunks_total = chunks_col.count()
        return report, version

    def _publish_in_place(self, papers_col: Any, pending: Pending, vectors: dict[str, Any], removed: list[str],
                          guard: Callable[[], None] | None, texts_col: Any | None = None) -> tuple[str, Any]:
        """Write the batch into papers_col itself: for a catalog no reader sees yet (a rebuild's, or one holding no
        finished ingest, read as empty until its version is set), and the legacy layout."""
        return self._chunks.publish(papers_col, pending, vectors, removed, texts_col), papers_col

    def _publish_catalog(self, client: Any, live: LiveIndex, papers_col: Any, pending: Pending, vectors: dict[str, Any],
                         removed: list[str], guard: Callable[[], None] | None, texts_col: Any | None = None) -> tuple[str, Any]:
        """Publish the batch all at once: a copy of the live catalog with the batch applied, as a new catalog of the live
        generation, then one write of the pointer. Killed before that write, readers never saw any of it; the next
        ingest finishes it (when the copy was complete) or removes it (see _settle_interrupted). The copy holds no text
        (store/texts.py): a text a record still holds as its document (written before texts were kept apart) is moved
        into texts_col."""
        assert live.generation is not None
        name = self._connection.name
        numbers = [n for c in listing(client) if (n := CollectionNames.catalog_of(name, live.generation, c)) is not None]
        catalog = max(numbers, default=0) + 1  # never a number used before, not even by a killed ingest
        meta = {**dict(papers_col.metadata or {}), "version": UNFINISHED, SWEPT_KEY: False}  # swept once published
        new = self._connection.create_catalog(client, CollectionNames.generation(name, live.generation, catalog).papers, meta)
        skip = set(removed) | {paper.paper_id for paper, _, _ in pending}
        offset = 0
        while True:
            got = papers_col.get(include=["embeddings", "documents", "metadatas"], limit=_COPY_PAGE, offset=offset)
            keep = [i for i, pid in enumerate(got["ids"]) if pid not in skip]
            if keep and texts_col is not None:
                _move_texts(texts_col, [(got["ids"][i], got["metadatas"][i], got["documents"][i]) for i in keep])
                new.add(ids=[got["ids"][i] for i in keep], embeddings=[got["embeddings"][i] for i in keep],
                        metadatas=[got["metadatas"][i] for i in keep])
            elif keep:
                new.add(ids=[got["ids"][i] for i in keep], embeddings=[got["embeddings"][i] for i in keep],
                        documents=[got["documents"][i] for i in keep], metadatas=[got["metadatas"][i] for i in keep])
            if len(got["ids"]) < _COPY_PAGE:
                break
            offset += _COPY_PAGE
        version = self._chunks.publish(new, pending, vectors, [], texts_col)  # its version set last: the copy is complete
        if guard:
            guard()
        self._connection.point_to(client, live.generation, exists=True, catalog=catalog)
        return version, new

    def _settle_interrupted(self, client: Any) -> list[str]:
        """Finish or roll back what a killed ingest left of its batch; what was done, for the report.

        A complete copy of the catalog that the pointer does not name yet is switched to (the ingest was killed just
        before); an incomplete one is removed (by _remove_debris); a first batch written in place into a catalog that
        no ingest finished (read as empty) is taken out of it. Its embedded chunks are kept, and reused."""
        collections = listing(client)
        live = self._connection.live(collections)
        if live is None or live.generation is None:
            return []
        name, notes = self._connection.name, []
        newer = sorted((n, c) for c in collections if (n := CollectionNames.catalog_of(name, live.generation, c)) is not None
                       and n > live.catalog)
        complete = [(n, c) for n, c in newer if str(collections[c].get("version", UNFINISHED)) != UNFINISHED]
        if complete:
            number, collection = complete[-1]
            count = client.get_collection(collection, embedding_function=None).count()
            self._connection.point_to(client, live.generation, exists=True, catalog=number)
            self._connection.published(str(collections[collection]["version"]))
            notes.append(f"an interrupted ingest had written its whole batch but not published it: it was published now "
                         f"({count} papers in the collection)")
        elif newer:
            copied = sum(client.get_collection(c, embedding_function=None).count() for _, c in newer)
            notes.append(f"an interrupted ingest was rolled back: its unfinished catalog ({copied} records copied) was never "
                         f"visible and is removed")
        elif str(collections.get(live.names.papers, {}).get("version", UNFINISHED)) == UNFINISHED:
            papers = client.get_collection(live.names.papers, embedding_function=None)
            ids = [pid for batch, _, _ in paged(papers, include=[]) for pid in batch]
            delete_in_pages(papers, ids)
            if ids:
                notes.append(f"an interrupted first ingest was rolled back: the {len(ids)} papers it had begun to publish "
                             f"were never visible and are taken out")
        return notes

    def _remove_debris(self, client: Any, keep: set[str], collections: dict[str, dict[str, Any]] | None = None) -> LiveIndex | None:
        """Delete this index's collections that are neither live nor in keep: superseded generations and catalogs, a
        killed rebuild's or ingest's. The live collections, as Connection.live gives them.

        collections: the listing of the client's collections, when the caller just made it.
        """
        collections = listing(client) if collections is None else collections
        live = self._connection.live(collections)
        kept = set(live.names) if live is not None else set()
        kept |= {CollectionNames.pointer(self._connection.name)} | keep
        if live is None:  # no index yet: a killed first ingest's collections are completed, not removed
            kept |= set(CollectionNames.generation(self._connection.name, 1))
        for name in index_collections(self._connection.name, collections):
            if name not in kept:
                client.delete_collection(name)
        return live

    def drop(self) -> None:
        """Delete the whole index (every collection of it)."""
        def drop(client: Any) -> None:
            for name in index_collections(self._connection.name, listing(client)):
                client.delete_collection(name)

        self._connection.call("delete the index", drop)
        self._connection.signal_change()

    def set_aside(self) -> Path | None:
        """Move a damaged local index out of the way, kept for inspection, so that a rebuild starts from nothing."""
        return self._connection.set_aside()


def _check_id_scheme(papers_col: Any, location: str) -> None:
    """Refuse to add to an index whose papers got their ids another way: the same paper would be stored twice."""
    scheme = (papers_col.metadata or {}).get("ids")
    if scheme != PAPER_ID_SCHEME and papers_col.count() > 0:
        raise StoreError(f"The index at {location} was built by an earlier version, which gave papers other ids; adding "
                         f"papers to it would store some twice. Run `assistant ingest --rebuild PATHS` (with all your "
                         f"paper files) to rebuild it with the current ids; it keeps answering until the rebuild is done.")


def check_id_clashes(papers: list[Paper], stored: dict[str, PaperRecord]) -> None:
    """Raise IdClashError when a paper's id is stored for a different paper: other title and other abstract.

    The same id with the same title (an edited abstract) or the same abstract (an edited title) is an update.
    """
    clashes = [(paper, old) for paper in papers if (old := stored.get(paper.paper_id)) is not None
               and old.title != paper.title and old.abstract != paper.text]
    if not clashes:
        return
    paper, old = clashes[0]
    more = f" ({len(clashes) - 1} more id(s) clash the same way)" if len(clashes) > 1 else ""
    raise IdClashError(
        f"The paper id '{paper.paper_id}' of {paper.source or 'a new paper'} ({paper.title[:80]!r}) is already in the index "
        f"for a different paper, from {old.source or 'an earlier ingest'} ({old.title[:80]!r}): the titles and abstracts "
        f"both differ, so this is not an update{more}. Give one of them another id, then ingest again. Nothing was written."
    )


def _keep_catalog(settings: Settings, version: str, current: dict[str, PaperRecord], pending: Pending, removed: list[str]) -> None:
    """Save the catalog just published (the one read before, with the batch applied) as the version's catalog files,
    so that no reader pages it out of Chroma (see catalog_file.py)."""
    published = {paper.paper_id: paper_record(paper.paper_id, paper.text, paper_metadata(paper, hash_, len(chunks)))
                 for paper, hash_, chunks in pending}
    gone = set(removed)
    papers = {pid: record for pid, record in current.items() if pid not in published and pid not in gone}
    keep_catalog(settings, Snapshot(version, papers | published))


def _current_catalog(settings: Settings, papers_col: Any, texts_col: Any | None) -> dict[str, PaperRecord]:
    """The records of papers_col with their texts: from the version's saved catalog files when they are there (a version
    is a new uuid at every publish: the files describe this catalog and no other), else read from Chroma."""
    version = _version(papers_col)
    saved = load_catalog(catalog_dir(settings), version) if version != UNFINISHED else None
    if saved is not None and len(saved.papers) == papers_col.count():
        return dict(saved.papers.items())
    return read_papers(papers_col, texts_col)


def _move_texts(texts_col: Any, records: list[tuple[str, dict[str, Any], str | None]]) -> None:
    """Store the texts that these copied catalog records (id, metadata, document) hold as their documents, unless the
    texts collection has that version's text already."""
    held = [(paper_id, str(meta["hash"]), document) for paper_id, meta, document in records if document is not None]
    if held:
        stored = read_texts(texts_col, [(paper_id, hash_) for paper_id, hash_, _ in held])
        write_texts(texts_col, [item for item in held if (item[0], item[1]) not in stored])


def _stored_chunks(chunks_col: Any, papers: list[tuple[str, str, int]], page: int = 2000) -> dict[tuple[str, str], int]:
    """(paper id, hash) -> how many of the chunks that version has are stored, for these (paper id, hash, chunk count):
    read by id (a one-paper ingest into a million chunks reads none of the others)."""
    stored: dict[tuple[str, str], int] = {}
    ids = [chunk_id(paper_id, hash_, index) for paper_id, hash_, count in papers for index in range(count)]
    for first in range(0, len(ids), page):
        for cid in chunks_col.get(ids=ids[first : first + page], include=[])["ids"]:
            paper_id, hash_, _ = cid.rsplit("#", 2)  # an index hash holds no "#"
            stored[(paper_id, hash_)] = stored.get((paper_id, hash_), 0) + 1
    return stored


def _version(papers_col: Any) -> str:
    return str((papers_col.metadata or {}).get("version", UNFINISHED))
