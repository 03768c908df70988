"""Named collections: ingest into one, ask it, list, delete; the default collection and its seeds are left as they were."""

from __future__ import annotations

from pathlib import Path

import bibtexparser
import pytest
from click.testing import CliRunner

from assistant import ask, collection_assistant, delete_collection, get_settings, list_collections, list_papers, retrieve
from assistant.cli import main
from assistant.errors import CollectionError
from assistant.lexical import lexical_dir
from assistant.named_collections import with_collection
from assistant.store import PaperStore
from one_paper_seeds import SEED, one_paper_seeds

DATA = Path(__file__).resolve().parent / "data"
BIB = DATA / "library.bib"


@pytest.fixture(autouse=True)
def small_seeds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A one-paper seeds folder, so that building the default collection stays quick."""
    seeds = one_paper_seeds(tmp_path)
    monkeypatch.setenv("ASSISTANT_SEEDS_DIR", str(seeds))
    get_settings.cache_clear()


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input)


def test_the_cli_ingests_asks_lists_and_deletes_a_named_collection_beside_the_default():
    ingested = run("ingest", str(BIB), "--collection", "thesis")
    assert ingested.exit_code == 0, ingested.output
    assert "into the collection 'thesis'" in ingested.output and "3 added" in ingested.output
    assert "1 entry without an abstract skipped (nakamura_notes_2020)" in ingested.output

    listed = run("collections")
    assert listed.output.splitlines() == ["papers  0 papers  (default)", "thesis  3 papers"]

    answer = run("ask", "How is tidal energy forecast for a tidal array?", "--collection", "thesis")
    assert answer.exit_code == 0, answer.output
    assert "Tidal Energy Forecasting with Graph Neural Networks" in answer.output
    default = run("ask", "Which simulant matches the Apollo soil measurements?")  # builds the default from its seeds
    assert default.exit_code == 0, default.output
    assert SEED["title"] in default.output and "Tidal" not in default.output

    papers = run("papers", "--collection", "thesis")
    assert "chen_tidal_2022" in papers.output and "3 papers" in papers.output
    assert "papers:   3" in run("stats", "--collection", "thesis").output
    assert "papers:   1" in run("stats").output
    assert run("collections").output.splitlines() == ["papers  1 papers  (default)", "thesis  3 papers"]

    bib = run("ask", "tidal array forecasting", "--collection", "thesis", "--bib")
    assert bib.exit_code == 0
    assert "chen_tidal_2022" in [entry.key for entry in bibtexparser.parse_string(bib.output).entries]

    kept = run("collections", "--delete", "thesis", input="n\n")
    assert "Nothing was deleted." in kept.output and "thesis  3 papers" in run("collections").output
    deleted = run("collections", "--delete", "thesis", input="y\n")
    assert deleted.exit_code == 0 and "Deleted the collection 'thesis' (3 papers)." in deleted.output
    assert run("collections").output.splitlines() == ["papers  1 papers  (default)"]
    assert SEED["title"] in run("ask", "Which simulant matches the Apollo soil measurements?").output


def test_the_cli_refuses_what_it_cannot_do_with_a_clear_message():
    missing = run("collections", "--delete", "thesis", "--yes")
    assert missing.exit_code == 1 and "There is no collection 'thesis'" in missing.output and "nothing was deleted" in missing.output
    asked = run("ask", "anything?", "--collection", "thesis")
    assert asked.exit_code == 1 and "There is no collection 'thesis'" in asked.output
    assert "assistant ingest FILE --collection thesis" in asked.output
    assert run("stats", "--collection", "thesis").exit_code == 1
    bad = run("ingest", str(BIB), "--collection", "My Thesis")
    assert bad.exit_code == 1 and "cannot name a collection" in bad.output
    no_files = run("ingest", "--collection", "thesis")
    assert no_files.exit_code == 2 and "Name the paper files" in no_files.output
    assert PaperStore(get_settings()).collection_sizes() == {}  # none of it wrote anything, not even the seeds


def test_python_asks_a_named_collection_which_keeps_its_own_bm25_files():
    settings = get_settings()
    thesis = with_collection(settings, "thesis")
    report = collection_assistant(collection="thesis").ingest([BIB])
    assert len(report.added) == 3 and "nakamura_notes_2020" in report.summary()

    answer = ask("Which paper detects queenless honeybee colonies from sound?", collection="thesis", llm=None)
    assert answer.citations and answer.citations[0].paper_id == "okafor_acoustic_2023"
    assert [hit.paper_id for hit in retrieve("Gröbner bases", k=1, collection="thesis")] == ["muller_uber_2021"]
    assert {paper.paper_id for paper in list_papers(collection="thesis")} == {"muller_uber_2021", "chen_tidal_2022",
                                                                               "okafor_acoustic_2023"}
    assert [(c.name, c.papers, c.default) for c in list_collections()] == [("papers", 0, True), ("thesis", 3, False)]
    assert lexical_dir(thesis) != lexical_dir(settings) and lexical_dir(thesis).is_dir()

    assert delete_collection("thesis") == 3
    assert not lexical_dir(thesis).exists()
    with pytest.raises(CollectionError, match="There is no collection 'thesis'"):
        ask("Which paper detects queenless honeybee colonies from sound?", collection="thesis", llm=None)
    with pytest.raises(CollectionError, match="cannot name a collection"):
        ask("anything?", collection="../etc", llm=None)
