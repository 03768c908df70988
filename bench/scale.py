"""Scale benchmark: the 72 seed papers hidden among real (SciFact) and synthetic abstracts, for growing sizes N.

    .venv/bin/python bench/scale.py --n 1000 [--n 10000 ...] [--out bench/results/] [--keep] [--corpus scifact]
    nice -n 10 .venv/bin/python bench/scale.py --corpus scifact --n 5000 --out docs/    # one N per run: peak RSS is per process
    nice -n 10 .venv/bin/python bench/scale.py --corpus scifact --n 20000 --out docs/
    nice -n 10 .venv/bin/python bench/scale.py --corpus scifact --n 50000 --out docs/   # over an hour on 2 cores

    .venv/bin/python bench/scale.py --synthetic-chunks 1000000 --data-dir /tmp/idx-1m --out docs/scale-1m/

--synthetic-chunks N builds an index of N chunks in the product's format at --data-dir (real papers + synthetic ones
with made vectors: bench/scale_synthetic.py says how), then measures it from a fresh process; rows merge by chunks
into OUT/synthetic.json and OUT/synthetic.png. The index stays: ASSISTANT_DATA_DIR=DIR assistant ask ... reads it.

With --corpus scifact the collection is the seeds, then SciFact's 5,183 real abstracts (../shared/bench/scifact),
then synthetic ones up to N; with --corpus seeds (the default) only synthetic ones.

The synthetic papers are made deterministically (seeded RNG) from the seeds' own material: sentences of
real abstracts with a third of their words swapped for seed vocabulary and some words moved, under titles
shuffled together from seed-title words. So they are on the same topics as the real papers (hard
distractors) without copying any of them. Per N: ingest throughput against the bare embedder, index size
on disk, query latency, and whether the dev-set questions still find their real papers (hit@5).
Results are merged by N into OUT/scale.json, and OUT/scale.png plots them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import tempfile
import time
from pathlib import Path

from assistant.chunking import chunk_paper, sentence_spans
from assistant.config import PROJECT_ROOT, Settings
from assistant.corpus import load_papers
from assistant.evaluation import gold_paper_ids, load_questions, percentiles, retrieval_metrics
from assistant.models import Paper

DEV_QUESTIONS = PROJECT_ROOT.parent / "shared" / "eval" / "questions.jsonl"
RAW_SAMPLE_PAPERS = 100  # papers whose chunks are embedded bare, to measure the embedder's own rate


def synthetic_papers(real: list[Paper], count: int, seed: int = 0) -> list[Paper]:
    """count made-up papers, recombined from the real ones' sentences and title words."""
    rng = random.Random(seed)
    sentences = [paper.abstract[s:e] for paper in real for s, e in sentence_spans(paper.abstract)]
    vocabulary = sorted({w for paper in real for w in paper.abstract.split() if w.isalpha() and len(w) > 3})
    title_words = sorted({w.strip(":,") for paper in real for w in paper.title.split() if len(w.strip(":,")) > 2})
    taken = {paper.title.casefold() for paper in real}
    papers = []
    for number in range(count):
        title = " ".join(rng.sample(title_words, rng.randint(5, 10)))
        while title.casefold() in taken:
            title += f" {rng.choice(title_words)}"
        taken.add(title.casefold())
        abstract = " ".join(_garble(rng.choice(sentences), vocabulary, rng) for _ in range(rng.randint(4, 9)))
        papers.append(Paper(paper_id=f"synthetic-{number:06d}", title=title, abstract=abstract, source="synthetic"))
    return papers


