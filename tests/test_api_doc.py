"""docs/API.md holds: the package is typed, the documented names import from `assistant`, and the errors it lists are
the ones raised."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

import assistant
from assistant import Settings, ask, collection_assistant, delete_collection, list_collections, retrieve
from assistant.errors import CollectionError, CorpusError, QuestionError

ROOT = Path(__file__).resolve().parent.parent


def test_the_package_ships_a_py_typed_marker() -> None:
    if sys.version_info < (3, 11):
        pytest.skip("tomllib is Python 3.11+")
    import tomllib

    assert (ROOT / "assistant" / "py.typed").exists()
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "py.typed" in data["tool"]["setuptools"]["package-data"]["assistant"]


def test_every_name_the_api_doc_shows_as_a_call_is_public() -> None:
    doc = (ROOT / "docs" / "API.md").read_text()
    called = set(re.findall(r"^(\w+)\(", doc, flags=re.MULTILINE))
    assert {"ask", "ask_stream", "retrieve", "list_collections", "delete_collection", "collection_assistant"} <= called
    assert all(hasattr(assistant, name) for name in called)


def test_the_documented_errors_are_raised(seeded_settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(QuestionError, match="empty"):
        ask("  ", settings=seeded_settings, llm=None)
    with pytest.raises(QuestionError, match="No paper with the id 'nope'"):
        retrieve("self-play", paper_ids=["nope"], settings=seeded_settings)
    with pytest.raises(CollectionError, match="cannot name a collection"):
        ask("self-play?", collection="Not A Name", settings=seeded_settings, llm=None)
    with pytest.raises(CollectionError, match="There is no collection 'nowhere'"):
        ask("self-play?", collection="nowhere", settings=seeded_settings, llm=None)
    with pytest.raises(CollectionError, match="There is no collection 'nowhere'.*nothing was deleted"):
        delete_collection("nowhere", seeded_settings)
    empty = tmp_path / "empty.bib"
    empty.write_text("")
    with pytest.raises(CorpusError, match="empty.bib"):
        collection_assistant(seeded_settings, "nowhere").ingest([empty])
    assert "nowhere" not in {info.name for info in list_collections(seeded_settings)}  # nothing was written
