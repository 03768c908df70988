"""Paper data reaches the terminal without escape sequences or control characters."""

from __future__ import annotations

from click.testing import CliRunner

from assistant.cli import main, terminal_safe
from assistant.config import Settings
from assistant.indexing import ingest_papers
from assistant.models import Paper

HOSTILE_TITLE = "\x1b[2J\x1b]0;pwned\x07Red \x1b[31mAlert\x1b[0m widgets\r\u202egnp.exe\x08\x9b2J"


def test_escape_sequences_and_controls_are_removed():
    assert terminal_safe(HOSTILE_TITLE) == "Red Alert widgets gnp.exe "
    assert terminal_safe("line one\nline two\x1b[1m", keep_newlines=True) == "line one\nline two"
    assert terminal_safe("plain title: 100% (ok) – ünïcode") == "plain title: 100% (ok) – ünïcode"


def test_papers_and_ask_print_hostile_titles_safely(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data_dir))
    paper = Paper(paper_id="widgets\x1b[5m", title=HOSTILE_TITLE, urls=["https://x.org/\x1b[8mhidden"],
                  abstract="Red alert widgets survive stress tests. They are robust under load.")
    ingest_papers([paper], Settings(_env_file=None, data_dir=data_dir))

    for args in (["papers"], ["ask", "--offline", "Are red alert widgets robust?"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert "Red Alert widgets" in result.output
        assert not any(ch in result.output for ch in "\x1b\x07\x08\r\x9b\u202e"), repr(result.output)
