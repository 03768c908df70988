"""`assistant ingest` in the CLI: the file size limit (shared with uploads), and progress lines where there is no terminal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import assistant.cli
from assistant.cli import ProgressLines, main
from assistant.config import Settings, get_settings
from assistant.errors import CorpusError
from assistant.uploads import Upload, ingest_uploads


def papers_file(path: Path, padding_mb: float = 0) -> Path:
    """A JSON Lines file of two papers, padded with blank lines (which the reader skips) to the size wanted."""
    one = {"title": f"Widgets of {path.stem} plan with trees", "abstract": "Widgets plan with Monte Carlo tree search. They are robust."}
    two = {"title": f"Gadgets of {path.stem} search graphs", "abstract": "Gadgets search graphs breadth first. They are fast."}
    path.write_text(json.dumps(one) + "\n" + "\n" * int(padding_mb * 1024 * 1024) + json.dumps(two) + "\n")
    return path


def test_a_file_over_the_limit_is_refused_before_anything_is_written(tmp_path, monkeypatch):
    big, small = papers_file(tmp_path / "big.jsonl", padding_mb=1.5), papers_file(tmp_path / "small.jsonl")
    monkeypatch.setenv("ASSISTANT_MAX_FILE_MB", "1")

    result = CliRunner().invoke(main, ["ingest", str(small), str(big)])

    assert result.exit_code == 1, result.output
    assert f"{big} is 1.5 MB, more than the 1 MB a paper file may have" in result.output
    assert "ASSISTANT_MAX_FILE_MB=2" in result.output and str(small) not in result.output
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").iterdir())  # nothing was written

    monkeypatch.setenv("ASSISTANT_MAX_FILE_MB", "2")  # raised as the message says: read
    get_settings.cache_clear()
    assert CliRunner().invoke(main, ["ingest", str(big), "--collection", "big"]).exit_code == 0


def test_uploads_share_the_limit(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", collection="uploaded", seed_when_empty=False, max_file_mb=1)
    data = papers_file(tmp_path / "big.jsonl", padding_mb=1.2).read_bytes()
    with pytest.raises(CorpusError, match=r"big\.jsonl: 1\.2 MB is more than the 1 MB .*ASSISTANT_MAX_FILE_MB"):
        ingest_uploads([Upload("big.jsonl", data)], settings)


def test_without_a_terminal_progress_is_a_line_at_a_time(tmp_path, monkeypatch):
    monkeypatch.setattr(assistant.cli, "PROGRESS_EVERY", 0.0, raising=False)  # a line at every step, instead of every 10 s

    result = CliRunner().invoke(main, ["ingest", str(papers_file(tmp_path / "two.jsonl")), "--collection", "two"])

    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert any(line.startswith("Embedding: 0 of ") for line in lines), lines
    assert any(line.startswith("Embedded ") and "writing the index" in line for line in lines), lines
    assert "\r" not in result.stderr and "it/s" not in result.stderr and "chunk/s" not in result.stderr  # no bar


def test_progress_lines_come_every_n_seconds_and_say_what_is_happening():
    now = [100.0]
    written: list[str] = []
    lines = ProgressLines(written.append, every=10, clock=lambda: now[0])
    for at in (5, 11, 21):  # reading the files, loading the model: quiet, so that a failure there is one error line
        now[0] = 100 + at
        lines.tick()
    lines.plan(1000)
    for at, count in ((22, 100), (29, 100), (35, 300), (39, 500)):
        now[0] = 100 + at
        lines.advance(count)
    now[0] = 150
    lines.tick()
    assert written == ["Embedding: 0 of 1,000 chunks (0%), 21 s", "Embedding: 500 of 1,000 chunks (50%), 35 s",
                       "Embedded 1,000 chunks; writing the index... (50 s)"]


def test_the_ingest_report_gives_each_note_a_line_of_its_own():
    """A few PDFs' notes (pages without text, references left out) ran on one line of some 1,500 characters."""
    library = Path(__file__).resolve().parent / "data" / "library.bib"  # one entry without an abstract: a note

    result = CliRunner().invoke(main, ["ingest", str(library), "--collection", "notes"])

    assert result.exit_code == 0, result.output
    first, *notes = [line for line in result.stdout.splitlines() if line.strip()]
    assert first.startswith("Ingested ") and "3 added" in first and first.endswith(")")  # the counts and timings only
    assert notes and all(line.startswith("  - ") for line in notes), notes
    assert any("1 entry without an abstract skipped (nakamura_notes_2020)" in line for line in notes), notes
