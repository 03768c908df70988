"""The chunk table of a derived index (dense matrix, BM25): which chunk each row is, kept as columns.

A row is (paper, index hash) group, chunk index, start, end; its chunk id is made from them as the store makes every
chunk id (records.chunk_id): nothing on the read path uses the id, so it is not stored. Saved as one int32 .npy file (memory-mapped on load) and the groups in a small JSON list, so a
million rows load in milliseconds: a list of a million ChunkRecords read from JSON took seconds (docs/BENCH.md).
ChunkRecords are made only for the rows a search returns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from assistant.store import ChunkRecord
from assistant.store.records import chunk_id

_COLUMNS = 4  # group, index, start, end


class ChunkTable(Sequence[ChunkRecord]):
    """Rows of chunks (without their documents): table[i] is row i's ChunkRecord."""

    def __init__(self, groups: list[tuple[str, str]], rows: np.ndarray):
        self.groups = groups  # (paper id, index hash) per group number
        self.rows = rows  # int32 (n, 4): group, chunk index, start, end
        papers: dict[str, int] = {}
        self._group_paper = np.array([papers.setdefault(pid, len(papers)) for pid, _ in groups], dtype=np.int32)
        self.paper_numbers = papers  # paper id -> paper number (see paper_of)

    @classmethod
    def of(cls, chunks: Iterable[ChunkRecord]) -> "ChunkTable":
        """The table of these chunks, in order."""
        numbers: dict[tuple[str, str], int] = {}
        rows = []
        for c in chunks:
            rows.append((numbers.setdefault((c.paper_id, c.index_hash), len(numbers)), c.index, c.start, c.end))
        return cls(list(numbers), np.array(rows, dtype=np.int32).reshape(-1, _COLUMNS))

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, position):
        if isinstance(position, slice):
            return [self.record(i) for i in range(*position.indices(len(self)))]
        return self.record(int(position))

    def __iter__(self) -> Iterator[ChunkRecord]:
        return (self.record(i) for i in range(len(self)))

    def record(self, position: int, score: float = 0.0) -> ChunkRecord:
        """Row position as a ChunkRecord (no document)."""
        group, index, start, end = (int(v) for v in self.rows[position])
        paper_id, hash_ = self.groups[group]
        return ChunkRecord(chunk_id(paper_id, hash_, index), paper_id, hash_, index, start, end, "", score)

    def paper_of(self) -> np.ndarray:
        """Each row's paper number (self.paper_numbers), int32."""
        return self._group_paper[np.asarray(self.rows[:, 0])] if len(self) else np.zeros(0, dtype=np.int32)

    def in_papers(self, paper_ids: Iterable[str]) -> np.ndarray:
        """Whether each row belongs to one of these papers."""
        numbers = [self.paper_numbers[p] for p in paper_ids if p in self.paper_numbers]
        return np.isin(self.paper_of(), numbers)

    def save(self, folder: Path, name: str) -> None:
        """Write folder/<name>.npy (the rows); the groups go into the caller's JSON (see groups)."""
        np.save(folder / f"{name}.npy", np.ascontiguousarray(self.rows, dtype=np.int32))

    @classmethod
    def load(cls, folder: Path, name: str, groups: list) -> "ChunkTable":
        """The table saved as folder/<name>.npy with these groups, memory-mapped (ValueError when they do not fit)."""
        rows = np.load(folder / f"{name}.npy", mmap_mode="r")
        if rows.dtype != np.int32 or rows.ndim != 2 or rows.shape[1] != _COLUMNS:
            raise ValueError("not a chunk table")
        pairs = [(str(p), str(h)) for p, h in groups]
        if len(rows) and (int(rows[:, 0].max()) >= len(pairs) or int(rows[:, 0].min()) < 0):
            raise ValueError("a row names a group the table lacks")
        return cls(pairs, rows)
