"""The `assistant` command: ingest, ask, papers, stats, eval."""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import shutil
import sys
import threading
import time
import unicodedata
from pathlib import Path
from typing import Callable, TextIO

import click

from assistant.config import Settings, get_settings
from assistant.errors import AssistantError


# Escape sequences (CSI, OSC, and two-character ones) a paper's text could use to recolour, retitle or rewrite a terminal.
_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]")
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def report_lines(report) -> str:
    """An ingest's report for a terminal: what it did on the first line, then each note on a line of its own (a one-line
    report of a few PDFs ran to 1,500 characters)."""
    return terminal_safe(report.counts()) + "".join(f"\n  - {terminal_safe(note)}" for note in report.notes)


def terminal_safe(text: str, keep_newlines: bool = False) -> str:
    """text without escape sequences, control characters or bidi overrides (newlines kept only if asked)."""
    text = _ESCAPE.sub("", text)
    return "".join(ch if (keep_newlines and ch == "\n") or (unicodedata.category(ch) != "Cc" and ch not in _BIDI)
                   else ("" if ch == "\x1b" or ch in _BIDI else " ") for ch in text)


def _settings(collection: str | None = None) -> Settings:
    """The settings, for the named collection when one is given."""
    from assistant.named_collections import with_collection

    return with_collection(get_settings(), collection)


def _collection_option(function):
    return click.option("--collection", default=None, metavar="NAME",
                        help="A named collection instead of the default one (`assistant collections` lists them).")(function)


class _Group(click.Group):
    """Turns AssistantError into one clear line and exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AssistantError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


@click.group(cls=_Group)
@click.version_option(package_name="paper-assistant")
def main() -> None:
    """Ask questions of a collection of research papers (abstracts, full-text PDFs); answers cite the papers."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--rebuild", is_flag=True, help="Build the index from scratch (needed after changing the embedder or chunking).")
@click.option("--sync", is_flag=True, help="Also remove indexed papers that are not in PATHS.")
@click.option("--if-missing", is_flag=True, help="Do nothing when the index already holds a finished ingest.")
@click.option("--zotero", "zotero_dir", is_flag=False, flag_value="~/Zotero", default=None, metavar="[DIR]",
              help="Mirror the local Zotero library at DIR (default ~/Zotero), read-only: the whole library into the "
                   "collection 'zotero', each Zotero collection into 'zotero-NAME'. Run again to sync.")
@click.option("--zotero-collection", metavar="NAME", help="With --zotero: only this Zotero collection.")
@_collection_option
def ingest(paths: tuple[Path, ...], rebuild: bool, sync: bool, if_missing: bool, collection: str | None,
           zotero_dir: str | None = None, zotero_collection: str | None = None) -> None:
    """Index paper files (default: the seeds folder). Formats: the seed .txt, .jsonl, .csv/.tsv, arXiv snapshot, .json,
    BibTeX .bib, RIS .ris, CSL-JSON .json (Zotero, JabRef, Mendeley, EndNote exports), PDF (full text)."""
    if zotero_dir is not None or zotero_collection is not None:
        _ingest_zotero(paths, zotero_dir or "~/Zotero", zotero_collection, collection, rebuild)
        return
    from tqdm import tqdm

    from assistant.corpus import check_file_sizes
    from assistant.indexing import ingest_paths, ingest_paths_if_missing
    from assistant.store import UNFINISHED, PaperStore

    settings = _settings(collection)
    if not paths and not settings.seed_when_empty:
        raise click.UsageError(f"Name the paper files to add to the collection {settings.collection!r}: "
                               f"assistant ingest FILE --collection {settings.collection}")
    store = PaperStore(settings)
    if_missing = if_missing and not rebuild
    if if_missing and store.version() not in (None, UNFINISHED):  # decided again under the writer lock
        click.echo(f"Index ready: {store.count_papers()} papers at {store.location}.")
        return
    sources = list(paths) or [settings.seeds_dir]
    check_file_sizes(sources, settings.max_file_mb)  # before anything is read
    # On a terminal a progress bar; elsewhere (a log, CI) a line every PROGRESS_EVERY seconds and nothing more.
    bar = tqdm(total=0, unit="chunk", desc="Reading", disable=None, leave=False)
    lines = None if not bar.disable else ProgressLines(lambda line: click.echo(line, err=True))

    def on_plan(count: int) -> None:  # the chunks to embed found so far: again when more are found
        bar.set_description("Embedding", refresh=False)
        bar.total = count
        bar.refresh()
        if lines:
            lines.plan(count)

    def progress(count: int) -> None:
        bar.update(count)
        if lines:
            lines.advance(count)

    def on_wait(message: str) -> None:
        click.echo(message, err=True)

    write = ingest_paths_if_missing if if_missing else ingest_paths
    pages = tqdm(unit="page", desc="Reading PDFs", disable=None, leave=False)  # counts PDF pages as they are read
    try:
        with lines or contextlib.nullcontext():
            report = write(sources, settings, rebuild=rebuild, sync=sync, store=store, progress=progress, on_plan=on_plan,
                           on_wait=on_wait, on_page=pages.update)
    finally:
        pages.close()
        bar.close()
    if report is None:  # another process built it meanwhile
        click.echo(f"Index ready: {store.count_papers()} papers at {store.location}.")
        return
    into = store.location if collection is None else f"the collection {settings.collection!r} at {store.location}"
    click.echo(f"Ingested {', '.join(str(s) for s in sources)} into {into}: {report_lines(report)}")


