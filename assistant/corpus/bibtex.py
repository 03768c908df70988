"""BibTeX files (.bib, as Zotero, JabRef or Mendeley export them) read into records, with bibtexparser 2.

Each entry keeps its citation key as the paper id and its original text, so an answer can give it back unchanged; the
`@string` macros the entry uses are kept before it (`journal = jnl` needs `@string{jnl = ...}` to mean anything).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import bibtexparser
from bibtexparser.middlewares import SeparateCoAuthors, SplitNameParts
from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry, String

from assistant.corpus.latex import latex_to_text
from assistant.corpus.library import LibraryRecords, doi_link, normal_doi
from assistant.corpus.linked import bibtex_file_links, linked_pdfs
from assistant.errors import CorpusError

# A bare name after `=` or `#`: a macro reference (quoted and braced values start with `"` or `{`).
_REFERENCE = re.compile(r"[=#]\s*([^\s\"#%'(),={}0-9][^\s\"#%'(),={}]*)")

# The splitter logs every block it gives up on, counting lines from 0, and goes on; we report the first failed block
# ourselves, with its file and line counted from 1, as one error. Its errors (a bug of its own) still get through.
logging.getLogger("bibtexparser.splitter").setLevel(logging.ERROR)


def bibtex_records(text: str, file: Path) -> LibraryRecords:
    """The entries of a .bib file as records (line, fields, `pdfs` its `file` field links); entries with neither an
    abstract nor a linked PDF are listed apart by key."""
    library = bibtexparser.parse_string(text, append_middleware=[SeparateCoAuthors(), SplitNameParts()])
    if library.failed_blocks:
        raise _failure(min(library.failed_blocks, key=lambda block: block.start_line or 0), file)
    result = LibraryRecords()
    strings = {block.key.lower(): block for block in library.strings}
    for entry in library.entries:
        line = (entry.start_line or 0) + 1  # bibtexparser counts from 0
        where = f"{file}:{line}"
        fields = {key.lower(): value for key, value in ((f.key, f.value) for f in entry.fields)}
        pdfs = linked_pdfs(bibtex_file_links(fields.get("file")), file.parent)
        if not str(fields.get("abstract") or "").strip() and not pdfs:
            result.skipped.append(entry.key)
            continue
        record = _record(entry, fields, where) | {"pdfs": pdfs}
        if record["bibtex"]:
            record["bibtex"] = "\n".join([*((block.raw or "").strip() for block in _macros(record["bibtex"], strings)), record["bibtex"]])
        result.records.append((line, record))
    return result


def _macros(raw: str, strings: dict[str, String]) -> list[String]:
    """The @string blocks raw uses, and those they use in turn, in the order of the file."""
    used: dict[str, String] = {}
    pending = [raw]
    while pending:
        text = pending.pop()
        for name in _REFERENCE.findall(text):
            block = strings.get(name.lower())
            if block is not None and name.lower() not in used:
                used[name.lower()] = block
                pending.append((block.raw or "").split("=", 1)[-1])
    return sorted(used.values(), key=lambda block: block.start_line or 0)


def split_macros(bibtex: str) -> tuple[list[tuple[str, str]], str]:
    """A kept entry's leading @string blocks as (lower-case name, block text), and the entry itself."""
    if not bibtex.lstrip().lower().startswith("@string"):
        return [], bibtex.strip()
    library = bibtexparser.parse_string(bibtex)
    if library.failed_blocks or len(library.entries) != 1:
        return [], bibtex.strip()
    return ([(block.key.lower(), (block.raw or "").strip()) for block in library.strings],
            (library.entries[0].raw or "").strip())


def _record(entry: Entry, fields: dict, where: str) -> dict:
    doi = normal_doi(fields.get("doi"))
    urls = [url for url in (fields.get("url"), doi_link(doi)) if url]
    title = fields.get("title")
    return {
        "id": entry.key,
        "title": None if title is None else latex_to_text(str(title), "title", where),
        "abstract": latex_to_text(str(fields["abstract"]), "abstract", where) if fields.get("abstract") else None,
        "url": [str(url).strip() for url in urls],
        "authors": [latex_to_text(name.merge_first_name_first, "author", where) for name in fields.get("author") or []],
        "date": _date(fields),
        "doi": doi,
        "bibtex": (entry.raw or "").strip() or None,
    }


def _date(fields: dict) -> str | None:
    """biblatex's date, else the year."""
    return " ".join(str(fields.get("date") or fields.get("year") or "").split()) or None


def _failure(block, file: Path) -> CorpusError:
    line = (block.start_line or 0) + 1
    if isinstance(block, DuplicateBlockKeyBlock):
        first = (block.previous_block.start_line or 0) + 1
        return CorpusError(f"{file}:{line}: duplicate paper: the citation key {block.key!r} is also at {file}:{first}; "
                           f"remove one or give it another key.")
    if isinstance(block, DuplicateFieldKeyBlock):
        return CorpusError(f"{file}:{line}: an entry gives the same field twice ({block.error}); keep one of them.")
    reason = getattr(block.error, "abort_reason", None) or str(block.error)
    reason = " ".join(reason.split()).rstrip(".")
    reason = reason[:1].lower() + reason[1:] if reason else "a syntax error"
    return CorpusError(f"{file}:{line}: not valid BibTeX ({reason}); check the braces and commas of the entry that "
                       f"starts on line {line}.")
