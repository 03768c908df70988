"""CSL-JSON (Zotero's "Export Collection" as CSL JSON): a JSON array of items with title, abstract, DOI, URL, author, issued."""

from __future__ import annotations

from pathlib import Path

from assistant.corpus.library import LibraryRecords, doi_id, doi_link, normal_doi
from assistant.corpus.linked import file_links, linked_pdfs
from assistant.errors import CorpusError

# Keys only CSL-JSON uses (the plain .json format has title, abstract, id, url, authors, date).
_CSL_KEYS = {"DOI", "issued", "container-title", "citation-key"}


def is_csl_json(items: list) -> bool:
    """Whether a parsed JSON array is CSL-JSON: an item with a key only CSL uses, or an `author` list of name objects."""
    def csl(item: object) -> bool:
        if not isinstance(item, dict):
            return False
        author = item.get("author")
        return bool(_CSL_KEYS & item.keys()) or (isinstance(author, list) and any(isinstance(a, dict) for a in author))

    return any(csl(item) for item in items)


def csl_records(items: list, lines: list[int], file: Path) -> LibraryRecords:
    """The items of a CSL-JSON array as records (line, fields, `pdfs` its `file` key links); items with neither an
    abstract nor a linked PDF are listed apart."""
    result = LibraryRecords()
    for line, item in zip(lines, items):
        where = f"{file}:{line}"
        if not isinstance(item, dict):
            raise CorpusError(f"{where}: expected a CSL-JSON item (an object), found {type(item).__name__}.")
        doi = normal_doi(item.get("DOI"))
        abstract = item.get("abstract")
        pdfs = linked_pdfs(file_links(item.get("file")), file.parent)
        if (abstract is None or (isinstance(abstract, str) and not abstract.strip())) and not pdfs:
            label = item.get("citation-key") or doi or str(item.get("title") or item.get("id") or f"line {line}")[:60]
            result.skipped.append(str(label))
            continue
        result.records.append((line, {
            "id": doi_id(doi),
            "title": item.get("title"),
            "abstract": (" ".join(abstract.split()) or None) if isinstance(abstract, str) else abstract,
            "url": [url for url in (item.get("URL"), doi_link(doi)) if url],
            "authors": [_name(person, where) for person in item.get("author") or []],
            "date": _issued(item.get("issued"), where),
            "doi": doi,
            "pdfs": pdfs,
        }))
    return result


def _name(person: object, where: str) -> str:
    if not isinstance(person, dict):
        raise CorpusError(f"{where}: an author must be an object with family and given names, found {type(person).__name__}.")
    if person.get("literal"):
        return str(person["literal"])
    return " ".join(str(person[part]) for part in ("given", "non-dropping-particle", "family", "suffix") if person.get(part))


def _issued(value: object, where: str) -> str | None:
    """CSL's date ({"date-parts": [[2020, 3, 1]]}, or raw / literal text) as 2020-03-01."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise CorpusError(f"{where}: issued must be a CSL date object ({{\"date-parts\": [[2020, 3, 1]]}}), found {type(value).__name__}.")
    parts = value.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        year, *rest = parts[0]
        return "-".join([str(year), *(f"{int(part):02d}" for part in rest if str(part).isdigit())])
    text = value.get("raw") or value.get("literal")
    return str(text) if text else None
