"""Sentence vectors of abstracts, made at ingest from the chunk pass and kept per index version, so that a first-time
answer embeds only its question.

Late chunking: a sentence's vector is the mean of its tokens' states in the forward pass that embeds its chunk (title
plus chunk), so it costs no extra model run (bench/perf_sentences.py compares it with embedding each sentence alone).
An embedder without token states (a remote server) embeds the sentences separately. The stored vectors of one version
live in data_dir/sentences/<index>/<version>/ beside the BM25 files: a local cache of the Chroma index (the store of
record); missing or damaged, they are made again from the abstracts, never guessed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Protocol

import numpy as np

from assistant.chunking import chunk_paper, quotable_spans
from assistant.config import Settings
from assistant.embedding import Embedder
from assistant.models import Chunk, Hit, Paper
from assistant.resident import read_at_random
from assistant.version_files import derived_dir, folder_name, publish_folder, read_record, write_checksums, without_gc

if TYPE_CHECKING:
    from assistant.store import PaperStore, Snapshot

log = logging.getLogger(__name__)
FORMAT = 1  # bump when what is stored changes: older folders are then made again
_MARKER = "sentences.json"
Spans = list[tuple[int, int]]


class SpanEmbedder(Protocol):
    """An embedder that also gives the token states inside spans of each text (LocalEmbedder.embed_spans)."""

    def embed_spans(self, texts: list[str], spans: list[Spans]) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]: ...


@dataclass(frozen=True)
class PaperSentences:
    """One abstract's sentence spans and their vectors (row i is spans[i], float16); digest names the title and abstract."""

    digest: str
    spans: Spans
    vectors: np.ndarray


def digest(title: str, abstract: str) -> str:
    """A short fingerprint of what a paper's sentence vectors depend on."""
    return hashlib.blake2b(f"{title}\x1f{abstract}".encode("utf-8"), digest_size=8).hexdigest()


def method_of(embedder: Embedder, wanted: str = "late-chunked") -> str:
    """How sentence vectors are made: late-chunked when wanted and the embedder gives token states, else separate."""
    return "late-chunked" if wanted == "late-chunked" and hasattr(embedder, "embed_spans") else "separate"


def embed_papers(embedder: Embedder, papers: list[tuple[Paper, list[Chunk]]],
                 wanted: str = "late-chunked") -> tuple[np.ndarray, list[PaperSentences]]:
    """The chunk vectors of these papers (all chunks, in order) and each paper's sentence vectors, in one pass."""
    spans = [quotable_spans(paper.text, paper.sections) for paper, _ in papers]
    if method_of(embedder, wanted) == "separate":
        chunk_texts = [c.embed_text for _, chunks in papers for c in chunks]
        sentence_texts = [paper.text[s:e] for (paper, _), paper_spans in zip(papers, spans) for s, e in paper_spans]
        vectors = embedder.embed(chunk_texts + sentence_texts)
        return vectors[: len(chunk_texts)], _split(papers, spans, vectors[len(chunk_texts):])
    return _late_chunked(embedder, papers, spans)  # type: ignore[arg-type]


def _split(papers: list[tuple[Paper, list[Chunk]]], spans: list[Spans], vectors: np.ndarray) -> list[PaperSentences]:
    result, row = [], 0
    for (paper, _), paper_spans in zip(papers, spans):
        result.append(PaperSentences(digest(paper.title, paper.text), paper_spans,
                                     vectors[row : row + len(paper_spans)].astype(np.float16)))
        row += len(paper_spans)
    return result


