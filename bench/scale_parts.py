"""The two searches of a question at 100k / 300k / 1M chunks, each alone: dense (exact scan against the HNSW or int8 shortlist
re-scored exactly) and lexical (bm25s). Not a test; not the end-to-end `ask` (see docs/BENCH.md, "1M chunks").

    nice -n 10 .venv/bin/python bench/scale_parts.py --part dense --n 100000 --n 300000 --n 1000000 --out docs/scale-1m/
    nice -n 10 .venv/bin/python bench/scale_parts.py --part lexical --n 100000 --n 300000 --n 1000000 --out docs/scale-1m/

Vectors: the real chunk vectors of 1,500 SciFact abstracts (embedded once, kept in --cache) and, past them, synthetic
ones made cheaply: a real vector plus half another plus Gaussian noise, normalised (so they crowd the real ones'
neighbourhoods, as near-duplicate papers would). Queries: SciFact train claims, embedded by the bundled embedder. Chunks for BM25: SciFact's
abstracts, then chunks of 40-90 stemmed words drawn from the abstracts' word frequencies (made as tokens: stemming a
million texts is ingest cost, not what a question pays). Each N runs in a fresh process (--n once per process gives its own peak
RSS); results merge by (part, n) into OUT/parts.json and OUT/parts.png (log-log latency against N).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scifact import claims, papers  # noqa: E402

QUERIES = 200
SWEEP_EF = (256, 512, 1024)  # the graph's expansion_search values tried on one built graph
SWEEP_SHORTLIST = (4, 8)  # the graph proposes shortlist x n rows, re-scored exactly
REAL_VECTORS: Path | None = None  # --real-vectors: rows of real vectors to start from instead
REAL_PAPERS = 1500  # SciFact abstracts embedded for real (about 4,000 chunks); the rest are made from them


def rss_mb() -> float:
    """This process's peak resident set so far."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def current_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def pct(values: list[float]) -> dict[str, float]:
    return {"p50": round(float(np.percentile(values, 50)), 2), "p95": round(float(np.percentile(values, 95)), 2)}


def timed_recalls(index, queries, exact_sets: list[set[str]]) -> tuple[list[float], list[float], list[float]]:
    """Each query's top-100 search by the index: wall ms, CPU ms, and recall@100 against its exact set of chunk ids."""
    took, cpu_took, recalls = [], [], []
    for query, exact in zip(queries, exact_sets):
        started, cpu = time.perf_counter(), time.process_time()
        found = index.search(query, 100)
        took.append((time.perf_counter() - started) * 1000)
        cpu_took.append((time.process_time() - cpu) * 1000)
        recalls.append(len(exact & {c.chunk_id for c in found}) / len(exact))
    return took, cpu_took, recalls


