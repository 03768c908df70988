"""`assistant ingest --zotero`: a local library read in place, never written, mirrored into collections and synced."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import ask, get_settings, list_papers
from assistant.cli import main
from assistant.corpus.zotero import item_records, read_library
from assistant.errors import CorpusError
from assistant.indexing import ingest_zotero
from one_paper_seeds import one_paper_seeds
from pdf_fixtures import FACT, TITLE, paper_pdf
from zotero_fixture import Item, build_library, schema_dir, schema_used

BEES = ("Beekeepers open hives to check on their colonies, which disturbs the bees. We record the hum of 40 hives for a "
        "season and detect queenless colonies from one minute of sound with 91 percent accuracy.")
SOIL = ("Soil moisture sensors drift over a growing season. We recalibrate a network of 200 probes against satellite "
        "estimates and halve the error of irrigation schedules on three farms.")
COLLECTIONS = {"Ocean Energy": None, "Tidal Arrays": "Ocean Energy", "Farming": None}


@pytest.fixture(scope="module")
def pdf_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return paper_pdf(tmp_path_factory.mktemp("zpdf") / "tidal.pdf").read_bytes()


@pytest.fixture
def zotero(tmp_path: Path, pdf_bytes: bytes, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ASSISTANT_SEEDS_DIR", str(one_paper_seeds(tmp_path)))
    get_settings.cache_clear()
    return build_library(tmp_path / "Zotero", library_items(pdf_bytes), COLLECTIONS)


def library_items(pdf: bytes) -> list[Item]:
    return [
        Item("ITIDAL01", TITLE, date="2024-03-00 March 2024", doi="10.5555/tidal.2024.17", creators=[("Ada", "Lovelace")],
             pdf=pdf, collections=["Tidal Arrays"]),
        Item("IBEES002", "Acoustic Monitoring of Honeybee Colonies", abstract=BEES, date="2023", collections=["Farming"]),
        Item("ISOIL003", "Recalibrating Soil Moisture Networks", abstract=SOIL, pdf_missing=True, collections=["Farming"]),
        Item("INOTHING", "An Item With Nothing To Read", pdf_missing=True),
        Item("ITRASH05", "A Trashed Paper", abstract=SOIL.replace("200", "300"), trashed=True),
    ]


def test_the_fixture_says_which_schema_it_was_built_from(zotero: Path, capsys: pytest.CaptureFixture):
    used = schema_used()
    with capsys.disabled():
        print(f"\n[zotero fixture schema: {used} ({schema_dir() if used == 'zotero' else 'tests/data/zotero-schema/fallback.sql'})]")
    assert used in ("zotero", "fallback")


def test_the_library_is_read_in_place_and_never_written(zotero: Path):
    database = zotero / "zotero.sqlite"
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    library = read_library(zotero)
    assert sorted(item.key for item in library.items) == ["IBEES002", "INOTHING", "ISOIL003", "ITIDAL01"]  # trash left out
    tidal = next(item for item in library.items if item.key == "ITIDAL01")
    assert tidal.creators == ["Ada Lovelace"] and tidal.pdfs[0].is_file()
    assert [item.key for item in library.items_in(library.collection_named("ocean energy"))] == ["ITIDAL01"]  # sub-collection
    found = item_records(library.items, zotero)
    assert found.skipped == ["INOTHING"]
    assert any("ISOIL003" in note and "PDF is missing" in note and "the abstract is used" in note for note in found.notes)
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in zotero.iterdir()) == ["storage", "zotero.sqlite"]  # no journal, no lock file left
    with pytest.raises(CorpusError, match="no collection 'Physics'.*'Farming'"):
        library.collection_named("Physics")


def test_a_locked_database_is_still_read(zotero: Path):
    import sqlite3

    holder = sqlite3.connect(zotero / "zotero.sqlite")
    holder.execute("BEGIN EXCLUSIVE")  # what a running Zotero does while it writes
    try:
        assert len(read_library(zotero).items) == 4
    finally:
        holder.rollback()
        holder.close()


def test_ingest_mirrors_the_library_and_its_collections(zotero: Path):
    reports = dict(ingest_zotero(zotero, get_settings()))
    assert sorted(reports) == ["zotero", "zotero-farming", "zotero-ocean-energy", "zotero-tidal-arrays"]
    assert sorted(reports["zotero"].added) == ["zotero:IBEES002", "zotero:ISOIL003", "zotero:ITIDAL01"]
    assert sorted(reports["zotero-farming"].added) == ["zotero:IBEES002", "zotero:ISOIL003"]
    assert reports["zotero-ocean-energy"].added == ["zotero:ITIDAL01"]
    summary = reports["zotero"].summary()
    assert "1 Zotero item without an abstract or a readable PDF skipped (INOTHING)" in summary
    papers = {p.paper_id: p for p in list_papers(collection="zotero")}
    tidal = papers["zotero:ITIDAL01"]
    assert tidal.date == "2024-03" and tidal.authors == ["Ada Lovelace"] and tidal.doi == "10.5555/tidal.2024.17"
    assert FACT in tidal.body and tidal.pdf and tidal.pdf.endswith("paper.pdf")

    answer = ask("What mean absolute error did the corrected forecasts reach at Pentland Firth?", collection="zotero", llm=None)
    assert answer.citations[0].paper_id == "zotero:ITIDAL01" and answer.citations[0].page == 2


def test_a_second_run_syncs_changed_and_removed_items_and_unchanged_cost_nothing(zotero: Path, pdf_bytes: bytes):
    assert CliRunner().invoke(main, ["ingest", "--zotero", str(zotero), "--zotero-collection", "Farming"]).exit_code == 0
    again = CliRunner().invoke(main, ["ingest", "--zotero", str(zotero), "--zotero-collection", "Farming"])
    assert "0 added, 0 updated, 2 unchanged, 0 removed; 0 chunks embedded" in again.output, again.output

    items = library_items(pdf_bytes)
    items[1].abstract = BEES.replace("91 percent", "94 percent")  # changed
    del items[2]  # removed from the library
    build_library(zotero, items, COLLECTIONS)
    synced = CliRunner().invoke(main, ["ingest", "--zotero", str(zotero), "--zotero-collection", "Farming"])
    assert synced.exit_code == 0, synced.output
    assert "into the collection 'zotero-farming'" in synced.output
    assert "0 added, 1 updated, 0 unchanged, 1 removed" in synced.output
    (bees,) = list_papers(collection="zotero-farming")
    assert "94 percent" in bees.abstract


def test_errors_say_what_to_do(tmp_path: Path, zotero: Path):
    missing = CliRunner().invoke(main, ["ingest", "--zotero", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1 and "no Zotero database there" in missing.output and "Traceback" not in missing.output
    unknown = CliRunner().invoke(main, ["ingest", "--zotero", str(zotero), "--zotero-collection", "Physics"])
    assert unknown.exit_code == 1 and "has no collection 'Physics'" in unknown.output
    both = CliRunner().invoke(main, ["ingest", "paper.pdf", "--zotero", str(zotero)])
    assert both.exit_code == 2 and "either paper files or --zotero" in both.output