def _late_chunked(embedder: SpanEmbedder, papers: list[tuple[Paper, list[Chunk]]], spans: list[Spans]) -> tuple[np.ndarray, list[PaperSentences]]:
    """Chunk vectors, and sentence vectors pooled from the same pass; a sentence no chunk's tokens reach is embedded alone."""
    texts: list[str] = []
    requests: list[Spans] = []
    owners: list[list[tuple[int, int, bool]]] = []  # per chunk text: (paper, sentence, whole?) of each requested span
    for number, ((_, chunks), paper_spans) in enumerate(zip(papers, spans)):
        wanted = _sentence_parts(chunks, paper_spans)
        for position, chunk in enumerate(chunks):
            prefix = len(chunk.embed_text) - len(chunk.text)  # the title before the chunk's own text
            texts.append(chunk.embed_text)
            requests.append([(s - chunk.start + prefix, e - chunk.start + prefix) for _, s, e, _ in wanted[position]])
            owners.append([(number, sentence, whole) for sentence, _, _, whole in wanted[position]])
    chunk_vectors, sums, counts = embedder.embed_spans(texts, requests)
    dimension = chunk_vectors.shape[1] if len(chunk_vectors) else 0
    totals = [np.zeros((len(s), dimension), dtype=np.float32) for s in spans]
    tokens = [np.zeros(len(s), dtype=np.int64) for s in spans]
    for chunk_owners, chunk_sums, chunk_counts in zip(owners, sums, counts):
        for (number, sentence, whole), vector_sum, count in zip(chunk_owners, chunk_sums, chunk_counts):
            if not whole:  # a sentence longer than a chunk: the sum of its parts
                totals[number][sentence] += vector_sum
                tokens[number][sentence] += count
            elif count > tokens[number][sentence]:  # a whole sentence: the chunk that kept most of its tokens (truncation)
                totals[number][sentence], tokens[number][sentence] = vector_sum, count
    unreached = [(number, int(sentence)) for number, counted in enumerate(tokens) for sentence in np.flatnonzero(counted == 0)]
    if unreached:
        alone = embedder.embed([papers[n][0].text[slice(*spans[n][i])] for n, i in unreached])  # type: ignore[attr-defined]
        for (number, sentence), vector in zip(unreached, alone):
            totals[number][sentence], tokens[number][sentence] = vector, 1
    result = []
    for (paper, _), paper_spans, total in zip(papers, spans, totals):
        norms = np.clip(np.linalg.norm(total, axis=1, keepdims=True), 1e-12, None)
        result.append(PaperSentences(digest(paper.title, paper.text), paper_spans, (total / norms).astype(np.float16)))
    return chunk_vectors, result


def _sentence_parts(chunks: list[Chunk], spans: Spans) -> list[list[tuple[int, int, int, bool]]]:
    """Per chunk, the (sentence number, start, end, whole) of the sentence parts to pool from it (abstract offsets).

    A sentence inside chunks is pooled from the one that kept most of its tokens (the model truncates long chunks), the
    first on a tie; one longer than a chunk (split by the chunker) from its parts in every chunk it overlaps.
    """
    parts: list[list[tuple[int, int, int, bool]]] = [[] for _ in chunks]
    for number, (start, end) in enumerate(spans):
        holding = [i for i, c in enumerate(chunks) if c.start <= start and end <= c.end]
        for i in holding:
            parts[i].append((number, start, end, True))
        if holding:
            continue
        for i, chunk in enumerate(chunks):
            if chunk.start < end and start < chunk.end:
                parts[i].append((number, max(start, chunk.start), min(end, chunk.end), False))
    return parts


