"""RIS files (.ris, as Zotero, EndNote or Mendeley export them) read into records, with rispy."""

from __future__ import annotations

import re
from pathlib import Path

import rispy

from assistant.corpus.library import LibraryRecords, doi_id, doi_link, normal_doi, person_name
from assistant.corpus.linked import file_links, linked_pdfs
from assistant.errors import CorpusError

_START, _END = re.compile(r"^TY  -"), re.compile(r"^ER  -")


def ris_records(text: str, file: Path) -> LibraryRecords:
    """The entries of a .ris file as records (line, fields, `pdfs` its L1 lines link); entries with neither an abstract
    nor a linked PDF are listed apart."""
    lines = _entry_lines(text, file)
    entries = rispy.loads(text, list_tags=[*rispy.LIST_TYPE_TAGS, "L1"])  # L1: the attached files, one a line
    if len(entries) != len(lines):  # _entry_lines checked the structure rispy relies on; this would be a rispy change
        raise CorpusError(f"{file}: {len(lines)} entries start with 'TY  -' but {len(entries)} could be read; check the file.")
    result = LibraryRecords()
    for line, entry in zip(lines, entries):
        doi = normal_doi(entry.get("doi"))
        title = entry.get("title") or entry.get("primary_title")
        abstract = entry.get("abstract") or entry.get("notes_abstract")
        pdfs = linked_pdfs(file_links(entry.get("file_attachments1")), file.parent)
        if not (abstract or "").strip() and not pdfs:
            result.skipped.append(entry.get("id") or doi or (title or f"line {line}")[:60])
            continue
        urls = entry.get("urls") or []
        result.records.append((line, {
            "id": doi_id(doi),
            "title": title,
            "abstract": " ".join(abstract.split()) if abstract else None,
            "url": [*(urls if isinstance(urls, list) else [urls]), *filter(None, [doi_link(doi)])],
            "authors": [person_name(name) for name in [*entry.get("first_authors", []), *entry.get("authors", [])]],
            "date": _date(entry),
            "doi": doi,
            "pdfs": pdfs,
        }))
    return result


def _entry_lines(text: str, file: Path) -> list[int]:
    """The line of each entry's 'TY  -'; a CorpusError for an entry that does not end (with 'ER  -') before the next."""
    starts: list[int] = []
    open_at = None
    for number, line in enumerate(text.split("\n"), 1):
        if _START.match(line):
            if open_at is not None:
                raise CorpusError(f"{file}:{number}: a new entry starts, but the one at line {open_at} has no end; "
                                  f"add a line 'ER  - ' after it.")
            open_at = number
            starts.append(number)
        elif _END.match(line):
            if open_at is None:
                raise CorpusError(f"{file}:{number}: 'ER  -' ends no entry; every entry starts with a line 'TY  - TYPE'.")
            open_at = None
    if open_at is not None:
        raise CorpusError(f"{file}:{open_at}: the entry has no end; add a line 'ER  - ' after it.")
    return starts


def _date(entry: dict) -> str | None:
    """The entry's date (DA), else its year (PY, Y1), without RIS's slashes (2022/05/14/ reads 2022-05-14)."""
    for name in ("date", "year", "publication_year"):
        value = "-".join(part for part in " ".join(str(entry.get(name) or "").split()).split("/") if part)
        if value:
            return value
    return None
