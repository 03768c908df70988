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

from assistant.store import ChunkRecord, Snapshot
from assistant.store.records import chunk_id

_COLUMNS = 4  # group, index, start, end
# A derived index (dense, BM25) of a new version is made from the previous version's saved one (its rows of papers still
# live, then the new chunks read from the store by id) while at most this share of its chunks is new; else every chunk
# is read from the store.
CARRY_OVER_MAX_NEW = 0.5


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

    def carried_over(self, snapshot: Snapshot) -> tuple[np.ndarray, list[tuple[str, str, int]]]:
        """What a table of the snapshot's live chunks keeps of this one, and what it lacks: the positions (ascending) of
        the rows of papers the snapshot holds at the same index hash with all their chunks here, and the (paper id, index
        hash, chunk count) of the snapshot's other papers."""
        live = {(paper_id, paper.index_hash): paper.chunk_count for paper_id, paper in snapshot.papers.items()}
        rows_per_group = (np.bincount(np.asarray(self.rows[:, 0]), minlength=len(self.groups)) if len(self)
                          else np.zeros(len(self.groups), dtype=np.int64))
        whole = np.array([live.get(group) == int(rows) for group, rows in zip(self.groups, rows_per_group)], dtype=bool)
        kept = np.flatnonzero(whole[np.asarray(self.rows[:, 0])]) if len(self) else np.zeros(0, dtype=np.int64)
        held = {group for group, complete in zip(self.groups, whole) if complete}
        return kept, [(paper_id, hash_, count) for (paper_id, hash_), count in live.items() if (paper_id, hash_) not in held]

    def carry_over_plan(self, snapshot: Snapshot) -> tuple[np.ndarray, list[str]] | None:
        """carried_over's kept positions and the ids of the chunks to read from the store, or None when nothing would be
        kept or more than CARRY_OVER_MAX_NEW of the chunks are new (the whole read is then as cheap)."""
        kept, missing = self.carried_over(snapshot)
        ids = [chunk_id(paper_id, hash_, index) for paper_id, hash_, count in missing for index in range(count)]
        if not len(kept) or len(ids) > CARRY_OVER_MAX_NEW * (len(kept) + len(ids)):
            return None
        return kept, ids

    def taken(self, positions: np.ndarray, added: Sequence[ChunkRecord]) -> "ChunkTable":
        """The table of this one's rows at positions (in that order), then the added chunks."""
        rows = np.array(self.rows[positions], dtype=np.int32).reshape(-1, _COLUMNS)
        used = np.unique(rows[:, 0])
        renumber = np.full(len(self.groups), -1, dtype=np.int32)
        renumber[used] = np.arange(len(used), dtype=np.int32)
        rows[:, 0] = renumber[rows[:, 0]]
        numbers = {self.groups[group]: number for number, group in enumerate(used)}
        extra = [(numbers.setdefault((c.paper_id, c.index_hash), len(numbers)), c.index, c.start, c.end) for c in added]
        return ChunkTable(list(numbers), np.concatenate([rows, np.array(extra, dtype=np.int32).reshape(-1, _COLUMNS)]))

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
