"""The index: incremental ingests, sync, persistence across processes, embedder checks, rebuilds, bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import assistant.store.chunk_writer
from assistant.chunking import chunk_paper
from assistant.config import Settings
from assistant.corpus import load_papers
from assistant.errors import CorpusError, StoreError
from assistant.indexing import ingest_papers, ingest_paths
from assistant.lexical import live_chunk_texts
from assistant.models import Paper
from assistant.retrieval import Retriever
from assistant.store import CollectionNames, PaperStore, index_hash
from assistant.store.catalog_file import catalog_dir
from assistant.store.connection import CHUNK_GRAPH
from conftest import SEEDS_DIR, copy_index

NEW_SENTENCE = "A later revision adds a quokka benchmark that no other paper in the collection mentions."


@pytest.fixture(scope="module")
def seed_papers() -> list[Paper]:
    return load_papers([SEEDS_DIR])[:5]


@pytest.fixture
def settings(tmp_path: Path, five_paper_index: Path) -> Settings:
    """Settings of a copy of the five-paper index (seed_papers)."""
    return Settings(_env_file=None, data_dir=copy_index(five_paper_index, tmp_path), seeds_dir=SEEDS_DIR)


class FakeEmbedder:
    """Deterministic vectors of any size under any name (another model, as far as the index can tell)."""

    def __init__(self, identity: str = "fake-embedder", dimension: int = 8, fail_on_call: int | None = None):
        self.identity = identity
        self.dimension = dimension
        self.fail_on_call = fail_on_call
        self.calls = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        if self.fail_on_call is not None and self.calls >= self.fail_on_call:
            raise RuntimeError("the model crashed")
        rows = [np.random.default_rng(abs(hash(text)) % 2**32).normal(size=self.dimension) for text in texts]
        vectors = np.array(rows, dtype=np.float32).reshape(len(texts), self.dimension)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def chunk_ids(store: PaperStore) -> list[str]:
    return sorted(chunk.chunk_id for chunk in store.all_chunks())


def expected_chunk_ids(papers: list[Paper], settings: Settings) -> list[str]:
    """The chunk ids a clean ingest of these papers gives."""
    return sorted(f"{p.paper_id}#{index_hash(p, settings)}#{c.index}" for p in papers
                  for c in chunk_paper(p, settings.chunk_tokens, settings.chunk_overlap, settings.tokenizer_encoding))


def catalog(store: PaperStore) -> dict[str, str]:
    """paper id -> abstract, as readers see it."""
    return {pid: record.abstract for pid, record in store.snapshot().papers.items()}


def revised(paper: Paper) -> Paper:
    return paper.model_copy(update={"abstract": paper.abstract + " " + NEW_SENTENCE})


def test_reingest_of_unchanged_papers_is_a_no_op(settings, seed_papers):
    store = PaperStore(settings)
    assert catalog(store) == {p.paper_id: p.abstract for p in seed_papers}
    before, version = chunk_ids(store), store.version()

    report = ingest_papers(seed_papers, settings)

    assert report.unchanged == [p.paper_id for p in seed_papers]
    assert (report.added, report.updated, report.removed, report.chunks_written) == ([], [], [], 0)
    assert "5 unchanged" in report.summary() and "0 chunks embedded" in report.summary()
    assert chunk_ids(store) == before == expected_chunk_ids(seed_papers, settings)
    assert store.version() == version  # nothing published, so no reader reloads


def test_changed_abstract_replaces_that_papers_chunks(settings, seed_papers):
    store = PaperStore(settings)
    target = seed_papers[1]
    old_ids = {cid for cid in chunk_ids(store) if cid.startswith(target.paper_id + "#")}
    changed = [revised(p) if p.paper_id == target.paper_id else p for p in seed_papers]

    report = ingest_papers(changed, settings)

    new_ids = set(expected_chunk_ids([changed[1]], settings))
    ids = chunk_ids(store)
    assert report.updated == [target.paper_id] and report.added == []
    assert report.chunks_written == len(new_ids)
    assert not old_ids & set(ids)
    assert new_ids <= set(ids)
    assert ids == expected_chunk_ids(changed, settings)
    assert len(ids) == len(set(ids)) == store.count_chunks() == report.chunks_total
    assert catalog(store)[target.paper_id].endswith(NEW_SENTENCE)
    hits = Retriever(settings, store).retrieve("quokka benchmark", k=1, method="lexical")
    assert hits[0].paper_id == target.paper_id
    assert any("quokka" in chunk.text for chunk in hits[0].chunks)


def test_sync_removes_papers_not_in_the_input(settings, seed_papers):
    store = PaperStore(settings)
    kept, dropped = seed_papers[:3], [p.paper_id for p in seed_papers[3:]]

    without_sync = ingest_papers(kept, settings)
    assert without_sync.removed == [] and store.count_papers() == 5

    report = ingest_papers(kept, settings, sync=True)

    assert sorted(report.removed) == sorted(dropped)
    assert sorted(catalog(store)) == sorted(p.paper_id for p in kept)
    assert chunk_ids(store) == expected_chunk_ids(kept, settings)
    hits = Retriever(settings, store).retrieve(seed_papers[4].title, k=5)
    assert not {hit.paper_id for hit in hits} & set(dropped)


SURVIVOR = """
import json, sys
from assistant.config import Settings
from assistant.retrieval import Retriever
from assistant.store import PaperStore

