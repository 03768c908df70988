"""Every test runs offline, with no key, against an index of its own; the seeded index is built once per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT, Settings, get_settings

SEEDS_DIR = PROJECT_ROOT / "seeds"
QUESTIONS = PROJECT_ROOT.parent / "shared" / "eval" / "questions.jsonl"
_ENV_KEYS = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CHROMA_HOST", "CHROMA_PORT", "CHROMA_SSL", "CHROMA_TOKEN",
             "CHROMA_CA_BUNDLE", "CHROMA_TIMEOUT")


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """No key, no server, no developer .env; the data directory is the test's own."""
    for key in list(os.environ):
        if key.startswith("ASSISTANT_") or key in _ENV_KEYS:
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setitem(Settings.model_config, "env_file", None)
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def seeded_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of an index holding the 72 seed papers, built once for the whole session."""
    from assistant.indexing import ingest_paths

    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("seeded") / "data", seeds_dir=SEEDS_DIR)
    ingest_paths([SEEDS_DIR], settings)
    return settings


@pytest.fixture(scope="session")
def five_paper_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding an index of the first five seed papers, built once for the whole session; tests that
    change or damage an index work on a copy (copy_index)."""
    from assistant.corpus import load_papers
    from assistant.indexing import ingest_papers

    data_dir = tmp_path_factory.mktemp("five-papers") / "data"
    ingest_papers(load_papers([SEEDS_DIR])[:5], Settings(_env_file=None, data_dir=data_dir, seeds_dir=SEEDS_DIR))
    return data_dir


def copy_index(data_dir: Path, into: Path) -> Path:
    """A fresh copy of an index's data directory (never opened by this process before), as into/data."""
    shutil.copytree(data_dir, into / "data")
    return into / "data"


@pytest.fixture(scope="session")
def dev_questions() -> list[dict]:
    """The development question set (skipped where ../shared is not beside the repo)."""
    import json

    if not QUESTIONS.exists():
        pytest.skip(f"{QUESTIONS} not found: the dev question set lives in ../shared/eval")
    return [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
