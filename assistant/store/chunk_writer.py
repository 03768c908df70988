"""Writing chunks and papers into one generation's collections: embed, store, publish, sweep stale chunks."""

from __future__ import annotations

import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import numpy as np

from assistant.embedding import Embedder
from assistant.errors import AssistantError, StoreError
from assistant.models import Chunk, Paper
from assistant.sentence_vectors import embed_papers
from assistant.store.connection import delete_in_pages, paged
from assistant.store.errors import describe
from assistant.store.records import IngestReport, chunk_id, paper_metadata, text_id
from assistant.store.texts import stale_texts, write_texts

_WRITE_BATCH = 256
_PROGRESS_STEP = 32  # chunks embedded and stored between two progress reports (one of the embedder's batches)
_PUBLISH_BATCH = 2000  # catalog records per write
Pending = list[tuple[Paper, str, list[Chunk]]]  # (paper, its index hash, its chunks) of papers to (re)write
_Planned = tuple[str, Paper, str, Chunk]  # (chunk id, paper, its index hash, chunk) of a chunk to write


class ChunkWriter:
    """Embeds and stores chunks, then publishes their papers in one step; what an ingest does to the collections."""

    def __init__(self, embedder: Callable[[], Embedder], sentence_vectors: str = "late-chunked"):
        self._embedder = embedder
        self._sentence_vectors = sentence_vectors  # how sentence vectors are made (Settings.sentence_vectors)

    @property
    def embedder(self) -> Embedder:
        return self._embedder()

    def write(self, chunks_col: Any, papers: list[tuple[Paper, str]], chunker: Callable[[Paper], list[Chunk]],
              progress: Callable[[int], None] | None, on_plan: Callable[[int], None] | None,
              report: IngestReport) -> tuple[Pending, dict[str, np.ndarray]]:
        """Chunk, embed and store the papers to (re)write, given with their index hashes (skipping any chunk a killed run
        already stored): the papers with their chunks, in order, and the chunks' vectors by chunk id.

        A thread chunks the papers ahead while the embedder works on the ones chunked already: chunking (sentence
        splitting, tokenising) is pure Python and would otherwise leave the embedder idle for ~8% of an ingest. on_plan
        gets the number of chunks to embed found so far, before the first of them is embedded and again whenever more
        are found (the last call gives the total); progress(n) follows each run of about _PROGRESS_STEP chunks embedded and stored."""
        pending: Pending = []
        vectors: dict[str, np.ndarray] = {}
        waiting: deque[_Planned] = deque()  # chunks to embed, in paper order (a million of them at times: taken from the left)
        chunk_counts: dict[str, int] = {}
        planned, told = 0, -1
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="chunker") as pool:
            chunked = deque(pool.submit(chunker, paper) for paper, _ in papers)
            try:
                while chunked or waiting:
                    # Take the papers chunked so far; wait for the next one only when no full batch is waiting.
                    taken: Pending = []
                    while chunked and (chunked[0].done() or _batch_end(waiting) is None and not taken):
                        paper, hash_ = papers[len(pending) + len(taken)]
                        taken.append((paper, hash_, chunked.popleft().result()))
                    todo = self._unstored(chunks_col, taken, vectors)
                    pending.extend(taken)
                    chunk_counts.update((paper.paper_id, len(chunks)) for paper, _, chunks in taken)
                    waiting.extend(todo)
                    planned += len(todo)
                    if on_plan is not None and planned != told:
                        on_plan(planned)
                        told = planned
                    end = _batch_end(waiting) if chunked else _batch_end(waiting) or len(waiting)
                    if not end:
                        continue
                    batch = [waiting.popleft() for _ in range(end)]
                    for run in _paper_runs(batch, _PROGRESS_STEP):  # stored a run at a time: the progress moves often
                        self._store(chunks_col, run, chunk_counts, vectors, report)
                        if progress:
                            progress(len(run))
            except BaseException:
                for future in chunked:
                    future.cancel()
                raise
        if on_plan is not None and told < 0:  # no paper to write
            on_plan(0)
        return pending, vectors

    def _unstored(self, chunks_col: Any, papers: Pending, vectors: dict[str, np.ndarray]) -> list[_Planned]:
        """The papers' chunks to embed: those a killed run did not store already (their vectors go into vectors)."""
        planned = [(chunk_id(paper.paper_id, hash_, c.index), paper, hash_, c) for paper, hash_, chunks in papers for c in chunks]
        for first in range(0, len(planned), 1000):
            got = chunks_col.get(ids=[item[0] for item in planned[first : first + 1000]], include=["embeddings"])
            for cid, vector in zip(got["ids"], got["embeddings"]):
                vectors[cid] = np.asarray(vector, dtype=np.float32)
        return [item for item in planned if item[0] not in vectors]

    def _store(self, chunks_col: Any, batch: list[_Planned], chunk_counts: dict[str, int], vectors: dict[str, np.ndarray],
               report: IngestReport) -> None:
        """Embed a batch of whole papers' chunks (chunk_counts: each paper's number of chunks) and write them."""
        embedded = self._embed_batch(batch, chunk_counts, report)
        chunks_col.upsert(
            ids=[cid for cid, _, _, _ in batch],
            embeddings=[v.tolist() for v in embedded],
            metadatas=[{"paper_id": p.paper_id, "hash": h, "index": c.index, "start": c.start, "end": c.end,
                        "tokens": c.token_count, **_place(c)} for _, p, h, c in batch],
        )
        for (cid, *_), vector in zip(batch, embedded):
            vectors[cid] = vector
        report.chunks_written += len(batch)

    def _embed_batch(self, batch: list[_Planned], chunk_counts: dict[str, int], report: IngestReport) -> np.ndarray:
        """The batch's chunk vectors; the sentence vectors of its papers that it holds whole come from the same pass
        (into report.sentences). A paper a killed run stored in part gets its sentences made after the ingest."""
        whole: dict[str, list[_Planned]] = {}
        for item in batch:
            whole.setdefault(item[1].paper_id, []).append(item)
        papers = [(items[0][1], [c for *_, c in items]) for items in whole.values() if len(items) == chunk_counts[items[0][1].paper_id]]
        in_papers = {paper.paper_id for paper, _ in papers}
        rest = [item for item in batch if item[1].paper_id not in in_papers]
        try:
            chunk_vectors, sentences = embed_papers(self.embedder, papers, self._sentence_vectors) if papers else (np.zeros((0, 0)), [])
            rest_vectors = self.embedder.embed([c.embed_text for *_, c in rest]) if rest else np.zeros((0, 0))
        except AssistantError:
            raise
        except Exception as error:  # not the index's fault: say so, rather than suggest a rebuild
            raise StoreError(f"Cannot embed the chunks: the embedder '{self.embedder.identity}' failed ({describe(error)}). "
                             f"The index still holds what it held before; run the ingest again.") from error
        for (paper, _), paper_sentences in zip(papers, sentences):
            report.sentences[paper.paper_id] = paper_sentences
        by_id = dict(zip([cid for paper, _ in papers for cid, *_ in whole[paper.paper_id]], chunk_vectors))
        by_id.update(zip([cid for cid, *_ in rest], rest_vectors))
        return np.array([by_id[cid] for cid, *_ in batch], dtype=np.float32)

    def publish(self, papers_col: Any, pending: Pending, vectors: dict[str, np.ndarray], removed: list[str],
                texts_col: Any | None = None) -> str:
        """Make the new papers visible and the removed ones invisible, then mark a new version (returned). The papers'
        texts go into texts_col first (store/texts.py), or with no texts collection (the legacy layout) into the
        catalog records' documents."""
        if texts_col is not None:
            write_texts(texts_col, [(paper.paper_id, hash_, paper.text) for paper, hash_, _ in pending])
        for first in range(0, len(pending), _PUBLISH_BATCH):
            batch = pending[first : first + _PUBLISH_BATCH]
            embeddings = []
            for paper, hash_, chunks in batch:
                paper_vector = (np.mean([vectors[chunk_id(paper.paper_id, hash_, c.index)] for c in chunks], axis=0) if chunks
                                else np.zeros(self.embedder.dimension))
                norm = float(np.linalg.norm(paper_vector)) or 1.0
                embeddings.append((paper_vector / norm).tolist())
            papers_col.upsert(
                ids=[p.paper_id for p, _, _ in batch],
                embeddings=embeddings,
                metadatas=[paper_metadata(p, h, len(c)) for p, h, c in batch],
                **({} if texts_col is not None else {"documents": [p.text for p, _, _ in batch]}),  # abstract, then body
            )
        delete_in_pages(papers_col, removed)
        meta = dict(papers_col.metadata or {})
        meta["version"] = uuid.uuid4().hex
        papers_col.modify(metadata=meta)
        return str(meta["version"])

    @staticmethod
    def remove_versions(chunks_col: Any, texts_col: Any | None, versions: list[tuple[str, str, int]]) -> None:
        """Delete the chunks and texts of these (paper id, index hash, chunk count): versions a batch replaced."""
        ids = [chunk_id(paper_id, hash_, index) for paper_id, hash_, count in versions for index in range(count)]
        delete_in_pages(chunks_col, ids)
        if texts_col is not None:
            delete_in_pages(texts_col, [text_id(paper_id, hash_) for paper_id, hash_, _ in versions])

    @staticmethod
    def remove_stale(chunks_col: Any, papers_col: Any, wanted: set[str] | None = None, texts_col: Any | None = None) -> int:
        """Delete chunks (and texts) of versions the catalog no longer names: a paper's replaced versions, and (with
        wanted, the papers of a sync) papers not wanted. Chunks of papers the catalog does not hold (an interrupted
        ingest's) are kept, invisible to readers, to be reused: their number is returned."""
        live = {pid: meta.get("hash") for ids, _, metas in paged(papers_col, include=["metadatas"]) for pid, meta in zip(ids, metas)}
        if texts_col is not None:
            delete_in_pages(texts_col, stale_texts(texts_col, live, wanted))
        stale, kept = [], 0
        for ids, _, metas in paged(chunks_col, include=["metadatas"]):
            for cid, m in zip(ids, metas):
                held = live.get(m["paper_id"])
                if held == m["hash"]:
                    continue
                if held is None and (wanted is None or m["paper_id"] in wanted):
                    kept += 1
                else:
                    stale.append(cid)
        delete_in_pages(chunks_col, stale)
        return kept


def _place(chunk: Chunk) -> dict[str, Any]:
    """A full-text chunk's page and section, as chunk metadata (Chroma holds no None)."""
    return {name: value for name, value in (("page", chunk.page), ("section", chunk.section)) if value is not None}


def _paper_runs(batch: list[_Planned], size: int) -> list[list[_Planned]]:
    """The batch in runs of about `size` chunks, a paper's chunks never split between two runs."""
    runs: list[list[_Planned]] = [[]]
    for item in batch:
        if len(runs[-1]) >= size and item[1].paper_id != runs[-1][-1][1].paper_id:
            runs.append([])
        runs[-1].append(item)
    return runs


def _batch_end(waiting: deque[_Planned]) -> int | None:
    """Where the next batch of about _WRITE_BATCH chunks ends (a paper's chunks never split between two batches), or
    None while the chunks waiting do not fill one."""
    previous = None
    for position, (_, paper, _, _) in enumerate(waiting):  # in order: indexing a deque's middle costs its length
        if position >= _WRITE_BATCH and paper.paper_id != previous:
            return position
        previous = paper.paper_id
    return None
