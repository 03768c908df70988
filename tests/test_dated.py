"""Questions on when the papers were written, answered from their records' dates."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answering.dated import DateAsked, date_asked, dated_draft
from assistant.models import Hit

DATA = Path(__file__).resolve().parent / "data"


@pytest.mark.parametrize("question, asked", [
    ("Which is the most recent paper?", DateAsked("newest")), ("What's the latest paper in my library?", DateAsked("newest")),
    ("Which paper is the oldest?", DateAsked("oldest")), ("Which paper was published first?", DateAsked("oldest")),
    ("What papers were published in 2022?", DateAsked("year", "2022")), ("Which of these is the newest?", DateAsked("newest")),
    ("Which is the most recent paper on tidal energy?", None),  # a topic of its own: the other answers decide
    ("What is this paper?", None), ("How many papers are there?", None)])
def test_a_question_on_the_papers_dates_is_told_apart(question, asked):
    assert date_asked(question) == asked


def _paper(paper_id: str, date: str | None) -> Hit:
    return Hit(paper_id=paper_id, title=f"Paper {paper_id}", score=0.0, abstract="x", date=date)


def test_the_papers_are_named_by_their_record_dates_and_the_undated_are_said_to_be_left_out():
    papers = [_paper("a", "2021"), _paper("b", "2023-05-02"), _paper("c", None), _paper("d", "2022")]
    newest = dated_draft(papers, DateAsked("newest"), {})
    assert newest.text.startswith("The most recent paper in the collection is *Paper b* (2023-05-02) [1].")
    assert [c.paper_id for c in newest.citations] == ["b", "d", "a"]
    assert "Left out: 1 paper whose record gives no date." in newest.text
    assert [c.paper_id for c in dated_draft(papers, DateAsked("oldest"), {}).citations] == ["a", "d", "b"]
    of_2022 = dated_draft(papers, DateAsked("year", "2022"), {})
    assert of_2022.text.startswith("1 paper in the collection is from 2022:") and [c.paper_id for c in of_2022.citations] == ["d"]
    none = dated_draft(papers, DateAsked("year", "2019"), {})
    assert none.abstained and "No paper in the collection is from 2019: its dated papers are from 2021–2023." in none.text
    undated = dated_draft([_paper("c", None)], DateAsked("newest"), {})
    assert undated.abstained and "give no date" in undated.text


def test_which_is_the_most_recent_paper_is_answered_from_a_bibtex_library(tmp_path: Path):
    """Asked of a BibTeX library with years, "Which is the most recent paper?" was declined (confidence 0.13)."""
    from assistant import ask
    from assistant.config import Settings
    from assistant.indexing import ingest_paths

    settings = Settings(_env_file=None, data_dir=tmp_path / "data", collection="bib", seed_when_empty=False)
    ingest_paths([DATA / "library.bib"], settings)
    answer = ask("Which is the most recent paper?", settings=settings, llm=None)
    assert not answer.abstained and answer.citations
    assert answer.citations[0].title == "Acoustic Monitoring of Honeybee Colonies with Self-Supervised Audio Models"
    assert "(2023)" in answer.text and answer.citations[0].quote  # cited with a sentence of its abstract
