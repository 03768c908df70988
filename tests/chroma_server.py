"""A real `chroma run` server for the tests marked `server`: started on a free port, stopped by its pid."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from processes import end_process

CHROMA = Path(sys.executable).parent / "chroma"
HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class ChromaServer:
    """`chroma run --host 127.0.0.1 --port PORT --path PATH`; start() waits until its heartbeat answers."""

    def __init__(self, path: Path, port: int | None = None):
        self.path = Path(path)
        self.port = port or free_port()
        self.log = self.path.with_name(self.path.name + ".log")
        self._process: subprocess.Popen | None = None

    @property
    def heartbeat_url(self) -> str:
        return f"http://{HOST}:{self.port}/api/v2/heartbeat"

    def alive(self) -> bool:
        """True when the heartbeat endpoint answers."""
        try:
            with urllib.request.urlopen(self.heartbeat_url, timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def start(self, timeout: float = 60) -> "ChromaServer":
        """Start the server (same port and path on a restart) and wait for its heartbeat."""
        if not CHROMA.exists():
            raise RuntimeError(f"{CHROMA} not found: chromadb's `chroma` command is needed for the server tests")
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                [str(CHROMA), "run", "--host", HOST, "--port", str(self.port), "--path", str(self.path)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while not self.alive():
            if self._process.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self._process.returncode}; see {self.log}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"chroma run did not answer on port {self.port} within {timeout:g} s; see {self.log}")
            time.sleep(0.1)
        return self

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def pause(self) -> None:
        """Stop the server's process (SIGSTOP): connections are accepted by the kernel but never answered."""
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused server run again (SIGCONT)."""
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """End the server at once (SIGKILL), as a crash would."""
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        """End the server politely (SIGTERM), then by force if it lingers."""
        self._end(signal.SIGTERM)

    def _end(self, first: signal.Signals) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        end_process(process, first)
        deadline = time.monotonic() + 10
        while self.alive() and time.monotonic() < deadline:  # the port is free again before a restart
            time.sleep(0.1)

    def __enter__(self) -> "ChromaServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