settings = Settings(_env_file=None, data_dir=sys.argv[1])
store = PaperStore(settings)
hits = Retriever(settings, store).retrieve(sys.argv[2], k=1)
print(json.dumps({"papers": store.count_papers(), "chunks": store.count_chunks(), "version": store.version(),
                  "top": hits[0].paper_id}))
"""


def test_the_index_survives_a_new_process(settings, seed_papers, tmp_path):
    ingest_papers([revised(seed_papers[2])], settings)
    store = PaperStore(settings)

    done = subprocess.run([sys.executable, "-c", SURVIVOR, str(settings.data_dir), "quokka benchmark"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)

    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"papers": 5, "chunks": store.count_chunks(), "version": store.version(), "top": seed_papers[2].paper_id}


FOREIGN_INGEST = """
import sys
from assistant.config import Settings
from assistant.indexing import ingest_papers
from assistant.models import Paper

print(ingest_papers([Paper.model_validate_json(sys.argv[2])], Settings(_env_file=None, data_dir=sys.argv[1])).summary())
"""


def test_a_running_reader_sees_what_another_process_ingests(settings, seed_papers, tmp_path):
    retriever = Retriever(settings)
    assert NEW_SENTENCE not in retriever.retrieve(NEW_SENTENCE, k=1, method="dense")[0].abstract  # vectors loaded
    changed = revised(seed_papers[3])

    done = subprocess.run([sys.executable, "-c", FOREIGN_INGEST, str(settings.data_dir), changed.model_dump_json()],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)

    assert done.returncode == 0 and "1 updated" in done.stdout, done.stderr
    hit = retriever.retrieve(NEW_SENTENCE, k=1, method="dense")[0]  # the same retriever, no restart
    assert hit.paper_id == changed.paper_id and hit.abstract == changed.abstract
    assert any("quokka" in chunk.text for chunk in hit.chunks)


@pytest.mark.parametrize("embedder", [FakeEmbedder("another-model", 384), FakeEmbedder("all-MiniLM-L6-v2-int8-onnx", 8)],
                         ids=["other-name", "other-dimension"])
def test_another_embedder_is_refused_with_the_rebuild_hint(settings, embedder):
    with pytest.raises(StoreError, match=r"run `assistant ingest --rebuild`") as raised:
        PaperStore(settings, embedder=embedder).snapshot()

    assert "all-MiniLM-L6-v2-int8-onnx" in str(raised.value) and embedder.identity in str(raised.value)
    assert str(embedder.dimension) in str(raised.value)


def test_rebuild_replaces_the_index_even_for_another_embedder(settings, seed_papers):
    fake = FakeEmbedder()
    store = PaperStore(settings, embedder=fake)
    new_set = seed_papers[2:] + [revised(seed_papers[0])]

    report = ingest_papers(new_set, settings, rebuild=True, store=store)

    assert sorted(report.added) == sorted(p.paper_id for p in new_set)
    assert catalog(store) == {p.paper_id: p.abstract for p in new_set}
    assert chunk_ids(store) == expected_chunk_ids(new_set, settings)
    assert store.live_names() == CollectionNames.generation(settings.collection, 2)  # built as generation 2, then switched to
    with pytest.raises(StoreError, match="--rebuild"):
        PaperStore(settings).count_papers()  # the bundled embedder no longer matches the index


def test_the_chunks_get_chromas_small_graph_and_the_papers_its_default(settings, seed_papers):
    """The chunks' graph answers no question (dense.py scans its own matrix), so it is built small: a rebuild's new
    generation has it, and Chroma's own search over it still finds a chunk's nearest chunk, itself."""
    store = PaperStore(settings)
    ingest_papers(seed_papers, settings, rebuild=True, store=store)
    names = store.live_names()
    graphs = store.call("read the graphs", lambda client: {
        name: client.get_collection(name, embedding_function=None).configuration["hnsw"]
        for name in (names.chunks, names.papers)})
    assert {k: graphs[names.chunks][k] for k in CHUNK_GRAPH["hnsw"]} == CHUNK_GRAPH["hnsw"]
    assert graphs[names.papers]["max_neighbors"] > CHUNK_GRAPH["hnsw"]["max_neighbors"]
    records, vectors = store.catalog.chunk_vectors()
    for record, vector in zip(records, vectors):
        assert store.query_chunks(vector, 1)[0].chunk_id == record.chunk_id


def test_the_chunks_hold_no_text_of_their_own_and_bm25_reads_it_from_the_catalog(settings, seed_papers):
    """A chunk's text is its paper's between its offsets: Chroma keeps it once, in the catalog (a chunk document would
    be full-text indexed again on every write)."""
    store = PaperStore(settings)
    ingest_papers(seed_papers[:3], settings, rebuild=True, store=store)
    stored = store.call("read the chunks", lambda client: client.get_collection(store.live_names().chunks, embedding_function=None).get(
        include=["documents"]))
    assert stored["ids"] and set(stored["documents"]) == {None}
    paper = seed_papers[1]
    chunk = chunk_paper(paper, settings.chunk_tokens, settings.chunk_overlap, settings.tokenizer_encoding)[-1]
    live = {c.chunk_id: c.document for c in live_chunk_texts(store.all_chunks(), store.snapshot())}
    assert live[f"{paper.paper_id}#{index_hash(paper, settings)}#{chunk.index}"] == chunk.embed_text
    assert len(live) == len(stored["ids"])


def stored_texts(store: PaperStore) -> dict[str, str]:
    """The texts collection of the live generation: id -> text."""
    def read(client):
        got = client.get_collection(store.live_names().texts, embedding_function=None).get(include=["metadatas"])
        return {id_: meta["text"] for id_, meta in zip(got["ids"], got["metadatas"])}

    return store.call("read the texts", read)


def test_each_text_is_kept_once_apart_from_the_catalog_that_every_ingest_copies(settings, seed_papers):
    store = PaperStore(settings)
    ingest_papers([*seed_papers, load_papers([SEEDS_DIR])[5]], settings, store=store)  # a copy of the catalog, published
    changed = revised(seed_papers[1])
    ingest_papers([seed_papers[0], changed, *seed_papers[2:5]], settings, sync=True, store=store)

    names = store.live_names()
    catalog = store.call("read the catalog", lambda client: client.get_collection(names.papers, embedding_function=None).get(
        include=["documents", "metadatas"]))
    assert set(catalog["documents"]) == {None}  # the copy holds no text
    live = [seed_papers[0], changed, *seed_papers[2:5]]
    assert stored_texts(store) == {f"{p.paper_id}#{index_hash(p, settings)}": p.text for p in live}  # replaced and removed: swept

    shutil.rmtree(catalog_dir(settings))  # a reader with no catalog files pages it from Chroma, texts included
    fresh = PaperStore(settings).snapshot()
    assert {pid: record.abstract for pid, record in fresh.papers.items()} == {p.paper_id: p.text for p in live}


def test_texts_an_older_release_kept_in_the_catalog_are_read_and_moved_by_the_next_copy(settings, seed_papers):
    """The five-paper index as a release before texts were kept apart wrote it: texts as the catalog's documents."""
    store = PaperStore(settings)
    names = store.live_names()

    def make_old(client):
        papers = client.get_collection(names.papers, embedding_function=None)
        records = papers.get(include=["metadatas"])
        texts = {f"{p.paper_id}#{index_hash(p, settings)}": p.text for p in seed_papers[:5]}
        papers.update(ids=records["ids"], documents=[texts[f"{pid}#{m['hash']}"] for pid, m in zip(records["ids"], records["metadatas"])])
        client.delete_collection(names.texts)

    store.call("write the old layout", make_old)
    shutil.rmtree(catalog_dir(settings))
    assert {pid: r.abstract for pid, r in PaperStore(settings).snapshot().papers.items()} == {p.paper_id: p.text for p in seed_papers[:5]}

    sixth = load_papers([SEEDS_DIR])[5]
    ingest_papers([*seed_papers, sixth], settings, store=store)

    assert stored_texts(store) == {f"{p.paper_id}#{index_hash(p, settings)}": p.text for p in [*seed_papers, sixth]}
    shutil.rmtree(catalog_dir(settings))
    assert {pid: r.abstract for pid, r in PaperStore(settings).snapshot().papers.items()} == {
        p.paper_id: p.text for p in [*seed_papers, sixth]}


