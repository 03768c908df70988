"""A Zotero data directory made for the tests: zotero.sqlite built from Zotero's own schema files, and storage/.

The schema comes from ZOTERO_SCHEMA_DIR (default: ../shared/zotero-schema beside the repo), where Zotero's
resource/schema/system.sql, userdata.sql and triggers.sql are placed; nothing of Zotero's is committed here. Where
they are absent (CI has no network), a small schema of our own with the same table and column names is used
(tests/data/zotero-schema/fallback.sql, which records the Zotero commit it mirrors). `SCHEMA_USED` says which.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import PROJECT_ROOT

REAL_SCHEMA_FILES = ("system.sql", "userdata.sql", "triggers.sql")
FALLBACK = Path(__file__).resolve().parent / "data" / "zotero-schema" / "fallback.sql"
ITEM_TYPES = {"journalArticle": 1, "attachment": 2, "note": 3, "conferencePaper": 4}
FIELDS = {"title": 1, "abstractNote": 2, "date": 3, "DOI": 4, "url": 5, "publicationTitle": 6}


def schema_dir() -> Path:
    return Path(os.environ.get("ZOTERO_SCHEMA_DIR") or PROJECT_ROOT.parent / "shared" / "zotero-schema")


def schema_used() -> str:
    """'zotero' when Zotero's own schema files are there, else 'fallback'."""
    folder = schema_dir()
    return "zotero" if all((folder / name).is_file() for name in REAL_SCHEMA_FILES) else "fallback"


@dataclass
class Item:
    key: str
    title: str
    abstract: str | None = None
    date: str | None = None
    doi: str | None = None
    creators: list[tuple[str, str]] = field(default_factory=list)
    pdf: bytes | None = None  # the PDF's bytes, kept in storage/<attachment key>/
    pdf_missing: bool = False  # an attachment whose file is not in storage/
    collections: list[str] = field(default_factory=list)
    trashed: bool = False


def build_library(directory: Path, items: list[Item], collections: dict[str, str | None]) -> Path:
    """Write zotero.sqlite (and storage/) for these items; collections maps name -> parent name. Returns directory."""
    directory.mkdir(parents=True, exist_ok=True)
    database = directory / "zotero.sqlite"
    if database.exists():
        database.unlink()
    db = sqlite3.connect(database)
    if schema_used() == "zotero":
        for name in REAL_SCHEMA_FILES:
            db.executescript((schema_dir() / name).read_text())
    else:
        db.executescript(FALLBACK.read_text())
    db.execute("INSERT INTO libraries (libraryID, type, editable, filesEditable) VALUES (1, 'user', 1, 1)")
    db.executemany("INSERT INTO itemTypesCombined (itemTypeID, typeName, display, custom) VALUES (?, ?, 1, 0)",
                   [(number, name) for name, number in ITEM_TYPES.items()])
    db.executemany("INSERT INTO fieldsCombined (fieldID, fieldName, custom) VALUES (?, ?, 0)",
                   [(number, name) for name, number in FIELDS.items()])
    collection_ids: dict[str, int] = {}
    for number, (name, parent) in enumerate(collections.items(), 1):
        collection_ids[name] = number
        db.execute("INSERT INTO collections (collectionID, collectionName, parentCollectionID, libraryID, key) VALUES (?, ?, ?, 1, ?)",
                   (number, name, collection_ids.get(parent) if parent else None, f"COLL{number:04d}"))
    next_id = 1
    for item in items:
        item_id, next_id = next_id, next_id + 1
        db.execute("INSERT INTO items (itemID, itemTypeID, libraryID, key) VALUES (?, ?, 1, ?)",
                   (item_id, ITEM_TYPES["journalArticle"], item.key))
        values = {"title": item.title, "abstractNote": item.abstract, "date": item.date, "DOI": item.doi}
        for name, value in values.items():
            if value is None:
                continue
            db.execute("INSERT OR IGNORE INTO itemDataValues (value) VALUES (?)", (value,))
            (value_id,) = db.execute("SELECT valueID FROM itemDataValues WHERE value = ?", (value,)).fetchone()
            db.execute("INSERT INTO itemData (itemID, fieldID, valueID) VALUES (?, ?, ?)", (item_id, FIELDS[name], value_id))
        for order, (first, last) in enumerate(item.creators):
            db.execute("INSERT OR IGNORE INTO creators (firstName, lastName, fieldMode) VALUES (?, ?, 0)", (first, last))
            (creator_id,) = db.execute("SELECT creatorID FROM creators WHERE firstName = ? AND lastName = ?", (first, last)).fetchone()
            db.execute("INSERT INTO itemCreators (itemID, creatorID, creatorTypeID, orderIndex) VALUES (?, ?, 1, ?)",
                       (item_id, creator_id, order))
        if item.pdf is not None or item.pdf_missing:
            attachment_id, next_id = next_id, next_id + 1
            attachment_key = f"A{item.key[1:]}"
            db.execute("INSERT INTO items (itemID, itemTypeID, libraryID, key) VALUES (?, ?, 1, ?)",
                       (attachment_id, ITEM_TYPES["attachment"], attachment_key))
            db.execute("INSERT INTO itemAttachments (itemID, parentItemID, linkMode, contentType, path) VALUES (?, ?, 1, ?, ?)",
                       (attachment_id, item_id, "application/pdf", "storage:paper.pdf"))
            if item.pdf is not None:
                folder = directory / "storage" / attachment_key
                folder.mkdir(parents=True, exist_ok=True)
                (folder / "paper.pdf").write_bytes(item.pdf)
        for name in item.collections:
            db.execute("INSERT INTO collectionItems (collectionID, itemID) VALUES (?, ?)", (collection_ids[name], item_id))
        if item.trashed:
            db.execute("INSERT INTO deletedItems (itemID) VALUES (?)", (item_id,))
    db.commit()
    db.close()
    return directory
