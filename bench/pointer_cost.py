"""What resolving the generation pointer costs a question: Chroma calls and time of retrieve(), legacy layout vs generations.

    python bench/pointer_cost.py [--rounds 5]

Builds the seed index in a temporary folder, copies it into the legacy layout (`<name>_chunks`, `<name>_papers`, no
pointer), and asks the dev questions of both, in alternating rounds (offline, retrieval only).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from assistant.config import PROJECT_ROOT, Settings
from assistant.indexing import ingest_paths
from assistant.service import Assistant
from assistant.store import CollectionNames, PaperStore
from assistant.store.connection import Connection

QUESTIONS = PROJECT_ROOT.parent / "shared" / "eval" / "questions.jsonl"
calls: Counter[str] = Counter()


class Counted:
    """A Chroma client or collection whose method calls are counted."""

    def __init__(self, target: Any, kind: str):
        self._target, self._kind = target, kind

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return value

        def counted(*args: Any, **kwargs: Any) -> Any:
            calls[f"{self._kind}.{name}"] += 1
            result = value(*args, **kwargs)
            return Counted(result, "collection") if name in ("get_collection", "get_or_create_collection") else result

        return counted


def make_legacy(settings: Settings) -> None:
    def rename(client: Any) -> None:
        for new, old in zip(CollectionNames.of(settings.collection), CollectionNames.generation(settings.collection, 1)):
            client.get_collection(old).modify(name=new)
        client.delete_collection(CollectionNames.pointer(settings.collection))

    PaperStore(settings).call("make the legacy layout", rename)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines() if line.strip()]
    root = Path(tempfile.mkdtemp(prefix="pointer-cost-"))
    try:
        generations = Settings(_env_file=None, data_dir=root / "generations")
        ingest_paths([generations.seeds_dir], generations)
        shutil.copytree(root / "generations", root / "legacy")
        legacy = generations.model_copy(update={"data_dir": root / "legacy"})
        make_legacy(legacy)
        call = Connection.call  # every action sees a counting client (the folder's system is shared by the stores)
        Connection.call = lambda self, what, action: call(  # type: ignore[method-assign]
            self, what, lambda client: action(Counted(client, "client")))
        assistants = {"legacy": Assistant(legacy, offline=True), "generations": Assistant(generations, offline=True)}
        for assistant in assistants.values():
            assistant.retrieve(questions[0])  # loads the embedder, the catalog and BM25
        seconds: dict[str, list[float]] = {name: [] for name in assistants}
        counts: dict[str, Counter[str]] = {}
        for _ in range(args.rounds):
            for name, assistant in assistants.items():
                calls.clear()
                for question in questions:
                    started = time.perf_counter()
                    assistant.retrieve(question)
                    seconds[name].append(time.perf_counter() - started)
                counts[name] = Counter({key: value / len(questions) for key, value in calls.items()})
        for name in assistants:
            per_question = ", ".join(f"{key} {value:g}" for key, value in sorted(counts[name].items()))
            print(f"{name:12s} retrieve(): median {statistics.median(seconds[name]) * 1000:.1f} ms, mean "
                  f"{statistics.mean(seconds[name]) * 1000:.1f} ms over {len(seconds[name])} questions; Chroma calls per "
                  f"question: {sum(counts[name].values()):g} ({per_question})")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
