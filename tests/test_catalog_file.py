"""The catalog of each index version saved as files at publish (store/catalog_file.py): a process starting reads them
instead of paging every paper out of Chroma, and they hold exactly what Chroma holds."""

from __future__ import annotations


import pytest

import assistant.store.catalog as catalog_module
from assistant.config import Settings
from assistant.indexing import ingest_papers
from assistant.models import Paper
from assistant.store import PaperStore
from assistant.store.catalog_file import CatalogPapers, catalog_dir, load_catalog
from assistant.version_files import folder_name

PAPERS = [
    Paper(paper_id="widgets", title="Robust Widgets", abstract="Widgets break under stress. We propose a robust widget.",
          authors=["A. Smith", "B. Jones"], date="2021-03-01", urls=["https://example.org/w"], doi="10.1/w"),
    Paper(paper_id="gadgets", title="Plain Gadgets — ünïcode", abstract="Gadgets are plain and cheap. Ça coûte un dollar.",
          body="Full text of the gadget paper. It has pages.", pages=[(0, 1), (30, 2)], sections=[(0, "Introduction")]),
    Paper(paper_id="gizmos", title="Tiny Gizmos", abstract="Gizmos are small. We shrink a gizmo to a millimetre."),
]


def _paged_snapshot(store: PaperStore, monkeypatch) -> dict:
    """The catalog as Chroma holds it (the saved files not used)."""
    with monkeypatch.context() as patch:
        patch.setattr(catalog_module, "load_catalog", lambda directory, version: None)
        patch.setattr(catalog_module, "keep_catalog", lambda *args, **kwargs: None)
        return dict(store.snapshot().papers)


def _no_paging(*args, **kwargs):
    raise AssertionError("the catalog was paged from Chroma")


def test_an_ingest_saves_the_catalog_it_published_and_a_new_process_reads_it_without_chroma_paging(tmp_path, monkeypatch):
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    ingest_papers(PAPERS[:2], settings)
    ingest_papers(PAPERS[1:], settings, sync=True)  # one removed, one unchanged, one added: a copied catalog
    store = PaperStore(settings)
    version = store.version()
    assert version is not None
    saved = load_catalog(catalog_dir(settings), version)
    assert saved is not None and sorted(saved.papers) == ["gadgets", "gizmos"]
    assert dict(saved.papers) == _paged_snapshot(store, monkeypatch)  # every field as Chroma holds it
    assert [p.name for p in catalog_dir(settings).iterdir()] == [folder_name(version)]  # older versions removed

    monkeypatch.setattr(catalog_module, "paged", _no_paging)
    snapshot = PaperStore(settings).snapshot()  # as a process starting
    assert snapshot.version == version and "widgets" not in snapshot.papers
    assert snapshot.papers["gadgets"].to_paper().body == PAPERS[1].body
    assert snapshot.papers["gadgets"].pages == [(0, 1), (30, 2)] and snapshot.papers["gadgets"].title == PAPERS[1].title


@pytest.mark.parametrize("damage", ["missing", "truncated", "zeroed"])
def test_a_missing_or_damaged_catalog_is_read_from_chroma_and_saved_again(tmp_path, monkeypatch, damage):
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    ingest_papers(PAPERS, settings)
    store = PaperStore(settings)
    [folder] = list(catalog_dir(settings).iterdir())
    blob = folder / "abstracts.bin"
    if damage == "missing":
        for path in sorted(folder.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        folder.rmdir()
    elif damage == "truncated":
        blob.write_bytes(blob.read_bytes()[:-10])
    else:
        blob.write_bytes(b"\0" * blob.stat().st_size)
    assert load_catalog(catalog_dir(settings), store.version() or "") is None
    snapshot = store.snapshot()
    assert dict(snapshot.papers) == _paged_snapshot(store, monkeypatch)
    assert load_catalog(catalog_dir(settings), snapshot.version) is not None  # saved again for the next process



def test_records_read_past_the_kept_limit_are_dropped_and_read_again_the_same(tmp_path, monkeypatch):
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    ingest_papers(PAPERS, settings)
    store = PaperStore(settings)
    saved = load_catalog(catalog_dir(settings), store.version() or "")
    assert saved is not None
    first = {paper_id: saved.papers[paper_id] for paper_id in saved.papers}
    assert all(saved.papers[paper_id] is first[paper_id] for paper_id in first)  # kept: made once

    monkeypatch.setattr(CatalogPapers, "KEPT_CHARACTERS", len(PAPERS[0].abstract) + 1)  # room for about one record
    again = load_catalog(catalog_dir(settings), store.version() or "")
    assert again is not None
    for _ in range(2):
        assert {paper_id: again.papers[paper_id] for paper_id in again.papers} == first  # the same records, read again
    assert again.papers._kept <= CatalogPapers.KEPT_CHARACTERS
