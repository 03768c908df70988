"""The newcomer's path through the Makefile and the setup scripts: what `make run` says, its port, skipping apt."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAKE = shutil.which("make")
needs_make = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def dry_run(*arguments: str) -> str:
    """What `make` would run (make -n prints the commands, runs nothing)."""
    assert MAKE is not None
    return subprocess.run([MAKE, "-n", "-C", str(ROOT), *arguments], capture_output=True, text=True, check=True).stdout


@needs_make
def test_make_run_serves_on_the_port_given_and_says_the_address_to_open() -> None:
    commands = dry_run("run", "PORT=8765")
    assert "--server.port 8765" in commands
    assert "http://localhost:8765" in commands and "open that address in your browser" in commands
    assert "--server.port 8501" in dry_run("run")


@needs_make
def test_the_first_setup_says_what_it_does_and_that_it_happens_once_and_shows_pip_progress() -> None:
    commands = dry_run("-W", "pyproject.toml", "setup")  # as if pyproject.toml had changed: the install steps
    assert "This happens once" in commands
    assert "[1/4]" in commands and "[4/4]" in commands
    main_install = next(line for line in commands.splitlines() if "pip install" in line and ".[dev]" in line)
    assert " -q " not in main_install  # pip's own progress is shown


def test_no_apt_skips_installing_with_apt(tmp_path: Path) -> None:
    """With nothing on PATH the tools are missing; NO_APT=1 says so and never reaches apt-get."""
    bash = shutil.which("bash") or "/bin/bash"
    done = subprocess.run([bash, str(ROOT / ".ci" / "ensure-tools")], capture_output=True, text=True,
                          env={"PATH": str(tmp_path), "NO_APT": "1"})
    assert done.returncode == 0
    assert "NO_APT is set, so apt is not used" in done.stderr and "will be skipped" in done.stderr
