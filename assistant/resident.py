"""Resident memory of the memory-mapped derived files, kept from growing with the questions a process answers.

A page that a question reads from a memory-mapped file (a row of the dense matrix, a sentence's vector, a word's BM25
postings, a paper's abstract in the catalog) stays mapped into the process afterwards, with its neighbours (the kernel
maps up to 64 KB around each fault). So a long-running process (the chat, the MCP server) would grow by every page any
question ever read, up to the size of the files: past 4 GB after 400 questions at a million chunks (docs/BENCH.md,
"Resident memory at 1M chunks").

The files read at random places are registered here as they are loaded (read_at_random), and before each retrieval,
once the process's resident memory is over BUDGET_MB (within_budget), release() hands the process's mapping of their
pages back to the kernel (madvise MADV_DONTNEED). The pages stay in the OS page cache: reading them again costs a page
fault, not a disk read. Files scanned whole by every question (the int8 copy of the dense matrix) are not registered:
they would only be mapped again. Releasing before every question cost ~10 ms of a 1M-chunk retrieval (its pages mapped
again each time); over a budget, once every few dozen questions there.
"""

from __future__ import annotations

import mmap
import os
import threading
import weakref
from typing import TypeVar

import numpy as np

# Resident memory (MB) past which a question first hands back the pages the earlier ones read. A process over a small
# collection stays under it and never pays for a release; at a million chunks the process starts at ~1.1 GB.
BUDGET_MB = 2048

_Mapped = TypeVar("_Mapped", np.ndarray, mmap.mmap, bytes)
_registered: weakref.WeakSet[mmap.mmap] = weakref.WeakSet()
_lock = threading.Lock()


def read_at_random(mapped: _Mapped) -> _Mapped:
    """Register a memory-mapped array (np.load with mmap_mode) or mmap for release(); anything else is left alone.
    Returns its argument, to wrap a load."""
    base: object = mapped
    while isinstance(base, np.ndarray):
        base = base.base
    if isinstance(base, mmap.mmap):
        with _lock:
            _registered.add(base)
    return mapped


def release() -> None:
    """Unmap the pages of the registered files from this process (they stay cached by the OS). Safe while another thread
    reads them: the mappings are read-only views of files, so a page read again is mapped again, unchanged."""
    advice = getattr(mmap, "MADV_DONTNEED", None)
    if advice is None:  # not a platform with madvise: nothing to hand back
        return
    with _lock:
        mappings = list(_registered)
    for mapping in mappings:
        try:
            mapping.madvise(advice)
        except (ValueError, OSError):  # closed since (its index was replaced by a newer version)
            pass


def within_budget() -> bool:
    """Release the registered files' pages when this process's resident memory is over BUDGET_MB; True when it was
    within it. Where the resident size cannot be read (no /proc), release every time."""
    resident = _resident_bytes()
    if resident is not None and resident <= BUDGET_MB * 2**20:
        return True
    release()
    return False


def _resident_bytes() -> int | None:
    """This process's resident set size, from /proc/self/statm (None where there is none)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None
