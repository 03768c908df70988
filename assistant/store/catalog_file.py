"""The catalog of one index version as files beside the Chroma data (like the dense and BM25 folders), so that a
process starting does not page every paper out of Chroma (5 s at 56,000 papers, docs/BENCH.md).

Written by the ingest that publishes the version (or, when missing, by the first reader of it: another machine on
the same Chroma server, a data dir from before it), then only read. Columns: the paper ids (JSON), the abstracts (one
UTF-8 blob with offsets) and the rest of each record (one JSON blob with offsets), memory-mapped; a PaperRecord is
made only for the papers a process asks for. A version is a new uuid at every publish, so a folder never describes
another catalog; a damaged one is not used (version_files.intact) and is made again from Chroma.
"""

from __future__ import annotations

import json
import logging
import mmap
import os
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np

from assistant.config import Settings
from assistant.resident import read_at_random
from assistant.store.records import PaperRecord, Snapshot
from assistant.version_files import derived_dir, folder_name, publish_folder, read_record, without_gc

log = logging.getLogger(__name__)
FORMAT = 1
_MARKER = "catalog.json"
_FIELDS = ("title", "urls", "source", "authors", "date", "index_hash", "chunk_count", "doi", "bibtex", "body_start",
           "pages", "sections", "pdf")


def catalog_dir(settings: Settings) -> Path:
    return derived_dir(settings, "catalog")


class CatalogPapers(Mapping[str, PaperRecord]):
    """paper id -> PaperRecord, read from the saved columns on first use and kept while the records kept hold fewer than
    KEPT_CHARACTERS characters of text (then they are dropped and read again as asked: a process that has answered for
    days would otherwise hold every full text it ever cited)."""

    KEPT_CHARACTERS = 32_000_000

    def __init__(self, ids: list[str], abstracts: tuple[Any, list[int]], rest: tuple[Any, list[int]]):
        self._ids = ids
        self._positions = {pid: i for i, pid in enumerate(ids)}
        self._abstracts, self._rest = abstracts, rest  # (the blob, memory-mapped; offsets: n + 1)
        self._made: dict[str, PaperRecord] = {}
        self._kept = 0  # characters of the abstracts in _made

    def __getitem__(self, paper_id: str) -> PaperRecord:
        made = self._made.get(paper_id)
        if made is None:
            position = self._positions[paper_id]
            fields = json.loads(_text(self._rest, position))
            made = _record(paper_id, _text(self._abstracts, position), fields)
            if self._kept + len(made.abstract) > self.KEPT_CHARACTERS:
                self._made, self._kept = {}, 0  # a new dict: another thread reading the old one still finds its records
            self._made[paper_id] = made
            self._kept += len(made.abstract)
        return made

    def __contains__(self, paper_id: object) -> bool:
        return paper_id in self._positions

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


def _text(column: tuple[Any, list[int]], position: int) -> str:
    blob, offsets = column
    return blob[offsets[position] : offsets[position + 1]].decode("utf-8")


def _record(paper_id: str, abstract: str, fields: list[Any]) -> PaperRecord:
    values = dict(zip(_FIELDS, fields))
    values["pages"] = [(int(offset), int(page)) for offset, page in values["pages"]]
    values["sections"] = [(int(offset), str(heading)) for offset, heading in values["sections"]]
    return PaperRecord(paper_id=paper_id, abstract=abstract, **values)


def _blob(texts: list[str]) -> tuple[bytes, np.ndarray]:
    encoded = [text.encode("utf-8") for text in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return b"".join(encoded), offsets


def save_catalog(directory: Path, snapshot: Snapshot, replace: bool = False) -> None:
    """Write the snapshot's papers to directory/<version> (see version_files.publish_folder; replace: it is there but
    damaged)."""
    def write(folder: Path) -> None:
        ids = list(snapshot.papers)
        records = [snapshot.papers[pid] for pid in ids]
        for name, texts in (("abstracts", [r.abstract for r in records]),
                            ("records", [json.dumps([getattr(r, f) for f in _FIELDS]) for r in records])):
            blob, offsets = _blob(texts)
            (folder / f"{name}.bin").write_bytes(blob)
            np.save(folder / f"{name}.npy", offsets)
        (folder / _MARKER).write_text(json.dumps({"version": snapshot.version, "format": FORMAT, "ids": ids}))

    publish_folder(directory, snapshot.version, _MARKER, write, replace=replace)


@without_gc
def load_catalog(directory: Path, version: str) -> Snapshot | None:
    """The saved catalog of this version, or None (missing, damaged, another format)."""
    folder = directory / folder_name(version)
    meta = read_record(folder, _MARKER, version=version, format=FORMAT)
    if meta is None:
        return None
    try:
        ids = [str(pid) for pid in meta["ids"]]
        columns = []
        for name in ("abstracts", "records"):
            offsets = np.load(folder / f"{name}.npy")
            with (folder / f"{name}.bin").open("rb") as file:
                size = os.fstat(file.fileno()).st_size
                blob = read_at_random(mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)) if size else b""
            if offsets.shape != (len(ids) + 1,) or int(offsets[-1]) != size:
                return None
            columns.append((blob, offsets.tolist()))
        return Snapshot(version, CatalogPapers(ids, columns[0], columns[1]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def keep_catalog(settings: Settings, snapshot: Snapshot, replace: bool = False) -> None:
    """Save the snapshot's catalog unless it is there already (replace: it is there but damaged); a data dir that
    cannot be written keeps none."""
    directory = catalog_dir(settings)
    if not replace and (directory / folder_name(snapshot.version) / _MARKER).exists():
        return
    try:
        save_catalog(directory, snapshot, replace=replace)
    except (OSError, ValueError, TypeError) as error:  # a cache: never fails the ingest or question that makes it
        log.warning("Could not save the catalog to %s (%s); it is read from the index at each start.", directory, error)
