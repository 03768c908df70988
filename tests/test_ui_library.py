"""The library in the Streamlit app (AppTest, in-process): picking a collection, asking it, its BibTeX, losing it."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant import collection_assistant, delete_collection, get_settings
from one_paper_seeds import one_paper_seeds

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "ui" / "app.py"
BIB = ROOT / "tests" / "data" / "library.bib"


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app on an index whose default collection holds one seed paper, and a collection 'thesis' from library.bib."""
    seeds = one_paper_seeds(tmp_path)
    monkeypatch.setenv("ASSISTANT_SEEDS_DIR", str(seeds))
    get_settings.cache_clear()
    collection_assistant(collection="thesis").ingest([BIB])
    return AppTest.from_file(str(APP), default_timeout=120).run()


def picker(app: AppTest):
    return app.sidebar.selectbox(key="collection")


def test_picking_a_collection_asks_it_and_offers_the_bibtex_of_the_answer(app: AppTest) -> None:
    assert not app.exception and not app.error
    assert picker(app).options == ["papers (1 papers)", "thesis (3 papers)"]
    assert picker(app).value == "papers"

    picker(app).set_value("thesis").run()
    assert "3 papers · 3 chunks" in " ".join(caption.value for caption in app.sidebar.caption)
    app.chat_input[0].set_value("How is tidal energy forecast for a whole tidal array?").run()
    assert not app.exception and not app.error
    answer = app.session_state["messages"][-1]["answer"]
    assert answer.citations[0].paper_id == "chen_tidal_2022"
    assert app.code[0].value.startswith("@inproceedings{chen_tidal_2022,")

    picker(app).set_value("papers").run()
    assert app.session_state["messages"] == []  # the conversation was about the other collection


def test_a_collection_deleted_elsewhere_sends_the_app_back_to_the_default(app: AppTest) -> None:
    picker(app).set_value("thesis").run()
    delete_collection("thesis")
    app.run()

    assert not app.exception and not app.error
    assert "no longer exists" in app.warning[0].value
    assert picker(app).value == "papers" and picker(app).options == ["papers (1 papers)"]