PROGRESS_EVERY = 10.0  # seconds between two progress lines of an ingest that is not on a terminal


class ProgressLines:
    """An ingest's progress as a line every `every` seconds (for logs, where a bar would be noise), from the moment the
    chunks to embed are known; used as a context manager, a thread also writes lines while no chunk is embedded
    (a slow batch, writing the index). Nothing comes before the plan, so an ingest that fails while it reads, checks
    or waits for the lock still ends in its one error line."""

    def __init__(self, echo: Callable[[str], None], every: float | None = None, clock: Callable[[], float] = time.monotonic):
        self.echo, self.every, self.clock = echo, PROGRESS_EVERY if every is None else every, clock
        self.started = self.last = clock()
        self.done = 0
        self.total: int | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def plan(self, total: int) -> None:
        """The chunks to embed found so far (an ingest tells it again as it finds more)."""
        with self._lock:
            self.total = total
        self.tick()

    def advance(self, count: int) -> None:
        with self._lock:
            self.done += count
        self.tick()

    def tick(self) -> None:
        """Write a line if `every` seconds have passed since the last one (or since the start)."""
        with self._lock:
            now = self.clock()
            if self.total is None or now - self.last < self.every:
                return
            self.last = now
            line = self.line(now)
        self.echo(line)

    def line(self, now: float) -> str:
        elapsed = f"{now - self.started:.0f} s"
        if self.total is not None and self.done < self.total:
            share = f" ({self.done / self.total:.0%})" if self.total else ""
            return f"Embedding: {self.done:,} of {self.total:,} chunks{share}, {elapsed}"
        return f"Embedded {self.total or 0:,} chunks; writing the index... ({elapsed})"

    def __enter__(self) -> ProgressLines:
        def run() -> None:
            while not self._stop.wait(min(self.every, 1.0) or 1.0):
                self.tick()

        self._thread = threading.Thread(target=run, name="progress-lines", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def _ingest_zotero(paths: tuple[Path, ...], directory: str, zotero_collection: str | None, collection: str | None,
                   rebuild: bool) -> None:
    from assistant.indexing import ingest_zotero

    if paths:
        raise click.UsageError("Give either paper files or --zotero, not both.")
    for name, report in ingest_zotero(Path(directory).expanduser(), _settings(), zotero_collection=zotero_collection,
                                      into=collection, rebuild=rebuild,
                                      on_wait=lambda message: click.echo(message, err=True)):
        click.echo(f"Zotero library {directory} into the collection {name!r}: {report_lines(report)}")


@main.command()
@click.argument("question")
@click.option("--k", type=click.IntRange(1, 50), default=None, help="Papers to retrieve (default: ASSISTANT_TOP_K).")
@click.option("--json", "as_json", is_flag=True, help="Print the Answer as JSON.")
@click.option("--paper", "paper_ids", multiple=True, help="Restrict the search to this paper id (repeatable).")
@click.option("--offline", is_flag=True, help="Answer with the extractive answerer even if an LLM is configured.")
@click.option("--bib", is_flag=True, help="Print only the BibTeX of the papers the answer cites (the original .bib entries where there are).")
@_collection_option
def ask(question: str, k: int | None, as_json: bool, paper_ids: tuple[str, ...], offline: bool, bib: bool,
        collection: str | None) -> None:
    """Answer QUESTION from the collection with cited papers ('-' reads it from stdin)."""
    from assistant.service import ask_stream
    from assistant.models import Answer

    if as_json and bib:
        raise click.UsageError("Choose one of --json and --bib.")
    if question == "-":
        question = sys.stdin.read()
    settings = _settings(collection)
    options = {"llm": None} if offline else {}
    answer: Answer | None = None
    # The LLM's words are shown as they come only where they can be taken back: the checked answer replaces them.
    streaming = (not as_json and not bib and settings.llm_enabled and not offline and sys.stdout.isatty()
                 and os.environ.get("TERM", "") not in ("", "dumb"))
    draft = Redraw(sys.stdout) if streaming else None
    try:
        for item in ask_stream(question, k=k, paper_ids=list(paper_ids) or None, settings=settings, **options):
            if isinstance(item, Answer):
                answer = item
            elif draft is not None:
                draft.write(item)
    finally:  # an error or Ctrl-C leaves no unchecked text behind either
        if draft is not None:
            draft.erase()
    assert answer is not None
    if as_json:
        click.echo(answer.model_dump_json(indent=2))
        return
    if bib:
        from assistant.bibtex_export import answer_bibtex

        entries = answer_bibtex(answer)
        if not entries:
            click.echo("The answer cites no paper, so there is no BibTeX to print.", err=True)
        click.echo(entries, nl=False)
        return
    click.echo(render_answer(answer))


class Redraw:
    """Text streamed to a terminal that erase() takes back, so that only the checked answer stays on screen.

    It never shows more than fits on the screen, since rows scrolled out of it cannot be erased.
    """

    def __init__(self, out: TextIO, size: os.terminal_size | None = None):
        self.out = out
        self.columns, lines = size or _terminal_size(out)
        self.room = max(lines - 2, 1)
        self.shown = ""
        self.ended_rows = 0  # rows of the lines shown that a newline ended
        self.width = 0  # cells of the line the cursor is on
        self.full = False

    @property
    def rows(self) -> int:
        """The rows what is shown takes, from its first row to the cursor's."""
        return self.ended_rows + _line_rows(self.width, self.columns)

    def write(self, text: str) -> None:
        """Show text after what is shown, unless it would not fit on the screen (then nothing more is shown)."""
        text = terminal_safe(text, keep_newlines=True)
        if self.full or not text:
            return
        *ended, last = text.split("\n")
        ended_rows, width = self.ended_rows, self.width
        for line in ended:
            ended_rows += _line_rows(width + _width(line), self.columns)
            width = 0
        width += _width(last)
        if ended_rows + _line_rows(width, self.columns) > self.room:
            self.full = True
            return
        self.out.write(text)
        self.out.flush()
        self.shown += text
        self.ended_rows, self.width = ended_rows, width

    def erase(self) -> None:
        """Take back everything shown: back to its first row, then clear to the end of the screen."""
        if self.shown:
            up = self.rows - 1
            self.out.write("\r" + (f"\x1b[{up}A" if up else "") + "\x1b[J")
            self.out.flush()
            self.shown, self.ended_rows, self.width = "", 0, 0


def screen_rows(text: str, columns: int) -> int:
    """The rows of a terminal columns wide that text (no control characters but newlines) takes from its first row."""
    return sum(_line_rows(_width(line), columns) for line in text.split("\n"))


def _terminal_size(out: TextIO) -> os.terminal_size:
    try:  # the terminal's own size first: COLUMNS and LINES may be stale
        return os.get_terminal_size(out.fileno())
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return shutil.get_terminal_size()


def _line_rows(width: int, columns: int) -> int:
    return max(1, math.ceil(width / max(columns, 1)))


def _width(text: str) -> int:
    return sum(map(_cells, text))


def _cells(ch: str) -> int:
    """Terminal cells a character takes: 2 for wide East Asian characters, 0 for combining marks, else 1."""
    if ch != "\u00ad" and (unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf")):  # a soft hyphen shows
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def render_answer(answer) -> str:
    """The answer as terminal text: body, numbered references with link and quote, notes, mode."""
    from assistant.markdown import terminal_text
    from assistant.pages import label

    text = terminal_text(answer.text)
    shown = " ".join(text.split())
    lines = [terminal_safe(text, keep_newlines=True), ""]
    if answer.standalone_question:
        lines += [f"Searched: {terminal_safe(answer.standalone_question)}", ""]
    if answer.citations:
        lines.append("References:")
        for citation in answer.citations:
            where = label(citation)  # "p. 4, 3 Results" for a full-text paper
            lines.append(f"  [{citation.number}] {terminal_safe(citation.title)}" + (f" ({terminal_safe(where)})" if where else ""))
            for url in citation.urls:
                lines.append(f"      {terminal_safe(url)}")
            if " ".join(citation.quote.split()) not in shown:  # a quote the answer's text holds is not printed twice
                lines.append(f'      "{terminal_safe(citation.quote)}"')
        lines.append("")
    if answer.more:
        lines.append(f"And {len(answer.more)} more:")
        lines.extend(f"  - {terminal_safe(paper.title)}" for paper in answer.more)
        lines.append("")
    for note in answer.notes:
        lines.append(f"Note: {terminal_safe(note)}")
    mode = f"LLM ({answer.model})" if answer.mode == "llm" else "offline: extractive"
    tokens = f", {answer.usage.prompt_tokens}+{answer.usage.completion_tokens} tokens" if answer.mode == "llm" else ""
    judged = f"declined, model's estimate {answer.confidence:.2f}" if answer.abstained else f"confidence {answer.confidence:.2f}"
    lines.append(f"[{mode}, {judged}, {answer.timings.total_text()}{tokens}]")
    return "\n".join(lines)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the papers as JSON.")
@_collection_option
def papers(as_json: bool, collection: str | None) -> None:
    """List the papers of the collection: id, title, authors and year, full text or abstract, links."""
    from assistant.collection import list_papers

    listed = list_papers(_settings(collection))
    if as_json:
        click.echo(json.dumps([p.model_dump() for p in listed], indent=2))
        return
    for paper in listed:
        click.echo(f"{terminal_safe(paper.paper_id)}\n    {terminal_safe(paper.title)}")
        click.echo(f"    {terminal_safe(paper.byline())}")
        for url in paper.urls:
            click.echo(f"    {terminal_safe(url)}")
    click.echo(f"\n{len(listed)} papers")


@main.command()
@_collection_option
def stats(collection: str | None) -> None:
    """Counts, the embedder, and where the index lives."""
    from assistant.collection import index_stats

    s = index_stats(_settings(collection))
    llm = f"LLM ({s.llm_model})" if s.llm_configured else "offline extractive (no OPENAI_API_KEY / OPENAI_BASE_URL)"
    named = f"collection: {collection}\n" if collection else ""
    click.echo(f"{named}papers:   {s.papers}\nchunks:   {s.chunks}\nembedder: {s.embedder}\nindex:    {s.location}\nanswers:  {llm}")


@main.command()
@click.option("--delete", "to_delete", metavar="NAME", help="Delete the collection NAME (asks for confirmation).")
@click.option("--yes", is_flag=True, help="Delete without asking.")
def collections(to_delete: str | None, yes: bool) -> None:
    """List the collections with their paper counts, or delete one."""
    from assistant.collection import delete_collection
    from assistant.named_collections import list_collections

    settings = _settings()
    listed = list_collections(settings)
    if to_delete is None:
        for info in listed:
            default = "  (default)" if info.default else ""
            click.echo(f"{terminal_safe(info.name)}  {info.papers} papers{default}")
        return
    sizes = {info.name: info.papers for info in listed}
    if to_delete in sizes and not yes:
        what = f"Delete the collection {to_delete!r} and its {sizes[to_delete]} papers"
        if not click.confirm(terminal_safe(what) + "? This cannot be undone", default=False):
            click.echo("Nothing was deleted.")
            return
    removed = delete_collection(to_delete, settings)
    click.echo(f"Deleted the collection {terminal_safe(to_delete)!r} ({removed} papers).")


@main.command("eval")
@click.option("--questions", "questions_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON Lines file: id, question, type, gold_titles, answer_keywords per line.")
@click.option("--k", type=click.IntRange(1, 50), default=10, show_default=True, help="Papers retrieved per question for the retrieval metrics.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON document.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Write DIR/EVAL.md, DIR/retrieval.png and DIR/abstention.png.")
def eval_command(questions_file: Path, k: int, as_json: bool, out: Path | None) -> None:
    """Measure retrieval (fused, dense, BM25), answers (offline, and LLM when configured) and latency on a question set."""
    from tqdm import tqdm

    from assistant.evaluation import evaluate, load_questions, render_table, write_report

    bar = tqdm(total=0, unit="step", desc="Evaluating", disable=None, leave=False)
    try:  # errors become ClickExceptions here too, so the command also works outside the group (as the tests call it)
        settings = _settings()  # a bad value is a ConfigError that already says "Bad setting (...)"
        report = evaluate(load_questions(questions_file), settings, k, questions_file=str(questions_file),
                          progress=bar.update, on_plan=lambda total: bar.reset(total=total))
    except AssistantError as error:
        raise click.ClickException(str(error)) from None
    finally:
        bar.close()
    click.echo(json.dumps(report, indent=2) if as_json else render_table(report))
    if out is not None:
        command = f"assistant eval --questions {questions_file}" + (f" --k {k}" if k != 10 else "") + f" --out {out}"
        written = write_report(report, out, command)
        click.echo("Wrote " + ", ".join(str(p) for p in written), err=as_json)


@main.command("mcp")
@click.option("--http", "http", metavar="HOST:PORT", default=None,
              help="Serve streamable HTTP at http://HOST:PORT/mcp instead of stdio (e.g. 127.0.0.1:8765).")
def mcp_command(http: str | None) -> None:
    """Serve the collection to an MCP host (Claude Desktop, an IDE): stdio by default; logs go to stderr."""
    address = None
    if http is not None:
        host, _, port = http.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise click.BadParameter(f"{http!r} is not HOST:PORT, e.g. 127.0.0.1:8765.", param_hint="--http")
        address = (host.strip("[]"), int(port))
    from assistant.mcp_server import serve

    serve(address)


if __name__ == "__main__":
    main()