def test_a_rebuild_that_fails_midway_leaves_the_old_index_intact(settings, seed_papers, monkeypatch):
    store = PaperStore(settings)
    before = (store.version(), catalog(store), chunk_ids(store))
    failing = FakeEmbedder(store.embedder.identity, store.embedder.dimension, fail_on_call=2)
    monkeypatch.setattr(assistant.store.chunk_writer, "_WRITE_BATCH", 4)

    with pytest.raises(StoreError, match="embedder .* failed") as raised:
        ingest_papers([revised(p) for p in seed_papers], settings, rebuild=True, store=PaperStore(settings, embedder=failing))

    assert failing.calls == 2 and "rebuild" not in str(raised.value)  # the index was not at fault
    assert (store.version(), catalog(store), chunk_ids(store)) == before
    assert Retriever(settings, store).retrieve(seed_papers[3].title, k=1)[0].paper_id == seed_papers[3].paper_id

    ingest_papers(seed_papers[:2], settings, rebuild=True)  # the next rebuild clears the half-built staging index
    assert catalog(store) == {p.paper_id: p.abstract for p in seed_papers[:2]}
    assert chunk_ids(store) == expected_chunk_ids(seed_papers[:2], settings)


def test_papers_are_chunked_ahead_of_the_embedder_and_the_plan_is_told_before_their_progress(settings, seed_papers, monkeypatch):
    import threading

    import assistant.indexing

    monkeypatch.setattr(assistant.store.chunk_writer, "_WRITE_BATCH", 4)  # several batches
    threads, calls = set(), []
    real_chunk_paper = assistant.indexing.chunk_paper

    def chunk_paper(*args, **kwargs):
        threads.add(threading.current_thread().name)
        return real_chunk_paper(*args, **kwargs)

    monkeypatch.setattr(assistant.indexing, "chunk_paper", chunk_paper)
    report = ingest_papers([revised(p) for p in seed_papers], settings, on_plan=lambda n: calls.append(("plan", n)),
                           progress=lambda n: calls.append(("done", n)))

    plans = [n for kind, n in calls if kind == "plan"]
    assert calls[0][0] == "plan" and plans == sorted(plans)  # the chunks found so far, told again as more are found
    done = told = 0
    for kind, n in calls:  # never more chunks embedded than told
        done, told = (done + n, told) if kind == "done" else (done, n)
        assert done <= told
    assert done == plans[-1] == report.chunks_written > 4
    assert threads and all(name.startswith("chunker") for name in threads)  # not the embedding thread
    assert catalog(PaperStore(settings)) == {p.paper_id: revised(p).abstract for p in seed_papers}


