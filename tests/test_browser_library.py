"""In a real browser: upload a .bib into a new collection (a bad file first), then ask about one of its papers."""

from __future__ import annotations

from pathlib import Path

import pytest

from test_browser import FIRST_ANSWER_MS, IDLE, chromium_page, in_viewport, served_app, server_env
from one_paper_seeds import one_paper_seeds

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api", reason="the Python playwright package is not installed")

BIB = Path(__file__).resolve().parent / "data" / "library.bib"


@pytest.fixture
def small_app_url(tmp_path: Path):
    """The app on a free port, offline, whose default collection is built from one seed paper (quick)."""
    seeds = one_paper_seeds(tmp_path)
    env = server_env(tmp_path / "data") | {"ASSISTANT_SEEDS_DIR": str(seeds)}
    with served_app(tmp_path, env) as url:
        yield url


@pytest.fixture
def tab():
    """A page of a headless Chromium, as test_browser.py launches it."""
    with chromium_page() as page:
        yield page


def add_papers(page, file: Path, collection: str, attempts: int = 3) -> None:
    """Pick file in the sidebar's uploader and add it to collection. A file picked while a script run is still going
    (the rerun after removing the previous file) can be lost when that run redraws the uploader, so it is picked once
    the app is idle, and again if it does not show (as test_browser.search_titles types); the button likewise."""
    sidebar = page.get_by_test_id("stSidebar")
    for attempt in range(1, attempts + 1):
        page.wait_for_function(IDLE, polling=100, timeout=FIRST_ANSWER_MS)
        sidebar.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(file))
        try:
            sidebar.get_by_text(file.name).wait_for(timeout=30_000)
            break
        except sync_api.TimeoutError:
            if attempt == attempts:
                raise
    target = sidebar.get_by_role("textbox", name="Into the collection")
    target.fill(collection)
    target.press("Enter")
    sync_api.expect(target).to_have_value(collection)
    # Enter starts a script run; a click while it redraws the sidebar can be lost with the old button (seen once in
    # ~10 runs: no ingest started), so the button is clicked once that run is over.
    page.wait_for_timeout(300)
    page.wait_for_function(IDLE, polling=100, timeout=FIRST_ANSWER_MS)
    sidebar.get_by_role("button", name="Add these papers", exact=True).click()


def test_a_bib_uploaded_in_the_browser_makes_a_collection_whose_papers_answer(small_app_url: str, tab, tmp_path: Path):
    page = tab
    page.goto(small_app_url)
    page.get_by_test_id("stChatInputTextArea").wait_for(timeout=FIRST_ANSWER_MS)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Add papers", exact=True).click()

    broken = tmp_path / "broken.bib"
    broken.write_text("@article{a, title={A}, abstract={x}}\n\n@article{b,\n  title = {unclosed\n", encoding="utf-8")
    add_papers(page, broken, "thesis")
    main = page.get_by_role("main")  # the upload's outcome is shown where the user looks, not low in the sidebar
    error = main.get_by_test_id("stAlertContentError")
    sync_api.expect(error).to_contain_text("broken.bib:3: not valid BibTeX", timeout=60_000)
    assert in_viewport(page, error)
    sync_api.expect(page.get_by_test_id("stToast")).to_contain_text("not added")
    assert sidebar.get_by_test_id("stAlertContentError").count() == 0
    picker = sidebar.get_by_role("combobox", name="Collection")
    sync_api.expect(picker).to_have_value("papers (1 papers)")  # nothing was written
    sidebar.get_by_role("button", name=f"Remove {broken.name}").click()
    sync_api.expect(sidebar.get_by_text(broken.name)).to_have_count(0)

    add_papers(page, BIB, "thesis")
    success = main.get_by_test_id("stAlertContentSuccess")
    sync_api.expect(success).to_contain_text("Added to thesis: 3 new", timeout=FIRST_ANSWER_MS)
    sync_api.expect(success).to_contain_text("1 entry without an abstract skipped (nakamura_notes_2020)")
    sync_api.expect(success).to_contain_text("Tidal Energy Forecasting with Graph Neural Networks")  # the new papers, named
    sync_api.expect(sidebar.get_by_text(BIB.name)).to_have_count(0)  # the uploader is emptied: never added twice
    assert in_viewport(page, success)
    sync_api.expect(page.get_by_test_id("stToast").first).to_contain_text("Added to thesis")
    sync_api.expect(picker).to_have_value("thesis (3 papers)")
    # the welcome examples are drawn from the new collection: none names a seed paper
    examples = [b.inner_text() for b in main.get_by_role("button").all() if b.inner_text().strip()]
    assert any("Tidal Energy Forecasting" in text for text in examples), examples
    assert not any("DAFormer" in text or "AgentGym" in text for text in examples), examples

    box = page.get_by_test_id("stChatInputTextArea")
    box.fill("How is tidal energy forecast for a whole tidal array?")
    box.press("Enter")
    card = page.locator("h3[id^='source-1-']").first
    card.wait_for(timeout=FIRST_ANSWER_MS)
    assert "Tidal Energy Forecasting with Graph Neural Networks" in card.inner_text()
    page.wait_for_function(IDLE, polling=100, timeout=FIRST_ANSWER_MS)  # a click during the run's redraw can be lost
    page.get_by_text("Copy BibTeX of the cited papers").click()
    sync_api.expect(page.get_by_test_id("stCode")).to_contain_text("@inproceedings{chen_tidal_2022,")
    page.screenshot(path=tmp_path / "library-answer.png")
