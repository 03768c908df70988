"""What the version check before each question costs: Chroma's listing (store.version()) against the publish signal
(store.recent_version(): one stat, Chroma asked at most every version_check_ms). Not a test.

    nice -n 10 .venv/bin/python bench/version_check.py                     # a local index of 3 papers in a temp dir
    nice -n 10 .venv/bin/python bench/version_check.py --server            # the same on a `chroma run` of its own
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

PAPERS = [("widgets", "Robust Widgets", "Widgets break under stress. We propose a robust widget made of steel."),
          ("gadgets", "Plain Gadgets", "Gadgets are plain and cheap. Our gadget costs one dollar."),
          ("gizmos", "Tiny Gizmos", "Gizmos are small. We shrink a gizmo to a millimetre with lasers.")]


def timed(call, times: int = 2000) -> dict[str, float]:
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        spent.append((time.perf_counter() - started) * 1e6)
    return {"p50_us": round(float(np.percentile(spent, 50)), 1), "p95_us": round(float(np.percentile(spent, 95)), 1)}


def measure(settings) -> dict:
    from assistant.indexing import ingest_papers
    from assistant.models import Paper
    from assistant.store import PaperStore

    ingest_papers([Paper(paper_id=p, title=t, abstract=a) for p, t, a in PAPERS], settings)
    store = PaperStore(settings.model_copy(update={"version_check_ms": 3_600_000}))
    assert store.version() == store.recent_version()
    return {"listing_version": timed(store.version), "signal_recent_version": timed(store.recent_version)}


def main() -> None:
    from assistant.config import Settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", action="store_true", help="On a chroma run server started for the run.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="version-check-") as work:
        if args.server:
            from chroma_server import HOST, ChromaServer

            with ChromaServer(Path(work) / "index") as server:
                settings = Settings(_env_file=None, data_dir=Path(work) / "data", chroma_host=HOST, chroma_port=server.port)
                result = measure(settings)
        else:
            result = measure(Settings(_env_file=None, data_dir=Path(work) / "data"))
    print(json.dumps({"where": "chroma server" if args.server else "local", **result}))


if __name__ == "__main__":
    main()
