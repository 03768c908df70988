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


def test_the_terminal_shows_an_answers_text_as_written_and_each_papers_authors_year_and_what_is_held(tmp_path, monkeypatch):
    """The answer's Markdown escapes ("p \\> 0.05", "TopCoW \\[27\\]") are for the chat, not a terminal."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data_dir))
    papers = [Paper(paper_id="widgets", title="Widget Stress Tests", authors=["Ada Lovelace", "Alan Turing"], date="2024-05-01",
                    abstract="Red alert widgets survive stress tests (p > 0.05). They beat TopCoW [27] under load."),
              Paper(paper_id="gears", title="Gear Wear", abstract="Gears wear out. We measure how fast.",
                    body="Gears were run for a week. Wear was measured daily.", pages=[(0, 1), (40, 2)])]
    ingest_papers(papers, Settings(_env_file=None, data_dir=data_dir))

    asked = CliRunner().invoke(main, ["ask", "--offline", "Do red alert widgets survive stress tests?"])
    assert asked.exit_code == 0, asked.output
    assert "(p > 0.05)" in asked.output.split("References:")[0] and "\\>" not in asked.output
    assert asked.output.count("survive stress tests (p > 0.05)") == 1  # quoted in the answer: not again under References
    listed = CliRunner().invoke(main, ["papers"])
    assert "Ada Lovelace and Alan Turing (2024) · abstract only" in listed.output
    assert "authors not recorded · full text, 2 pages" in listed.output
