"""A local Zotero library read in place: zotero.sqlite opened read-only and immutable (Zotero may be running and hold
it locked; nothing is ever written), its items with their metadata and abstract, their PDFs from storage/.

Each Zotero item becomes a paper with the id `zotero:<item key>` (stable across edits, so a sync updates it); its
metadata comes from Zotero, its body from its first readable PDF attachment, and its abstract from Zotero's Abstract
field, else from the PDF. An item with neither an abstract nor a readable PDF is skipped and listed. Items in the
trash are left out.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from assistant.corpus.linked import merge_full_text
from assistant.corpus.pdf import PdfError, pdf_record
from assistant.errors import CorpusError

_SKIPPED_TYPES = ("attachment", "note", "annotation")
_LINKED_FILE = 2  # itemAttachments.linkMode of a file linked where it is (not kept in storage/)


@dataclass
class ZoteroItem:
    """One regular item: its key, fields by name, creators, the PDFs it has (path, exists), its collections' keys."""

    item_id: int
    key: str
    fields: dict[str, str]
    creators: list[str]
    pdfs: list[Path] = field(default_factory=list)
    collections: list[int] = field(default_factory=list)


@dataclass
class ZoteroLibrary:
    """The items of a library, and its collections (id -> name, parent id)."""

    directory: Path
    items: list[ZoteroItem]
    collections: dict[int, tuple[str, int | None]]

    def collection_named(self, name: str) -> int:
        """The id of the collection of that name (case-insensitive); an error naming the ones there are otherwise."""
        found = [cid for cid, (cname, _) in self.collections.items() if cname.casefold() == name.casefold()]
        if not found:
            names = ", ".join(sorted(repr(cname) for cname, _ in self.collections.values())) or "none"
            raise CorpusError(f"The Zotero library at {self.directory} has no collection {name!r} (it has: {names}).")
        return found[0]

    def items_in(self, collection_id: int) -> list[ZoteroItem]:
        """The items of a collection and of its sub-collections, as Zotero shows them with "show items from subcollections"."""
        wanted = {collection_id}
        grew = True
        while grew:
            more = {cid for cid, (_, parent) in self.collections.items() if parent in wanted} - wanted
            wanted |= more
            grew = bool(more)
        return [item for item in self.items if wanted & set(item.collections)]


def database_of(directory: Path) -> Path:
    """The zotero.sqlite of a Zotero data directory; an error saying where to look when it is not there."""
    database = directory.expanduser() / "zotero.sqlite"
    if not database.is_file():
        raise CorpusError(f"{database}: no Zotero database there; pass your Zotero data directory (Zotero: Settings → Advanced "
                          f"→ Files and Folders → Data Directory Location), e.g. `assistant ingest --zotero ~/Zotero`.")
    return database


def connect(database: Path) -> sqlite3.Connection:
    """zotero.sqlite read-only and immutable: no lock is taken, no journal is made, nothing can be written."""
    uri = f"file:{quote(str(database.resolve()))}?mode=ro&immutable=1"
    try:
        connection = sqlite3.connect(uri, uri=True)
        connection.execute("SELECT 1 FROM items LIMIT 1")
    except sqlite3.DatabaseError as e:
        raise CorpusError(f"{database}: cannot be read as a Zotero database ({e}); check the path is Zotero's data directory.") from e
    return connection


def read_library(directory: str | Path) -> ZoteroLibrary:
    """The regular items (not attachments, notes, annotations, nor items in the trash) and the collections of a library."""
    directory = Path(directory).expanduser()
    connection = connect(database_of(directory))
    try:
        return _library(connection, directory)
    except sqlite3.DatabaseError as e:
        raise CorpusError(f"{directory / 'zotero.sqlite'}: not a Zotero database this version can read ({e}).") from e
    finally:
        connection.close()


