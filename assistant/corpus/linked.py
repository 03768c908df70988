"""PDFs that a reference-manager entry links (`file` in BibTeX and CSL-JSON, `L1` in RIS), read into the entry.

Zotero's "Export Files" writes the export beside a `files/` folder, and its entries link their PDFs relative to it
(`file = {Full Text PDF:files/12/name.pdf:application/pdf}`); other tools write absolute paths or `file://` links.
The entry keeps its own metadata (title, authors, date, DOI, and its abstract when it has one); the PDF gives the body,
its pages and sections (and the abstract, when the entry has none).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlparse

from assistant.corpus.pdf import PdfError, pdf_record

_UNESCAPED_SEMICOLON = re.compile(r"(?<!\\);")
_UNESCAPED_COLON = re.compile(r"(?<!\\):")


def bibtex_file_links(value: object) -> list[str]:
    """The paths of a BibTeX `file` field: Zotero's and JabRef's `description:path:type;...`, or plain `path;path2`."""
    links = []
    for part in _UNESCAPED_SEMICOLON.split(str(value or "")):
        pieces = _UNESCAPED_COLON.split(part.strip())
        path = ":".join(pieces[1:-1]) if len(pieces) >= 3 else part.strip()
        path = path.replace("\\:", ":").replace("\\;", ";").replace("\\\\", "\\").strip()
        if path:
            links.append(path)
    return links


def file_links(value: object) -> list[str]:
    """The paths of a field holding one link, several separated by ';', or a list of them (RIS L1, CSL-JSON file)."""
    values = value if isinstance(value, list) else [value]
    return [link.strip() for item in values if isinstance(item, str) for link in item.split(";") if link.strip()]


def linked_pdfs(links: list[str], folder: Path) -> list[Path]:
    """The PDFs among links, as paths (relative ones resolved against the folder of the export that names them)."""
    paths = []
    for link in links:
        if link.lower().startswith("file:"):
            path = Path(unquote(urlparse(link).path))
        else:
            path = Path(link).expanduser()
        if path.suffix.lower() == ".pdf":
            paths.append(path if path.is_absolute() else folder / path)
    return paths


def attach_pdf(record: dict, pdfs: list[Path], where: str, on_page: Callable[[int], None] | None = None,
               cache: Path | None = None) -> tuple[int, list[str]]:
    """Give the record the full text of its first readable linked PDF (pages read, notes); a missing or unreadable one
    is named in a note and the entry stays as it is (abstract only)."""
    notes = []
    for pdf in pdfs:
        if not pdf.is_file():
            notes.append(f"{where}: the linked PDF {pdf} is missing; {_fallback(record)}.")
            continue
        try:
            full, pdf_notes = pdf_record(pdf, on_page, cache)
        except PdfError as e:
            notes.append(f"{where}: the linked PDF could not be read ({e}); {_fallback(record)}.")
            continue
        pages = len(full.pop("page_numbers"))
        merge_full_text(record, full)
        return pages, notes + pdf_notes
    return 0, notes


def _fallback(record: dict) -> str:
    return "the entry's abstract is used" if _has_abstract(record) else "the entry has no abstract and is skipped"


def _has_abstract(record: dict) -> bool:
    return isinstance(record.get("abstract"), str) and bool(record["abstract"].strip())


def merge_full_text(record: dict, full: dict) -> None:
    """The entry's metadata over the PDF's; its abstract when it has one (the page and section offsets moved to match)."""
    for name in ("title", "date", "doi"):
        record[name] = record.get(name) or full[name]
    record["authors"] = record.get("authors") or full["authors"]
    shift = 0
    if _has_abstract(record):
        shift = len(record["abstract"].strip()) - len(full["abstract"])
    else:
        record["abstract"] = full["abstract"]
    record["body"], record["pdf"] = full["body"], full["pdf"]
    record["pages"] = [(offset + shift if offset else 0, page) for offset, page in full["pages"]]
    record["sections"] = [(offset + shift if offset else 0, heading) for offset, heading in full["sections"]]
