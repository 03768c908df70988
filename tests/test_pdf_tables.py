"""Tables in PDFs: a table's rows are kept (each row's cells together, with its table's label and header), a figure's
axis ticks are not, and two text columns beside a table still read in order."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import ask, get_settings
from assistant.chunking import quotable_spans
from assistant.cli import main
from assistant.corpus import read_papers
from assistant.corpus.pdf import read_full_text
from one_paper_seeds import one_paper_seeds
from pdf_fixtures import (FIGURE_CAPTION, FIGURE_TICKS, FIGURE_X_TICKS, INTRODUCTION, METHOD, RIGHT_TEXT, TABLE_CAPTION,
                          TABLE_HEADER, TABLE_ROWS, _font, table_pdf)

HEADER = " ".join(TABLE_HEADER)
LABEL = "Table 2: Skill of each model in the held-out year"  # the caption's number and first sentence


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return table_pdf(tmp_path_factory.mktemp("tables") / "tables.pdf")


def _table_text(body: str) -> str:
    return next(paragraph for paragraph in body.split("\n\n") if paragraph.startswith(f"{LABEL} ({HEADER}): "))


def test_a_tables_rows_are_kept_with_its_label_and_header(tables: Path):
    """One sentence for the table: its caption's label and first sentence, its header, then each row's cells together."""
    body = read_full_text(tables).body
    table = _table_text(body)
    assert table == f"{LABEL} ({HEADER}): " + "; ".join(" ".join(cells) for cells in TABLE_ROWS)
    assert TABLE_CAPTION in body  # the caption stays a paragraph of its own


def test_a_figures_ticks_stay_out_and_two_columns_read_in_order(tables: Path):
    body = read_full_text(tables).body
    assert FIGURE_CAPTION in body
    for tick in [*FIGURE_TICKS, *FIGURE_X_TICKS[1:], "Epoch"]:
        assert f" {tick} " not in f" {body} ".replace("\n", " ").replace(FIGURE_CAPTION, ""), tick
    positions = []
    for paragraph in [*INTRODUCTION, *METHOD, *RIGHT_TEXT]:
        clean = unicodedata.normalize("NFKC", paragraph)
        assert clean in body, f"paragraph not found whole: {clean[:60]!r}"
        positions.append(body.index(clean))
    assert positions == sorted(positions)  # the left column, then the right one
    assert body.index(RIGHT_TEXT[0]) < body.index(TABLE_CAPTION) < body.index(FIGURE_CAPTION) < body.index(RIGHT_TEXT[1])
    # the table's rows share their baselines with the left column's lines: no line of the left column joined a row
    table = _table_text(body)
    assert not any(word in table for word in ("turbine", "solver", "network", "forecasting pipeline"))


def test_a_tables_row_is_quotable_as_it_stands(tables: Path):
    (paper,) = read_papers([tables]).papers
    quotable = [paper.text[s:e] for s, e in quotable_spans(paper.text, paper.sections)]
    assert any("Kalman filter 6 0.871 0.79 0.74" in sentence for sentence in quotable)


def test_a_grid_of_numbers_without_a_caption_is_a_table_and_a_plot_is_not(tmp_path: Path):
    """Three rows or more of three aligned cells or more make a table even with no caption found; a plot's ticks (one
    a baseline, or one row of them) do not."""
    from reportlab.pdfgen import canvas

    from pdf_fixtures import ABSTRACT, TITLE, _wrap

    path = tmp_path / "grid.pdf"
    drawing = canvas.Canvas(str(path))
    font = _font()
    drawing.setFont(font, 16)
    drawing.drawString(72, 780, TITLE)
    drawing.setFont(font, 10)
    y = 750
    for line in _wrap(ABSTRACT, 450, font, 10):
        drawing.drawString(72, y, line)
        y -= 13
    y -= 30
    for cells in [("Site", "depth", "speed", "power"), ("Pentland Firth", "38", "2.91", "1.84"),
                  ("Raz Blanchard", "41", "2.65", "1.52"), ("Bay of Fundy", "22", "3.40", "2.07")]:
        for x, cell in zip((72, 220, 300, 380), cells):
            drawing.drawString(x, y, cell)
        y -= 13
    y -= 40
    for tick in ("300", "200", "100"):  # a plot: y ticks, then one row of x ticks
        drawing.drawString(80, y, tick)
        y -= 20
    for i, tick in enumerate(("1990", "2000", "2010", "2020")):
        drawing.drawString(110 + 80 * i, y, tick)
    drawing.save()
    body = read_full_text(path).body
    assert "Table (Site depth speed power): Pentland Firth 38 2.91 1.84; Raz Blanchard 41 2.65 1.52; Bay of Fundy 22 3.40 2.07" in body
    assert "300" not in body and "2010" not in body


QUESTION = "What AUC did the Kalman filter model reach?"


def test_a_question_about_a_cell_is_answered_with_a_quote_holding_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ASSISTANT_SEEDS_DIR", str(one_paper_seeds(tmp_path)))
    get_settings.cache_clear()
    ingested = CliRunner().invoke(main, ["ingest", str(table_pdf(tmp_path / "tables.pdf")), "--collection", "lib"])
    assert ingested.exit_code == 0, ingested.output
    answer = ask(QUESTION, settings=get_settings().model_copy(update={"collection": "lib"}), llm=None)
    assert not answer.abstained and answer.citations
    citation = answer.citations[0]
    assert citation.title.startswith("Tidal Turbine") and "Kalman filter 6 0.871" in citation.quote
    assert (citation.page, citation.in_body) == (1, True)
