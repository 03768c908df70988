"""Retrieval quality on SciFact train, document level: nDCG@10 and recall@100 of the assistant's dense, lexical and fused
rankings (its own index, built by bench/scifact.py), next to plain bm25s over title + abstract in the same run. Not a test.

    nice -n 10 .venv/bin/python bench/scifact_quality.py [--data-dir /work/cache-11/scifact] [--split 0]
        [--param paper_lexical_share=0.5 ...] [--methods fused]

--split SEED shuffles the claim ids with that seed and cuts them in two halves, "fit" (to choose parameters on) and
"held-out" (to check they generalise); every figure is printed for both halves and the whole set.
--param name=value runs the assistant's rankings with that RetrievalParams field changed (repeatable), no code edit.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import random
import sys
import time
from pathlib import Path
from typing import cast

import bm25s
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scifact import DEFAULT_DATA_DIR, claims, papers, qrels, settings_for  # noqa: E402
from assistant.params import DEFAULT_RETRIEVAL, RetrievalParams  # noqa: E402


def ndcg_recall(ranked: list[str], gold: set[str]) -> tuple[float, float]:
    dcg = sum(1 / math.log2(rank + 2) for rank, doc in enumerate(ranked[:10]) if doc in gold)
    ideal = sum(1 / math.log2(rank + 2) for rank in range(min(10, len(gold))))
    return dcg / ideal, len(gold & set(ranked[:100])) / len(gold)


def split_halves(claim_ids: list[str], seed: int) -> dict[str, set[str]]:
    """The claim ids shuffled with seed and cut in two: {"fit": first half, "held-out": second half}."""
    shuffled = sorted(claim_ids, key=int)
    random.Random(seed).shuffle(shuffled)
    middle = len(shuffled) // 2
    return {"fit": set(shuffled[:middle]), "held-out": set(shuffled[middle:])}


def with_params(settings: list[str]) -> RetrievalParams:
    """DEFAULT_RETRIEVAL with each name=value of settings applied (the value read as the field's type)."""
    fields = {f.name: f for f in dataclasses.fields(RetrievalParams)}
    changes = {}
    for setting in settings:
        name, _, value = setting.partition("=")
        if name not in fields or not value:
            raise SystemExit(f"--param takes name=value with a RetrievalParams field: {', '.join(fields)}")
        changes[name] = type(getattr(DEFAULT_RETRIEVAL, name))(value)
    return dataclasses.replace(DEFAULT_RETRIEVAL, **changes)


def plain_bm25(questions: list[tuple[str, str]], relevant: dict[str, set[str]]) -> dict[str, tuple[float, float]]:
    """Claim id -> (nDCG@10, recall@100) of plain bm25s over each paper's title + abstract."""
    from assistant.lexical import tokenize

    corpus = papers()
    plain = bm25s.BM25()
    plain.index(tokenize([f"{p.title} {p.abstract}" for p in corpus]), show_progress=False)
    vocab = plain.vocab_dict
    figures = {}
    for claim_id, text in questions:
        words = [w for w in tokenize([text])[0] if w in vocab]
        scores = plain.get_scores(words) if words else np.zeros(len(corpus))
        top = np.argsort(-scores, kind="stable")[:100]
        figures[claim_id] = ndcg_recall([corpus[i].paper_id for i in top], relevant[claim_id])
    return figures


def main() -> None:
    from assistant.retrieval import Method, Retriever

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--split", type=int, default=None, metavar="SEED", help="report a fit and a held-out half too")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="a RetrievalParams field to change")
    parser.add_argument("--methods", default="dense,lexical,fused", help="comma-separated: dense, lexical, fused")
    parser.add_argument("--no-plain", action="store_true", help="skip the plain bm25s baseline")
    parser.add_argument("--ann-min-chunks", type=int, default=None,
                        help="dense.ANN_MIN_CHUNKS for this run (0: the HNSW graph + exact re-score at any size; the index's "
                             "dense folder is then made again with its graph)")
    parser.add_argument("--ann-connectivity", type=int, default=None, help="the graph's connectivity (M) for this run")
    parser.add_argument("--compact-min-chunks", type=int, default=None,
                        help="dense.COMPACT_MIN_CHUNKS for this run (0: the int8 shortlist + exact re-score at any size; "
                             "-1: never, the exact scan; the index's dense folder is made again when it lacks the copy)")
    args = parser.parse_args()
    if args.compact_min_chunks is not None:
        import assistant.dense

        assistant.dense.COMPACT_MIN_CHUNKS = None if args.compact_min_chunks < 0 else args.compact_min_chunks
    if args.ann_min_chunks is not None:
        import assistant.dense

        assistant.dense.ANN_MIN_CHUNKS = args.ann_min_chunks
        if args.ann_connectivity:
            assistant.dense.ANN = dataclasses.replace(assistant.dense.ANN, connectivity=args.ann_connectivity)
    params = with_params(args.param)
    relevant = qrels()
    questions = [(c["_id"], c["text"]) for c in claims() if c["_id"] in relevant]
    retriever = Retriever(settings_for(args.data_dir), params=params)

    results: dict[str, dict[str, tuple[float, float]]] = {}
    if not args.no_plain:
        results["plain bm25s (title + abstract)"] = plain_bm25(questions, relevant)
    seconds = {}
    for name in args.methods.split(","):
        if name not in ("dense", "lexical", "fused"):
            raise SystemExit(f"--methods takes dense, lexical and fused, not {name!r}")
        method = cast(Method, name)
        started = time.perf_counter()
        results[f"assistant {method}"] = {
            claim_id: ndcg_recall([hit.paper_id for hit in retriever.retrieve(text, k=100, method=method)], relevant[claim_id])
            for claim_id, text in questions}
        seconds[method] = round(time.perf_counter() - started, 1)

    parts = {"all": {claim_id for claim_id, _ in questions}}
    if args.split is not None:
        parts = {**split_halves(list(parts["all"]), args.split), **parts}
    print(f"SciFact train: {len(questions)} claims with qrels, {len(papers())} abstracts; index {args.data_dir}")
    changed = {f.name: getattr(params, f.name) for f in dataclasses.fields(params) if getattr(params, f.name) != getattr(DEFAULT_RETRIEVAL, f.name)}
    print(f"RetrievalParams changed from the defaults: {changed or 'none'}")
    headers = [f"{part} ({len(ids)}) nDCG@10 / recall@100" for part, ids in parts.items()]
    print(f"  {'':32} " + " | ".join(headers))
    for name, figures in results.items():
        cells = []
        for header, ids in zip(headers, parts.values()):
            array = np.array([figures[claim_id] for claim_id in ids])
            cells.append(f"{array[:, 0].mean():.4f} / {array[:, 1].mean():.4f}".rjust(len(header)))
        print(f"  {name:32} " + " | ".join(cells))
    print(json.dumps({"seconds_per_method": seconds}))


if __name__ == "__main__":
    main()
