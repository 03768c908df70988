"""Resident memory: pages read from the registered memory-mapped files are handed back once the process is over its budget."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from assistant import resident
from assistant.config import Settings
from assistant.service import Assistant
from conftest import copy_index

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/smaps")


def mapped_kb(path: Path) -> int:
    """This process's resident kilobytes of a file's mappings (/proc/self/smaps)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if "-" in fields[0] and len(fields) >= 5 and ":" in fields[3]:  # a mapping's header: address perms offset dev inode [path]
            inside = len(fields) >= 6 and fields[5] == str(path)
        elif inside and fields[0] == "Rss:":
            total += int(fields[1])
    return total


def test_release_unmaps_the_pages_read_and_the_values_read_again(tmp_path: Path):
    values = np.arange(4_000_000, dtype=np.float32).reshape(-1, 400)  # 16 MB
    registered, left = tmp_path / "registered.npy", tmp_path / "left.npy"
    np.save(registered, values)
    np.save(left, values)
    rows = resident.read_at_random(np.load(registered, mmap_mode="r"))
    other = np.load(left, mmap_mode="r")
    assert float(rows.sum()) == float(other.sum())  # every page of both read
    assert mapped_kb(registered) > 12_000 and mapped_kb(left) > 12_000

    resident.release()

    assert mapped_kb(registered) < 1_000  # handed back
    assert mapped_kb(left) > 12_000  # not registered: left as it was
    assert np.array_equal(rows[[5, 9_000, 2]], values[[5, 9_000, 2]])  # read again, unchanged


def test_a_question_leaves_no_page_of_the_files_it_reads_at_random_mapped(seeded_settings: Settings, tmp_path: Path):
    """The dense matrix, the BM25 postings, the sentence vectors and the catalog's abstracts, as a new process loads them."""
    data_dir = copy_index(Path(seeded_settings.data_dir), tmp_path)  # never opened by this process
    assistant = Assistant(seeded_settings.model_copy(update={"data_dir": data_dir}), offline=True)
    question = "Which papers use Monte Carlo Tree Search?"
    assistant.ask(question)
    snapshot = assistant.retriever.loaded_state().snapshot
    assert all(snapshot.papers[paper_id].abstract for paper_id in list(snapshot.papers)[-5:])  # not read by the question
    files = [path for name in ("vectors.npy", "data.csc.index.npy", "indices.csc.index.npy", "abstracts.bin")
             for path in data_dir.rglob(name)]
    assert {path.name for path in files} == {"vectors.npy", "data.csc.index.npy", "indices.csc.index.npy", "abstracts.bin"}
    read = {path: mapped_kb(path) for path in files}
    assert all(read.values()), read  # each of them read

    resident.release()

    assert {path: mapped_kb(path) for path in files} == {path: 0 for path in files}
    assert assistant.ask(question).citations  # the files are read again as before


def test_the_sentence_bank_keeps_at_most_its_capacity_of_sentences():
    from assistant.embedding import get_embedder
    from assistant.evidence import SentenceBank
    from assistant.models import Hit

    hits = [Hit(paper_id=f"p{i}", title=f"Paper {i}", score=1.0, abstract=f"Topic {i} is studied. It has results. Code is out.")
            for i in range(4)]
    bank = SentenceBank(get_embedder(Settings(_env_file=None)), capacity=7)
    first = bank.sentences(hits[:2])  # 6 sentences: kept
    assert bank.sentences(hits[:2]) == first
    assert [s.text for s in bank.sentences(hits[2:3])["p2"]] == ["Topic 2 is studied.", "It has results.", "Code is out."]
    assert bank._cached <= 7  # 9 would not fit: emptied first
    later = bank.sentences(hits)
    assert [s.text for s in later["p0"]] == [s.text for s in first["p0"]]
    assert bank._cached <= 7


def test_a_retrieval_hands_back_the_pages_earlier_questions_read_once_the_process_is_over_its_budget(
        seeded_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    data_dir = copy_index(Path(seeded_settings.data_dir), tmp_path)
    assistant = Assistant(seeded_settings.model_copy(update={"data_dir": data_dir}), offline=True)
    sentence_vectors = next(path for path in data_dir.rglob("vectors.npy") if "sentences" in path.parts)
    question = "Which papers use Monte Carlo Tree Search?"
    assistant.ask(question)  # reads the sentence vectors of its hits; a retrieval alone reads none
    assert mapped_kb(sentence_vectors) > 0
    monkeypatch.setattr(resident, "BUDGET_MB", 1_000_000)
    assistant.retrieve(question)
    assert mapped_kb(sentence_vectors) > 0  # within the budget: left mapped
    monkeypatch.setattr(resident, "BUDGET_MB", 0)
    assistant.retrieve(question)
    assert mapped_kb(sentence_vectors) == 0  # over it: handed back first