class SentenceVectors:
    """The stored sentence vectors of one index version (memory-mapped), found by paper id and checked by digest."""

    def __init__(self, version: str, papers: dict[str, tuple[str, int, int]], spans: np.ndarray, vectors: np.ndarray):
        self.version = version
        self._papers = papers  # paper id -> (digest, first row, rows)
        self._spans = spans
        self._vectors = vectors

    def get(self, paper_id: str, title: str, abstract: str) -> PaperSentences | None:
        """The paper's sentences, if stored for exactly this title and abstract."""
        entry = self._papers.get(paper_id)
        if entry is None or entry[0] != digest(title, abstract):
            return None
        first, rows = entry[1], entry[2]
        spans = [(int(s), int(e)) for s, e in self._spans[first : first + rows]]
        return PaperSentences(entry[0], spans, np.asarray(self._vectors[first : first + rows], dtype=np.float32))

    def stored(self, paper_id: str, title: str, abstract: str) -> tuple[str, int, int] | None:
        """(digest, first row, rows) of the paper's sentences, if stored for exactly this title and abstract."""
        entry = self._papers.get(paper_id)
        return entry if entry is not None and entry[0] == digest(title, abstract) else None

    def __len__(self) -> int:
        return len(self._papers)

    @staticmethod
    def save(folder: Path, version: str, identity: str, method: str, papers: dict[str, PaperSentences],
             carried: dict[str, tuple[str, int, int]] | None = None, source: "SentenceVectors | None" = None) -> None:
        """Write these papers' sentences into folder (vectors.npy, spans.npy, sentences.json), and those of the carried
        papers ((digest, first row, rows) in source) copied from source's rows as they are. Written through memory-mapped
        files: at a million chunks the vectors are 3 GB, and a copy of them in memory (as float32 per paper, 4 times
        over) took an ingest of one paper to 18 GB."""
        carried = carried or {}
        ordered = sorted({*papers, *carried})
        rows = [len(papers[pid].spans) if pid in papers else carried[pid][2] for pid in ordered]
        firsts = np.concatenate([[0], np.cumsum(rows)]).astype(int)
        dimension = next((p.vectors.shape[1] for p in papers.values() if len(p.spans)), 0)
        if not dimension and source is not None and source._vectors.ndim == 2:
            dimension = source._vectors.shape[1]
        total = int(firsts[-1])
        vectors = np.lib.format.open_memmap(folder / "vectors.npy", mode="w+", dtype=np.float16, shape=(total, dimension))
        spans = np.lib.format.open_memmap(folder / "spans.npy", mode="w+", dtype=np.int64, shape=(total, 2))
        for pid, first, count in zip(ordered, firsts, rows):
            if not count:
                continue
            if pid in papers:
                vectors[first : first + count] = papers[pid].vectors
                spans[first : first + count] = papers[pid].spans
            else:
                assert source is not None
                at = carried[pid][1]
                vectors[first : first + count] = source._vectors[at : at + count]
                spans[first : first + count] = source._spans[at : at + count]
        vectors.flush()
        spans.flush()
        del vectors, spans
        digests = {pid: papers[pid].digest if pid in papers else carried[pid][0] for pid in ordered}
        table = {"format": FORMAT, "version": version, "embedder": identity, "method": method,
                 "papers": {pid: [digests[pid], int(first), count] for pid, first, count in zip(ordered, firsts, rows)}}
        (folder / _MARKER).write_text(json.dumps(table))
        write_checksums(folder)

    @classmethod
    @without_gc
    def load(cls, folder: Path, identity: str, method: str) -> "SentenceVectors | None":
        """The vectors stored in folder for this embedder and method, or None (missing, damaged, other format)."""
        table = read_record(folder, _MARKER, format=FORMAT, embedder=identity, method=method)
        if table is None:
            return None
        try:
            vectors = read_at_random(np.load(folder / "vectors.npy", mmap_mode="r"))  # only the hits' sentences are read
            spans = read_at_random(np.load(folder / "spans.npy", mmap_mode="r"))
            papers = {pid: (str(d), int(first), int(count)) for pid, (d, first, count) in table["papers"].items()}
            if len(vectors) != len(spans) or any(first + count > len(vectors) for _, first, count in papers.values()):
                return None
            return cls(str(table["version"]), papers, spans, vectors)
        except (OSError, ValueError, KeyError, TypeError):
            return None


def sentences_dir(settings: Settings) -> Path:
    return derived_dir(settings, "sentences")


def load_sentences(settings: Settings, embedder: Embedder, version: str) -> SentenceVectors | None:
    """The stored sentence vectors of this index version, or None when none were made for it."""
    found = SentenceVectors.load(sentences_dir(settings) / folder_name(version), embedder.identity,
                                 method_of(embedder, settings.sentence_vectors))
    return found if found is not None and found.version == version else None


def _latest(settings: Settings, embedder: Embedder) -> SentenceVectors | None:
    """Whatever version's vectors are stored (the one before an ingest), for carrying over unchanged papers."""
    directory = sentences_dir(settings)
    if not directory.is_dir():
        return None
    for folder in directory.iterdir():
        if not folder.name.startswith(".") and (found := SentenceVectors.load(folder, embedder.identity, method_of(embedder, settings.sentence_vectors))):
            return found
    return None


def chunker_of(settings: Settings):
    def chunker(paper: Paper) -> list[Chunk]:
        return chunk_paper(paper, settings.chunk_tokens, settings.chunk_overlap, settings.tokenizer_encoding)

    return chunker


