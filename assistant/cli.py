"""The `assistant` command: ingest, ask, papers, stats, eval."""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from pathlib import Path

import click

from assistant.config import Settings, get_settings
from assistant.errors import AssistantError


# Escape sequences (CSI, OSC, and two-character ones) a paper's text could use to recolour, retitle or rewrite a terminal.
_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]")
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


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
    """Ask questions of a collection of research-paper abstracts; answers cite the papers."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--rebuild", is_flag=True, help="Build the index from scratch (needed after changing the embedder or chunking).")
@click.option("--sync", is_flag=True, help="Also remove indexed papers that are not in PATHS.")
@click.option("--if-missing", is_flag=True, help="Do nothing when the index already holds a finished ingest.")
@_collection_option
def ingest(paths: tuple[Path, ...], rebuild: bool, sync: bool, if_missing: bool, collection: str | None) -> None:
    """Index paper files (default: the seeds folder). Formats: the seed .txt, .jsonl, .csv/.tsv, arXiv snapshot, .json,
    BibTeX .bib, RIS .ris, CSL-JSON .json (Zotero, JabRef, Mendeley, EndNote exports)."""
    from tqdm import tqdm

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
    bar = tqdm(total=0, unit="chunk", desc="Embedding", disable=None, leave=False)

    def on_plan(count: int) -> None:
        bar.reset(total=count)

    def on_wait(message: str) -> None:
        click.echo(message, err=True)

    write = ingest_paths_if_missing if if_missing else ingest_paths
    report = write(sources, settings, rebuild=rebuild, sync=sync, store=store, progress=bar.update, on_plan=on_plan,
                   on_wait=on_wait)
    bar.close()
    if report is None:  # another process built it meanwhile
        click.echo(f"Index ready: {store.count_papers()} papers at {store.location}.")
        return
    into = store.location if collection is None else f"the collection {settings.collection!r} at {store.location}"
    click.echo(f"Ingested {', '.join(str(s) for s in sources)} into {into}: {terminal_safe(report.summary())}")


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
    streaming = not as_json and not bib and sys.stdout.isatty() and settings.llm_enabled and not offline
    for item in ask_stream(question, k=k, paper_ids=list(paper_ids) or None, settings=settings, **options):
        if isinstance(item, Answer):
            answer = item
        elif streaming:
            click.echo(terminal_safe(item, keep_newlines=True), nl=False)
    assert answer is not None
    if as_json:
        click.echo(answer.model_dump_json(indent=2))
        return
    if bib:
        entries = answer.bibtex()
        if not entries:
            click.echo("The answer cites no paper, so there is no BibTeX to print.", err=True)
        click.echo(entries, nl=False)
        return
    if streaming:
        click.echo("\n")
    click.echo(render_answer(answer, include_text=not streaming))


def render_answer(answer, include_text: bool = True) -> str:
    """The answer as terminal text: body, numbered references with link and quote, notes, mode."""
    lines = [terminal_safe(answer.text, keep_newlines=True), ""] if include_text else []
    if answer.standalone_question:
        lines += [f"Searched: {terminal_safe(answer.standalone_question)}", ""]
    if answer.citations:
        lines.append("References:")
        for citation in answer.citations:
            lines.append(f"  [{citation.number}] {terminal_safe(citation.title)}")
            for url in citation.urls:
                lines.append(f"      {terminal_safe(url)}")
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
    lines.append(f"[{mode}, confidence {answer.confidence:.2f}, {answer.timings.total_text()}{tokens}]")
    return "\n".join(lines)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the papers as JSON.")
@_collection_option
def papers(as_json: bool, collection: str | None) -> None:
    """List the papers of the collection: id, title, links."""
    from assistant.collection import list_papers

    listed = list_papers(_settings(collection))
    if as_json:
        click.echo(json.dumps([p.model_dump() for p in listed], indent=2))
        return
    for paper in listed:
        click.echo(f"{terminal_safe(paper.paper_id)}\n    {terminal_safe(paper.title)}")
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
    from assistant.named_collections import delete_collection, list_collections

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
