"""Full-text answers: a PDF's chunks keep their page and section, its citations say the page, abstract-only papers
are cited as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import ask, get_settings
from assistant.chunking import chunk_paper
from assistant.cli import main
from assistant.corpus import read_papers
from assistant.store import PaperStore
from one_paper_seeds import one_paper_seeds
from pdf_fixtures import ABSTRACT, FACT, SETUP, page_opening_pdf, paper_pdf

DATA = Path(__file__).resolve().parent / "data"
QUESTION = "What mean absolute error did the corrected forecasts reach at Pentland Firth?"


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ASSISTANT_SEEDS_DIR", str(one_paper_seeds(tmp_path)))
    get_settings.cache_clear()
    folder = tmp_path / "library"
    folder.mkdir()
    paper_pdf(folder / "tidal.pdf")
    (folder / "library.bib").write_text((DATA / "library.bib").read_text())
    (folder / "notes.html").write_text("<p>not a paper</p>")
    return folder


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_chunks_keep_their_page_and_section(tmp_path: Path):
    (paper,) = read_papers([paper_pdf(tmp_path / "tidal.pdf")]).papers
    chunks = chunk_paper(paper, max_tokens=60, overlap_tokens=10)
    assert chunks[0].page == 1 and chunks[0].section == "Abstract"
    fact = next(c for c in chunks if "4.2 percent" in c.text)
    assert (fact.page, fact.section) == (2, "3 Results")
    assert [c.page for c in chunks] == sorted(c.page for c in chunks)  # pages in order (page 4's few lines join a page-2 chunk)


def test_cli_answers_from_the_body_with_the_page(library: Path):
    ingested = run("ingest", str(library), "--collection", "lib")
    assert ingested.exit_code == 0, ingested.output
    assert "1 file of other types skipped (notes.html)" in ingested.output
    asked = run("ask", QUESTION, "--collection", "lib")
    assert asked.exit_code == 0, asked.output
    assert "[1] Tidal Turbine Arrays for Coastal Energy Forecasting (p. 2, 3 Results)" in asked.output
    assert FACT in asked.output
    assert "From the body of the paper, not its abstract: [1] p. 2, 3 Results." in asked.output

    as_json = json.loads(run("ask", QUESTION, "--collection", "lib", "--json").output)
    citation = as_json["citations"][0]
    assert (citation["page"], citation["section"], citation["in_body"]) == (2, "3 Results", True)
    assert FACT in citation["quote"]


def test_the_store_keeps_pages_and_abstract_only_papers_stay_as_they_were(library: Path):
    assert run("ingest", str(library), "--collection", "lib").exit_code == 0
    settings = get_settings().model_copy(update={"collection": "lib"})
    snapshot = PaperStore(settings).snapshot()
    tidal = next(p for p in snapshot.papers.values() if p.title.startswith("Tidal Turbine"))
    paper = tidal.to_paper()
    assert paper.abstract == ABSTRACT and FACT in paper.body and [page for _, page in paper.pages] == [1, 2, 4]
    assert paper.pdf and paper.pdf.endswith("tidal.pdf")
    again = run("ingest", str(library), "--collection", "lib")
    assert "0 added, 0 updated, 4 unchanged" in again.output  # the PDF read again costs nothing

    answer = ask("How do they detect queenless honeybee colonies?", settings=settings, llm=None)
    assert answer.citations and answer.citations[0].title.startswith("Acoustic Monitoring")
    for citation in answer.citations:
        if not citation.title.startswith("Tidal"):
            assert (citation.page, citation.section, citation.in_body) == (None, None, False)


def test_an_uploaded_pdf_is_kept_for_its_pages_and_uploading_it_again_costs_nothing(tmp_path: Path):
    from assistant.config import Settings
    from assistant.service import Assistant
    from assistant.uploads import Upload, ingest_uploads

    settings = Settings(_env_file=None, data_dir=tmp_path / "data", collection="uploaded", seed_when_empty=False)
    data = paper_pdf(tmp_path / "tidal.pdf").read_bytes()
    first = ingest_uploads([Upload("tidal.pdf", data)], settings)
    assert len(first.added) == 1
    (paper,) = Assistant(settings, offline=True).papers()
    assert paper.source == "tidal.pdf" and paper.pdf and Path(paper.pdf).read_bytes() == data
    assert Path(paper.pdf).parent == (tmp_path / "data" / "pdfs").resolve()
    again = ingest_uploads([Upload("tidal.pdf", data)], settings)
    assert again.unchanged == [paper.paper_id] and again.chunks_written == 0


def test_section_headings_are_not_quoted(tmp_path: Path):
    from assistant.chunking import quotable_spans, sentence_spans

    (paper,) = read_papers([paper_pdf(tmp_path / "tidal.pdf")]).papers
    quotable = {paper.text[s:e] for s, e in quotable_spans(paper.text, paper.sections)}
    every = {paper.text[s:e] for s, e in sentence_spans(paper.text)}
    assert "3 Results" in every and "3 Results" not in quotable and "2 Method" not in quotable
    assert every - quotable == {"1 Introduction", "2 Method", "3 Results", "4 Conclusion"}


def test_a_quote_starts_on_the_page_of_its_fact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # The fact opens page 2; the sentence closing page 1 sets it up and would join a two-sentence quote, making it p. 1.
    monkeypatch.setenv("ASSISTANT_SEEDS_DIR", str(one_paper_seeds(tmp_path)))
    get_settings.cache_clear()
    assert run("ingest", str(page_opening_pdf(tmp_path / "tidal.pdf")), "--collection", "lib").exit_code == 0
    answer = ask(QUESTION, settings=get_settings().model_copy(update={"collection": "lib"}), llm=None)
    citation = answer.citations[0]
    assert citation.title.startswith("Tidal Turbine") and citation.quote.startswith(FACT)
    assert SETUP not in citation.quote
    assert (citation.page, citation.section, citation.in_body) == (2, "2 Results", True)


@pytest.mark.parametrize("read", [True, False])
def test_a_second_sentence_joins_a_quote_only_from_the_best_ones_page(read: bool):
    import numpy as np

    from assistant.evidence import Reading, Sentence
    from assistant.answering.extractive import _quote, _Scored

    text = "Setup closes page one. The fact opens page two. A remark follows it."
    starts = [0, 23, 48]
    sentences = [Sentence("p", text[a:b].strip(), a, b - 1 if b < len(text) else b, np.zeros(2))
                 for a, b in zip(starts, [*starts[1:], len(text)])]
    order = [1, 0, 2]  # the fact best, the setup before it next, the remark last
    scored = [_Scored(sentences[i], 3.0 - rank, 3.0 - rank, 3.0 - rank) for rank, i in enumerate(order)]
    reading = Reading({"p": {sentences[i].start: 3.0 - rank for rank, i in enumerate(order)}}) if read else None

    def quoted(pages: list[tuple[int, int]]) -> list[str]:
        return [s.text for s in _quote(scored, 2, reading, pages)]

    assert quoted([]) == ["Setup closes page one.", "The fact opens page two."]  # a paper without pages: as before
    assert quoted([(0, 1), (23, 2)]) == ["The fact opens page two.", "A remark follows it."]
    assert quoted([(0, 1), (23, 2), (48, 3)]) == ["The fact opens page two."]


def test_a_quote_of_the_body_is_never_placed_under_the_abstracts_heading():
    from assistant.models import Citation, Hit
    from assistant.pages import locate

    text = "We study vessels. " + "x" * 80 + "\n\nThe scans were acquired on a Canon scanner. 2 Methods We train a U-Net."
    body_start = text.index("The scans")
    hit = Hit(paper_id="p", title="T", score=1.0, abstract=text, body_start=body_start, pages=[(0, 1), (body_start, 2)],
              sections=[(0, "Abstract"), (text.index("2 Methods"), "2 Methods")])

    def cited(quote: str) -> Citation:
        start = text.index(quote)
        citation = Citation(number=1, paper_id="p", title="T", quote=quote, spans=[(start, start + len(quote))])
        locate(citation, hit)
        return citation

    before_any_heading = cited("The scans were acquired on a Canon scanner.")
    assert before_any_heading.in_body and before_any_heading.page == 2 and before_any_heading.section is None
    assert cited("We train a U-Net.").section == "2 Methods"
    assert cited("We study vessels.").section == "Abstract" and not cited("We study vessels.").in_body


def test_in_a_collection_of_one_paper_every_question_is_asked_of_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Seen in the browser: with one uploaded PDF in its collection, "How many participants were included?" was declined
    (confidence 0.10) and "What data did the study use?" asked which paper was meant."""
    from assistant.config import Settings

    monkeypatch.setenv("ASSISTANT_SEEDS_DIR", str(one_paper_seeds(tmp_path)))
    get_settings.cache_clear()
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    pointed = ask("What do they compare?", settings=settings, llm=None)
    assert not pointed.abstained and pointed.standalone_question is None  # asked of the one paper as it stands
    assert "three simulants" in pointed.citations[0].quote
    generic = ask("What did the tests find?", settings=settings, llm=None)
    assert not generic.abstained and "within 5%" in generic.citations[0].quote
    # What the paper lacks is still no answer.
    assert ask("What is the capital of France?", settings=settings, llm=None).abstained
    # The chat's welcome examples for a collection of one paper are each answered.
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ui"))
    from render import ONE_PAPER_EXAMPLES

    for example in ONE_PAPER_EXAMPLES:
        answer = ask(example, settings=settings, llm=None)
        assert not answer.abstained and answer.citations, example