def compute(settings: Settings, embedder: Embedder, papers: Iterable[Paper], batch: int = 64) -> dict[str, PaperSentences]:
    """Sentence vectors of papers, made from scratch (chunked and embedded again)."""
    chunker = chunker_of(settings)
    papers = list(papers)
    result: dict[str, PaperSentences] = {}
    for first in range(0, len(papers), batch):
        group = [(paper, chunker(paper)) for paper in papers[first : first + batch]]
        for (paper, _), sentences in zip(group, embed_papers(embedder, group, settings.sentence_vectors)[1]):
            result[paper.paper_id] = sentences
    return result


def store_sentences(store: PaperStore, snapshot: Snapshot, fresh: dict[str, PaperSentences],
                    notes: list[str] | None = None) -> SentenceVectors | None:
    """Save the sentence vectors of the snapshot's version: fresh ones (from the ingest's own pass), those of unchanged
    papers carried over from the previous version, and any still missing made now (said in notes). None when they
    cannot be saved."""
    settings, embedder = store.settings, store.embedder
    existing = load_sentences(settings, embedder, snapshot.version)
    if existing is not None and len(existing) == len(snapshot.papers):
        return existing
    previous = _latest(settings, embedder)
    papers: dict[str, PaperSentences] = {}
    carried: dict[str, tuple[str, int, int]] = {}  # unchanged papers: their rows in previous, copied as they are
    missing: list[Paper] = []
    for pid, record in snapshot.papers.items():
        found = fresh.get(pid)
        if found is not None and found.digest == digest(record.title, record.abstract):
            papers[pid] = found
        elif previous is not None and (entry := previous.stored(pid, record.title, record.abstract)) is not None:
            carried[pid] = entry
        else:
            missing.append(record.to_paper())
    if missing:
        log.info("Making the sentence vectors of %d paper(s) of the index.", len(missing))
        papers.update(compute(settings, embedder, missing))
        if notes is not None:
            notes.append(f"the sentence vectors of {len(missing)} paper(s) already in the index were made and stored "
                         f"(an index from before they were stored, or an ingest stopped midway)")
    method = method_of(embedder, settings.sentence_vectors)

    def write(folder: Path) -> None:
        SentenceVectors.save(folder, snapshot.version, embedder.identity, method, papers, carried, previous)

    try:
        folder = publish_folder(sentences_dir(settings), snapshot.version, _MARKER, write,
                                replace=(sentences_dir(settings) / folder_name(snapshot.version)).exists())  # there but unreadable
    except OSError as error:  # a read-only or full data dir still answers: sentences are then embedded per question
        log.warning("Could not save the sentence vectors to %s (%s); questions will embed sentences as they need them.",
                    sentences_dir(settings), error)
        return None
    return SentenceVectors.load(folder, embedder.identity, method)


class SentenceSource:
    """The sentences of hits, for the SentenceBank: stored ones of the index's current version (loaded once per
    version), else made now the way an ingest makes them (an index from before stored sentences, or another
    instance's ingest on a shared server), so the answer does not depend on where the vectors came from."""

    def __init__(self, settings: Settings, embedder: Callable[[], Embedder], version: Callable[[], str]):
        self._settings = settings
        self._embedder = embedder
        self._version = version
        self._loaded: tuple[str, SentenceVectors | None] | None = None
        self._lock = threading.Lock()

    def stored(self) -> SentenceVectors | None:
        """The stored vectors of the current version, if any."""
        version = self._version()
        with self._lock:
            if self._loaded is None or self._loaded[0] != version:
                self._loaded = (version, load_sentences(self._settings, self._embedder(), version))
            return self._loaded[1]

    def __call__(self, hits: list[Hit]) -> dict[str, tuple[Spans, np.ndarray]]:
        stored = self.stored()
        result: dict[str, tuple[Spans, np.ndarray]] = {}
        absent: list[Paper] = []
        for hit in hits:
            found = stored.get(hit.paper_id, hit.title, hit.abstract) if stored is not None else None
            if found is None:
                absent.append(Paper(paper_id=hit.paper_id, title=hit.title, abstract=hit.abstract))
            else:
                result[hit.paper_id] = (found.spans, found.vectors)
        for paper_id, made in compute(self._settings, self._embedder(), absent).items():
            result[paper_id] = (made.spans, made.vectors.astype(np.float32))
        return result