def real_vectors(cache: Path, papers_count: int = REAL_PAPERS) -> np.ndarray:
    """The chunk vectors of the first papers_count SciFact abstracts (chunked as an ingest does), embedded once and
    kept in cache."""
    from assistant.chunking import chunk_paper
    from assistant.config import Settings
    from assistant.embedding import get_embedder

    path = REAL_VECTORS or cache / f"scifact-{papers_count}-chunk-vectors.npy"
    if path.exists():
        return np.load(path)
    settings = Settings(_env_file=None)
    texts = [c.embed_text for p in papers()[:papers_count]
             for c in chunk_paper(p, settings.chunk_tokens, settings.chunk_overlap, settings.tokenizer_encoding)]
    vectors = np.asarray(get_embedder(settings).embed(texts), dtype=np.float32)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def synthetic_vectors(real: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """The real rows, then n - len(real) made ones: real + 0.5 x another real + noise, normalised; in blocks."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, real.shape[1]), dtype=np.float32)
    take = min(n, len(real))
    out[:take] = real[:take]
    noise = 0.6 / np.sqrt(real.shape[1])  # a noise vector of norm ~0.6
    for start in range(take, n, 50_000):
        stop = min(n, start + 50_000)
        rows = real[rng.integers(0, len(real), stop - start)] + 0.5 * real[rng.integers(0, len(real), stop - start)]
        rows += rng.normal(scale=noise, size=rows.shape).astype(np.float32)
        out[start:stop] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return out


def questions() -> list[str]:
    return list(dict.fromkeys(c["text"] for c in claims()))[:QUERIES]


def query_vectors() -> np.ndarray:
    from assistant.config import Settings
    from assistant.embedding import get_embedder

    return get_embedder(Settings(_env_file=None)).embed(questions())


def dense(n: int, cache: Path, work: Path) -> dict:
    """Build the saved dense index of n chunks, then time a cold load, exact and graph searches, and recall@100."""
    import assistant.dense as dense_module
    from assistant.dense import ANN, DenseIndex
    from assistant.store import ChunkRecord

    dense_module.ANN_MIN_CHUNKS = 0  # the graph is measured at every N (it is off by default in the app)
    queries = query_vectors()
    vectors = synthetic_vectors(real_vectors(cache), n)
    chunks = [ChunkRecord(f"p{i // 50}#h#{i % 50}", f"p{i // 50}", "h", i % 50, 0, 1, "") for i in range(n)]
    started = time.perf_counter()
    DenseIndex(chunks, vectors, "v", ann=ANN).save(work)
    build_s = time.perf_counter() - started
    del vectors, chunks
    folder = next(f for f in work.iterdir() if f.is_dir() and not f.name.startswith("."))
    sizes = {f.name: round(f.stat().st_size / 2**20, 1) for f in folder.iterdir()}
    # a cold load: the page cache still holds the files (written just now); the load reads the table and maps the rest
    started = time.perf_counter()
    index = DenseIndex.load(work, "v")
    load_s = time.perf_counter() - started
    assert index is not None and index.graph is not None
    first_started = time.perf_counter()
    index.search(queries[0], 80)
    first_ms = (time.perf_counter() - first_started) * 1000
    graph = index.graph
    exact_ms, exact_cpu, exact_sets = [], [], []
    index.graph = None
    for query in queries:
        started, cpu = time.perf_counter(), time.process_time()
        exact_sets.append({c.chunk_id for c in index.search(query, 100)})
        exact_ms.append((time.perf_counter() - started) * 1000)
        exact_cpu.append((time.process_time() - cpu) * 1000)
    sweep = []
    for ef in SWEEP_EF:
        graph.expansion_search = ef
        for shortlist in SWEEP_SHORTLIST:
            index.graph, index.ann = graph, replace(ANN, expansion_search=ef, shortlist=shortlist)
            ann_ms, ann_cpu, recalls = timed_recalls(index, queries, exact_sets)
            sweep.append({"expansion_search": ef, "shortlist": shortlist, "graph_ms": pct(ann_ms), "graph_cpu_ms": pct(ann_cpu),
                          "recall@100": round(float(np.mean(recalls)), 4), "recall@100_min": round(float(np.min(recalls)), 4),
                          "share_of_queries_at_0.99": round(float(np.mean(np.array(recalls) >= 0.99)), 3)})
            print(json.dumps(sweep[-1]), flush=True)
    best = max(sweep, key=lambda r: (r["recall@100"], -r["graph_cpu_ms"]["p50"]))
    return {"part": "dense", "n": n, "build_s": round(build_s, 1), "files_mb": sizes, "load_s": round(load_s, 2),
            "first_search_ms": round(first_ms, 1), "exact_ms": pct(exact_ms), "graph_ms": best["graph_ms"],
            "exact_cpu_ms": pct(exact_cpu), "graph_cpu_ms": best["graph_cpu_ms"],
            "recall@100": best["recall@100"], "recall@100_min": best["recall@100_min"], "sweep": sweep,
            "ann": vars(ANN) | {"dtype": "i8", "metric": "ip"}, "rss_after_mb": current_rss_mb(), "peak_rss_mb": rss_mb(),
            "vectors": str(REAL_VECTORS or "SciFact chunk vectors"), "queries": len(queries)}


SWEEP_COMPACT = (200, 500, 1000, 2000)  # shortlist rows the int8 scan proposes for the exact re-score


def compact(n: int, cache: Path, work: Path) -> dict:
    """The first n rows of --real-vectors (e.g. the 1M synthetic index's vectors.npy, real rows first), memory-mapped:
    the exact scan against the int8 compact copy's shortlist re-scored exactly (dense.py), and recall@100."""
    import assistant.dense as dense_module
    from assistant.chunk_table import ChunkTable
    from assistant.dense import DenseIndex, compact_copy

    assert REAL_VECTORS is not None, "--part compact reads --real-vectors (a saved index's vectors.npy)"
    queries = query_vectors()
    vectors = np.load(REAL_VECTORS, mmap_mode="r")[:n]
    positions = np.arange(n, dtype=np.int32)
    table = ChunkTable([(f"p{g}", "h") for g in range((n + 49) // 50)],
                       np.stack([positions // 50, positions % 50, np.zeros(n, np.int32), np.ones(n, np.int32)], axis=1))
    started = time.perf_counter()
    copy = compact_copy(vectors)
    quantise_s = time.perf_counter() - started
    index = DenseIndex(table, vectors, "v")
    for query in queries[:5]:
        index.search(query, 100)  # the matrix into the page cache (as a warm process has it)
    exact_ms, exact_cpu, exact_sets = [], [], []
    for query in queries:
        started, cpu = time.perf_counter(), time.process_time()
        exact_sets.append({c.chunk_id for c in index.search(query, 100)})
        exact_ms.append((time.perf_counter() - started) * 1000)
        exact_cpu.append((time.process_time() - cpu) * 1000)
    index.compact = copy
    sweep = []
    for shortlist in SWEEP_COMPACT:
        dense_module.SHORTLIST = shortlist
        took, cpu_took, recalls = timed_recalls(index, queries, exact_sets)
        sweep.append({"shortlist": max(shortlist, 400), "compact_ms": pct(took), "compact_cpu_ms": pct(cpu_took),
                      "recall@100": round(float(np.mean(recalls)), 4), "recall@100_min": round(float(np.min(recalls)), 4),
                      "share_of_queries_at_0.99": round(float(np.mean(np.array(recalls) >= 0.99)), 3)})
        print(json.dumps(sweep[-1]), flush=True)
    return {"part": "compact", "n": n, "quantise_s": round(quantise_s, 1), "exact_ms": pct(exact_ms),
            "exact_cpu_ms": pct(exact_cpu), "sweep": sweep, "compact_mb": round(n * vectors.shape[1] / 2**20, 1),
            "rss_after_mb": current_rss_mb(), "vectors": str(REAL_VECTORS), "queries": len(queries)}


def synthetic_tokens(n: int, seed: int = 0) -> list[list[str]]:
    """n chunks as BM25 sees them (stemmed words, no stop words): SciFact's abstracts, then chunks of 40-90 words drawn
    from the abstracts' own word frequencies (each word's document frequency grows with N as a real library's would;
    co-occurrence is not kept)."""
    from collections import Counter

    from assistant.lexical import tokenize

    rng = np.random.default_rng(seed)
    real = tokenize([p.abstract for p in papers()])[:n]
    counts = Counter(word for words in real for word in words)
    vocabulary = np.array(list(counts), dtype=object)
    weights = np.fromiter(counts.values(), dtype=np.float64)
    lengths = rng.integers(40, 91, n - len(real))
    drawn = rng.choice(len(vocabulary), size=int(lengths.sum()), p=weights / weights.sum())
    made = [vocabulary[ids].tolist() for ids in np.split(drawn, np.cumsum(lengths)[:-1])] if len(lengths) else []
    return real + made


def lexical(n: int, cache: Path, work: Path) -> dict:
    """bm25s over n chunk texts: build, save, load (in memory and memory-mapped), and per-question scoring."""
    import bm25s

    from assistant.lexical import _scores, tokenize

    started = time.perf_counter()
    corpus = synthetic_tokens(n)
    make_s = time.perf_counter() - started
    started = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    build_s = time.perf_counter() - started
    del corpus
    retriever.save(str(work / "bm25"))
    del retriever
    size_mb = round(sum(f.stat().st_size for f in (work / "bm25").rglob("*") if f.is_file()) / 2**20, 1)
    asked = questions()
    tokenize(asked[:1])
    result: dict = {"part": "lexical", "n": n, "tokens_made_s": round(make_s, 1), "build_s": round(build_s, 1), "files_mb": size_mb}
    for mmap in (True, False):
        before = current_rss_mb()
        started = time.perf_counter()
        loaded = bm25s.BM25.load(str(work / "bm25"), mmap=mmap)
        load_s = time.perf_counter() - started
        times, cpu_times = [], []
        for question in asked:
            started, cpu = time.perf_counter(), time.process_time()
            scores = _scores(loaded, n, question)
            order = np.argpartition(-scores, 99)[:100]
            times.append((time.perf_counter() - started) * 1000)
            cpu_times.append((time.process_time() - cpu) * 1000)
            assert len(order) == 100
        key = "mmap" if mmap else "memory"
        result[key] = {"load_s": round(load_s, 2), "rss_added_mb": round(current_rss_mb() - before, 1), "query_ms": pct(times),
                       "query_cpu_ms": pct(cpu_times)}
        del loaded
    result["peak_rss_mb"] = rss_mb()
    return result


def plot(results: list[dict], path: Path) -> None:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.5), layout="constrained")
    axis = figure.subplots()
    series = [("dense", "exact_ms", "dense exact scan", "tab:red"), ("dense", "graph_ms", "dense HNSW i8 + exact re-score", "tab:blue")]
    rows = sorted((r for r in results if r["part"] == "compact"), key=lambda r: r["n"])
    for q, style in (("p50", "-"), ("p95", "--")):
        if rows:  # the shortlist of 1000 (the default) at each N
            axis.plot([r["n"] for r in rows], [next(s for s in r["sweep"] if s["shortlist"] == 1000)["compact_ms"][q] for r in rows],
                      marker="^", linestyle=style, color="tab:purple", label=f"dense int8 scan + exact re-score {q}")
    for part, key, label, color in series:
        rows = sorted((r for r in results if r["part"] == part), key=lambda r: r["n"])
        if rows:
            for q, style in (("p50", "-"), ("p95", "--")):
                axis.plot([r["n"] for r in rows], [r[key][q] for r in rows], marker="o", linestyle=style, color=color, label=f"{label} {q}")
    rows = sorted((r for r in results if r["part"] == "lexical"), key=lambda r: r["n"])
    if rows:
        for q, style in (("p50", "-"), ("p95", "--")):
            axis.plot([r["n"] for r in rows], [r["mmap"]["query_ms"][q] for r in rows], marker="s", linestyle=style,
                      color="tab:green", label=f"BM25 (bm25s, memory-mapped) {q}")
    axis.set(xscale="log", yscale="log", xlabel="chunks (N)", ylabel="ms per question",
             title="Search cost per question against N (2 shared cores)")
    axis.grid(alpha=0.3, which="both")
    axis.legend(fontsize=8)
    figure.savefig(path, dpi=110)


def main() -> None:
    global REAL_VECTORS, QUERIES
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["dense", "lexical", "compact"], required=True)
    parser.add_argument("--n", type=int, action="append", required=True, help="Chunks (repeatable; each N in its own process).")
    parser.add_argument("--out", type=Path, required=True, help="Where parts.json and parts.png go.")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/paper-assistant-bench"), help="Where the real vectors are kept between runs.")
    parser.add_argument("--real-vectors", type=Path, default=None,
                        help="A .npy of real vectors to start from (e.g. a seeds index's chunk and sentence vectors) "
                             "instead of embedding 1,500 SciFact abstracts (minutes of CPU).")
    parser.add_argument("--queries", type=int, default=QUERIES, help="SciFact claims asked.")
    parser.add_argument("--connectivity", type=int, default=None, help="The graph's connectivity (M) for this run.")
    parser.add_argument("--graph-threads", type=int, default=None, help="Threads that build the graph (default: every core).")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # the child process of one N
    args = parser.parse_args()
    REAL_VECTORS, QUERIES = args.real_vectors, args.queries
    import assistant.dense as dense_module

    if args.connectivity:
        dense_module.ANN = replace(dense_module.ANN, connectivity=args.connectivity)
    dense_module.GRAPH_BUILD_THREADS = args.graph_threads
    if not args.one and len(args.n) > 1:
        for n in args.n:
            subprocess.run([sys.executable, __file__, "--part", args.part, "--n", str(n), "--out", str(args.out),
                            "--cache", str(args.cache), "--queries", str(args.queries), "--one"]
                           + (["--real-vectors", str(args.real_vectors)] if args.real_vectors else []), check=True)
        return
    n = args.n[0]
    with tempfile.TemporaryDirectory(prefix=f"scale-{args.part}-", dir="/work/cache-25" if Path("/work/cache-25").is_dir() else None) as work:
        started = time.perf_counter()
        result = {"dense": dense, "lexical": lexical, "compact": compact}[args.part](n, args.cache, Path(work))
    result["run_s"] = round(time.perf_counter() - started, 1)
    result["load_average"] = round(os.getloadavg()[0], 1)
    result["cores"] = os.cpu_count()
    print(json.dumps(result), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "parts.json"
    merged = {(r["part"], r["n"]): r for r in (json.loads(path.read_text()) if path.exists() else [])}
    merged[(result["part"], n)] = result
    ordered = [merged[key] for key in sorted(merged)]
    path.write_text(json.dumps(ordered, indent=1) + "\n")
    plot(ordered, args.out / "parts.png")


if __name__ == "__main__":
    main()
