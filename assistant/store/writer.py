"""Writing the index: ingest (embed, publish, sweep), rebuild as a new generation and switch to it, drop, set aside.

An ingest writes new chunks first (invisible), then the catalog in one step, then removes stale chunks;
killed at any point, the next ingest converges to exactly what a clean one would give.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable


from assistant.embedding import Embedder
from assistant.errors import IdClashError, StoreError
from assistant.models import PAPER_ID_SCHEME, Chunk, Paper
from assistant.store.chunk_writer import ChunkWriter, Pending
from assistant.store.connection import Connection, callers, listing, paged
from assistant.store.records import (CollectionNames, IngestReport, LiveIndex, PaperRecord, index_collections, index_hash,
                                     paper_record)



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
            self._remove_debris(client, keep=set())
            found = self._connection.collections(client, self.embedder, create=True)
            assert found is not None
            _check_id_scheme(found[1], self._connection.location)
            report, version = self._fill(*found, papers, chunker=chunker, sync=sync, progress=progress, on_plan=on_plan,
                                         guard=guard)
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
            chunks_col, papers_col = self._connection.create(client, CollectionNames.generation(self._connection.name, number),
                                                             self.embedder)
            report, version = self._fill(chunks_col, papers_col, papers, chunker=chunker, sync=True, progress=progress,
                                         on_plan=on_plan, guard=guard)
            if guard:
                guard()
            previous = live.generation if live is not None else None
            self._connection.point_to(client, number, exists=previous is not None)
            if version is not None:
                self._connection.published(version)
            self._remove_debris(client, keep=set() if previous is None else {previous},
                                legacy=live is not None and previous is None)
            return report

        with self._connection.writing():
            report = self._connection.call("rebuild the index", build)
        report.seconds = time.perf_counter() - started
        return report

    def _fill(self, chunks_col: Any, papers_col: Any, papers: list[Paper], *, chunker: Callable[[Paper], list[Chunk]],
              sync: bool, progress: Callable[[int], None] | None, on_plan: Callable[[int], None] | None,
              guard: Callable[[], None] | None) -> tuple[IngestReport, str | None]:
        """Ingest into these collections: the report, and the version published (None when nothing changed)."""
        settings = self._connection.settings
        chunker = callers(chunker)
        progress, on_plan = (callers(progress) if progress else None), (callers(on_plan) if on_plan else None)
        report = IngestReport()
        current = {pid: paper_record(pid, abstract, meta)
                   for ids, abstracts, metas in paged(papers_col, include=["documents", "metadatas"])
                   for pid, abstract, meta in zip(ids, abstracts, metas)}
        check_id_clashes(papers, current)
        present = _stored_chunk_indexes(chunks_col)
        wanted = {p.paper_id: p for p in papers}
        pending: Pending = []
        for paper in papers:
            hash_ = index_hash(paper, settings)
            old = current.get(paper.paper_id)
            if old is not None and old.index_hash == hash_:
                if len(present.get((paper.paper_id, hash_), ())) >= old.chunk_count:
                    report.unchanged.append(paper.paper_id)
                    continue
                report.repaired.append(paper.paper_id)  # chunks lost (e.g. to an old concurrent ingest): re-embed them
            else:
                (report.updated if old is not None else report.added).append(paper.paper_id)
            pending.append((paper, hash_, chunker(paper)))
        removed = [pid for pid in current if sync and pid not in wanted]
        if report.repaired:
            report.notes.append(f"{len(report.repaired)} unchanged paper(s) had lost chunks; they were re-embedded")

        vectors = self._chunks.write(chunks_col, pending, progress, on_plan, report)
        version = None
        if pending or removed:
            if guard:
                guard()
            version = self._chunks.publish(papers_col, pending, vectors, removed)
        report.removed = removed
        ChunkWriter.remove_stale(chunks_col, papers_col)
        report.chunks_total = chunks_col.count()
        return report, version

    def _remove_debris(self, client: Any, keep: set[int], legacy: bool = False,
                       collections: dict[str, dict[str, Any]] | None = None) -> LiveIndex | None:
        """Delete this index's collections that are not live (and not a generation in keep, nor with legacy the legacy
        layout's): superseded generations, a killed rebuild's. The live collections, as Connection.live gives them.

        collections: the listing of the client's collections, when the caller just made it.
        """
        collections = listing(client) if collections is None else collections
        live = self._connection.live(collections)
        kept = set(live.names) if live is not None else set()
        kept |= {CollectionNames.pointer(self._connection.name)}
        kept |= {name for number in keep for name in CollectionNames.generation(self._connection.name, number)}
        if legacy:
            kept |= set(CollectionNames.of(self._connection.name))
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

    def set_aside(self) -> Path:
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


def _stored_chunk_indexes(chunks_col: Any) -> dict[tuple[str, str], set[int]]:
    """(paper id, hash) -> the chunk indexes stored for that version of the paper."""
    present: dict[tuple[str, str], set[int]] = {}
    for _, _, metas in paged(chunks_col, include=["metadatas"]):
        for m in metas:
            if m:
                present.setdefault((m["paper_id"], m["hash"]), set()).add(int(m["index"]))
    return present
