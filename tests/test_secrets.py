"""A key is never printed, logged, shown or put in an exception message."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from assistant import ask
from assistant.config import PROJECT_ROOT, Settings

from fake_openai import FakeOpenAI

SENTINEL = "sk-SENTINEL-do-not-leak-7f3a9c"
ASSISTANT = Path(sys.executable).with_name("assistant")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(ASSISTANT), *args], capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, timeout=300)


@pytest.fixture
def cli_env(seeded_settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ASSISTANT_"))}
    env.update(ASSISTANT_DATA_DIR=str(seeded_settings.data_dir), OPENAI_API_KEY=SENTINEL, ASSISTANT_LLM_TIMEOUT="2",
               ASSISTANT_LLM_MAX_RETRIES="0")
    return env


def test_cli_never_prints_the_key_when_the_server_rejects_it(cli_env):
    with FakeOpenAI() as server:
        server.status(401, body={"error": {"message": f"Incorrect API key provided: {SENTINEL}"}})
        result = run_cli("ask", "where is the code for DAFormer?", env={**cli_env, "OPENAI_BASE_URL": server.base_url})
    output = result.stdout + result.stderr
    assert result.returncode == 0
    assert "rejected the API key" in output
    assert SENTINEL not in output and SENTINEL[:12] not in output


@pytest.mark.parametrize("command", [("stats",), ("ask", "--json", "which papers use self-play?"), ("ask", ""), ("ingest", "/no/such/file")])
def test_cli_commands_and_error_paths_never_show_the_key(cli_env, command):
    result = run_cli(*command, env={**cli_env, "OPENAI_BASE_URL": f"http://127.0.0.1:{closed_port()}/v1"})
    output = result.stdout + result.stderr
    assert SENTINEL not in output
    assert "Traceback" not in output
    if command[0] == "stats":
        assert "LLM" in output and result.returncode == 0


def test_settings_repr_and_dump_hide_the_key():
    settings = Settings(_env_file=None, openai_api_key=SENTINEL)
    assert SENTINEL not in repr(settings) and SENTINEL not in str(settings.model_dump())
    assert SENTINEL not in settings.model_dump_json()


def test_logs_and_answers_never_hold_the_key(seeded_settings, caplog):
    caplog.set_level(logging.DEBUG)
    settings = seeded_settings.model_copy(update={"openai_api_key": SecretStr(SENTINEL), "llm_timeout": 2.0, "llm_max_retries": 0})
    with FakeOpenAI() as server:
        server.status(401, body={"error": {"message": f"Incorrect API key provided: {SENTINEL}"}})
        answer = ask("which papers use self-play?", settings=settings.model_copy(update={"openai_base_url": server.base_url}))
    assert answer.mode == "extractive" and answer.notes
    assert SENTINEL not in answer.model_dump_json()
    assert SENTINEL not in caplog.text
