"""Find the papers that answer a question: dense and lexical (BM25 over chunks and over papers) rankings fused, one Hit per paper."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np

from assistant.dense import DenseIndex, load_dense
from assistant.errors import QuestionError
from assistant.evidence import Reading, Scorer, SentenceBank, read
from assistant.config import Settings, get_settings
from assistant.lexical import LexicalIndex, load_lexical
from assistant.models import ChunkMatch, Hit
from assistant.names import has_inner_capitals, is_own_name, mentions, specific_terms
from assistant.params import DEFAULT_RETRIEVAL, RetrievalParams
from assistant import resident
from assistant.store import ChunkRecord, PaperStore, Snapshot

Method = Literal["fused", "dense", "lexical"]


# How many fused papers the reader reorders for a question (then the best top_k are kept). The reader reads each one's
# sentences nearest the question (evidence.READ_BUDGET pairs in all), so a deeper rerank reads fewer sentences per paper.
RERANK_DEPTH = 8


@dataclass
class _State:
    snapshot: Snapshot
    lexical: LexicalIndex
    dense: DenseIndex | None = None  # loaded at the first dense search of this version


@dataclass
class StageTimings:
    """Milliseconds spent in each stage of the last retrieval (for the evaluation harness)."""

    embed_ms: float = 0.0
    dense_ms: float = 0.0
    lexical_ms: float = 0.0
    fusion_ms: float = 0.0


class Retriever:
    """Ranks the papers of one index for a question; safe to share between threads."""

    def __init__(self, settings: Settings | None = None, store: PaperStore | None = None,
                 params: RetrievalParams = DEFAULT_RETRIEVAL):
        self.settings = settings or get_settings()
        self.store = store or PaperStore(self.settings)
        self.params = params
        self._state: _State | None = None
        self._lock = threading.Lock()
        self._query_vectors: dict[str, np.ndarray] = {}

    def embed_query(self, question: str) -> np.ndarray:
        """The question's vector; recent questions are remembered, so answering does not embed them again."""
        with self._lock:
            vector = self._query_vectors.get(question)
        if vector is None:
            vector = self.store.embedder.embed([question])[0]
            with self._lock:
                if len(self._query_vectors) >= 512:
                    self._query_vectors.pop(next(iter(self._query_vectors)))
                self._query_vectors[question] = vector
        return vector

    def state(self) -> _State:
        """The catalog, BM25 and dense indexes for the store's current version (reloaded when an ingest has published)."""
        version = self.store.recent_version()
        if version is None and not self.settings.seed_when_empty:  # a named collection deleted since (by any process)
            from assistant.named_collections import missing_collection

            raise missing_collection(self.settings)
        state = self._state
        if state is not None and state.snapshot.version == version:
            return state
        with self._lock:
            if self._state is None or self._state.snapshot.version != version:
                snapshot = self.store.snapshot()  # read once: the BM25 and dense indexes are built for exactly this catalog
                self._state = _State(snapshot, load_lexical(self.store, snapshot))
            return self._state

    def loaded_state(self) -> _State:
        """The catalog and indexes the last retrieval used (no round-trip to the store: for what follows a retrieval,
        which must read the same version as its hits)."""
        return self._state or self.state()

    def loaded_version(self) -> str:
        """The version the last retrieval used (no round-trip to the store: for what follows a retrieval)."""
        return self.loaded_state().snapshot.version

    def _dense_index(self, state: _State) -> DenseIndex:
        """The state's dense index, loaded once."""
        if state.dense is None:
            with self._lock:
                if state.dense is None:
                    state.dense = load_dense(self.store, state.snapshot)
        return state.dense

    def paper_vectors(self) -> tuple[list[str], np.ndarray]:
        """The collection's papers and one unit vector each, the mean of its chunks' vectors (for grouping papers by topic)."""
        state = self.state()
        paper_ids, vectors = self._dense_index(state).paper_means()
        live = [row for row, pid in enumerate(paper_ids) if pid in state.snapshot.papers]
        return [paper_ids[row] for row in live], vectors[live]

    def _dense(self, question: str, state: _State, n_papers: int, paper_ids: list[str] | None, timings: StageTimings) -> dict[str, list[ChunkRecord]]:
        started = time.perf_counter()
        vector = self.embed_query(question)
        timings.embed_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        records = self._dense_index(state).search(vector, n_papers * self.params.dense_candidates_per_hit, paper_ids)
        timings.dense_ms = (time.perf_counter() - started) * 1000
        return _by_paper(r for r in records if _is_live(r, state.snapshot))

    def _lexical(self, question: str, state: _State, paper_ids: list[str] | None,
                 timings: StageTimings) -> tuple[dict[str, list[ChunkRecord]], dict[str, float]]:
        """The best BM25 chunks grouped per paper, and the best papers' BM25 over their title + abstract."""
        started = time.perf_counter()
        index = state.lexical
        scores = index.scores(question)
        paper_scores = index.paper_scores(question)
        if paper_ids:
            allowed = set(paper_ids)
            scores = np.where(index.chunks.in_papers(allowed), scores, 0.0)
            paper_scores = np.where([pid in allowed for pid in index.paper_ids], paper_scores, 0.0)
        records = []
        for position in _top(scores, self.params.lexical_candidates):
            chunk = index.chunks.record(int(position), float(scores[position]))
            if _is_live(chunk, state.snapshot):
                records.append(chunk)
        papers = {index.paper_ids[position]: float(paper_scores[position])
                  for position in _top(paper_scores, self.params.lexical_candidates) if index.paper_ids[position] in state.snapshot.papers}
        timings.lexical_ms = (time.perf_counter() - started) * 1000
        return _by_paper(records), papers

    def retrieve(self, question: str, *, k: int = 10, paper_ids: list[str] | None = None, method: Method = "fused",
                 timings: StageTimings | None = None, also_words: str = "") -> list[Hit]:
        """The k best papers for the question, best first; also_words: more words for the lexical side only (another
        form of the question's words, e.g. an acronym's expansion), which the dense side does not read."""
        timings = timings or StageTimings()
        resident.within_budget()  # past its budget, what earlier questions read of the memory-mapped files is handed back
        state = self.state()
        if paper_ids:
            check_paper_ids(paper_ids, state.snapshot)
        dense = self._dense(question, state, k, paper_ids, timings) if method in ("fused", "dense") else {}
        lexical_question = f"{question} {also_words}" if also_words else question
        lexical, lexical_papers = (self._lexical(lexical_question, state, paper_ids, timings) if method in ("fused", "lexical")
                                   else ({}, {}))
        started = time.perf_counter()
        best_lexical = max(lexical_papers, key=lexical_papers.__getitem__, default=None)
        weight = lexical_weight(question, state.lexical, best_lexical, self.params)
        scores = _fuse(dense, lexical, lexical_papers, method, weight, self.params)
        if method == "fused":
            _boost_named(scores, question, state.snapshot, self.params.name_weight, self.params.title_name_weight)
        ranked = sorted(scores, key=lambda pid: (-scores[pid], pid))[:k]
        hits = [self._hit(pid, scores[pid], dense.get(pid, []), lexical.get(pid, []), state.snapshot) for pid in ranked]
        timings.fusion_ms = (time.perf_counter() - started) * 1000
        return hits

    def reranked(self, question: str, scorer: Scorer, bank: SentenceBank, *, k: int = 10, depth: int = RERANK_DEPTH,
                 paper_ids: list[str] | None = None) -> list[Hit]:
        """The k best papers after the reader reorders the fused top max(k, depth); retrieve() stays the fast search."""
        hits = self.retrieve(question, k=max(k, depth), paper_ids=paper_ids)
        if not hits:
            return hits
        reading = read(scorer, question, hits, bank.sentences(hits), self.embed_query(question))
        return rerank(hits, reading, k)

    @staticmethod
    def _hit(paper_id: str, score: float, dense: list[ChunkRecord], lexical: list[ChunkRecord], snapshot: Snapshot) -> Hit:
        paper = snapshot.papers[paper_id]
        matches: dict[int, ChunkMatch] = {}
        for chunk in dense + lexical:
            if chunk.index not in matches:
                matches[chunk.index] = ChunkMatch(index=chunk.index, start=chunk.start, end=chunk.end,
                                                  text=paper.abstract[chunk.start : chunk.end], score=round(chunk.score, 4))
        return Hit(paper_id=paper_id, title=paper.title, score=round(score, 4), urls=paper.urls, abstract=paper.abstract,
                   chunks=list(matches.values()), authors=paper.authors, date=paper.date, doi=paper.doi, bibtex=paper.bibtex,
                   body_start=paper.body_start, pages=paper.pages, sections=paper.sections, pdf=paper.pdf,
                   dense_score=round(dense[0].score, 4) if dense else None,
                   lexical_score=round(lexical[0].score, 4) if lexical else None)


