"""Atomic batches: an ingest SIGKILLed while it publishes leaves stats, collections, papers and ask agreeing (the whole
batch visible, or none of it); the next ingest of any file finishes or rolls the batch back, keeps the chunks it
embedded (reused later, never deleted) and says what it did."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.store import PaperStore
from one_paper_seeds import one_paper_seeds

CLI = Path(sys.executable).parent / "assistant"

KILLED_WHILE_PUBLISHING = """
import os, signal, sys
from chromadb.api.models.Collection import Collection
import assistant.store.chunk_writer
import assistant.store.connection
from assistant.config import Settings
from assistant.indexing import ingest_paths

data_dir, papers_file, when = sys.argv[1:4]
assistant.store.chunk_writer._PUBLISH_BATCH = 10  # the catalog written 10 papers at a time, as 2,000 at a time at scale
written = []
upsert, point_to = Collection.upsert, assistant.store.connection.Connection.point_to

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def counted_upsert(self, *args, **kwargs):
    result = upsert(self, *args, **kwargs)
    if "_papers" in self.name:
        written.append(len(kwargs["ids"]))
        if when == "publishing" and len(written) == 1:  # the first catalog write of the batch done, the rest not
            die()
    return result

def switch(self, client, number, exists, catalog=0):
    if when == "switching" and catalog:  # the batch wholly written, the pointer not yet moved to it
        die()
    return point_to(self, client, number, exists, catalog)

Collection.upsert = counted_upsert
assistant.store.connection.Connection.point_to = switch
ingest_paths([papers_file], Settings(_env_file=None, data_dir=data_dir))
"""


def papers_file(folder: Path, name: str, count: int) -> Path:
    path = folder / f"{name}.jsonl"
    path.write_text("\n".join(json.dumps({"id": f"{name}-{n}", "title": f"The {name} study, part {n}",
                                          "abstract": f"We measure how {name} birds number {n} migrate across the bay. "
                                                      f"The {name} flock of year {n} flew farther than expected."})
                              for n in range(count)) + "\n")
    return path


def run_cli(*args: str, data_dir: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ASSISTANT_")}
    seeds = cwd / "seeds"
    if not seeds.exists():
        one_paper_seeds(cwd)  # never used: the data dir has held an index
    env.update(ASSISTANT_DATA_DIR=str(data_dir), ASSISTANT_SEEDS_DIR=str(seeds))
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600)


def kill_ingest(data_dir: Path, papers: Path, when: str) -> None:
    killed = subprocess.run([sys.executable, "-c", KILLED_WHILE_PUBLISHING, str(data_dir), str(papers), when],
                            capture_output=True, text=True, cwd=papers.parent, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr


def visible(data_dir: Path, cwd: Path, question: str) -> dict[str, object]:
    """What each way in shows: the papers stats counts, collections lists, papers prints, and ask cites (or its error)."""
    stats = run_cli("stats", data_dir=data_dir, cwd=cwd)
    assert stats.returncode == 0, stats.stderr
    listed = run_cli("collections", data_dir=data_dir, cwd=cwd)
    assert listed.returncode == 0, listed.stderr
    papers = run_cli("papers", "--json", data_dir=data_dir, cwd=cwd)
    asked = run_cli("ask", question, "--json", "--offline", data_dir=data_dir, cwd=cwd)
    return {
        "stats": int(stats.stdout.split("papers:")[1].split()[0]),
        "collections": int(listed.stdout.split()[1]),
        "papers": sorted(p["paper_id"] for p in json.loads(papers.stdout)) if papers.returncode == 0 else papers.stderr,
        "ask": [c["paper_id"] for c in json.loads(asked.stdout)["citations"]] if asked.returncode == 0 else asked.stderr,
    }


def chunk_ids(data_dir: Path) -> set[str]:
    """Every chunk stored in the live generation (visible or not)."""
    store = PaperStore(Settings(_env_file=None, data_dir=data_dir))
    names = store.live_names()
    assert names is not None
    return set(store.call("read the chunks", lambda client: client.get_collection(names.chunks).get(include=[])["ids"]))


def ingest(data_dir: Path, papers: Path) -> str:
    done = run_cli("ingest", str(papers), data_dir=data_dir, cwd=papers.parent)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_first_ingest_killed_while_publishing_shows_nothing_and_the_next_ingest_rolls_it_back(tmp_path):
    data_dir, big, small = tmp_path / "data", papers_file(tmp_path, "heron", 40), papers_file(tmp_path, "plover", 6)
    kill_ingest(data_dir, big, "publishing")
    embedded = chunk_ids(data_dir)
    assert len(embedded) >= 40  # every chunk of the batch was embedded before the kill

    seen = visible(data_dir, tmp_path, "How far did the heron flock fly?")
    assert seen["stats"] == seen["collections"] == 0  # none of the papers written before the kill
    assert "no finished ingest" in str(seen["papers"]) and "no finished ingest" in str(seen["ask"])

    report = ingest(data_dir, small)  # another file: the interrupted batch is rolled back, its chunks kept
    assert "6 added" in report and "rolled back" in report and "kept" in report
    assert embedded <= chunk_ids(data_dir)
    seen = visible(data_dir, tmp_path, "How far did the plover flock fly?")
    assert seen["stats"] == seen["collections"] == 6 and len(seen["papers"]) == 6
    assert seen["ask"] and all(str(pid).startswith("plover-") for pid in seen["ask"])

    again = ingest(data_dir, big)  # the killed batch's file again: nothing embedded twice
    assert "40 added" in again and "0 chunks embedded" in again
    assert visible(data_dir, tmp_path, "How far did the heron flock fly?")["stats"] == 46


@pytest.mark.parametrize("when", ["publishing", "switching"])
def test_a_later_ingest_killed_while_publishing_leaves_the_collection_as_it_was_then_converges(tmp_path, when):
    data_dir = tmp_path / "data"
    first, big, other = (papers_file(tmp_path, "plover", 6), papers_file(tmp_path, "heron", 40),
                         papers_file(tmp_path, "curlew", 3))
    ingest(data_dir, first)
    before = visible(data_dir, tmp_path, "How far did the plover flock fly?")
    kill_ingest(data_dir, big, when)
    embedded = chunk_ids(data_dir)

    assert visible(data_dir, tmp_path, "How far did the plover flock fly?") == before  # nothing of the batch seen
    assert before["stats"] == before["collections"] == 6 and len(before["papers"]) == 6

    report = ingest(data_dir, other)
    assert embedded <= chunk_ids(data_dir)  # no embedded chunk deleted
    after = visible(data_dir, tmp_path, "How far did the curlew flock fly?")
    if when == "switching":  # the batch was wholly written: it is finished, not thrown away
        assert "published now" in report and after["stats"] == after["collections"] == len(after["papers"]) == 49
    else:
        assert "rolled back" in report and after["stats"] == after["collections"] == len(after["papers"]) == 9
        again = ingest(data_dir, big)
        assert "40 added" in again and "0 chunks embedded" in again
        assert visible(data_dir, tmp_path, "How far did the heron flock fly?")["stats"] == 49