def _library(db: sqlite3.Connection, directory: Path) -> ZoteroLibrary:
    skipped = ",".join("?" * len(_SKIPPED_TYPES))
    rows = db.execute(
        f"SELECT items.itemID, items.key FROM items JOIN itemTypesCombined USING (itemTypeID) "
        f"WHERE typeName NOT IN ({skipped}) AND itemID NOT IN (SELECT itemID FROM deletedItems) ORDER BY items.itemID",
        _SKIPPED_TYPES).fetchall()
    items = {item_id: ZoteroItem(item_id, key, {}, []) for item_id, key in rows}
    for item_id, name, value in db.execute(
            "SELECT itemID, fieldName, value FROM itemData JOIN fieldsCombined USING (fieldID) JOIN itemDataValues USING (valueID)"):
        if item_id in items and value is not None:
            items[item_id].fields[name] = str(value)
    for item_id, first, last in db.execute(
            "SELECT itemID, firstName, lastName FROM itemCreators JOIN creators USING (creatorID) ORDER BY itemID, orderIndex"):
        if item_id in items:
            items[item_id].creators.append(" ".join(part for part in (first, last) if part))
    for parent, key, link_mode, path in db.execute(
            "SELECT parentItemID, items.key, linkMode, path FROM itemAttachments JOIN items USING (itemID) "
            "WHERE contentType = 'application/pdf' AND itemID NOT IN (SELECT itemID FROM deletedItems) ORDER BY itemID"):
        if parent in items and path:
            items[parent].pdfs.append(_attachment_path(directory, key, link_mode, path))
    for collection_id, item_id in db.execute("SELECT collectionID, itemID FROM collectionItems"):
        if item_id in items:
            items[item_id].collections.append(collection_id)
    collections = {cid: (name, parent) for cid, name, parent in db.execute(
        "SELECT collectionID, collectionName, parentCollectionID FROM collections "
        "WHERE collectionID NOT IN (SELECT collectionID FROM deletedCollections)")}
    return ZoteroLibrary(directory, list(items.values()), collections)


def _attachment_path(directory: Path, key: str, link_mode: int, path: str) -> Path:
    """Where an attachment's file is: storage/<key>/<name> for a stored file ("storage:name"), else the linked path."""
    if path.startswith("storage:"):
        return directory / "storage" / key / path.removeprefix("storage:")
    if link_mode == _LINKED_FILE and path.startswith("attachments:"):  # relative to the base directory (a Zotero setting)
        return Path(path.removeprefix("attachments:"))
    return Path(path)


@dataclass
class ItemRecords:
    """The paper records of some items, with the notes made reading them and the keys of the items skipped."""

    records: list[tuple[str, dict]] = field(default_factory=list)  # (where, record)
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    pages: int = 0


def item_records(items: list[ZoteroItem], directory: Path, cache: Path | None = None) -> ItemRecords:
    """Each item as a paper record: Zotero's metadata, the abstract, and the body of its first readable PDF."""
    result = ItemRecords()
    for item in items:
        where = f"{directory / 'zotero.sqlite'} item {item.key}"
        fields = item.fields
        record: dict = {"id": f"zotero:{item.key}", "title": fields.get("title"), "abstract": fields.get("abstractNote") or None,
                        "authors": item.creators, "date": _year(fields.get("date")), "doi": fields.get("DOI") or None,
                        "url": fields.get("url") or None}
        for pdf in item.pdfs:
            if not pdf.is_file():
                result.notes.append(f"{where} ({(record['title'] or '')[:60]!r}): its PDF is missing at {pdf}; "
                                    f"{'the abstract is used' if record['abstract'] else 'skipped'}.")
                continue
            try:
                full, notes = pdf_record(pdf, cache=cache)
            except PdfError as e:
                result.notes.append(f"{where}: {e}")
                continue
            result.notes += notes
            result.pages += len(full.pop("page_numbers"))
            merge_full_text(record, full)
            break
        if not record["title"] or not record["abstract"]:
            result.skipped.append(item.key)
            continue
        result.records.append((where, record))
    if result.skipped:
        result.notes.append(f"{len(result.skipped)} Zotero item{'s' if len(result.skipped) != 1 else ''} without an abstract "
                            f"or a readable PDF skipped ({', '.join(result.skipped)}).")
    return result


def _year(date: str | None) -> str | None:
    """Zotero keeps dates as 'YYYY-MM-DD original text'; the paper keeps what is known of YYYY-MM-DD."""
    if not date:
        return None
    found = re.match(r"(\d{4})(?:-(\d\d))?(?:-(\d\d))?", date)
    if not found:
        return None
    year, month, day = found.groups()
    return "-".join(part for part in (year, month if month != "00" else None, day if day != "00" else None) if part)