def paper_hit(snapshot: Snapshot, paper_id: str) -> Hit:
    """A paper of the snapshot as a hit that no search found (no chunks, no scores): for answers about the collection."""
    return Retriever._hit(paper_id, 0.0, [], [], snapshot)


def rerank(hits: list[Hit], reading: Reading, k: int) -> list[Hit]:
    """The k best hits by the reader's best logit for their sentences (papers it did not read after, in fused order)."""
    position = {hit.paper_id: i for i, hit in enumerate(hits)}
    return sorted(hits, key=lambda hit: (-reading.paper(hit.paper_id), position[hit.paper_id]))[:k]


def check_paper_ids(paper_ids: list[str], snapshot: Snapshot) -> None:
    """Raise a QuestionError naming the ids the collection does not hold."""
    unknown = [p for p in paper_ids if p not in snapshot.papers]
    if unknown:
        listed = ", ".join(f"'{p}'" for p in unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        raise QuestionError(f"No paper with the id {listed} in the collection; `assistant papers` lists the ids.")


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    """Positions of the n highest positive scores, best first, without sorting all of them."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > n:
        positive = positive[np.argpartition(-scores[positive], n - 1)[:n]]
    return positive[np.argsort(-scores[positive], kind="stable")]


def _boost_named(scores: dict[str, float], question: str, snapshot: Snapshot, weight: float, title_weight: float) -> None:
    """Raise the candidates that mention the question's mixed-case names exactly (SCoRe, which BM25 reads as 'score'),
    and those whose own name (the title before a colon) is a name the question asks about."""
    asked = specific_terms(question)
    names = [name for name in asked if has_inner_capitals(name)]
    if not asked:
        return
    for paper_id in scores:
        paper = snapshot.papers[paper_id]
        if names:
            text = f"{paper.title} {paper.abstract}"
            scores[paper_id] += weight * sum(mentions(text, name) for name in names) / len(names)
        scores[paper_id] += title_weight * sum(is_own_name(paper.title, name) for name in asked) / len(asked)


def _is_live(chunk: ChunkRecord, snapshot: Snapshot) -> bool:
    paper = snapshot.papers.get(chunk.paper_id)
    return paper is not None and paper.index_hash == chunk.index_hash


def _by_paper(records) -> dict[str, list[ChunkRecord]]:
    """Chunks grouped per paper, best first within each paper, papers in order of their best chunk."""
    grouped: dict[str, list[ChunkRecord]] = {}
    for record in sorted(records, key=lambda r: -r.score):
        grouped.setdefault(record.paper_id, []).append(record)
    return grouped


def lexical_weight(question: str, index: LexicalIndex, best_lexical: str | None, params: RetrievalParams = DEFAULT_RETRIEVAL) -> float:
    """Weight of BM25 in the fusion: params.lexical_weight x the share of the question's words that the best BM25 paper
    holds. A question in the collection's own words leans on BM25; a paraphrase, whose words it lacks, on the embedder."""
    return params.lexical_weight * index.held_share(question, best_lexical) if best_lexical else 0.0


def _fuse(dense: dict[str, list[ChunkRecord]], lexical: dict[str, list[ChunkRecord]], lexical_papers: dict[str, float],
          method: Method, weight: float, params: RetrievalParams = DEFAULT_RETRIEVAL) -> dict[str, float]:
    """Paper scores: the dense score, plus weight x the lexical one.

    A paper's dense score is its best chunk's cosine plus second_chunk_share x its second best's; its lexical score
    mixes its best chunk's BM25 and its own (title + abstract) BM25, each relative to the question's top one.
    """
    share = params.second_chunk_share
    dense_scores = {pid: chunks[0].score + (share * chunks[1].score if share and len(chunks) > 1 else 0.0)
                    for pid, chunks in dense.items()}
    if method == "dense":
        return dense_scores
    lexical_scores = _mix(_relative({pid: chunks[0].score for pid, chunks in lexical.items()}), _relative(lexical_papers),
                          params.paper_lexical_share)
    if method == "lexical":
        return lexical_scores
    floor = min(dense_scores.values(), default=0.0)  # a paper only BM25 found is scored as the weakest dense candidate
    return {pid: dense_scores.get(pid, floor) + weight * lexical_scores.get(pid, 0.0)
            for pid in set(dense_scores) | set(lexical_scores)}


def _relative(scores: dict[str, float]) -> dict[str, float]:
    """Scores divided by the best one (empty when none is positive)."""
    top = max(scores.values(), default=0.0)
    return {pid: score / top for pid, score in scores.items()} if top > 0 else {}


def _mix(chunk_level: dict[str, float], paper_level: dict[str, float], paper_share: float) -> dict[str, float]:
    """(1 - paper_share) x the chunk-level score + paper_share x the paper-level one, per paper either found."""
    return {pid: (1 - paper_share) * chunk_level.get(pid, 0.0) + paper_share * paper_level.get(pid, 0.0)
            for pid in set(chunk_level) | set(paper_level)}
