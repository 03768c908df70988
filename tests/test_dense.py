"""Dense search over the per-version chunk-vector matrix (the read path), against Chroma's own query."""

from __future__ import annotations

import json

import numpy as np

import assistant.dense
from assistant.config import Settings
from assistant.dense import DenseIndex, dense_dir, load_dense
from assistant.indexing import ingest_papers
from assistant.models import Paper
from assistant.retrieval import Retriever
from assistant.store import ChunkRecord, PaperStore
from assistant.version_files import write_checksums

PAPERS = [
    Paper(paper_id="widgets", title="Robust Widgets", abstract="Widgets break under stress. We propose a robust widget made of steel."),
    Paper(paper_id="gadgets", title="Plain Gadgets", abstract="Gadgets are plain and cheap. Our gadget costs one dollar."),
    Paper(paper_id="gizmos", title="Tiny Gizmos", abstract="Gizmos are small. We shrink a gizmo to a millimetre with lasers."),
]


def _index(tmp_path) -> tuple[Settings, PaperStore]:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    ingest_papers(PAPERS, settings)
    return settings, PaperStore(settings)


def test_the_matrix_search_ranks_chunks_as_chroma_does(tmp_path):
    _, store = _index(tmp_path)
    dense = load_dense(store, store.snapshot())
    for question in ("cheap gadget", "steel widgets", "laser shrinking"):
        vector = store.embedder.embed([question])[0]
        ours = dense.search(vector, 3)
        chroma = store.query_chunks(vector, 3)
        assert [c.chunk_id for c in ours] == [c.chunk_id for c in chroma]
        assert np.allclose([c.score for c in ours], [c.score for c in chroma], atol=1e-4)


def test_the_search_keeps_to_the_papers_asked_for(tmp_path):
    _, store = _index(tmp_path)
    dense = load_dense(store, store.snapshot())
    vector = store.embedder.embed(["cheap gadget"])[0]
    assert {c.paper_id for c in dense.search(vector, 5, ["widgets", "gizmos"])} == {"widgets", "gizmos"}
    assert dense.search(vector, 5, ["nobody"]) == []


def test_a_new_version_is_searched_with_its_own_chunks_only(tmp_path):
    settings, store = _index(tmp_path)
    retriever = Retriever(settings, store)
    assert retriever.retrieve("gizmo lasers", k=1, method="dense")[0].paper_id == "gizmos"
    ingest_papers(PAPERS[:2], settings, sync=True)  # gizmos removed: a new version
    hits = retriever.retrieve("gizmo lasers", k=3, method="dense")
    assert "gizmos" not in {h.paper_id for h in hits}
    [folder] = list(dense_dir(store).iterdir())  # the old version's files are gone
    assert DenseIndex.load(dense_dir(store), store.version()) is not None and folder.is_dir()


def test_a_damaged_matrix_is_read_again_from_the_store(tmp_path):
    _, store = _index(tmp_path)
    snapshot = store.snapshot()
    [folder] = list(dense_dir(store).iterdir())
    np.save(folder / "vectors.npy", np.zeros((1, 384), dtype=np.float32))  # wrong row count
    assert DenseIndex.load(dense_dir(store), snapshot.version) is None
    dense = load_dense(store, snapshot)
    assert len(dense.chunks) == store.count_chunks() and dense.vectors.shape == (store.count_chunks(), 384)
    assert DenseIndex.load(dense_dir(store), snapshot.version) is not None  # and saved again, whole


