"""Reference-manager entries that link their PDFs (BibTeX and CSL-JSON `file`, RIS `L1`, as Zotero exports them): the
paper gets the PDF's full text with the entry's metadata; a missing linked PDF leaves the entry abstract-only, noted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.chunking import chunk_paper
from assistant.corpus import read_papers
from assistant.corpus.linked import bibtex_file_links, file_links
from assistant.errors import CorpusError
from assistant.models import Paper
from pdf_fixtures import ABSTRACT, FACT, paper_pdf

END = "ER  - "  # RIS ends an entry with this line (its trailing space included)
ENTRY_TITLE = "Tidal Turbine Arrays for Coastal Energy Forecasting: the Entry's Title"
ENTRY_ABSTRACT = ("The entry's own abstract, as the reference manager keeps it: tidal turbine arrays forecast with a "
                  "hydrodynamic model and a learned correction.")


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """A folder as Zotero's "Export Files" leaves it: the export beside files/<n>/<name>.pdf (one PDF absent)."""
    (tmp_path / "files" / "12").mkdir(parents=True)
    paper_pdf(tmp_path / "files" / "12" / "tidal turbines.pdf")
    return tmp_path


def test_a_bibtex_entry_linking_its_pdf_gets_the_full_text_with_the_entrys_metadata(export: Path):
    bib = export / "refs.bib"
    bib.write_text(f"""
@article{{chen_tidal_2024,
  title = {{{ENTRY_TITLE}}},
  author = {{Chen, Wei and Okafor, Ada}},
  year = {{2024}},
  doi = {{10.1234/entry.2024}},
  abstract = {{{ENTRY_ABSTRACT}}},
  file = {{Full Text PDF:files/12/tidal turbines.pdf:application/pdf;Snapshot:files/12/page.html:text/html}}
}}
@article{{lost_2023,
  title = {{Wave Energy Converters in Storms}},
  abstract = {{Wave energy converters survive storms when their power take-off is detuned.}},
  file = {{Full Text PDF:files/13/waves.pdf:application/pdf}}
}}
@article{{nothing_2022,
  title = {{A Paper Known Only by Its Title}},
  file = {{files/14/gone.pdf}}
}}
""")
    read = read_papers([export])  # the folder: its PDF is read once, as the entry's full text, not as a paper of its own
    papers = {paper.paper_id: paper for paper in read.papers}
    assert list(papers) == ["chen_tidal_2024", "lost_2023"]
    tidal = papers["chen_tidal_2024"]
    assert (tidal.title, tidal.doi, tidal.date, tidal.authors) == (ENTRY_TITLE, "10.1234/entry.2024", "2024", ["Wei Chen", "Ada Okafor"])
    assert tidal.abstract == ENTRY_ABSTRACT and FACT in tidal.body and tidal.pdf and tidal.pdf.endswith("tidal turbines.pdf")
    assert tidal.source == f"{bib}:2" and "file = {Full Text PDF:files/12/" in (tidal.bibtex or "")
    _pages_point_into_the_text(tidal)
    assert read.pages == 3  # pages 1, 2 and 4 (page 3 is an image)

    lost = papers["lost_2023"]
    assert lost.body == "" and lost.pages == [] and lost.pdf is None  # abstract only, as before
    missing = export / "files" / "13" / "waves.pdf"
    assert f"{bib}:10: the linked PDF {missing} is missing; the entry's abstract is used." in read.notes
    gone = export / "files" / "14" / "gone.pdf"
    assert f"{bib}:15: the linked PDF {gone} is missing; the entry has no abstract and is skipped." in read.notes
    assert "nothing_2022" in read.skipped[0]


def _pages_point_into_the_text(paper: Paper) -> None:
    """The PDF's page and section marks, moved past the entry's abstract, still point at the PDF's text."""
    chunks = chunk_paper(paper, max_tokens=60, overlap_tokens=10)
    assert chunks[0].page == 1 and ENTRY_ABSTRACT[:40] in chunks[0].text
    fact = next(c for c in chunks if "4.2 percent" in c.text)
    assert (fact.page, fact.section) == (2, "3 Results")
    assert all(paper.text[offset:].startswith(heading) for offset, heading in paper.sections[1:])
    assert ABSTRACT not in paper.text  # the PDF's abstract gives way to the entry's


def test_a_ris_entry_linking_its_pdf_and_one_whose_pdf_is_missing(export: Path):
    absent = export / "elsewhere" / "waves.pdf"
    ris = export / "refs.ris"
    ris.write_text(f"""TY  - JOUR
TI  - {ENTRY_TITLE}
AU  - Chen, Wei
PY  - 2024
DO  - 10.1234/entry.2024
AB  - {ENTRY_ABSTRACT}
L1  - files/12/tidal turbines.pdf
{END}

TY  - JOUR
TI  - Wave Energy Converters in Storms
AB  - Wave energy converters survive storms when their power take-off is detuned.
L1  - file://{str(absent).replace(" ", "%20")}
{END}
""")
    read = read_papers([ris])
    tidal, lost = read.papers
    assert (tidal.paper_id, tidal.title, tidal.doi) == ("10.1234/entry.2024", ENTRY_TITLE, "10.1234/entry.2024")
    _pages_point_into_the_text(tidal)
    assert lost.pdf is None and lost.abstract.startswith("Wave energy converters")
    assert f"{ris}:10: the linked PDF {absent} is missing; the entry's abstract is used." in read.notes


