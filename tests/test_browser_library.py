"""In a real browser: upload a .bib into a new collection (a bad file first), then ask about one of its papers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from test_browser import APP, CHROMIUM, FIRST_ANSWER_MS, free_port, server_env, wait_until_healthy

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api", reason="the Python playwright package is not installed")

BIB = Path(__file__).resolve().parent / "data" / "library.bib"
SEED = {"title": "Lunar Regolith Simulants for Rover Wheel Tests",
        "abstract": "Rover wheels are tested on lunar regolith simulants. We compare three simulants by the wheel slip they "
                    "cause and find that the cheapest one matches the Apollo soil measurements within 5%."}


@pytest.fixture
def small_app_url(tmp_path: Path):
    """The app on a free port, offline, whose default collection is built from one seed paper (quick)."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "seed.jsonl").write_text(json.dumps(SEED) + "\n", encoding="utf-8")
    env = server_env(tmp_path / "data") | {"ASSISTANT_SEEDS_DIR": str(seeds)}
    port = free_port()
    log = tmp_path / "streamlit.log"
    command = [str(Path(sys.executable).parent / "streamlit"), "run", str(APP), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_healthy(url, process, log)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def tab():
    """A page of a headless Chromium, as test_browser.py launches it."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 900})
        finally:
            browser.close()


def add_papers(page, file: Path, collection: str) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(file))
    sidebar.get_by_text(file.name).wait_for(timeout=30_000)
    target = sidebar.get_by_role("textbox", name="Into the collection")
    target.fill(collection)
    target.press("Enter")
    sync_api.expect(target).to_have_value(collection)
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
    sync_api.expect(sidebar.get_by_test_id("stAlertContentError")).to_contain_text("broken.bib:3: not valid BibTeX",
                                                                                   timeout=60_000)
    picker = sidebar.get_by_role("combobox", name="Collection")
    sync_api.expect(picker).to_have_value("papers (1 papers)")  # nothing was written
    sidebar.get_by_role("button", name=f"Remove {broken.name}").click()
    sync_api.expect(sidebar.get_by_text(broken.name)).to_have_count(0)

    add_papers(page, BIB, "thesis")
    sync_api.expect(sidebar.get_by_test_id("stAlertContentSuccess")).to_contain_text("Added to thesis: 3 new",
                                                                                     timeout=FIRST_ANSWER_MS)
    sync_api.expect(sidebar).to_contain_text("1 entry without an abstract skipped (nakamura_notes_2020)")
    sync_api.expect(picker).to_have_value("thesis (3 papers)")

    box = page.get_by_test_id("stChatInputTextArea")
    box.fill("How is tidal energy forecast for a whole tidal array?")
    box.press("Enter")
    card = page.locator("h3[id^='source-1-']").first
    card.wait_for(timeout=FIRST_ANSWER_MS)
    assert "Tidal Energy Forecasting with Graph Neural Networks" in card.inner_text()
    page.get_by_text("Copy BibTeX of the cited papers").click()
    sync_api.expect(page.get_by_test_id("stCode")).to_contain_text("@inproceedings{chen_tidal_2022,")
    page.screenshot(path=tmp_path / "library-answer.png")
