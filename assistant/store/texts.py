"""The papers' texts (a full-text paper's abstract and body), kept once per indexed version of a paper in the
generation's texts collection (`<name>_texts-g<G>`, id `paper_id#hash`, the text in the metadata), not in the catalog.

An ingest publishes by copying the catalog (writer.py); a text in each catalog record was copied, and full-text
indexed by Chroma, again at every publish: at 180,000 papers that copy took 15 minutes for one new paper. A text, like a
chunk, is written before its catalog record and is invisible until the catalog names its hash; remove_stale sweeps
those no version names. Catalogs written before this (and the legacy layout) hold the text as the record's document:
read as it is, and moved into the texts collection by the next copy.
"""

from __future__ import annotations

import zlib
from dataclasses import replace
from typing import Any, Iterable

from assistant.store.connection import paged
from assistant.store.records import PaperRecord, paper_record, text_id

_PAGE = 1000
TEXT_KEY = "text"


def _position(id_: str) -> list[float]:
    """A text record's vector: Chroma stores none without one (the collection is never searched); distinct values keep
    its graph from degenerating over identical points."""
    return [zlib.crc32(id_.encode("utf-8")) / 2**32]


def write_texts(texts_col: Any, texts: Iterable[tuple[str, str, str]]) -> None:
    """Store these (paper id, index hash, text)."""
    batch = list(texts)
    for first in range(0, len(batch), _PAGE):
        part = batch[first : first + _PAGE]
        ids = [text_id(paper_id, hash_) for paper_id, hash_, _ in part]
        texts_col.upsert(ids=ids, embeddings=[_position(i) for i in ids],
                         metadatas=[{"paper_id": p, "hash": h, TEXT_KEY: text} for p, h, text in part])


def read_texts(texts_col: Any | None, wanted: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The stored texts of these (paper id, index hash); those not stored are left out."""
    found: dict[tuple[str, str], str] = {}
    if texts_col is None:
        return found
    for first in range(0, len(wanted), _PAGE):
        got = texts_col.get(ids=[text_id(p, h) for p, h in wanted[first : first + _PAGE]], include=["metadatas"])
        for meta in got["metadatas"]:
            if meta:
                found[(str(meta["paper_id"]), str(meta["hash"]))] = str(meta.get(TEXT_KEY, ""))
    return found


def read_papers(papers_col: Any, texts_col: Any | None) -> dict[str, PaperRecord]:
    """Every catalog record, its text from the texts collection, else from the record's document (written before texts
    were kept apart)."""
    records = {paper_id: paper_record(paper_id, document, meta)
               for ids, documents, metadatas in paged(papers_col, include=["documents", "metadatas"])
               for paper_id, document, meta in zip(ids, documents, metadatas)}
    # the texts collection first: an upsert without a document leaves a document written before in place
    for (paper_id, _), text in read_texts(texts_col, [(r.paper_id, r.index_hash) for r in records.values()]).items():
        records[paper_id] = replace(records[paper_id], abstract=text)
    return records


def stale_texts(texts_col: Any | None, live: dict[str, str | None], wanted: set[str] | None) -> list[str]:
    """The ids of stored texts of versions the catalog (live: paper id -> hash) does not name, as remove_stale decides for
    chunks: a text of a paper the catalog does not hold is kept (an interrupted ingest's) unless the paper is not wanted."""
    if texts_col is None:
        return []
    stale = []
    for ids, _, _ in paged(texts_col, include=[]):  # the ids alone: a page of metadata would hold the texts
        for id_ in ids:
            paper_id, hash_ = id_.rsplit("#", 1)  # an index hash holds no "#"
            held = live.get(paper_id)
            if held != hash_ and not (held is None and (wanted is None or paper_id in wanted)):
                stale.append(id_)
    return stale
