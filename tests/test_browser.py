"""End to end in a real browser: `streamlit run ui/app.py` as a subprocess, driven with headless Chromium."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from assistant.corpus import load_papers
from processes import end_process

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "ui" / "app.py"
SEEDS_DIR = ROOT / "seeds"
CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
if CHROMIUM is None:
    pytest.skip("Chromium is not installed (/usr/bin/chromium or `chromium` on PATH)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the Python playwright package is not installed")

QUESTION = "which papers study self-correction in LLMs?"
STARTUP_SECONDS = 60
FIRST_ANSWER_MS = 180_000  # the first run builds the index before the chat appears


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(data_dir: Path) -> dict[str, str]:
    """This environment without any key, server or assistant setting, pointed at data_dir."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("ASSISTANT_", "OPENAI_", "CHROMA_"))}
    env["ASSISTANT_DATA_DIR"] = str(data_dir)
    # Serve this checkout's `assistant`, whatever the venv's editable install points at.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def wait_until_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"streamlit did not answer on {url} within {STARTUP_SECONDS} s:\n{log.read_text()}")


@contextlib.contextmanager
def served_app(directory: Path, env: dict[str, str]) -> Iterator[str]:
    """`streamlit run ui/app.py` on a free port with env, run in directory (so no developer .env is read), logged to
    directory/streamlit.log; yields its URL once healthy, stops it afterwards."""
    port = free_port()
    log = directory / "streamlit.log"
    command = [str(Path(sys.executable).parent / "streamlit"), "run", str(APP), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=directory, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_healthy(url, process, log)
            yield url
        finally:
            end_process(process)


@contextlib.contextmanager
def chromium_page() -> Iterator:
    """A page of a headless Chromium (1280 x 900), closed afterwards."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 900})
        finally:
            browser.close()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory, seeded_settings):
    """The app served on a free port, offline, on a copy of the session's seed index (tests/test_ui.py covers the first
    run that builds it); one server for the module's tests (each test opens its own browser, so its own Streamlit
    session); stopped by its pid afterwards."""
    tmp_path = tmp_path_factory.mktemp("served")
    shutil.copytree(seeded_settings.data_dir, tmp_path / "data")
    with served_app(tmp_path, server_env(tmp_path / "data")) as url:
        yield url


@pytest.fixture
def page():
    with chromium_page() as new_page:
        yield new_page


# The chat scrolls smoothly (and sticks to its bottom while it grows): wait until an element stays put for 1 s.
SETTLED = """id => {
    const top = document.getElementById(id).getBoundingClientRect().top;
    window.__still = top === window.__lastTop ? (window.__still || 0) + 1 : 0;
    window.__lastTop = top;
    return window.__still >= 20;
}"""


def settle(page, anchor: str) -> None:
    page.wait_for_function(SETTLED, arg=anchor, polling=50)


def in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and 0 <= box["y"] and box["y"] + box["height"] <= page.viewport_size["height"]


def test_a_question_in_the_browser_gets_an_answer_with_source_cards(app_url: str, page, tmp_path: Path) -> None:
    titles = {paper.title for paper in load_papers([SEEDS_DIR])}
    page.set_viewport_size({"width": 1280, "height": 560})  # short enough that card [3] starts below the fold
    page.goto(app_url)
    box = page.get_by_test_id("stChatInputTextArea")
    box.wait_for(timeout=FIRST_ANSWER_MS)
    box.fill(QUESTION)
    box.press("Enter")

    cards = page.locator("h3[id^='source-1-']")
    cards.first.wait_for(timeout=FIRST_ANSWER_MS)
    # The download button comes last in the script and is enabled once there is a conversation: the run is over.
    sync_api.expect(page.get_by_test_id("stDownloadButton").get_by_role("button")).to_be_enabled(timeout=FIRST_ANSWER_MS)

    headings = [re.sub(r"^\[\d+\]\s*", "", text).strip() for text in cards.all_inner_texts()]
    assert headings and set(headings) <= titles
    answer = page.get_by_test_id("stChatMessage").nth(1).inner_text()
    assert headings[0] in answer  # the answer names the paper its first card shows
    assert ":orange-background[" not in answer and "\\" not in answer  # highlights and escapes are rendered

    # A marker link scrolls its card into view: from the top of the chat, [3] (or the last card) is below the fold.
    number = min(3, len(headings))
    anchor = f"source-1-{number}"
    target = page.locator(f"#{anchor}")
    settle(page, anchor)
    page.get_by_test_id("stMainBlockContainer").evaluate("element => element.scrollIntoView({block: 'start'})")
    settle(page, anchor)
    page.screenshot(path=tmp_path / "answer.png")
    assert number == 1 or not in_viewport(page, target)
    page.locator(f"a[href='#{anchor}']").first.click()
    page.wait_for_url(re.compile(f"#{anchor}$"))
    settle(page, anchor)
    assert in_viewport(page, target)
    page.screenshot(path=tmp_path / "after-marker-click.png")


def ask_in_browser(page, question: str, reply_index: int):
    """Type a question into the chat; wait until the answer at chat message reply_index is complete: its status line,
    then what an answer draws last (the BibTeX of its sources, or an abstention's folded closest papers), since the
    source cards are drawn after the status line."""
    box = page.get_by_test_id("stChatInputTextArea")
    box.wait_for(timeout=FIRST_ANSWER_MS)
    box.fill(question)
    box.press("Enter")
    reply = page.get_by_test_id("stChatMessage").nth(reply_index)
    reply.get_by_text("offline: extractive").wait_for(timeout=FIRST_ANSWER_MS)
    reply.get_by_text(re.compile(r"^(Copy BibTeX of the cited papers|Abstracts of the closest papers)")).wait_for(timeout=FIRST_ANSWER_MS)
    return reply


# Streamlit shows its status widget's running icon while a script run is going on.
IDLE = "() => !document.querySelector('[data-testid^=stStatusWidgetRunning]')"


def search_titles(page, text: str, expect: re.Pattern, attempts: int = 3) -> None:
    """Type text into the Papers view's title search and wait for `expect` to be drawn. Text typed while a script run
    is still going can be lost when that run redraws the box, so it is typed once the app is idle, and again if the
    filtered view does not come."""
    for attempt in range(1, attempts + 1):
        page.wait_for_function(IDLE, polling=100, timeout=FIRST_ANSWER_MS)
        box = page.get_by_label("Search titles")
        box.fill(text)
        box.press("Enter")
        try:
            page.get_by_text(expect).wait_for(timeout=15_000)
            return
        except sync_api.TimeoutError:
            if attempt == attempts:
                raise


def card_titles(page, reply_index: int) -> list[str]:
    cards = page.locator(f"h3[id^='source-{reply_index}-']")
    return [re.sub(r"^\[\d+\]\s*", "", text).strip() for text in cards.all_inner_texts()]


def test_a_three_question_conversation_searches_the_right_thing_each_time(app_url: str, page, tmp_path: Path) -> None:
    page.goto(app_url)
    ask_in_browser(page, "which papers use Monte Carlo Tree Search?", 1)
    assert any("Monte Carlo Tree Search" in title or "MCTS" in title for title in card_titles(page, 1))

    second = ask_in_browser(page, "where is the code for DAFormer?", 3)  # names its own subject: searched as asked
    assert card_titles(page, 3)[0].startswith("DAFormer")
    assert "Searched:" not in second.inner_text()

    third = ask_in_browser(page, "how much does it improve on GTA-to-Cityscapes?", 5)  # "it" is DAFormer
    assert card_titles(page, 5)[0].startswith("DAFormer")
    searched = third.get_by_text(re.compile("^Searched:")).inner_text()
    assert "DAFormer" in searched and "Monte Carlo" not in searched
    page.screenshot(path=tmp_path / "conversation.png", full_page=True)


def test_ask_about_this_paper_starts_a_fresh_conversation_about_it(app_url: str, page) -> None:
    page.goto(app_url)
    ask_in_browser(page, "how much does MonoTTA improve monocular 3d detection on KITTI and nuScenes?", 1)
    page.get_by_test_id("stSidebar").get_by_text("Papers", exact=True).click()
    page.get_by_text(re.compile(r"^\d+ of \d+ papers$")).wait_for()
    search_titles(page, "daformer", expect=re.compile(r"^1 of \d+ papers$"))
    page.locator("h4", has_text="DAFormer").wait_for()  # the filtered paper is open (the rerun is over)
    page.get_by_role("button", name="Ask about this paper").click()

    page.get_by_text("Searching only the 1 paper(s) chosen in the sidebar.").wait_for(timeout=30_000)
    assert page.get_by_test_id("stChatMessage").count() == 0  # the old conversation is gone
    reply = ask_in_browser(page, "what does it propose?", 1)
    assert card_titles(page, 1) and all(title.startswith("DAFormer") for title in card_titles(page, 1))
    assert "MonoTTA" not in reply.inner_text() and "nuScenes" not in reply.inner_text()


def test_an_abstention_shows_the_closest_papers_once_and_compactly(app_url: str, page, tmp_path: Path) -> None:
    page.goto(app_url)
    reply = ask_in_browser(page, "what is the boiling point of ethanol?", 1)

    assert page.locator("h3[id^='source-1-']").count() == 0  # no source cards: nothing answers
    folded = reply.get_by_test_id("stExpander")
    assert folded.count() == 1 and "do not answer the question" in folded.inner_text()
    text = reply.inner_text()
    listed = [line.strip("•- ").strip() for line in text.splitlines() if line.strip()][2:5]
    assert all(text.count(title) == 1 for title in listed if title)  # each closest paper shown once, abstracts folded
    box = reply.bounding_box()
    assert box is not None and box["height"] < page.viewport_size["height"] / 2
    page.screenshot(path=tmp_path / "abstention.png")


def test_a_long_answer_fits_about_one_screen_before_a_card_is_opened(app_url: str, page, tmp_path: Path) -> None:
    page.goto(app_url)
    reply = ask_in_browser(page, "which papers use reinforcement learning?", 1)

    assert len(card_titles(page, 1)) >= 4
    box = reply.bounding_box()
    page.screenshot(path=tmp_path / "long-answer.png", full_page=True)
    assert box is not None and box["height"] <= 1.25 * page.viewport_size["height"], box  # about one screen: 1,057 px at 900 with 5 quotes
    more = reply.get_by_text(re.compile(r"^\d+ more papers? that bears? on this$"))  # the list is longer than it shows
    count = int(more.inner_text().split()[0])
    assert f"and {count} more" in reply.inner_text()
    more.click()
    listed = reply.get_by_test_id("stExpander").filter(has_text=re.compile(r"more papers? that bears? on this")).get_by_test_id("stExpanderDetails")
    listed.wait_for(state="visible")
    assert listed.locator("strong").count() == count  # every paper past the limit, by title
    listed_titles = listed.locator("strong").all_inner_texts()
    assert not set(listed_titles) & set(card_titles(page, 1))  # none of them repeats a card
    more.click()
    reply.get_by_text("Whole abstract").first.click()  # the whole abstract, with the quote highlighted, one click away
    opened = reply.get_by_test_id("stExpanderDetails").first
    opened.wait_for(state="visible")
    sync_api.expect(opened.locator("strong").first).to_be_visible()
    page.wait_for_function("([e, h]) => e.getBoundingClientRect().height > h", arg=[reply.element_handle(), box["height"]])
