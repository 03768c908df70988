"""Work per abstract grows linearly with its length: sentence splitting and chunking of 10 KB, 100 KB and 1 MB of
text, then ingest and a first-time ask of a paper with such an abstract (cut to MAX_ABSTRACT_CHARS at read time).

    .venv/bin/python bench/long_abstracts.py
"""

from __future__ import annotations

import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import Settings, ask  # noqa: E402
from assistant.chunking import chunk_text, sentence_spans  # noqa: E402
from assistant.corpus import MAX_ABSTRACT_CHARS  # noqa: E402
from assistant.indexing import ingest_paths  # noqa: E402

SCIFACT = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "scifact" / "corpus.jsonl.gz"


def main() -> None:
    with gzip.open(SCIFACT, "rt") as lines:
        text = " ".join(json.loads(line)["text"] for _, line in zip(range(2000), lines))
    print(f"{'size':>9} {'sentences':>9} {'split s':>8} {'chunk s':>8} {'s per MB':>9} {'ingest s':>9} {'ask s':>6}")
    for size in (10_000, 100_000, 1_000_000):
        sample = (text * (size // len(text) + 1))[:size]
        started = time.perf_counter()
        spans = sentence_spans(sample)
        split = time.perf_counter() - started
        started = time.perf_counter()
        chunk_text(sample, 160, 40)
        chunked = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "paper.jsonl"
            path.write_text(json.dumps({"title": "A very long abstract", "abstract": sample}) + "\n")
            settings = Settings(_env_file=None, data_dir=Path(folder) / "data")
            started = time.perf_counter()
            ingest_paths([path], settings)
            ingest = time.perf_counter() - started
            started = time.perf_counter()
            ask("What does the study find about treatment outcomes?", settings=settings, llm=None)
            asked = time.perf_counter() - started
        print(f"{size:>9,} {len(spans):>9,} {split:>8.2f} {chunked:>8.2f} {chunked / size * 1e6:>9.1f} {ingest:>9.1f} {asked:>6.1f}")
    print(f"(ingest and ask read at most MAX_ABSTRACT_CHARS = {MAX_ABSTRACT_CHARS:,} characters of an abstract)")


if __name__ == "__main__":
    main()
