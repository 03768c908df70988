"""BibTeX files (.bib, as Zotero, JabRef or Mendeley export them) read into records, with bibtexparser 2.

Each entry keeps its citation key as the paper id and its original text, so an answer can give it back unchanged.
"""

from __future__ import annotations

import logging
from pathlib import Path

import bibtexparser
from bibtexparser.middlewares import SeparateCoAuthors, SplitNameParts
from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry

from assistant.corpus.latex import latex_to_text
from assistant.corpus.library import LibraryRecords, doi_link, normal_doi
from assistant.errors import CorpusError

# The splitter logs every block it gives up on, counting lines from 0, and goes on; we report the first failed block
# ourselves, with its file and line counted from 1, as one error. Its errors (a bug of its own) still get through.
logging.getLogger("bibtexparser.splitter").setLevel(logging.ERROR)


def bibtex_records(text: str, file: Path) -> LibraryRecords:
    """The entries of a .bib file as records (line, fields); entries without an abstract are listed apart by key."""
    library = bibtexparser.parse_string(text, append_middleware=[SeparateCoAuthors(), SplitNameParts()])
    if library.failed_blocks:
        raise _failure(min(library.failed_blocks, key=lambda block: block.start_line or 0), file)
    result = LibraryRecords()
    for entry in library.entries:
        line = (entry.start_line or 0) + 1  # bibtexparser counts from 0
        where = f"{file}:{line}"
        fields = {key.lower(): value for key, value in ((f.key, f.value) for f in entry.fields)}
        if not str(fields.get("abstract") or "").strip():
            result.skipped.append(entry.key)
            continue
        result.records.append((line, _record(entry, fields, where)))
    return result


def _record(entry: Entry, fields: dict, where: str) -> dict:
    doi = normal_doi(fields.get("doi"))
    urls = [url for url in (fields.get("url"), doi_link(doi)) if url]
    title = fields.get("title")
    return {
        "id": entry.key,
        "title": None if title is None else latex_to_text(str(title), "title", where),
        "abstract": latex_to_text(str(fields["abstract"]), "abstract", where),
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
