"""The int8 shortlist against the exact dense scan on a built index: do SciFact's train claims get the same chunks?

    .venv/bin/python bench/compact_recall.py --data-dir DIR [--n 100]

DIR is a data dir whose dense index carries the compact int8 copy (past dense.COMPACT_MIN_CHUNKS chunks, e.g. the one
`bench/scale.py --corpus scifact --n 50000 --keep` builds). Per claim, the n nearest chunks by the product's search
(int8 shortlist, re-scored exactly) against an exact float32 scan of the same rows: the share of the exact top n found,
and how often the top 10 are the same chunks in the same order (then SciFact's nDCG@10 and recall@n cannot differ).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.config import PROJECT_ROOT, Settings
from assistant.dense import COMPACT_MIN_CHUNKS, DenseIndex, dense_dir
from assistant.store import PaperStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--n", type=int, default=100)
    args = parser.parse_args()
    sys.path.insert(0, str(PROJECT_ROOT))
    from bench.scifact import claims

    store = PaperStore(Settings(_env_file=None, data_dir=args.data_dir))
    version = store.version()
    dense = DenseIndex.load(dense_dir(store), version) if version else None
    if dense is None or dense.compact is None:
        raise SystemExit(f"{args.data_dir}: no saved dense index with an int8 copy (it needs {COMPACT_MIN_CHUNKS or 0:,}+ chunks).")
    exact = DenseIndex(dense.chunks, dense.vectors, dense.version)
    questions = list(dict.fromkeys(claim["text"] for claim in claims()))
    found = total = same_top10 = 0
    for vector in store.embedder.embed(questions):
        shortlisted = [chunk.chunk_id for chunk in dense.search(vector, args.n)]
        scanned = [chunk.chunk_id for chunk in exact.search(vector, args.n)]
        found += len(set(shortlisted) & set(scanned))
        total += len(scanned)
        same_top10 += shortlisted[:10] == scanned[:10]
    print(json.dumps({"chunks": len(dense.chunks), "claims": len(questions), f"recall@{args.n} of the exact scan": round(found / total, 4),
                      "top 10 the same, in order": round(same_top10 / len(questions), 4)}))


if __name__ == "__main__":
    main()
