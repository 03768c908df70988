"""Bounded work for any input: a 1 MB abstract is cut with a note and answered from; old-scheme indexes say to rebuild."""

from __future__ import annotations

import json

import pytest

from assistant import Settings, ask
from assistant.corpus import MAX_ABSTRACT_CHARS
from assistant.errors import StoreError
from assistant.indexing import ingest_paths
from assistant.store import PaperStore

SENTENCE = "Glacier flow models estimate how fast the ice sheet of a basin moves under warming. "


def test_a_one_megabyte_abstract_is_cut_with_a_note_and_answered_from(tmp_path):
    huge = {"title": "Glacier Flow at Basin Scale", "abstract": SENTENCE * (1_000_000 // len(SENTENCE) + 1)}
    other = {"title": "Sparse Experts", "abstract": "Mixture of experts routes tokens to a few experts. It saves compute."}
    path = tmp_path / "papers.jsonl"
    path.write_text(json.dumps(huge) + "\n" + json.dumps(other) + "\n")
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")

    report = ingest_paths([path], settings)

    assert any("abstract was" in note and f"cut to {MAX_ABSTRACT_CHARS:,}" in note for note in report.notes)
    assert report.chunks_total < 100  # the cut abstract, not a megabyte of chunks
    answer = ask("What do glacier flow models estimate?", settings=settings, llm=None)
    assert answer.citations and answer.citations[0].title == "Glacier Flow at Basin Scale"


def test_an_index_of_an_earlier_id_scheme_asks_for_a_rebuild(tmp_path):
    path = tmp_path / "papers.jsonl"
    path.write_text(json.dumps({"title": "Sparse Experts", "abstract": "Mixture of experts routes tokens. It saves compute."}) + "\n")
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    ingest_paths([path], settings)
    store = PaperStore(settings)

    def make_old(client):
        papers = client.get_collection(store.live_names().papers)
        papers.modify(metadata={key: value for key, value in (papers.metadata or {}).items() if key != "ids"})

    store.call("make the index look old", make_old)
    with pytest.raises(StoreError, match=r"earlier version.*other ids.*assistant ingest --rebuild"):
        ingest_paths([path], settings)
    assert ingest_paths([path], settings, rebuild=True).added  # the rebuild gives it the current ids
    assert ingest_paths([path], settings).unchanged