def _garble(sentence: str, vocabulary: list[str], rng: random.Random) -> str:
    words = sentence.split()
    for position in rng.sample(range(len(words)), len(words) // 3):
        words[position] = rng.choice(vocabulary)
    for _ in range(len(words) // 4):
        i, j = rng.randrange(len(words)), rng.randrange(len(words))
        words[i], words[j] = words[j], words[i]
    return " ".join(words)


def scifact_papers() -> list[Paper]:
    """SciFact's real abstracts (bench/scifact.py), as distractors."""
    import sys

    sys.path.insert(0, str(PROJECT_ROOT))
    from bench.scifact import papers

    return papers()


def measure(n: int, real: list[Paper], questions, base: Path, seed: int, distractors: list[Paper] | None = None) -> dict:
    """Build an index of n papers (the real ones included) and time it, size it and query it."""
    from assistant.service import default_assistant
    from assistant.embedding import get_embedder
    from assistant.indexing import ingest_papers
    from assistant.retrieval import Retriever

    settings = Settings(_env_file=None, data_dir=base / f"n{n}")
    found = (distractors or [])[: max(0, n - len(real))]
    papers = real + found + synthetic_papers(real, max(0, n - len(real) - len(found)), seed)
    random.Random(seed).shuffle(papers)
    embedder = get_embedder(settings)
    embedder.embed(["warm up"])

    report = ingest_papers(papers, settings)
    sample = random.Random(seed).sample(papers, min(len(papers), RAW_SAMPLE_PAPERS))
    chunks = [c.embed_text for p in sample for c in chunk_paper(p, settings.chunk_tokens, settings.chunk_overlap, settings.tokenizer_encoding)]
    started = time.perf_counter()
    embedder.embed(chunks)
    raw_rate = len(chunks) / (time.perf_counter() - started)
    size = sum(f.stat().st_size for f in Path(settings.data_dir).rglob("*") if f.is_file())

    services = default_assistant(settings).with_chat(None)
    retriever = Retriever(settings, services.store)  # its own query cache: the asks below are first-time ones
    started = time.perf_counter()
    snapshot = retriever.state().snapshot  # loads the catalog and BM25 once
    retriever.retrieve("warm up the dense index", k=10)
    load_ms = (time.perf_counter() - started) * 1000
    gold = gold_paper_ids(questions, {pid: paper.title for pid, paper in snapshot.papers.items()})
    rankings, embed_ms, retrieve_ms, ask_ms = {}, [], [], []
    for question in questions:
        started = time.perf_counter()
        embedder.embed([question.question])
        embed_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        rankings[question.id] = [hit.paper_id for hit in retriever.retrieve(question.question, k=10)]
        retrieve_ms.append((time.perf_counter() - started) * 1000)
    for question in questions:
        started = time.perf_counter()
        services.ask(question.question)
        ask_ms.append((time.perf_counter() - started) * 1000)
    metrics = retrieval_metrics(rankings, gold, {q.id: q.type for q in questions})["overall"]
    missed = [qid for qid, ids in gold.items() if ids and not set(rankings[qid][:5]) & set(ids)]
    latency = percentiles({"embed": embed_ms, "retrieve": retrieve_ms, "ask": ask_ms})
    return {
        "n": len(papers), "chunks": report.chunks_total, "ingest_s": round(report.seconds, 1),
        "ingest_chunks_per_s": round(report.chunks_written / report.seconds, 1), "raw_embedder_chunks_per_s": round(raw_rate, 1),
        "index_mb": round(size / 2**20, 1), "catalog_and_bm25_load_ms": round(load_ms, 1),
        "query_embed_ms": latency["embed"], "retrieve_ms": latency["retrieve"], "ask_ms": latency["ask"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "hit@5": metrics["hit@5"], "mrr": metrics["mrr"],
        "missed_at_5": missed,
        "load_average": round(os.getloadavg()[0], 1),
    }


def plot(results: list[dict], path: Path) -> None:
    from matplotlib.figure import Figure

    ns = [r["n"] for r in results]
    figure = Figure(figsize=(10, 4), layout="constrained")
    latency, quality = figure.subplots(1, 2)
    for key, label, color in (("retrieve_ms", "retrieve", "tab:blue"), ("ask_ms", "ask (first time per question)", "tab:green")):
        latency.plot(ns, [r[key]["p50"] for r in results], marker="o", color=color, label=f"{label} p50")
        latency.plot(ns, [r[key]["p95"] for r in results], marker="s", color=color, linestyle="--", label=f"{label} p95")
    latency.set(xscale="log", yscale="log", xlabel="papers in the collection (N)", ylabel="ms", title="Query latency (offline)")
    latency.legend(fontsize=8)
    quality.plot(ns, [r["hit@5"] for r in results], marker="o", label="hit@5 (fused)")
    quality.plot(ns, [r["mrr"] for r in results], marker="s", label="MRR (fused)")
    quality.set(xscale="log", ylim=(0, 1.05), xlabel="papers in the collection (N)", title="Dev questions finding their real papers")
    quality.legend(fontsize=8)
    for axis in (latency, quality):
        axis.grid(alpha=0.3, which="both")
    figure.savefig(path, dpi=110)


def synthetic(args: argparse.Namespace) -> None:
    """--synthetic-chunks: build (unless --measure-only), then measure from a fresh process, then merge the row."""
    import subprocess
    import sys

    sys.path.insert(0, str(PROJECT_ROOT))
    from bench import scale_synthetic

    if args.data_dir is None:
        raise SystemExit("--synthetic-chunks needs --data-dir DIR (a new directory; the index is kept there).")
    built_path = args.data_dir / "synthetic-build.json"
    if args.measure_only:
        built = json.loads(built_path.read_text())
    else:
        built = scale_synthetic.main(args.synthetic_chunks, args.data_dir, args.seed)
        built_path.write_text(json.dumps(built))
    done = subprocess.run([sys.executable, str(Path(scale_synthetic.__file__)), "--data-dir", str(args.data_dir),
                           "--questions", str(args.questions_per_part)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"measuring failed: {done.stderr[-3000:]}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    row = built | measured | {"cores": os.cpu_count()}
    print(json.dumps(row), flush=True)
    print(f"{row['chunks']} chunks ({row['synthetic_chunks']} synthetic, vectors made): built in {row['build_s']} s; "
          f"on disk {row['index_mb_total']} MB; cold `assistant ask` {row['cold_cli_ask_s']} s; retrieve p50/p95 "
          f"{row['retrieve_ms']['p50']}/{row['retrieve_ms']['p95']} ms; offline ask p50/p95 {row['ask_ms']['p50']}/"
          f"{row['ask_ms']['p95']} ms; peak RSS {row['peak_rss_mb']} MB (load {row['load_average_before_questions']})")
    print(f"Wrote {scale_synthetic.merge(row, args.out)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="Collection size (repeatable); default 1000.")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench" / "results", help="Where scale.json and scale.png go.")
    parser.add_argument("--questions", type=Path, default=DEV_QUESTIONS, help="Question file with gold titles among the seeds.")
    parser.add_argument("--corpus", choices=["seeds", "scifact"], default="seeds",
                        help="Distractors: synthetic only, or SciFact's real abstracts first, then synthetic.")
    parser.add_argument("--seed", type=int, default=0, help="RNG seed of the synthetic collection.")
    parser.add_argument("--data-dir", type=Path, default=None, help="Where the indexes are built (default: a temporary directory).")
    parser.add_argument("--keep", action="store_true", help="Keep the indexes instead of deleting them.")
    parser.add_argument("--synthetic-chunks", type=int, default=None,
                        help="Build an index of this many chunks at --data-dir (real + synthetic papers, made vectors) and measure it.")
    parser.add_argument("--measure-only", action="store_true", help="With --synthetic-chunks: measure the index already at --data-dir.")
    parser.add_argument("--questions-per-part", type=int, default=100, help="With --synthetic-chunks: claims timed per part.")
    args = parser.parse_args()
    if args.synthetic_chunks is not None:
        synthetic(args)
        return

    settings = Settings(_env_file=None)
    real = load_papers([settings.seeds_dir])
    questions = load_questions(args.questions)
    base = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-scale-", dir="/tmp"))
    args.out.mkdir(parents=True, exist_ok=True)
    results_path = args.out / "scale.json"
    results = {r["n"]: r for r in json.loads(results_path.read_text())} if results_path.exists() else {}
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; indexes under {base}")
    try:
        for n in args.n or [1000]:
            started = time.perf_counter()
            result = measure(n, real, questions, base, args.seed, scifact_papers() if args.corpus == "scifact" else None)
            result["corpus"] = args.corpus
            result["run_s"] = round(time.perf_counter() - started, 1)
            results[result["n"]] = result
            print(json.dumps(result))
            print(f"N={result['n']}: {result['chunks']} chunks, ingest {result['ingest_s']} s = {result['ingest_chunks_per_s']} chunks/s "
                  f"(bare embedder {result['raw_embedder_chunks_per_s']} chunks/s, ratio "
                  f"{result['ingest_chunks_per_s'] / result['raw_embedder_chunks_per_s']:.2f}); index {result['index_mb']} MB; "
                  f"query embedding p50 {result['query_embed_ms']['p50']} ms, "
                  f"retrieve p50/p95 {result['retrieve_ms']['p50']}/{result['retrieve_ms']['p95']} ms, "
                  f"first-time ask p50/p95 {result['ask_ms']['p50']}/{result['ask_ms']['p95']} ms; peak RSS {result['peak_rss_mb']} MB; "
                  f"hit@5 {result['hit@5']}; "
                  f"whole run {result['run_s']} s", flush=True)
            ordered = [results[k] for k in sorted(results)]
            results_path.write_text(json.dumps(ordered, indent=2) + "\n")
            plot(ordered, args.out / "scale.png")
    finally:
        if not args.keep and args.data_dir is None:
            shutil.rmtree(base, ignore_errors=True)
    print(f"Wrote {results_path} and {args.out / 'scale.png'}")


if __name__ == "__main__":
    main()
