"""Read-only use: an index on a read-only mount can be asked (stats, papers, ask); only an ingest needs write access.

The mount is real: a read-only bind mount made in a user and mount namespace of its own (`unshare -rm`), which holds for
root too (chmod does not stop root). Skipped where user namespaces are not allowed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SEEDS_DIR, copy_index

CLI = Path(sys.executable).parent / "assistant"
QUESTION = "Which paper benchmarks multimodal retrieval-augmented generation?"
ANSWER = "benchmarking-multimodal-retrieval-augmented-generation-with-2a11fb"
READ_ONLY = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && exec "$@"'


def read_only_mounts() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", READ_ONLY, "/tmp", "true"], capture_output=True, timeout=60)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(not read_only_mounts(), reason="no read-only bind mounts here (unshare -rm refused)")


def digest(folder: Path) -> str:
    hashed = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        hashed.update(str(file.relative_to(folder)).encode() + b"\0" + file.read_bytes())
    return hashed.hexdigest()


def on_read_only_mount(data_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`assistant ARGS` with data_dir mounted read-only (for this command only)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ASSISTANT_")}
    env.update(ASSISTANT_DATA_DIR=str(data_dir), ASSISTANT_SEEDS_DIR=str(SEEDS_DIR), TMPDIR=str(cwd / "tmp"))
    (cwd / "tmp").mkdir(exist_ok=True)
    return subprocess.run(["unshare", "-rm", "sh", "-c", READ_ONLY, str(data_dir), str(CLI), *args],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=600)


@pytest.fixture
def data_dir(tmp_path: Path, five_paper_index: Path) -> Path:
    return copy_index(five_paper_index, tmp_path)


def test_an_index_on_a_read_only_mount_can_be_asked(data_dir, tmp_path):
    shutil.rmtree(data_dir / "bm25")  # a cache the reader cannot write there: built in memory
    before = digest(data_dir)

    asked = on_read_only_mount(data_dir, "ask", QUESTION, "--json", "--offline", cwd=tmp_path)
    assert asked.returncode == 0, asked.stderr
    assert ANSWER in [c["paper_id"] for c in json.loads(asked.stdout)["citations"]]
    stats = on_read_only_mount(data_dir, "stats", cwd=tmp_path)
    assert stats.returncode == 0, stats.stderr
    assert "papers:   5" in stats.stdout
    listed = on_read_only_mount(data_dir, "papers", "--json", cwd=tmp_path)
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 5, listed.stderr

    assert digest(data_dir) == before  # nothing written (the mount would have refused it anyway)


def test_only_an_ingest_needs_write_access(data_dir, tmp_path):
    papers = tmp_path / "more.jsonl"
    papers.write_text(json.dumps({"title": "Quokka counts", "abstract": "We count quokkas on Rottnest Island."}) + "\n")
    before = digest(data_dir)

    done = on_read_only_mount(data_dir, "ingest", str(papers), cwd=tmp_path)

    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "read-only" in done.stderr and "ASSISTANT_DATA_DIR" in done.stderr
    assert digest(data_dir) == before
