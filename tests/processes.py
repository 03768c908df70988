"""Ending a child process the tests (and bench/soak.py) started: politely, then by force if it lingers."""

from __future__ import annotations

import signal
import subprocess


def end_process(process: subprocess.Popen, first: signal.Signals = signal.SIGTERM, timeout: float = 10) -> None:
    """Send `first` (SIGCONT before it: a paused process cannot act on SIGTERM), wait, then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGCONT)
    process.send_signal(first)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)
