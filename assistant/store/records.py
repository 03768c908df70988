"""What the index holds, as plain values: papers of the catalog, chunks, snapshots, ingest reports."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping

from assistant.config import Settings
from assistant.models import Paper


@dataclass(frozen=True)
class PaperRecord:
    """A paper as the catalog holds it."""

    paper_id: str
    title: str
    abstract: str
    urls: list[str]
    source: str
    authors: list[str]
    date: str | None
    index_hash: str
    chunk_count: int
    doi: str | None = None
    bibtex: str | None = None
    # Full-text papers (PDFs): `abstract` holds the abstract, a blank line and the body (Paper.text); body_start is where
    # the body starts, and pages/sections are (offset in that text, page or heading).
    body_start: int | None = None
    pages: list[tuple[int, int]] = field(default_factory=list)
    sections: list[tuple[int, str]] = field(default_factory=list)
    pdf: str | None = None

    def to_paper(self) -> Paper:
        abstract, body = self.abstract, ""
        if self.body_start is not None:
            abstract, body = self.abstract[: self.body_start - 2], self.abstract[self.body_start :]
        return Paper(paper_id=self.paper_id, title=self.title, abstract=abstract, urls=self.urls,
                     source=self.source, authors=self.authors, date=self.date, doi=self.doi, bibtex=self.bibtex,
                     body=body, pages=self.pages, sections=self.sections, pdf=self.pdf)


@dataclass(frozen=True)
class Snapshot:
    """One consistent view of the catalog, identified by the version the last ingest wrote."""

    version: str
    papers: Mapping[str, PaperRecord]  # a dict, or the saved catalog's columns (store/catalog_file.py)


@dataclass(frozen=True)
class ChunkRecord:
    """A stored chunk, as dense search returns it."""

    chunk_id: str
    paper_id: str
    index_hash: str
    index: int
    start: int
    end: int
    document: str
    score: float = 0.0


@dataclass
class IngestReport:
    """What an ingest did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)  # unchanged papers whose lost chunks were re-embedded
    removed: list[str] = field(default_factory=list)
    chunks_written: int = 0
    chunks_total: int = 0
    seconds: float = 0.0  # the whole ingest, every step included (see steps)
    steps: dict[str, float] = field(default_factory=dict)  # seconds of each step, by name, in the order they ran
    pages: int = 0  # PDF pages read for this ingest
    notes: list[str] = field(default_factory=list)
    # paper id -> sentence vectors made in this ingest's chunk pass (assistant.sentence_vectors.PaperSentences)
    sentences: dict[str, Any] = field(default_factory=dict, repr=False)

    def summary(self) -> str:
        """What the ingest did, then its notes, on one line (a log, a web page's report)."""
        return ". ".join([self.counts(), *(note.rstrip(".") for note in self.notes)]) + ("." if self.notes else "")

    def counts(self) -> str:
        """What the ingest did, without its notes: papers added, updated, ..., chunks, seconds."""
        repaired = f"{len(self.repaired)} repaired, " if self.repaired else ""
        text = (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, {repaired}"
                f"{len(self.removed)} removed; {self.chunks_written} chunks embedded, "
                f"{self.chunks_total} in the index; {self.seconds:.1f} s")
        if self.steps:
            text += " (" + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.steps.items()) + ")"
        return text


@dataclass(frozen=True)
class CollectionNames:
    """The Chroma collections of one index: the only place their names are made.

    An index is a pointer collection `<name>_current`, whose metadata names the live generation G, and the
    collections of each generation, `<name>_chunks-g<G>` and `<name>_papers-g<G>`. A rebuild fills a new
    generation, then switches the pointer in one metadata write. An index without a pointer has the legacy layout,
    `<name>_chunks` and `<name>_papers`, read as it is until a rebuild moves it to generations.
    """

    chunks: str
    papers: str
    texts: str | None = None  # the papers' texts, once per indexed version (None: the legacy layout keeps them in `papers`)

    @classmethod
    def of(cls, collection: str) -> CollectionNames:
        """The legacy layout's collections (before generations)."""
        return cls(chunks=f"{collection}_chunks", papers=f"{collection}_papers")

    @classmethod
    def generation(cls, collection: str, number: int, catalog: int = 0) -> CollectionNames:
        """The collections of generation `number`, with its catalog number `catalog` (0: the one it was built with;
        every later ingest publishes its batch as a new catalog, a copy switched to in one pointer write)."""
        papers = f"{collection}_papers-g{number}" + (f"-c{catalog}" if catalog else "")
        return cls(chunks=f"{collection}_chunks-g{number}", papers=papers, texts=f"{collection}_texts-g{number}")

    @staticmethod
    def pointer(collection: str) -> str:
        """The collection whose metadata (GENERATION_KEY) names the live generation."""
        return f"{collection}_current"

    @staticmethod
    def staging(collection: str) -> str:
        """The collection a rebuild of `collection` was built in before generations (its leftovers are removed)."""
        return f"{collection}--rebuild"

    @staticmethod
    def generation_of(collection: str, name: str) -> int | None:
        """The generation a collection of this index belongs to, or None when `name` is not one of them."""
        found = re.fullmatch(rf"{re.escape(collection)}_(?:chunks-g(\d+)|papers-g(\d+)(?:-c\d+)?|texts-g(\d+))", name)
        return int(found.group(1) or found.group(2) or found.group(3)) if found else None

    @staticmethod
    def catalog_of(collection: str, number: int, name: str) -> int | None:
        """The catalog number of a papers collection of generation `number` of this index, or None."""
        found = re.fullmatch(rf"{re.escape(collection)}_papers-g{number}(?:-c(\d+))?", name)
        return (int(found.group(1)) if found.group(1) else 0) if found else None

    @staticmethod
    def texts_of(papers: str) -> str | None:
        """The texts collection of the generation whose catalog is named `papers` (None: the legacy layout)."""
        found = re.fullmatch(r"(.*)_papers-g(\d+)(?:-c\d+)?", papers)
        return f"{found.group(1)}_texts-g{found.group(2)}" if found else None

    def __iter__(self) -> Iterator[str]:
        return iter((self.chunks, self.papers) if self.texts is None else (self.chunks, self.papers, self.texts))


