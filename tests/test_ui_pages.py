"""The chat's source card of a full-text citation: the page and section, and that page shown with the quote highlighted."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant import get_settings
from one_paper_seeds import one_paper_seeds
from pdf_fixtures import FACT, paper_pdf

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "ui" / "app.py"
sys.path.insert(0, str(APP.parent))


def test_a_full_text_citation_card_shows_its_page_rendered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seeds = one_paper_seeds(tmp_path)
    paper_pdf(seeds / "tidal.pdf")  # the app's first run builds the index from this folder: one abstract, one PDF
    monkeypatch.setenv("ASSISTANT_SEEDS_DIR", str(seeds))
    get_settings.cache_clear()
    app = AppTest.from_file(str(APP), default_timeout=300).run()
    assert not app.exception, [e.message for e in app.exception]

    app = app.chat_input[0].set_value("What mean absolute error did the corrected forecasts reach at Pentland Firth?").run()

    assert not app.exception and not app.error, [e.message for e in app.exception]
    captions = [c.value.replace("\\", "") for c in app.chat_message[1].caption]
    assert any("p. 2 · 3 Results · from the body, not the abstract" in c for c in captions), captions
    # That the fact is from the body is said once more above the cards, as a caption: no warning for it.
    assert any(c.startswith("From the body of the paper, not its abstract: [1] p. 2") for c in captions), captions
    assert not app.chat_message[1].warning, [w.value for w in app.chat_message[1].warning]
    (expander,) = [e for e in app.chat_message[1].expander if e.label == "See page 2"]
    images = expander.get("image")
    assert images, "the page is shown as an image"
    assert any(FACT[:40] in m.value.replace("\\", "") for m in app.chat_message[1].markdown)
