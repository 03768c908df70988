"""An ingest heals lost chunks of unchanged papers, and refuses an id that names a different stored paper."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.corpus import load_papers
from assistant.errors import IdClashError
from assistant.indexing import ingest_papers
from assistant.models import Paper
from assistant.retrieval import Retriever
from assistant.store import PaperStore
from conftest import SEEDS_DIR
from test_locking import expected_chunk_ids


@pytest.fixture(scope="module")
def papers() -> list[Paper]:
    return [p.model_copy(update={"source": f"first.jsonl:{n}"}) for n, p in enumerate(load_papers([SEEDS_DIR])[:4], 1)]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, papers) -> Path:
    data_dir = tmp_path_factory.mktemp("pristine") / "data"
    ingest_papers(papers, Settings(_env_file=None, data_dir=data_dir))
    return data_dir


@pytest.fixture
def settings(tmp_path: Path, pristine: Path) -> Settings:
    shutil.copytree(pristine, tmp_path / "data")
    return Settings(_env_file=None, data_dir=tmp_path / "data")


def state(store: PaperStore) -> tuple:
    return store.version(), sorted(c.chunk_id for c in store.all_chunks()), {
        pid: (r.title, r.abstract, r.source) for pid, r in store.snapshot().papers.items()}


def test_an_ingest_re_embeds_the_lost_chunks_of_unchanged_papers(settings, papers):
    store = PaperStore(settings)
    chunks = sorted(c.chunk_id for c in store.all_chunks())
    damaged = [papers[0].paper_id, papers[2].paper_id]
    lost = [cid for cid in chunks if cid.split("#")[0] in damaged][::2]  # some chunks of two papers, as a lost write leaves
    live = store.live_names()
    assert live is not None
    store.call("damage the index", lambda client: client.get_collection(live.chunks).delete(ids=lost))
    assert len(store.all_chunks()) == len(chunks) - len(lost)

    report = ingest_papers(papers, settings)

    assert sorted(report.repaired) == sorted(damaged) and report.chunks_written == len(lost)
    assert sorted(report.unchanged) == sorted(p.paper_id for p in papers if p.paper_id not in damaged)
    assert "2 repaired" in report.summary() and "had lost chunks" in report.summary()
    assert sorted(c.chunk_id for c in store.all_chunks()) == chunks == expected_chunk_ids(papers, settings)
    hits = Retriever(settings).retrieve(papers[0].title, k=1, method="lexical")
    assert hits[0].paper_id == papers[0].paper_id  # searchable again

    again = ingest_papers(papers, settings)
    assert again.repaired == [] and again.chunks_written == 0


def test_an_id_naming_a_different_paper_is_refused_and_names_both_sources(settings, papers):
    store = PaperStore(settings)
    before = state(store)
    stranger = Paper(paper_id=papers[1].paper_id, title="A completely different paper about bees",
                     abstract="Bees dance to tell each other where the flowers are.", source="second.jsonl:7")

    with pytest.raises(IdClashError) as raised:
        ingest_papers([papers[0], stranger], settings)

    message = str(raised.value)
    assert f"'{papers[1].paper_id}'" in message and "second.jsonl:7" in message and "first.jsonl:2" in message
    assert "another id" in message
    assert state(store) == before


@pytest.mark.parametrize("change", ["abstract", "title"])
def test_the_same_id_with_the_same_title_or_abstract_is_an_update(settings, papers, change):
    store = PaperStore(settings)
    edited = papers[1].model_copy(update={change: getattr(papers[1], change) + " (revised)", "source": "second.jsonl:1"})

    report = ingest_papers([edited], settings)

    assert report.updated == [edited.paper_id]
    record = store.snapshot().papers[edited.paper_id]
    assert (record.title, record.abstract, record.source) == (edited.title, edited.abstract, "second.jsonl:1")
