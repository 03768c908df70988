"""Retrieval quality on SciFact train, document level: nDCG@10 and recall@100 of the assistant's dense, lexical and fused
rankings (its own index, built by bench/scifact.py), next to plain bm25s over title + abstract in the same run. Not a test.

    nice -n 10 .venv/bin/python bench/scifact_quality.py [--data-dir /work/cache-11/scifact]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import bm25s
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scifact import DEFAULT_DATA_DIR, claims, papers, qrels, settings_for  # noqa: E402


def ndcg_recall(ranked: list[str], gold: set[str]) -> tuple[float, float]:
    dcg = sum(1 / math.log2(rank + 2) for rank, doc in enumerate(ranked[:10]) if doc in gold)
    ideal = sum(1 / math.log2(rank + 2) for rank in range(min(10, len(gold))))
    return dcg / ideal, len(gold & set(ranked[:100])) / len(gold)


def main() -> None:
    from assistant.lexical import tokenize
    from assistant.retrieval import Retriever

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args()
    relevant = qrels()
    questions = [(c["_id"], c["text"]) for c in claims() if c["_id"] in relevant]
    retriever = Retriever(settings_for(args.data_dir))

    corpus = papers()
    plain = bm25s.BM25()
    plain.index(tokenize([f"{p.title} {p.abstract}" for p in corpus]), show_progress=False)
    vocab = plain.vocab_dict
    results: dict[str, list[tuple[float, float]]] = {"plain bm25s (title + abstract)": []}
    for _, text in questions:
        words = [w for w in tokenize([text])[0] if w in vocab]
        scores = plain.get_scores(words) if words else np.zeros(len(corpus))
        top = np.argsort(-scores, kind="stable")[:100]
        results["plain bm25s (title + abstract)"].append(ndcg_recall([corpus[i].paper_id for i in top], relevant[_]))

    seconds = {}
    for method in ("dense", "lexical", "fused"):
        started = time.perf_counter()
        scores_ = []
        for claim_id, text in questions:
            ranked = [hit.paper_id for hit in retriever.retrieve(text, k=100, method=method)]  # type: ignore[arg-type]
            scores_.append(ndcg_recall(ranked, relevant[claim_id]))
        results[f"assistant {method}"] = scores_
        seconds[method] = round(time.perf_counter() - started, 1)
    print(f"SciFact train: {len(questions)} claims with qrels, {len(corpus)} abstracts; index {args.data_dir}")
    for name, values in results.items():
        array = np.array(values)
        print(f"  {name:32} nDCG@10 {array[:, 0].mean():.4f}   recall@100 {array[:, 1].mean():.4f}")
    print(json.dumps({"seconds_per_method": seconds}))


if __name__ == "__main__":
    main()
