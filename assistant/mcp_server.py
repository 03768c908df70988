"""The MCP server (`assistant mcp`): the public API as tools and resources for an assistant host (Claude Desktop, an IDE).

One job: map tools to the public API (ask, retrieve, list_papers, list_collections, ingest, BibTeX export) and its
errors to tool errors. An AssistantError (empty question, unknown collection or paper, unreadable file) becomes a tool
error carrying the CLI's own message; the server goes on serving. On stdio, stdout carries only the protocol (the SDK
points fd 1 at stderr while it serves) and logs go to stderr.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.server.mcpserver.resources import ResourceSecurity
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field

from assistant.errors import AssistantError, QuestionError
from assistant.models import Answer, Hit, Paper

log = logging.getLogger("paper_assistant.mcp")

PAPER_URI = "paper://{collection}/{paper_id}"
Collection = Annotated[str | None, Field(description="A named collection (list_collections names them); none: the default one.")]
PaperIds = Annotated[list[str], Field(description="Paper ids, as search_papers and ask give them.")]
INSTRUCTIONS = ("Answers questions from a collection of research papers (abstracts, full-text PDFs). `ask` returns an "
                "answer whose every claim carries a [n] marker citing a paper, with the exact sentence (quote) behind it "
                "and, for a PDF, its page; when the collection does not answer, `abstained` is true and the text says so: "
                "do not fill the gap yourself. "
                "`search_papers` finds papers, `get_paper` reads one, `list_collections` names the collections.")


# -- what the tools return (structured content) -----------------------------------------------------------------


class SearchHit(BaseModel):
    paper_id: str
    title: str
    score: float = Field(description="Fused retrieval score; higher is closer.")
    urls: list[str] = Field(default_factory=list)
    passage: str = Field("", description="The abstract passage that matched best.")
    uri: str = Field(description="The paper as an MCP resource (paper://collection/paper_id).")


class SearchResult(BaseModel):
    query: str
    collection: str
    hits: list[SearchHit]


class CitationOut(BaseModel):
    number: int = Field(description="The [n] marker in the text.")
    paper_id: str
    title: str
    quote: str = Field(description="The exact abstract sentence(s) that support the claim.")
    page: int | None = Field(None, description="The page of the quote, where known.")
    urls: list[str] = Field(default_factory=list)


class ClosePaper(BaseModel):
    paper_id: str
    title: str
    urls: list[str] = Field(default_factory=list)


class AnswerOut(BaseModel):
    question: str
    text: str = Field(description="Markdown with [n] markers matching `citations`.")
    citations: list[CitationOut]
    abstained: bool = Field(description="True when the collection does not answer the question (the text says so).")
    confidence: float = Field(description="P(the collection answers the question), 0-1, calibrated.")
    mode: Literal["llm", "extractive"]
    notes: list[str] = Field(default_factory=list)
    closest: list[ClosePaper] = Field(default_factory=list, description="On abstention, the closest papers (none answers).")
    collection: str


class PaperOut(BaseModel):
    paper_id: str
    title: str
    abstract: str
    urls: list[str] = Field(default_factory=list)
    authors: list[str] = Field(default_factory=list)
    date: str | None = None
    doi: str | None = None
    collection: str
    uri: str


class CollectionOut(BaseModel):
    name: str
    papers: int
    default: bool


class CollectionsOut(BaseModel):
    collections: list[CollectionOut]


class IngestOut(BaseModel):
    collection: str
    summary: str = Field(description="The ingest report in one line, as `assistant ingest` prints it.")
    added: list[str]
    updated: list[str]
    unchanged: list[str]
    notes: list[str] = Field(default_factory=list, description="What was skipped or cut, and why.")


class BibtexOut(BaseModel):
    collection: str
    paper_ids: list[str]
    bibtex: str = Field(description="One entry per paper: the original .bib entry where there is one, else generated.")


# -- mapping ------------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _user_errors() -> Iterator[None]:
    """An AssistantError becomes a tool error with the same message the CLI prints; anything else stays a crash."""
    try:
        yield
    except AssistantError as error:
        raise ToolError(str(error)) from None


def _collection_name(collection: str | None) -> str:
    from assistant.named_collections import with_collection

    return with_collection(None, collection).collection


def _uri(collection: str, paper_id: str) -> str:
    from urllib.parse import quote

    return f"paper://{collection}/{quote(paper_id, safe='')}"


def _answer_out(answer: Answer, collection: str) -> AnswerOut:
    citations = [CitationOut(number=c.number, paper_id=c.paper_id, title=c.title, quote=c.quote, urls=c.urls,
                             page=getattr(c, "page", None)) for c in answer.citations]
    closest = [ClosePaper(paper_id=h.paper_id, title=h.title, urls=h.urls) for h in answer.sources[:3]] if answer.abstained else []
    return AnswerOut(question=answer.question, text=answer.text, citations=citations, abstained=answer.abstained,
                     confidence=answer.confidence, mode=answer.mode, notes=answer.notes, closest=closest,
                     collection=collection)


def _paper(paper_id: str, collection: str | None) -> tuple[Paper, str]:
    from assistant.service import collection_assistant

    assistant = collection_assistant(None, collection)
    papers = {paper.paper_id: paper for paper in assistant.papers()}
    paper = papers.get(paper_id)
    if paper is None:
        raise QuestionError(f"No paper with the id {paper_id!r} in the collection {assistant.settings.collection!r}; "
                            f"search_papers finds papers and their ids (`assistant papers` lists them all).")
    return paper, assistant.settings.collection


def _paper_out(paper: Paper, collection: str) -> PaperOut:
    return PaperOut(paper_id=paper.paper_id, title=paper.title, abstract=paper.abstract, urls=paper.urls,
                    authors=paper.authors, date=paper.date, doi=paper.doi, collection=collection,
                    uri=_uri(collection, paper.paper_id))


def paper_markdown(paper: Paper) -> str:
    """A paper as the text of its resource: title, authors and date, links, abstract."""
    lines = [f"# {paper.title}", ""]
    byline = ", ".join(paper.authors) + (f" ({paper.date})" if paper.date else "") if paper.authors else (paper.date or "")
    if byline:
        lines += [byline, ""]
    lines += [f"<{url}>" for url in paper.urls] + ([""] if paper.urls else [])
    lines.append(paper.abstract)
    return "\n".join(lines) + "\n"


# -- the server ---------------------------------------------------------------------------------------------------


def create_server() -> MCPServer:
    """The MCP server with its six tools and the paper resource; run it with .run() (stdio) or .run("streamable-http")."""
    from importlib.metadata import version

    server: MCPServer = MCPServer("paper-assistant", title="Paper Assistant", instructions=INSTRUCTIONS,
                                  version=version("paper-assistant"), log_level="WARNING", lifespan=_warm_up)
    read_only = ToolAnnotations(read_only_hint=True, open_world_hint=False)

    @server.tool(annotations=read_only)
    def search_papers(query: Annotated[str, Field(description="What to look for, in words.")],
                      k: Annotated[int, Field(description="How many papers, 1-50.")] = 10, collection: Collection = None) -> SearchResult:
        """Find the k papers of the collection closest to the query, best first, with each one's best passage and links."""
        from assistant.service import retrieve

        if not 1 <= k <= 50:
            raise ToolError(f"k must be between 1 and 50 (it was {k}).")
        with _user_errors():
            name = _collection_name(collection)
            hits: list[Hit] = retrieve(query, k=k, collection=collection)
        return SearchResult(query=query, collection=name, hits=[
            SearchHit(paper_id=h.paper_id, title=h.title, score=h.score, urls=h.urls,
                      passage=h.chunks[0].text if h.chunks else "", uri=_uri(name, h.paper_id)) for h in hits])

    @server.tool(annotations=read_only)
    def ask(question: Annotated[str, Field(description="A question about the papers.")], collection: Collection = None,
            paper_ids: Annotated[list[str] | None, Field(description="Search only these papers (ids).")] = None) -> AnswerOut:
        """Answer a question from the papers: every claim cites a paper ([n] markers) with the quote that supports it; when the collection does not answer, `abstained` is true and the closest papers are listed instead."""  # noqa: E501
        from assistant.service import ask as ask_question

        with _user_errors():
            name = _collection_name(collection)
            answer = ask_question(question, paper_ids=paper_ids or None, collection=collection)
        return _answer_out(answer, name)

    @server.tool(annotations=read_only)
    def get_paper(paper_id: Annotated[str, Field(description="The paper's id.")], collection: Collection = None) -> PaperOut:
        """One paper of the collection: title, abstract, authors, date, DOI and links."""
        with _user_errors():
            paper, name = _paper(paper_id, collection)
        return _paper_out(paper, name)

    @server.tool(annotations=read_only)
    def list_collections() -> CollectionsOut:
        """The collections of the index with their paper counts; the default one is asked when none is named."""
        from assistant.named_collections import list_collections as listed

        with _user_errors():
            infos = listed()
        return CollectionsOut(collections=[CollectionOut(name=i.name, papers=i.papers, default=i.default) for i in infos])

    @server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True,
                                             open_world_hint=False))
    def add_papers(paths: Annotated[list[str], Field(description="Files or folders on the server's machine.")],
                   collection: Collection = None) -> IngestOut:
        """Add paper files on the server's machine (BibTeX, RIS, CSL-JSON, JSON Lines, CSV/TSV, text; a folder: its files) to the collection (a new name makes a new one); a bad file is an error naming file and line, and nothing is written."""  # noqa: E501
        from assistant.service import collection_assistant

        if not paths:
            raise ToolError("Name at least one paper file (or folder) to add.")
        with _user_errors():
            assistant = collection_assistant(None, collection)
            report = assistant.ingest(paths)
        return IngestOut(collection=assistant.settings.collection, summary=report.summary(), added=report.added,
                         updated=report.updated, unchanged=report.unchanged, notes=report.notes)

    @server.tool(annotations=read_only)
    def export_bibtex(paper_ids: PaperIds, collection: Collection = None) -> BibtexOut:
        """BibTeX entries of the given papers (the original .bib entry for a paper read from a .bib file)."""
        from assistant.bibtex_export import bibtex_of

        if not paper_ids:
            raise ToolError("Name at least one paper id (search_papers and ask give them).")
        with _user_errors():
            papers = [_paper(paper_id, collection) for paper_id in paper_ids]
        hits = [Hit(paper_id=p.paper_id, title=p.title, score=0.0, urls=p.urls, authors=p.authors, date=p.date, doi=p.doi,
                    bibtex=p.bibtex) for p, _ in papers]
        return BibtexOut(collection=papers[0][1], paper_ids=[p.paper_id for p, _ in papers], bibtex=bibtex_of(hits))

    # The paper id is only looked up in the catalog, never used as a path: DOIs (10.5555/x) hold slashes.
    @server.resource(PAPER_URI, name="paper", title="A paper of a collection", mime_type="text/markdown",
                     security=ResourceSecurity(exempt_params={"paper_id"}))
    def paper_resource(collection: str, paper_id: str) -> str:
        """A paper: title, authors, links and abstract, as Markdown."""
        try:
            paper, _ = _paper(paper_id, collection)
        except QuestionError as error:
            raise ResourceNotFoundError(str(error)) from None
        except AssistantError as error:
            raise ResourceError(str(error)) from None
        return paper_markdown(paper)

    return server


@contextlib.asynccontextmanager
async def _warm_up(server: MCPServer) -> AsyncIterator[None]:
    """Load the default collection (building it from the seeds on a first run) while the host connects, so the first
    question does not wait for it; started once the transport holds stdout, so nothing it prints can reach the wire."""
    threading.Thread(target=_load_default, name="warm-up", daemon=True).start()
    yield


def _load_default() -> None:
    from assistant.service import retrieve

    try:
        retrieve("warm up", k=1)
    except Exception as error:  # noqa: BLE001 - the first tool call meets the same error and reports it
        log.warning("Could not load the default collection yet: %s", error)


def serve(http: tuple[str, int] | None = None) -> None:
    """Serve over stdio (the default), or over streamable HTTP at http://HOST:PORT/mcp."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")  # to stderr
    server = create_server()
    if http is None:
        server.run()
    else:
        host, port = http
        server.run("streamable-http", host=host, port=port)