def test_an_entry_without_an_abstract_takes_the_pdfs(export: Path):
    csl = export / "refs.json"
    csl.write_text(json.dumps([{"id": "chen2024", "type": "article-journal", "title": ENTRY_TITLE, "DOI": "10.1234/entry.2024",
                                "author": [{"family": "Chen", "given": "Wei"}], "issued": {"date-parts": [[2024, 5]]},
                                "file": "files/12/tidal turbines.pdf"}]))
    (tidal,) = read_papers([csl]).papers
    assert (tidal.title, tidal.doi, tidal.date, tidal.authors) == (ENTRY_TITLE, "10.1234/entry.2024", "2024-05", ["Wei Chen"])
    assert tidal.abstract == ABSTRACT and FACT in tidal.body
    fact = next(c for c in chunk_paper(tidal, max_tokens=60, overlap_tokens=10) if "4.2 percent" in c.text)
    assert (fact.page, fact.section) == (2, "3 Results")


def test_an_unreadable_linked_pdf_is_named_and_the_entry_kept(export: Path):
    (export / "files" / "12" / "broken.pdf").write_bytes(b"%PDF-1.4 this is not a PDF")
    bib = export / "refs.bib"
    bib.write_text("@article{k, title={Broken}, abstract={An abstract that stays.}, file={:files/12/broken.pdf:PDF}}\n")
    read = read_papers([bib])
    (paper,) = read.papers
    assert paper.abstract == "An abstract that stays." and paper.pdf is None
    assert any(note.startswith(f"{bib}:1: the linked PDF could not be read ({export / 'files' / '12' / 'broken.pdf'}")
               and note.endswith("the entry's abstract is used.") for note in read.notes)


def test_a_library_of_entries_with_neither_abstract_nor_readable_pdf_is_an_error(tmp_path: Path):
    bib = tmp_path / "refs.bib"
    bib.write_text("@article{k, title={T}, file={files/1/a.pdf}}\n")
    with pytest.raises(CorpusError, match="none of its 1 entries has an abstract or a readable linked PDF"):
        read_papers([bib])


def test_file_fields_as_reference_managers_write_them():
    assert bibtex_file_links("Full Text PDF:files/12/name.pdf:application/pdf") == ["files/12/name.pdf"]
    assert bibtex_file_links("a.pdf;sub/b.pdf") == ["a.pdf", "sub/b.pdf"]
    assert bibtex_file_links(":/home/me/papers/x.pdf:PDF") == ["/home/me/papers/x.pdf"]  # JabRef
    assert bibtex_file_links(r"Full Text:C\:\\Users\\me\\x.pdf:application/pdf") == ["C:\\Users\\me\\x.pdf"]  # Zotero on Windows
    assert bibtex_file_links(None) == [] and bibtex_file_links("") == []
    assert file_links(["files/1/a.pdf", "file:///tmp/b.pdf"]) == ["files/1/a.pdf", "file:///tmp/b.pdf"]
    assert file_links("a.pdf; b.pdf") == ["a.pdf", "b.pdf"] and file_links(None) == []


def test_ingested_through_its_entry_the_pdf_is_answered_with_its_page(export: Path, monkeypatch: pytest.MonkeyPatch):
    from click.testing import CliRunner

    from assistant import get_settings
    from assistant.cli import main
    from one_paper_seeds import one_paper_seeds

    monkeypatch.setenv("ASSISTANT_SEEDS_DIR", str(one_paper_seeds(export)))
    get_settings.cache_clear()
    (export / "refs.bib").write_text(f"@article{{chen_tidal_2024, title={{{ENTRY_TITLE}}}, doi={{10.1234/entry.2024}},\n"
                                     f"  abstract={{{ENTRY_ABSTRACT}}}, file={{Full Text PDF:files/12/tidal turbines.pdf:application/pdf}}}}\n")
    ingested = CliRunner().invoke(main, ["ingest", str(export / "refs.bib"), "--collection", "lib"])
    assert ingested.exit_code == 0, ingested.output
    asked = CliRunner().invoke(main, ["ask", "What mean absolute error did the corrected forecasts reach at Pentland Firth?",
                                      "--collection", "lib"])
    assert asked.exit_code == 0, asked.output
    assert f"[1] {ENTRY_TITLE} (p. 2, 3 Results)" in asked.output and FACT in asked.output
    again = CliRunner().invoke(main, ["ingest", str(export / "refs.bib"), "--collection", "lib"])
    assert "0 added, 0 updated, 1 unchanged" in again.output, again.output


def test_an_uploaded_library_does_not_make_the_server_read_the_files_it_links(export: Path):
    from assistant.config import Settings
    from assistant.service import Assistant
    from assistant.uploads import Upload, ingest_uploads

    pdf = export / "files" / "12" / "tidal turbines.pdf"  # a file on the server, named by absolute path in the upload
    bib = (f"@article{{chen_tidal_2024, title={{{ENTRY_TITLE}}}, abstract={{{ENTRY_ABSTRACT}}}, file={{:{pdf}:PDF}}}}\n"
           f"@article{{only_pdf, title={{Known by Its PDF Alone}}, file={{:{pdf}:PDF}}}}\n")
    settings = Settings(_env_file=None, data_dir=export / "data", collection="uploaded", seed_when_empty=False)
    report = ingest_uploads([Upload("refs.bib", bib.encode())], settings)
    (paper,) = Assistant(settings, offline=True).papers()
    assert paper.paper_id == "chen_tidal_2024" and paper.pdf is None and FACT not in paper.abstract
    assert "refs.bib: 2 entries link a PDF, not read from an upload; upload the PDF itself, or ingest the library with " \
           "`assistant ingest`." in report.notes
