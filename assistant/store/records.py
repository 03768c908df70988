"""What the index holds, as plain values: papers of the catalog, chunks, snapshots, ingest reports."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

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

    def to_paper(self) -> Paper:
        return Paper(paper_id=self.paper_id, title=self.title, abstract=self.abstract, urls=self.urls,
                     source=self.source, authors=self.authors, date=self.date)


@dataclass(frozen=True)
class Snapshot:
    """One consistent view of the catalog, identified by the version the last ingest wrote."""

    version: str
    papers: dict[str, PaperRecord]


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
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        repaired = f"{len(self.repaired)} repaired, " if self.repaired else ""
        text = (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, {repaired}"
                f"{len(self.removed)} removed; {self.chunks_written} chunks embedded, "
                f"{self.chunks_total} in the index; {self.seconds:.1f} s")
        return ". ".join([text, *(note.rstrip(".") for note in self.notes)]) + ("." if self.notes else "")


@dataclass(frozen=True)
class CollectionNames:
    """The Chroma collections of one index: the only place their names are made."""

    chunks: str
    papers: str

    @classmethod
    def of(cls, collection: str) -> CollectionNames:
        return cls(chunks=f"{collection}_chunks", papers=f"{collection}_papers")

    @staticmethod
    def staging(collection: str) -> str:
        """The collection a rebuild of `collection` is built in, before it is swapped in."""
        return f"{collection}--rebuild"


def index_hash(paper: Paper, settings: Settings) -> str:
    """Changes whenever the paper or the way it is chunked changes."""
    return f"{paper.content_hash}-{settings.chunk_tokens}-{settings.chunk_overlap}"


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
    if paper.date:
        meta["date"] = paper.date
    return meta


def paper_record(paper_id: str, abstract: str | None, meta: dict[str, Any]) -> PaperRecord:
    """A catalog entry read back from Chroma."""
    return PaperRecord(
        paper_id=paper_id, title=meta.get("title", paper_id), abstract=abstract or "",
        urls=json.loads(meta.get("urls") or "[]"), source=meta.get("source", ""),
        authors=json.loads(meta.get("authors") or "[]"), date=meta.get("date"),
        index_hash=meta.get("hash", ""), chunk_count=int(meta.get("chunk_count", 0)),
    )
