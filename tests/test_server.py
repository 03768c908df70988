"""One index on a real `chroma run` server: ingest, ask, BM25 from what the server holds, the server going away."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.service import ask, default_assistant
from assistant.config import Settings, get_settings
from assistant.corpus import load_papers
from assistant.errors import StoreError
from assistant.indexing import ingest_papers
from assistant.lexical import FORMAT as LEXICAL_FORMAT, lexical_dir
from assistant.models import Answer, Paper
from assistant.retrieval import Retriever
from assistant.store import PaperStore
from chroma_server import HOST, ChromaServer, free_port
from conftest import SEEDS_DIR

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "ui" / "app.py"
CLI = Path(sys.executable).parent / "assistant"
DAFORMER = "daformer-improving-network-architectures-and-training-047533"
QUESTION = "Where's the code for DAFormer?"


def server_settings(port: int, data_dir: Path) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, seeds_dir=SEEDS_DIR, chroma_host=HOST, chroma_port=port)


def outcome(answer: Answer) -> tuple[str, list[str]]:
    return answer.text, [citation.paper_id for citation in answer.citations]


@pytest.fixture(scope="module")
def papers() -> list[Paper]:
    return load_papers([SEEDS_DIR])[:7]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    with ChromaServer(tmp_path_factory.mktemp("chroma-server") / "index") as running:
        yield running


@pytest.fixture(scope="module")
def indexed(server: ChromaServer, papers, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a client whose index (seven papers, DAFormer among them) lives on the module's server."""
    settings = server_settings(server.port, tmp_path_factory.mktemp("client") / "data")
    report = ingest_papers(papers, settings)
    assert len(report.added) == len(papers)
    return settings


def test_ingest_into_the_server_and_reingest_is_a_no_op(indexed, papers):
    store = PaperStore(indexed)
    before = sorted(chunk.chunk_id for chunk in store.all_chunks())

    report = ingest_papers(papers, indexed)

    assert store.location == f"chroma server {HOST}:{indexed.chroma_port}"
    assert report.unchanged == [p.paper_id for p in papers] and report.chunks_written == 0
    assert sorted(chunk.chunk_id for chunk in store.all_chunks()) == before
    assert store.count_papers() == len(papers)
    assert not (indexed.data_dir / "chroma").exists()  # nothing indexed locally


def test_ask_offline_cites_a_paper_from_the_server(indexed):
    answer = ask(QUESTION, settings=indexed, llm=None)

    assert DAFORMER in [citation.paper_id for citation in answer.citations]
    assert "https://github.com/lhoyer/DAFormer" in answer.text + str([c.urls for c in answer.citations])


def test_bm25_is_built_from_what_the_server_holds(indexed, tmp_path):
    shutil.rmtree(indexed.data_dir / "bm25", ignore_errors=True)
    elsewhere = indexed.model_copy(update={"data_dir": tmp_path / "another-machine"})  # an app with no local files

    for settings in (indexed, elsewhere):
        hits = Retriever(settings).retrieve("DAFormer", k=3, method="lexical")
        assert hits[0].paper_id == DAFORMER
        assert any("DAFormer" in chunk.text for chunk in hits[0].chunks)
        cached = lexical_dir(settings)
        assert cached.name == f"{HOST}_{settings.chroma_port}_papers"
        assert [folder.name for folder in cached.iterdir()] == [f"{PaperStore(settings).version()}-f{LEXICAL_FORMAT}"]


def test_a_server_that_is_down_at_start_is_a_clear_error(tmp_path):
    port = free_port()
    settings = server_settings(port, tmp_path / "data")

    for attempt in (lambda: PaperStore(settings).count_papers(), lambda: ask(QUESTION, settings=settings, llm=None)):
        with pytest.raises(StoreError) as raised:
            attempt()
        assert f"{HOST}:{port}" in str(raised.value) and f"`chroma run --host {HOST} --port {port}" in str(raised.value)

    env = dict(os.environ, CHROMA_HOST=HOST, CHROMA_PORT=str(port), ASSISTANT_DATA_DIR=str(tmp_path / "data"))
    done = subprocess.run([str(CLI), "stats"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{HOST}:{port}" in lines[0] and "chroma run" in lines[0]


def test_a_killed_server_is_a_clear_error_and_the_same_services_answer_after_its_restart(papers, tmp_path):
    server = ChromaServer(tmp_path / "index").start()
    try:
        # the version is read from the server at most every 100 ms: a question within that of the kill is answered
        # from this machine's files, as if asked just before it
        settings = server_settings(server.port, tmp_path / "data").model_copy(update={"version_check_ms": 100})
        ingest_papers(papers[4:], settings)
        first = ask(QUESTION, settings=settings, llm=None)
        services = default_assistant(settings)

        server.kill()
        time.sleep(0.2)
        with pytest.raises(StoreError, match=rf"{HOST}:{server.port} did not answer .* `chroma run"):
            ask(QUESTION, settings=settings, llm=None)
        with pytest.raises(StoreError, match="chroma run"):
            services.retriever.retrieve(QUESTION)

        server.start()  # the same port and path
        again = ask(QUESTION, settings=settings, llm=None)
        assert default_assistant(settings) is services
    finally:
        server.stop()

    assert DAFORMER in outcome(first)[1]
    assert outcome(again) == outcome(first)


def test_the_ui_answers_from_the_server(indexed, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.syspath_prepend(str(APP.parent))  # the app's own helper module, as under `streamlit run`
    monkeypatch.setenv("CHROMA_HOST", HOST)
    monkeypatch.setenv("CHROMA_PORT", str(indexed.chroma_port))
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(indexed.data_dir))
    get_settings.cache_clear()

    app = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not app.exception, [e.message for e in app.exception]
    app = app.chat_input[0].set_value(QUESTION).run()

    assert not app.exception, [e.message for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    replies = [message for message in app.chat_message if message.name == "assistant"]
    assert replies and "DAFormer" in " ".join(md.value for md in replies[-1].markdown)
    captions = " ".join(re.sub(r"\\(.)", r"\1", caption.value) for caption in app.sidebar.caption)  # unescape Markdown
    assert f"Stored at chroma server {HOST}:{indexed.chroma_port}" in captions and "7 papers" in captions
    get_settings.cache_clear()