def _clustered(rows: int, dimension: int = 32, seed: int = 0) -> np.ndarray:
    """Normalised vectors in clusters (as chunk vectors are), so that near neighbours are close calls."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, dimension))
    vectors = centres[rng.integers(0, 20, rows)] + 0.5 * rng.normal(size=(rows, dimension))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def _records(rows: int) -> list[ChunkRecord]:
    return [ChunkRecord(f"p{i // 3}#h#{i % 3}", f"p{i // 3}", "h", i % 3, 0, 1, "") for i in range(rows)]


def test_past_the_threshold_the_graph_shortlist_rescored_exactly_finds_what_the_exact_scan_finds(tmp_path, monkeypatch):
    monkeypatch.setattr(assistant.dense, "ANN_MIN_CHUNKS", 500)
    # One thread builds the same graph on every run (0.997 here); on two, thread timing moved it from 0.988 to 0.996.
    monkeypatch.setattr(assistant.dense, "GRAPH_BUILD_THREADS", 1)
    vectors, chunks = _clustered(3000), _records(3000)
    DenseIndex(chunks, vectors, "v1").save(tmp_path)
    loaded = DenseIndex.load(tmp_path, "v1")
    assert loaded is not None and loaded.graph is not None and len(loaded.graph) == 3000
    exact = DenseIndex(chunks, vectors, "v1")  # no graph: the full scan
    queries = _clustered(30, seed=1)
    found = [{c.chunk_id for c in loaded.search(q, 40)} & {c.chunk_id for c in exact.search(q, 40)} for q in queries]
    assert sum(len(f) for f in found) / (40 * len(queries)) >= 0.99
    top = loaded.search(queries[0], 5)
    assert [c.score for c in top] == sorted((c.score for c in top), reverse=True)
    assert abs(top[0].score - float(vectors[int(top[0].chunk_id.split("#")[0][1:]) * 3 + top[0].index] @ queries[0])) < 1e-5
    assert {c.paper_id for c in loaded.search(queries[0], 5, ["p7", "p9"])} <= {"p7", "p9"}  # a filter scans those rows


def test_an_index_past_the_threshold_without_its_graph_is_not_loaded(tmp_path, monkeypatch):
    monkeypatch.setattr(assistant.dense, "ANN_MIN_CHUNKS", 500)
    DenseIndex(_records(600), _clustered(600), "v1").save(tmp_path)
    [folder] = list(tmp_path.iterdir())
    (folder / "graph.usearch").write_bytes(b"not a graph")
    assert DenseIndex.load(tmp_path, "v1") is None  # the caller reads the store again and saves it whole
    (folder / "graph.usearch").unlink()
    assert DenseIndex.load(tmp_path, "v1") is None


def test_the_saved_chunk_table_gives_back_every_chunk_as_it_was(tmp_path):
    chunks = [ChunkRecord(f"{p}#h{p}#{i}", p, f"h{p}", i, 10 * i, 10 * i + 9, "") for p in ("a", "b", "c") for i in range(4)]
    DenseIndex(chunks, _clustered(len(chunks)), "v1").save(tmp_path)
    loaded = DenseIndex.load(tmp_path, "v1")
    assert loaded is not None and list(loaded.chunks) == chunks
    assert [c.paper_id for c in loaded.search(_clustered(1, seed=3)[0], 12, ["b"])] == ["b"] * 4


def test_a_folder_with_the_older_json_chunk_list_is_not_loaded(tmp_path):
    DenseIndex(_records(30), _clustered(30), "v1").save(tmp_path)
    [folder] = list(tmp_path.iterdir())
    (folder / "chunks.json").write_text(json.dumps({"version": "v1", "chunks": [[c.chunk_id, c.paper_id, c.index_hash, c.index,
                                                                                  c.start, c.end] for c in _records(30)]}))
    write_checksums(folder)  # intact, but of the format before the columnar table: made again from the store
    assert DenseIndex.load(tmp_path, "v1") is None


def test_past_the_threshold_the_compact_shortlist_rescored_exactly_finds_what_the_exact_scan_finds(tmp_path, monkeypatch):
    monkeypatch.setattr(assistant.dense, "COMPACT_MIN_CHUNKS", 500)
    monkeypatch.setattr(assistant.dense, "SHORTLIST", 200)
    vectors, chunks = _clustered(3000), _records(3000)
    DenseIndex(chunks, vectors, "v1").save(tmp_path)
    loaded = DenseIndex.load(tmp_path, "v1")
    assert loaded is not None and loaded.compact is not None and loaded.compact[0].dtype == np.int8
    exact = DenseIndex(chunks, vectors, "v1")  # no compact copy: the full scan
    queries = _clustered(30, seed=1)
    found = [{c.chunk_id for c in loaded.search(q, 40)} & {c.chunk_id for c in exact.search(q, 40)} for q in queries]
    assert sum(len(f) for f in found) / (40 * len(queries)) >= 0.99
    top, exact_top = loaded.search(queries[0], 5), exact.search(queries[0], 5)
    assert [c.chunk_id for c in top] == [c.chunk_id for c in exact_top]
    assert np.allclose([c.score for c in top], [c.score for c in exact_top], atol=1e-6)  # re-scored in float32
    assert {c.paper_id for c in loaded.search(queries[0], 5, ["p7", "p9"])} <= {"p7", "p9"}  # a filter scans those rows


def test_an_index_past_the_compact_threshold_without_its_compact_copy_is_not_loaded(tmp_path, monkeypatch):
    DenseIndex(_records(600), _clustered(600), "v1").save(tmp_path)  # saved below the threshold: no compact copy
    monkeypatch.setattr(assistant.dense, "COMPACT_MIN_CHUNKS", 500)
    assert DenseIndex.load(tmp_path, "v1") is None  # the caller reads the store again and saves it with the copy


def test_the_top_rows_are_the_largest_scores():
    scores = np.random.default_rng(0).normal(size=100_000).astype(np.float32)
    for count in (1, 7, 1000, 99_999, 100_000, 200_000):
        expected = np.sort(np.argsort(-scores, kind="stable")[: min(count, len(scores))])
        assert np.array_equal(np.sort(assistant.dense.top_rows(scores, count)), expected)
    ties = np.zeros(50_000, dtype=np.float32)
    assert len(set(assistant.dense.top_rows(ties, 1000).tolist())) == 1000