@dataclass(frozen=True)
class LiveIndex:
    """The collections an index answers from now, and their generation (None: the legacy layout)."""

    names: CollectionNames
    generation: int | None
    catalog: int = 0


GENERATION_KEY = "generation"
CATALOG_KEY = "catalog"
UNFINISHED = "empty"  # the version of collections that no ingest has completed into yet


def index_collections(collection: str, existing: Iterable[str]) -> list[str]:
    """Every collection of this index among `existing`: pointer, generations, legacy and legacy staging."""
    legacy = {*CollectionNames.of(collection), *CollectionNames.of(CollectionNames.staging(collection))}
    return [name for name in existing if name in legacy or name == CollectionNames.pointer(collection)
            or CollectionNames.generation_of(collection, name) is not None]


def index_names(existing: Iterable[str]) -> list[str]:
    """The names of every index among `existing` collections: those with a pointer, and legacy pairs (not staging)."""
    existing = set(existing)
    names = {name.removesuffix("_current") for name in existing if name.endswith("_current")}
    for name in existing:
        base = name.removesuffix("_chunks")
        if base != name and f"{base}_papers" in existing and not base.endswith("--rebuild"):
            names.add(base)
    return sorted(names)


def index_hash(paper: Paper, settings: Settings) -> str:
    """Changes whenever the paper or the way it is chunked changes."""
    return f"{paper.content_hash}-{settings.chunk_tokens}-{settings.chunk_overlap}"


def text_id(paper_id: str, hash_: str) -> str:
    """The stored id of a paper's text at one indexed version."""
    return f"{paper_id}#{hash_}"


def chunk_id(paper_id: str, hash_: str, index: int) -> str:
    """The stored id of a chunk: paper, indexed version, position."""
    return f"{paper_id}#{hash_}#{index}"


def chunk_record(chunk_id_: str, document: str, meta: dict[str, Any], score: float = 0.0) -> ChunkRecord:
    """A chunk from its stored id, document and metadata."""
    return ChunkRecord(chunk_id_, meta["paper_id"], meta["hash"], int(meta["index"]), int(meta["start"]), int(meta["end"]),
                       document, score)


def paper_metadata(paper: Paper, hash_: str, chunk_count: int) -> dict[str, Any]:
    """The catalog metadata of a paper (lists as JSON: Chroma metadata holds scalars only)."""
    meta: dict[str, Any] = {
        "title": paper.title, "hash": hash_, "urls": json.dumps(paper.urls), "source": paper.source,
        "authors": json.dumps(paper.authors), "chunk_count": chunk_count,
    }
    for name in ("date", "doi", "bibtex"):
        if getattr(paper, name):
            meta[name] = getattr(paper, name)
    if paper.body:
        meta.update(body_start=len(paper.abstract) + 2, pages=json.dumps(paper.pages), sections=json.dumps(paper.sections))
        if paper.pdf:
            meta["pdf"] = paper.pdf
    return meta


def paper_record(paper_id: str, abstract: str | None, meta: dict[str, Any]) -> PaperRecord:
    """A catalog entry read back from Chroma."""
    return PaperRecord(
        paper_id=paper_id, title=meta.get("title", paper_id), abstract=abstract or "",
        urls=json.loads(meta.get("urls") or "[]"), source=meta.get("source", ""),
        authors=json.loads(meta.get("authors") or "[]"), date=meta.get("date"),
        index_hash=meta.get("hash", ""), chunk_count=int(meta.get("chunk_count", 0)),
        doi=meta.get("doi"), bibtex=meta.get("bibtex"),
        body_start=None if meta.get("body_start") is None else int(meta["body_start"]),
        pages=[(int(offset), int(page)) for offset, page in json.loads(meta.get("pages") or "[]")],
        sections=[(int(offset), str(heading)) for offset, heading in json.loads(meta.get("sections") or "[]")],
        pdf=meta.get("pdf"),
    )
