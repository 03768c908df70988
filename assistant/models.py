"""The data the assistant passes around: papers, chunks, hits, citations, answers."""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, Field


# The way papers get their ids (assistant/corpus); an index made under another scheme must be rebuilt, or the same
# paper read again would be stored twice.
PAPER_ID_SCHEME = 2


def listed_names(names: list[str], most: int) -> str:
    """People named in a sentence: "Ada Lovelace", "Ada Lovelace and Alan Turing", "A, B, C and others" past `most`."""
    shown = names if len(names) <= most else names[:most] + ["others"]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


class Paper(BaseModel):
    """One paper of the collection: a title and its abstract."""

    paper_id: str = Field(description="Stable, readable id: a slug of the title, made unique.")
    title: str
    abstract: str
    urls: list[str] = Field(default_factory=list, description="Links found in the abstract or given with the paper.")
    source: str = Field("", description="Where the paper was read from (file, and line where known).")
    authors: list[str] = Field(default_factory=list)
    date: str | None = None
    doi: str | None = Field(None, description="The paper's DOI, without https://doi.org/.")
    bibtex: str | None = Field(None, description="The original BibTeX entry, for a paper read from a .bib file.")
    body: str = Field("", description="The full text after the abstract (a PDF's), references left out; empty for abstract-only papers.")
    pages: list[tuple[int, int]] = Field(default_factory=list, description="(offset in `text`, 1-based page number) where "
                                         "each page starts, in order; empty for abstract-only papers.")
    sections: list[tuple[int, str]] = Field(default_factory=list, description="(offset in `text`, heading) where each "
                                            "section starts, in order (the first is 'Abstract'); empty for abstract-only papers.")
    pdf: str | None = Field(None, description="The PDF the full text was read from (absolute path), for showing its pages.")

    def byline(self) -> str:
        """Who wrote the paper and when, and what of it the collection holds: "Ada Lovelace and Alan Turing (2024) · full
        text, 12 pages" ("authors not recorded", "abstract only")."""
        who = listed_names(self.authors, 3) if self.authors else "authors not recorded"
        year = f" ({self.date[:4]})" if self.date else ""
        pages = len({page for _, page in self.pages})
        held = f"full text, {pages} page{'s' if pages != 1 else ''}" if self.body else "abstract only"
        return f"{who}{year} · {held}"

    @property
    def text(self) -> str:
        """What is chunked and quoted: the abstract, then the body when there is one (offsets in pages/sections are into this)."""
        return f"{self.abstract}\n\n{self.body}" if self.body else self.abstract

    @property
    def content_hash(self) -> str:
        """Hash of everything that ends up in the index; a change means re-embedding."""
        parts = [self.title, self.abstract, "\x1e".join(self.urls), "\x1e".join(self.authors), self.date or ""]
        parts += [f"{name}={value}" for name, value in (("doi", self.doi), ("bibtex", self.bibtex)) if value]  # old hashes stay
        if self.body:  # abstract-only papers keep their hashes
            parts += [f"body={self.body}", f"pages={self.pages}", f"sections={self.sections}", f"pdf={self.pdf}"]
        payload = "\x1f".join(parts)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


class Chunk(BaseModel):
    """A token-bounded run of whole sentences of one paper's text (its abstract, then its body when it has one)."""

    paper_id: str
    title: str
    index: int
    start: int = Field(description="Character offset of the chunk in the paper's text (Paper.text: the abstract for most papers).")
    end: int = Field(description="Character offset just past the chunk in the paper's text.")
    text: str = Field(description="Paper.text[start:end]")
    token_count: int
    page: int | None = Field(None, description="1-based page the chunk starts on (full-text papers).")
    section: str | None = Field(None, description="Heading of the section the chunk starts in (full-text papers).")

    @property
    def embed_text(self) -> str:
        """What is embedded and indexed: the title travels with every chunk so its paper can be found by name."""
        return f"{self.title}\n\n{self.text}"


class ChunkMatch(BaseModel):
    """A chunk of a paper that matched a question."""

    index: int
    start: int
    end: int
    text: str
    score: float