def test_a_paper_that_cannot_be_chunked_leaves_the_store_unchanged(settings, seed_papers, monkeypatch):
    import assistant.indexing

    store = PaperStore(settings)
    before = (store.version(), catalog(store), chunk_ids(store))
    monkeypatch.setattr(assistant.store.chunk_writer, "_WRITE_BATCH", 4)
    real_chunk_paper = assistant.indexing.chunk_paper

    def chunk_paper(paper, *args, **kwargs):
        if paper.paper_id == seed_papers[3].paper_id:
            raise ValueError("a tokenizer fault")
        return real_chunk_paper(paper, *args, **kwargs)

    monkeypatch.setattr(assistant.indexing, "chunk_paper", chunk_paper)
    with pytest.raises(Exception, match="a tokenizer fault"):
        ingest_papers([revised(p) for p in seed_papers], settings)

    assert (store.version(), catalog(store)) == before[:2]  # chunks of papers before it may be kept, invisible, for reuse


@pytest.mark.parametrize("rebuild", [False, True], ids=["ingest", "rebuild"])
def test_a_bad_input_file_leaves_the_store_unchanged(settings, seed_papers, tmp_path, rebuild):
    store = PaperStore(settings)
    before = (store.version(), catalog(store), chunk_ids(store))
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"title": "A good paper", "abstract": "It is fine."}) + "\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"title": "Fine", "abstract": "Fine."}) + "\n{not json\n")

    with pytest.raises(CorpusError, match=r"bad.jsonl:2"):
        ingest_paths([good, bad], settings, rebuild=rebuild, sync=True)

    assert (store.version(), catalog(store), chunk_ids(store)) == before


def test_chromadb_still_has_the_internals_the_store_relies_on(settings):
    """Fails loudly when a chromadb release removes what connection._chroma_systems() reads (see its docstring)."""
    from chromadb.api.shared_system_client import SharedSystemClient

    from assistant.store.connection import CHROMA_INTERNALS, forget_system, system_is_open

    missing = [name for name in CHROMA_INTERNALS if not hasattr(SharedSystemClient, name)]
    assert not missing, f"chromadb no longer has SharedSystemClient.{missing}: rework assistant/store/connection.py"
    store = PaperStore(settings)
    store.count_papers()  # opens the local folder
    path = Path(settings.data_dir) / "chroma"
    assert system_is_open(path)
    forget_system(path, even_if_open=True)
    assert not system_is_open(path)


def test_a_running_reader_sees_another_process_ingest_through_the_publish_signal_alone(settings, seed_papers, tmp_path):
    patient = settings.model_copy(update={"version_check_ms": 3_600_000})  # Chroma is not asked again on a timer
    retriever = Retriever(patient)
    assert NEW_SENTENCE not in retriever.retrieve(NEW_SENTENCE, k=1, method="dense")[0].abstract
    changed = revised(seed_papers[3])

    done = subprocess.run([sys.executable, "-c", FOREIGN_INGEST, str(settings.data_dir), changed.model_dump_json()],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)

    assert done.returncode == 0 and "1 updated" in done.stdout, done.stderr
    hit = retriever.retrieve(NEW_SENTENCE, k=1, method="dense")[0]
    assert hit.paper_id == changed.paper_id and hit.abstract == changed.abstract


def test_questions_read_the_version_from_chroma_only_when_the_signal_changed_or_the_interval_passed(settings, seed_papers,
                                                                                                     monkeypatch):
    store = PaperStore(settings.model_copy(update={"version_check_ms": 3_600_000}))
    reads = []
    exact = store.catalog.version
    monkeypatch.setattr(store.catalog, "version", lambda: reads.append(1) or exact())
    first = store.recent_version()
    assert [store.recent_version() for _ in range(5)] == [first] * 5 and len(reads) == 1  # one stat each, no Chroma call

    ingest_papers([revised(seed_papers[1])], settings)  # another store of this data dir publishes
    assert store.recent_version() not in (first, None) and len(reads) == 2

    eager = PaperStore(settings.model_copy(update={"version_check_ms": 0}))
    eager_reads = []
    exact_eager = eager.catalog.version
    monkeypatch.setattr(eager.catalog, "version", lambda: eager_reads.append(1) or exact_eager())
    for _ in range(3):
        eager.recent_version()
    assert len(eager_reads) == 3


def test_deleting_the_index_is_signalled_to_running_readers(settings, seed_papers):
    reader = PaperStore(settings.model_copy(update={"version_check_ms": 3_600_000}))
    assert reader.recent_version() is not None

    PaperStore(settings).drop()

    assert reader.recent_version() is None


def test_a_batch_of_long_papers_reports_its_progress_a_few_dozen_chunks_at_a_time(settings, seed_papers, monkeypatch):
    """A few PDFs fill one write batch: the progress bar moved once, at their end ("0 of 296 chunks" for 30 s)."""
    monkeypatch.setattr(assistant.store.chunk_writer, "_PROGRESS_STEP", 3)
    steps: list[int] = []
    report = ingest_papers([revised(p) for p in seed_papers], settings, progress=steps.append)
    assert sum(steps) == report.chunks_written and len(steps) > 1  # one write batch (256), several reports