class Hit(BaseModel):
    """One retrieved paper with the chunks that matched, best first."""

    paper_id: str
    title: str
    score: float
    urls: list[str] = Field(default_factory=list)
    abstract: str = ""
    chunks: list[ChunkMatch] = Field(default_factory=list)
    authors: list[str] = Field(default_factory=list)
    date: str | None = None
    doi: str | None = None
    bibtex: str | None = Field(None, description="The original BibTeX entry, for a paper read from a .bib file.")
    dense_score: float | None = Field(None, description="Cosine of the paper's best chunk to the question, when the dense ranking found it.")
    lexical_score: float | None = Field(None, description="Raw BM25 score of the paper's best chunk, when the lexical ranking found it.")
    body_start: int | None = Field(None, description="Full-text papers: where the body starts in `abstract`, which then holds "
                                   "the abstract, a blank line and the body (the text chunks and quotes are offsets into).")
    pages: list[tuple[int, int]] = Field(default_factory=list, description="Full-text papers: (offset in `abstract`, page).")
    sections: list[tuple[int, str]] = Field(default_factory=list, description="Full-text papers: (offset in `abstract`, heading).")
    pdf: str | None = Field(None, description="Full-text papers: the PDF file, for showing a page.")


class Citation(BaseModel):
    """A numbered reference: the paper behind marker [number] and the sentence(s) that support it."""

    number: int
    paper_id: str
    title: str
    urls: list[str] = Field(default_factory=list)
    quote: str = Field(description="Exact sentence(s) of the abstract that support the claim.")
    spans: list[tuple[int, int]] = Field(default_factory=list, description="Character spans of the quote in the abstract.")
    page: int | None = Field(None, description="Full-text papers: the 1-based page where the quote starts; None for abstract-only papers.")
    section: str | None = Field(None, description="Full-text papers: the heading of the section the quote is in ('Abstract' for "
                                "the abstract); None for abstract-only papers.")
    in_body: bool = Field(False, description="Whether the quote comes from the paper's body rather than its abstract.")


class PaperRef(BaseModel):
    """A paper an answer found but did not list (past the list limit), with its best sentence."""

    paper_id: str
    title: str
    urls: list[str] = Field(default_factory=list)
    quote: str = ""
    spans: list[tuple[int, int]] = Field(default_factory=list)


class Draft(BaseModel):
    """An answer's body before ask() adds mode, timings and sources: from the offline answerer or a checked LLM reply."""

    text: str
    citations: list[Citation] = Field(default_factory=list)
    abstained: bool = False
    notes: list[str] = Field(default_factory=list)
    more: list[PaperRef] = Field(default_factory=list)


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Timings(BaseModel):
    retrieve_ms: float = 0.0
    generate_ms: float = 0.0
    total_ms: float = 0.0

    def total_text(self) -> str:
        """The time the answer took, for people: milliseconds under a second ("30 ms"), else seconds ("1.2 s")."""
        return f"{self.total_ms:.0f} ms" if round(self.total_ms) < 1000 else f"{self.total_ms / 1000:.1f} s"


class Answer(BaseModel):
    """What ask() returns."""

    question: str
    text: str = Field(description="Markdown with inline markers [1], [2] ... matching `citations`.")
    citations: list[Citation] = Field(default_factory=list)
    abstained: bool = False
    confidence: float = Field(0.0, ge=0.0, le=1.0, description="P(the collection answers the question), from the fitted "
                              "answerability model (assistant/answering/answerability.py); 0 when nothing was retrieved.")
    more: list[PaperRef] = Field(default_factory=list, description="Papers of a list answer past ASSISTANT_MAX_LIST_PAPERS "
                                 "(the text says \"and N more\"), best evidence first.")
    mode: Literal["llm", "extractive"] = "extractive"
    model: str | None = None
    usage: Usage = Field(default_factory=Usage)
    timings: Timings = Field(default_factory=Timings)
    notes: list[str] = Field(default_factory=list)
    sources: list[Hit] = Field(default_factory=list, description="The papers retrieved; on abstention, the closest papers.")
    standalone_question: str | None = Field(None, description="The follow-up rewritten into a standalone question, when history was given.")

    def bibtex(self) -> str:
        """BibTeX of the papers the answer cites: each .bib paper's original entry, a generated one for the others."""
        from assistant.bibtex_export import answer_bibtex  # imports nothing of models back: no cycle

        return answer_bibtex(self)
