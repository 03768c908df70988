"""PDF ingest: clean text in reading order, pages and sections, metadata, and every failure reported by name."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from assistant.corpus import read_papers
from assistant.corpus import pdf as pdf_module
from assistant.corpus.pdf import PdfError, read_full_text
from assistant.errors import CorpusError
from pdf_fixtures import (ABSTRACT, FACT, HEADER, INTRODUCTION, METHOD, REFERENCES, RESULTS, TITLE, _font, _wrap,
                                damaged_pdf, first_page_pdf, image_only_pdf, paper_pdf)


@pytest.fixture(scope="module")
def paper(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return paper_pdf(tmp_path_factory.mktemp("pdf") / "tidal.pdf")


def test_the_fixture_exercises_what_the_reader_must_undo():
    """Guards the fixture itself: its columns break lines with hyphens, and its text holds ligature glyphs."""
    lines = [line for text in INTRODUCTION + METHOD + RESULTS for line in _wrap(text, 224, _font(), 10)]
    assert sum(line.endswith("-") for line in lines) >= 3
    assert any(ch in "".join(METHOD) for ch in "\ufb01\ufb03")


def test_paragraphs_come_whole_in_reading_order(paper: Path):
    text = read_full_text(paper)
    body = text.body
    positions = []
    for paragraph in INTRODUCTION + METHOD + RESULTS:
        clean = unicodedata.normalize("NFKC", paragraph)  # ligatures unfolded: "ﬁne" -> "fine"
        assert clean in body, f"paragraph not found whole: {clean[:60]!r}"
        positions.append(body.index(clean))
    assert positions[len(INTRODUCTION) :] == sorted(positions[len(INTRODUCTION) :])  # method before results
    assert "efficient two-layer network" in body and "fine mesh" in body
    assert "ope-" not in body and "\ufb01" not in body and "\u00ad" not in body


def test_running_header_footer_and_page_numbers_are_dropped(paper: Path):
    text = read_full_text(paper)
    assert HEADER not in text.body and HEADER not in text.abstract
    assert not any(line.strip().isdigit() for line in text.body.split("\n"))


def test_references_are_left_out_with_a_note(paper: Path):
    text = read_full_text(paper)
    assert not any(reference[4:30] in text.body for reference in REFERENCES)
    assert "Keeping the physical model in the loop" in text.body  # the conclusion before them is kept
    assert any("references section (3 paragraphs) is left out" in note for note in text.notes)


def test_pages_and_sections_point_into_the_text(paper: Path):
    text = read_full_text(paper)
    whole = f"{text.abstract}\n\n{text.body}"
    assert text.abstract == ABSTRACT
    assert [page for _, page in text.pages] == [1, 2, 4]  # page 3 is an image
    fact_at = whole.index(FACT)
    page_of_fact = [page for offset, page in text.pages if offset <= fact_at][-1]
    assert page_of_fact == 2
    assert [heading for _, heading in text.sections] == ["Abstract", "1 Introduction", "2 Method", "3 Results", "4 Conclusion"]
    for offset, heading in text.sections[1:]:
        assert whole[offset : offset + len(heading)] == heading


def test_metadata_from_the_document_and_first_page(paper: Path):
    text = read_full_text(paper)
    assert text.title == TITLE
    assert text.authors == ["Ada Lovelace", "Alan Turing"]
    assert text.doi == "10.5555/tidal.2024.17"
    assert text.date and text.date.isdigit()


def test_without_an_author_entry_the_authors_come_from_the_byline_under_the_title(tmp_path: Path):
    """Most real PDFs leave the Author entry empty; page 1 prints the authors under the title."""
    path = paper_pdf(tmp_path / "no-author-entry.pdf", image_page=False, author_entry=False)
    assert read_full_text(path).authors == ["Ada Lovelace", "Alan Turing"]


def test_a_byline_s_affiliation_marks_are_taken_off_and_its_affiliations_are_not_authors(tmp_path: Path):
    """Marks set smaller and raised ("Hopper" + "1,2∗", "Dijkstra" + "b", "Liskov" + "1†") are no part of a name, nor
    separators of their own; the affiliation lines under the byline name no one."""
    rows = [[("Grace M. Hopper", 11, 0), ("1,2∗", 7, 4), (", Edsger W. Dijkstra", 11, 0), ("b", 7, 4),
             (" and Barbara Liskov", 11, 0), ("1†", 7, 4)],
            [("1", 7, 4), ("Department of Computer Science, Yale University, New Haven, CT 06520", 11, 0)],
            [("b", 7, 4), ("Mathematisch Centrum, Amsterdam", 11, 0)],
            [("∗", 7, 4), ("Corresponding author: grace.hopper@yale.edu", 11, 0)]]
    path = first_page_pdf(tmp_path / "byline.pdf", rows)
    assert read_full_text(path).authors == ["Grace M. Hopper", "Edsger W. Dijkstra", "Barbara Liskov"]


@pytest.mark.parametrize("entry, authors", [
    ("Lovelace, Ada", ["Ada Lovelace", "Alan Turing"]),  # the account that saved the file: one of the byline's people
    ("Charles Babbage", ["Charles Babbage"]),  # someone the byline does not name: the entry stands
    ("Ada Lovelace; Alan Turing", ["Ada Lovelace", "Alan Turing"]),
])
def test_an_author_entry_naming_one_of_the_byline_s_people_gives_way_to_the_byline(tmp_path: Path, entry, authors):
    """A word processor writes the account that saved the file into the Author entry ("Hemstrom, William Beryl"): the
    byline under the title names every author."""
    path = first_page_pdf(tmp_path / "entry.pdf", [[("Ada Lovelace and Alan Turing", 11, 0)]], author=entry)
    assert read_full_text(path).authors == authors


@pytest.mark.parametrize("under", [
    "We study how the turbines of an array share the flow of a narrow channel.",  # a sentence
    "Department of Ocean Engineering, Delft University of Technology",  # an affiliation alone
    "Lunar Cycle",  # a journal's section, say: words the page writes in lower case ("a full lunar cycle")
])
def test_a_sentence_or_an_affiliation_under_the_title_names_no_authors(tmp_path: Path, under: str):
    """Only a line that reads as a list of people's names is a byline; the same page with one there reads it."""
    byline = first_page_pdf(tmp_path / "byline.pdf", [[("Ada Lovelace and Alan Turing", 11, 0)], [(under, 11, 0)]])
    assert read_full_text(byline).authors == ["Ada Lovelace", "Alan Turing"]
    assert read_full_text(first_page_pdf(tmp_path / "none.pdf", [[(under, 11, 0)]])).authors == []


def test_a_page_without_text_is_skipped_with_a_note_naming_it(paper: Path):
    notes = read_full_text(paper).notes
    assert any("page 3 without text" in note and "OCR" in note for note in notes)


def test_a_pdf_becomes_a_full_text_paper(paper: Path):
    report = read_papers([paper])
    (found,) = report.papers
    assert found.title == TITLE and found.abstract == ABSTRACT and FACT in found.body
    assert found.text.startswith(ABSTRACT + "\n\n") and found.pdf == str(paper.resolve())
    assert report.pages == 3
    assert found.content_hash != found.model_copy(update={"body": found.body + " x"}).content_hash


def test_no_text_layer_says_ocr_it_first(tmp_path: Path):
    with pytest.raises(PdfError, match="no text layer.*OCR it first"):
        read_full_text(image_only_pdf(tmp_path / "scan.pdf"))


def test_encrypted_and_damaged_pdfs_are_reported_by_name(tmp_path: Path):
    locked = paper_pdf(tmp_path / "locked.pdf", image_page=False, encrypt="secret")
    with pytest.raises(PdfError, match="locked.pdf: the PDF is encrypted"):
        read_full_text(locked)
    broken = damaged_pdf(tmp_path / "broken.pdf")
    with pytest.raises(PdfError, match="broken.pdf: damaged PDF"):
        read_full_text(broken)


def test_bad_pdfs_do_not_stop_the_others(tmp_path: Path, paper: Path):
    folder = tmp_path / "library"
    folder.mkdir()
    (folder / "good.pdf").write_bytes(paper.read_bytes())
    image_only_pdf(folder / "scan.pdf")
    damaged_pdf(folder / "broken.pdf")
    report = read_papers([folder])
    assert [p.title for p in report.papers] == [TITLE]
    assert len(report.failed) == 2 and any("scan.pdf: no text layer" in note for note in report.notes)
    assert any("broken.pdf: damaged PDF" in note for note in report.notes)
    with pytest.raises(CorpusError, match="no text layer"):  # nothing readable at all is an error
        read_papers([folder / "scan.pdf"])


def _placeholder_titled_pdf(path: Path, title: str) -> Path:
    """One page whose metadata Title is a word processor's placeholder, "Manuscript", over the paper's own title."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=(612, 792))
    c.setTitle("Manuscript")
    font = _font()
    c.setFont(font, 18)
    c.drawCentredString(306, 700, title)
    c.setFont(font, 12)
    c.drawCentredString(306, 660, "Abstract")
    c.setFont(font, 10)
    y = 640
    for line in _wrap(ABSTRACT, 468, font, 10):
        c.drawString(72, y, line)
        y -= 12
    c.save()
    return path


def test_pdfs_titled_by_a_placeholder_are_titled_by_their_first_page_and_a_paper_twice_is_left_out(tmp_path: Path, paper: Path):
    """Two unrelated preprints whose metadata both say "Manuscript" were one title twice, and the folder was refused
    whole ("duplicate paper: the title 'Manuscript' is also at ..."). A placeholder names no paper: each is titled by its
    first page. The same paper twice in a folder is left out once, by name, and the rest goes in."""
    folder = tmp_path / "preprints"
    folder.mkdir()
    _placeholder_titled_pdf(folder / "a.pdf", "Transposable Element Curation by Hand")
    _placeholder_titled_pdf(folder / "b.pdf", "Microbiome Decontamination in Tumour Samples")
    report = read_papers([folder])
    assert sorted(p.title for p in report.papers) == ["Microbiome Decontamination in Tumour Samples",
                                                      "Transposable Element Curation by Hand"]
    (folder / "c.pdf").write_bytes(paper.read_bytes())
    (folder / "d.pdf").write_bytes(paper.read_bytes())
    report = read_papers([folder])
    assert len(report.papers) == 3 and [p.title for p in report.papers].count(TITLE) == 1
    assert report.failed == [f"{folder / 'd.pdf'}: left out, the same paper twice? (the DOI '10.5555/tidal.2024.17' is also at "
                             f"{folder / 'c.pdf'}:1)"]
    assert report.failed[0] in report.notes


def test_limits_are_enforced(tmp_path: Path, paper: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(pdf_module, "MAX_PDF_PAGES", 3)
    with pytest.raises(PdfError, match="4 pages, over the limit of 3 pages"):
        read_full_text(paper)
    monkeypatch.setattr(pdf_module, "MAX_PDF_BYTES", 1000)
    with pytest.raises(PdfError, match="over the limit of 0 MB"):
        read_full_text(paper)


def test_a_folder_skips_files_of_other_types_and_names_them(tmp_path: Path, paper: Path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "paper.pdf").write_bytes(paper.read_bytes())
    (folder / "README.md").write_text("notes")
    (folder / "snapshot.html").write_text("<html></html>")
    report = read_papers([folder])
    assert len(report.papers) == 1
    assert sorted(f.name for f in report.ignored) == ["README.md", "snapshot.html"]
    assert any("2 files of other types skipped (README.md, snapshot.html)" in note for note in report.notes)
    with pytest.raises(CorpusError, match=r"unknown file type '\.md'"):  # named explicitly: still an error
        read_papers([folder / "README.md"])


def test_a_page_is_rendered_with_the_quote_highlighted(paper: Path, tmp_path: Path):
    import io

    from PIL import Image

    from assistant.corpus.pdf import page_image

    def yellow(png: bytes) -> int:
        image = Image.open(io.BytesIO(png)).convert("RGB")
        return sum(1 for r, g, b in image.getdata() if r > 200 and g > 180 and b < 150)

    plain, marked = page_image(paper, 2), page_image(paper, 2, FACT)
    assert plain.startswith(b"\x89PNG") and yellow(plain) == 0 and yellow(marked) > 1000
    with pytest.raises(PdfError, match="has no page 9"):
        page_image(paper, 9)
    with pytest.raises(PdfError, match="cannot be opened any more"):
        page_image(tmp_path / "gone.pdf", 1)


def test_pages_are_counted_and_a_pdf_read_before_is_not_read_again(paper: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    counted: list[int] = []
    first = read_papers([paper], on_page=counted.append, cache=tmp_path / "cache")
    assert sum(counted) == 4 and first.pages == 3  # four pages looked at, three with text

    def no_reading(*args, **kwargs):
        raise AssertionError("read again")

    monkeypatch.setattr(pdf_module, "read_pdf", no_reading)  # what a resumed ingest finds: the text read before
    counted.clear()
    again = read_papers([paper], on_page=counted.append, cache=tmp_path / "cache")
    assert again.papers == first.papers and again.notes == first.notes and sum(counted) == 3
    (tmp_path / "cache").joinpath(next(iter(p.name for p in (tmp_path / "cache").iterdir()))).write_text("{damaged")
    with pytest.raises(AssertionError, match="read again"):  # a damaged cache entry is read from the PDF
        read_papers([paper], cache=tmp_path / "cache")


def test_a_paragraph_running_on_to_the_next_page_is_one_paragraph_with_the_page_inside_it(tmp_path: Path):
    from assistant.corpus.pdf import Block, PdfText, _is_debris, full_text

    pages = {1: [Block("Abstract", heading=True), Block(ABSTRACT)],
             2: [Block("1 Introduction", heading=True), Block("The corrected forecasts of the array were checked against a year of data, and")],
             3: [Block("they held through the spring tides."), Block("2 Method", heading=True), Block("We coupled a solver.")]}
    text = full_text(PdfText(pages=pages, title=TITLE), tmp_path / "x.pdf")
    whole = f"{text.abstract}\n\n{text.body}"
    assert "of data, and they held through the spring tides." in text.body
    page_3 = dict((page, offset) for offset, page in text.pages)[3]
    assert whole[page_3:].startswith("they held")
    assert [(whole[offset : offset + len(h)], h) for offset, h in text.sections][-1] == ("2 Method", "2 Method")
    assert _is_debris("120 1000 *") and _is_debris("Year") and _is_debris("r be 60 m Nu 40 20 0")
    assert not _is_debris("Ratio of the projects") and not _is_debris("machines.")


def test_text_set_in_a_scaled_one_point_font_keeps_its_words_and_lines(tmp_path: Path):
    """Some PDFs set every glyph in a 1-point font scaled up by the text matrix (PDFium then reports size 1): words must
    not fall apart into one line each."""
    from reportlab.pdfgen import canvas

    path = tmp_path / "scaled.pdf"
    drawing = canvas.Canvas(str(path))
    drawing.setFont(_font(), 16)
    drawing.drawString(72, 760, TITLE)
    for number, line in enumerate(_wrap(" ".join([ABSTRACT, FACT]), 450, _font(), 10)):
        text = drawing.beginText()
        text.setFont(_font(), 1)
        text.setTextTransform(10, 0, 0, 10, 72, 720 - 14 * number)
        text.textOut(line)
        drawing.drawText(text)
    drawing.save()
    body = " ".join(read_full_text(path).abstract.split() + read_full_text(path).body.split())
    assert "mean absolute error of 4.2 percent" in body


def _title_and_abstract(path: Path):  # noqa: ANN202 - a reportlab Canvas, imported only here
    """A one-page PDF begun at path: the title, then the abstract in 10-point lines; the canvas (font 10 points) and the
    height under the abstract, where a test draws its own line."""
    from reportlab.pdfgen import canvas

    drawing = canvas.Canvas(str(path))
    drawing.setFont(_font(), 16)
    drawing.drawString(72, 760, TITLE)
    drawing.setFont(_font(), 10)
    lines = _wrap(ABSTRACT, 450, _font(), 10)
    for number, line in enumerate(lines):
        drawing.drawString(72, 720 - 14 * number, line)
    return drawing, 720 - 14 * len(lines)


def test_an_accent_set_as_a_glyph_of_its_own_goes_on_the_letter_under_it(tmp_path: Path):
    """LaTeX PDFs may set an accent as its own glyph, before its letter ("Güne¸sköy": the cedilla of ş) or after it
    ("Schutze ̈"); the name was then in no text. A hat with no one-character form ("D" + hat) stays as it was."""
    from reportlab.pdfbase import pdfmetrics

    path = tmp_path / "accents.pdf"
    drawing, y = _title_and_abstract(path)

    def word(x: float, parts: list[tuple[str, str]]) -> float:
        """Draw the letters, each accent (if any) drawn as its own glyph centred over its letter: before it when the
        pair is ("¸", "s"), after it when it is ("u", "¨")."""
        for first, second in parts:
            for char in (first, second):
                if char and char in "¸¨ˆ":
                    base = second if char == first else first
                    width = pdfmetrics.stringWidth(base, _font(), 10)
                    left = x if char == first else x - width
                    drawing.drawString(left + (width - pdfmetrics.stringWidth(char, _font(), 10)) / 2, y, char)
                elif char:
                    drawing.drawString(x, y, char)
                    x += pdfmetrics.stringWidth(char, _font(), 10)
        return x + pdfmetrics.stringWidth(" ", _font(), 10)

    x = word(72, [("The", ""), ("", "")])
    x = word(x, [("G", ""), ("u", "¨"), ("ne", ""), ("¸", "s"), ("k", ""), ("o", "¨"), ("y", "")])
    x = word(x, [("farm", "")])
    x = word(x, [("D", "ˆ"), ("=", "")])
    drawing.drawString(x, y, "2 kW of solar panels and a lead-acid battery bank.")
    drawing.save()
    text = " ".join((read_full_text(path).abstract + " " + read_full_text(path).body).split())
    assert "Güneşköy farm" in text, text[-200:]
    assert "ˆ" in text  # the hat over D kept, as a glyph of its own


def test_an_accent_drawn_after_later_letters_breaks_no_word(tmp_path: Path):
    """pdfTeX may draw a name's accents after later letters ("Gabor Sz" then the accent of Gábor's a, "arnyas" then the
    accent of its a): PDFium reads spaces around such an accent, and the name came out "Gábor Sz árnyas", so the byline
    read as no names and the paper had no authors."""
    from reportlab.pdfbase import pdfmetrics

    path = tmp_path / "late-accents.pdf"
    drawing, y = _title_and_abstract(path)

    def width(text: str) -> float:
        return pdfmetrics.stringWidth(text, _font(), 10)

    def accent_over(left: float) -> None:  # the acute accent centred over the letter "a" starting at left
        drawing.drawString(left + (width("a") - width("´")) / 2, y, "´")

    drawing.drawString(72, y, "By Gabor Sz")
    accent_over(72 + width("By G"))
    start = 72 + width("By Gabor Sz")
    drawing.drawString(start, y, "arnyas")
    accent_over(start)
    drawing.drawString(start + width("arnyas"), y, " and others.")
    drawing.save()
    text = " ".join((read_full_text(path).abstract + " " + read_full_text(path).body).split())
    assert "Gábor Szárnyas and others" in text, text[-200:]


def test_characters_beyond_the_basic_plane_come_whole_and_a_lone_surrogate_is_dropped():
    # PDFium gives UTF-16 code units: the math italic M of a formula (U+1D440) comes as two surrogates
    assert pdf_module._normal("volatility \ud835\udc40 at day \ud835\udc61") == "volatility M at day t"
    assert pdf_module._normal("a lone \ud835 surrogate") == "a lone surrogate"


def test_a_double_spaced_preprint_keeps_its_paragraphs_whole(tmp_path: Path):
    """Lines two font sizes apart (a preprint's double spacing) are one paragraph, not a paragraph each."""
    from reportlab.pdfgen import canvas

    path = tmp_path / "double.pdf"
    drawing = canvas.Canvas(str(path))
    drawing.setFont(_font(), 16)
    drawing.drawString(72, 780, TITLE)
    drawing.setFont(_font(), 11)
    lines = _wrap(" ".join([ABSTRACT, FACT, *METHOD]), 450, _font(), 11)
    for number, line in enumerate(lines[:28]):
        drawing.drawString(72, 740 - 24 * number, line)  # 24 points apart at 11 points: double spacing
    drawing.save()
    text = read_full_text(path)
    whole = " ".join(f"{text.abstract} {text.body}".split())
    assert FACT in whole
    assert f"{text.abstract}\n\n{text.body}".count("\n\n") < len(lines[:28]) // 3  # paragraphs, not one per line


def test_superscripts_stay_in_their_line_and_a_footnote_mark_does_not_join_a_figure(tmp_path: Path):
    """A raised exponent or footnote mark ("10^-4", "73,000^6") or a lowered subscript ("pIC_50") is part of its line:
    the words around it keep their order."""
    from reportlab.pdfgen import canvas

    path = tmp_path / "scripts.pdf"
    drawing = canvas.Canvas(str(path))
    drawing.setFont(_font(), 16)
    drawing.drawString(72, 780, TITLE)
    for number, line in enumerate(_wrap(ABSTRACT, 450, _font(), 10)):
        drawing.setFont(_font(), 10)
        drawing.drawString(72, 740 - 13 * number, line)
    y = 740 - 13 * (number + 2)
    x = 72.0
    for text, size, rise in (("Gradient norms are clipped to 0.5; Adam with a learning rate of 5 x 10", 10, 0), ("-4", 7, 4),
                             (", and the questions exceed 73,000", 10, 0), ("6", 7, 4), (" in number. The pIC", 10, 0),
                             ("50", 7, -2), (" shifts by 0.25 log", 10, 0), ("10", 7, -2), (" units.", 10, 0)):
        drawing.setFont(_font(), size)
        drawing.drawString(x, y + rise, text)
        x += drawing.stringWidth(text, _font(), size)
    drawing.save()
    text = read_full_text(path)
    whole = " ".join(f"{text.abstract} {text.body}".split())
    assert "learning rate of 5 x 10-4, and the questions exceed 73,000 6 in number." in whole
    assert "The pIC50 shifts by 0.25 log10 units." in whole  # a subscript's digits stay together


def test_a_drop_cap_does_not_make_the_first_line_of_the_text_the_title(tmp_path: Path):
    """An IEEE paper without a Title entry opens its introduction with a large initial ("T" of "THE wide-area network
    ..."): the title is the largest text by the size most of a line's letters have."""
    from reportlab.pdfgen import canvas

    path = tmp_path / "dropcap.pdf"
    drawing = canvas.Canvas(str(path))  # no setTitle: the title must come from the first page
    font = _font()
    drawing.setFont(font, 16)
    drawing.drawString(72, 760, "Handling Traffic Uncertainty in Failure-Tolerant Traffic Engineering")
    drawing.setFont(font, 10)
    drawing.drawString(72, 720, "Abstract. We study traffic engineering under failures and uncertain demands in wide-area networks.")
    drawing.setFont(font, 28)
    drawing.drawString(72, 680, "T")
    drawing.setFont(font, 10)
    drawing.drawString(92, 680, "HE wide-area network (WAN) that connects data centres carries demands that change.")
    drawing.drawString(72, 668, "Operators plan for failures of links and routers ahead of time, with tunnels and weights.")
    drawing.showPage()
    drawing.save()
    assert read_full_text(path).title == "Handling Traffic Uncertainty in Failure-Tolerant Traffic Engineering"


def _first_page(path: Path, lines: list[tuple[float, float, str]], author: str | None = None, title: str | None = None) -> Path:
    """A one-page PDF without a Title entry unless one is given: (font size, y, text) lines, then a paragraph of body text."""
    from reportlab.pdfgen import canvas

    drawing = canvas.Canvas(str(path))
    if author is not None:
        drawing.setAuthor(author)
    if title is not None:
        drawing.setTitle(title)
    for size, y, text in lines:
        drawing.setFont(_font(), size)
        drawing.drawString(72, y, text)
    drawing.setFont(_font(), 10)
    for i, line in enumerate(_wrap(" ".join(INTRODUCTION), 450, _font(), 10)[:12]):
        drawing.drawString(72, 520 - 13 * i, line)
    drawing.showPage()
    drawing.save()
    return path


@pytest.mark.parametrize("lines, title", [
    ([(19, 770, "BIOINFORMATICS"), (16, 740, "Fast Characterization of Segmental Duplications in"),
      (16, 720, "Genome Assemblies"), (12, 700, "Ibrahim Numanagic, Can Alkan and Faraz Hach")],
     "Fast Characterization of Segmental Duplications in Genome Assemblies"),  # a journal's name, larger than the title
    ([(17, 770, "Highlights"), (12, 745, "Impact of Transfer Learning on Screening of Mg Dissolution Mod-"),
      (12, 731, "ulators"), (12, 711, "Matthias Busch, Marius Tacke, Christian Feiler")],
     "Impact of Transfer Learning on Screening of Mg Dissolution Modulators"),  # a cut word made whole; authors apart
    ([(12, 770, "JOURNAL RINGING & MIGRATION"), (12, 741, "Using ringing data to inform a geolocator study: when"),
      (12, 725, "and which birds to equip?")],
     "Using ringing data to inform a geolocator study: when and which birds to equip?"),  # the journal spaced apart
    ([(11, 770, "FIREFLY MONTE CARLO: EXACT MCMC WITH SUBSETS OF DATA"), (11, 745, "By Dougal Maclaurin and Ryan P. Adams")],
     "FIREFLY MONTE CARLO: EXACT MCMC WITH SUBSETS OF DATA"),  # the byline is no part of it
    ([(14, 770, "1 A Goldilocks Principle for the Gut Microbiome: Taxonomic Resolution"),
      (14, 740, "2 Matters for Classification of Colorectal Cancer"), (10, 700, "3 Running title: A Goldilocks Principle")],
     "A Goldilocks Principle for the Gut Microbiome: Taxonomic Resolution Matters for Classification of Colorectal Cancer"),
    ([(10, 770, "show your work!"), (8, 760, "Typeset using LaTeX twocolumn style"),
      (10, 730, "Discovery and Preliminary Characterization of a Third Interstellar Object")],
     "Discovery and Preliminary Characterization of a Third Interstellar Object"),  # a template's placeholder
])
def test_the_title_is_the_first_page_s_largest_text_that_reads_as_one(tmp_path: Path, lines, title):
    """Without a Title entry the title comes from the first page; journal names, section labels, placeholders, bylines
    and a manuscript's line numbers are no part of it."""
    assert read_full_text(_first_page(tmp_path / "first.pdf", lines)).title == title


def test_a_title_entry_run_together_at_a_line_break_is_spaced_as_the_first_page_prints_it(tmp_path: Path):
    """LaTeX's hyperref drops the line break of a two-line title from the Title entry ("Distributions andUncertainty");
    the first page prints the same words with the space. A name in lower case ("ggdist:") opens a title."""
    lines = [(17, 760, "ggdist: Visualizations of Distributions and"), (17, 738, "Uncertainty in the Grammar of Graphics"),
             (10, 710, "Matthew Kay")]
    entry = "ggdist: Visualizations of Distributions andUncertainty in the Grammar of Graphics"
    assert read_full_text(_first_page(tmp_path / "t.pdf", lines, title=entry)).title == (
        "ggdist: Visualizations of Distributions and Uncertainty in the Grammar of Graphics")
    other = "A Grammar of Uncertainty Visualization"  # an entry of other words stands
    assert read_full_text(_first_page(tmp_path / "u.pdf", lines, title=other)).title == other


@pytest.mark.parametrize("author, authors", [
    ("lenovo", []), ("Administrator", []), ("Name", []),  # the account that made the file
    ("Martin Hinz1, Amos Okutse^1 and Chandra Mohan {Sharma} {1,2}", ["Martin Hinz", "Amos Okutse", "Chandra Mohan Sharma"]),
    ("Amos Okutse, Monica Colon-Vargas, School of Public Health, Brown University", ["Amos Okutse", "Monica Colon-Vargas"]),
    ("Anonymous author(s)", []), ("Dr Sanyaolu Ameye", ["Sanyaolu Ameye"]),  # an affiliation, a placeholder, a title
    ("David J. Harris^1 (corresponding author); Shawn D. Taylor^2", ["David J. Harris", "Shawn D. Taylor"]),  # a remark
    ("R. B. Friesen", ["R. B. Friesen"]), ("lenovo.", []),  # a surname with initials is a person
    ("Hemstrom, William Beryl", ["William Beryl Hemstrom"]), ("Krishnan, Ganesh [STAT]", ["Ganesh Krishnan"]),  # surname first
    ("Amit Joshi , amitjoshi2724@gmail.com", ["Amit Joshi"]),  # an address is no person
    ("Emily Jane McTavish1, & Brian O'Meara", ["Emily Jane McTavish", "Brian O'Meara"]),
])
def test_the_authors_entry_gives_people_without_footnote_marks(tmp_path: Path, author, authors):
    lines = [(16, 760, "Handling Traffic Uncertainty in Failure-Tolerant Traffic Engineering")]
    assert read_full_text(_first_page(tmp_path / "authors.pdf", lines, author)).authors == authors


def _blocks_text(pages: dict[int, list[tuple[str, bool]]]) -> pdf_module.FullText:
    """full_text() of a PDF whose pages hold these (text, is heading) blocks."""
    return pdf_module.full_text(pdf_module.PdfText(pages={n: [pdf_module.Block(t, h) for t, h in blocks] for n, blocks in pages.items()},
                                                   title="T"), Path("t.pdf"))


ONE_REFERENCE = ("Piwowar, H., Priem, J., & Orr, R. (2019). The Future of OA: a large-scale analysis. BioRxiv. "
                 "https://doi.org/10.1101/795310 21. Rabesandratana, T. (2019). The world debates open-access mandates. "
                 "Science, 363(6422), 11-12. https://doi.org/10.1126/science.363.6422.11")


def test_a_word_cut_by_a_hyphen_at_a_page_s_end_is_made_whole_when_the_paragraph_runs_on():
    """"commit mes-" at a page's end and "sages, ..." on the next: the paragraph was joined, but the cut's mark stayed in
    the word ("mes\x03sages"; "Fig\x03ure 8" in a quote)."""
    text = _blocks_text({
        1: [("Abstract", True), ("We classify commits by their type.", False), ("1 Introduction", True),
            ("The specification adds human and machine readable meaning to commit mes-", False)],
        2: [("sages, and it is gaining popularity. A one-", False)],
        3: [("dimensional view of one-dimensional data is enough.", False), ("2 Method", True), ("We label commits.", False)],
    })
    assert "meaning to commit messages, and it is gaining popularity. A one-dimensional view" in text.body
    assert "\x03" not in text.body
    full = f"{text.abstract}\n\n{text.body}"
    starts = dict((page, offset) for offset, page in text.pages)
    assert full[starts[2]:].startswith("sages, and") and full[starts[3]:].startswith("dimensional view")
    assert full[dict((heading, offset) for offset, heading in text.sections)["2 Method"]:].startswith("2 Method")


def test_a_reference_line_that_reads_like_an_appendix_heading_does_not_end_the_references():
    text = _blocks_text({
        1: [("Abstract", True), ("We study open access.", False), ("1 Results", True), ("Gold access grew.", False),
            ("References", True), (ONE_REFERENCE, False)],
        2: [("A Gold Way from", True), ("the South. Canadian Journal of Higher Education, 111-126. " + ONE_REFERENCE, False),
            ("A Proofs", True), ("We prove the bound by induction on the number of institutions.", False)],
    })
    assert "Gold access grew." in text.body
    assert "Canadian Journal" not in text.body and "Rabesandratana" not in text.body
    assert "We prove the bound by induction" in text.body  # an appendix after the references is kept
    assert [heading for _, heading in text.sections][-1] == "A Proofs"


def test_a_table_of_contents_is_left_out_and_its_references_entry_does_not_swallow_the_paper():
    """A report opening with its contents ("References" among them, "3.1 Workshops . . . . 4") keeps its whole text:
    the contents listed "References" before "1 Introduction", which dropped everything after it as references."""
    leaders = "3.1 Workshops and tutorials " + ". " * 40 + "4 3.2 Final tutorials " + ". " * 40 + "5"
    intro = ("Computational modelling has become a standard research technique across most scientific disciplines, "
             "and agent-based modelling is among the most widely taught of its techniques in archaeology today. Yet few "
             "archaeologists are trained in it, and the courses that exist are short, scattered and hard to reuse.")
    text = _blocks_text({
        1: [("Lessons learned", True), ("Contents", True), ("1 Introduction", True), ("2 Method", True), (leaders, False),
            ("3 Results", True), ("References", True), ("1 Introduction", True), (intro, False)],
        2: [("2 Method", True), ("We ran five workshops, one of them online from Aarhus with 176 participants.", False),
            ("References", True), (ONE_REFERENCE, False)],
    })
    assert text.abstract == intro  # not the contents' dot leaders
    assert "176 participants" in text.body and ". . . . ." not in text.abstract + text.body
    assert "Rabesandratana" not in text.body  # the real references are still left out
    assert [heading for _, heading in text.sections] == ["Abstract", "2 Method"]


def test_supporting_information_and_a_numbered_appendix_after_the_references_are_kept():
    """Seen on an unseen PDF set: "Supporting Information" and "A.1. NetFlow-based analyses" after the references were
    read as more references, and their text was lost."""
    for heading in ("Supporting Information", "A.1. NetFlow-based analyses", "Supplemental Material"):
        text = _blocks_text({
            1: [("Abstract", True), ("We extract mobility from transistors of many channel lengths.", False),
                ("References", True), (ONE_REFERENCE, False)],
            2: [(heading, True), ("We then set the target drain current used in the extraction to 1 uA/um.", False)],
        })
        assert "target drain current" in text.body, heading
        assert "Rabesandratana" not in text.body
    # A manuscript's figure legends after its references, under a line read as no heading: they were lost too.
    text = _blocks_text({
        1: [("Abstract", True), ("We classify colorectal cancer from gut microbiome data.", False),
            ("References", True), (ONE_REFERENCE, False)],
        2: [("Figure Legends", False), ("Figure 1: Random forest model performance at each taxonomic level.", False)],
    })
    assert "Figure 1: Random forest model performance" in text.body and "Rabesandratana" not in text.body


NUMBERED_REFERENCES = ("[1] A. A. Griffith, The phenomena of rupture and flow in solids, Philosophical Transactions of the "
                       "Royal Society of London A 221, 163 (1921). [2] G. Molnar, A. Doitrand, and V. Lazarus, Phase-field "
                       "simulation of echelon cracks, Journal of the Mechanics and Physics of Solids 188, 105675 (2024). "
                       "[3] C. Chen, T. Cohen and K. Kumar, Crack nucleation in soft materials, Physical Review E 99, 023001 "
                       "(2019). [4] J. Knauss, An observation of crack propagation in anti-plane shear, International "
                       "Journal of Fracture 6, 183 (1970).")


def test_a_reference_list_with_no_heading_of_its_own_is_left_out():
    """Seen on an unseen PDF set: a letter's references run on from its acknowledgments with no "References" heading,
    and an answer quoted "[32] G. Molnár, A. Doitrand, ..." as the paper's finding."""
    text = _blocks_text({
        1: [("Abstract", True), ("We simulate echelon cracks in graphite and PDMS under anti-plane shear.", False),
            ("Results", True), ("Graphite and PDMS stand in for hard and soft brittle materials, as in earlier work [1, 2].", False),
            ("Acknowledgments— We thank the National Science Foundation for its support. " + NUMBERED_REFERENCES, False)],
        2: [("[5] K. Kumar and O. Lopez-Pamies, The phase-field approach to fracture, Journal of the Mechanics and Physics "
             "of Solids 150, 104359 (2021). [6] A. J. Pons and A. Karma, Helical crack-front instability, Nature 464, 85 "
             "(2010). [7] B. Bourdin, G. A. Francfort and J.-J. Marigo, The variational approach to fracture, Journal of "
             "Elasticity 91, 5 (2008).", False),
            ("Appendix A— The strain energy is split into tensile and compressive parts in three dimensions.", False)],
    })
    assert "as in earlier work [1, 2]." in text.body  # citations in the text are no reference list
    assert "We thank the National Science Foundation for its support." in text.body
    assert "Griffith" not in text.body and "Molnar" not in text.body and "Bourdin" not in text.body
    assert "split into tensile and compressive parts" in text.body  # what follows the list is kept
    assert any("references section (2 paragraphs) is left out" in note for note in text.notes)


def test_a_reference_list_of_one_paragraph_per_entry_with_no_heading_is_left_out():
    """Seen on an unseen PDF set: a Scientific Data submission whose references (no heading in the text) are a
    paragraph each, "SciData_logo.jpg" atop every page; an answer quoted "[47] Stagge, J. H., ... Source code ..."."""
    entries = [f"[{n}] Author{n}, A. B. & Writer, C. A study of replication number {n}. Journal of Hydrology {n}, 1-12 "
               f"({2000 + n})." for n in range(1, 8)]
    text = _blocks_text({
        1: [("Abstract", True), ("We surveyed the reproducibility of 360 hydrology articles.", False),
            ("Methods", True), ("We sampled articles from six journals and tried to reproduce their results [3, 4].", False),
            ("[12] Smith et al. showed the same for psychology, which we follow here in every detail we can.", False)],
        2: [("SciData_logo.jpg", False), *[(entry, False) for entry in entries[:4]]],
        3: [("SciData_logo.jpg", False), *[(entry, False) for entry in entries[4:]],
            ("[8] Stagge, J. H. jstagge/reproduc_hyd: Source code accompanying the survey tool. doi: 10.5281/zenodo.1", False),
            ("Supplementary Material", True), ("Table S1 lists the data policies of the journals we sampled.", False)],
    })
    assert "[12] Smith et al. showed the same" in text.body  # one paragraph opening with a citation is no list
    assert "Author1" not in text.body and "Author7" not in text.body and "Stagge" not in text.body
    assert "Table S1 lists the data policies" in text.body
    assert any("references section (8 paragraphs) is left out" in note for note in text.notes)


def _numbered_page(first: int, texts: list[str], step: int = 1) -> tuple[list[pdf_module.Line], float]:
    """A page's lines, top to bottom, each opening with a margin line number counting up from first."""
    lines = [pdf_module.Line(f"{first + i * step} {text}", 57, 500, 700 - 12 * i, 10) for i, text in enumerate(texts)]
    return lines, 792.0


def test_a_manuscript_s_margin_line_numbers_are_taken_off_its_lines_but_not_a_figure_that_opens_a_line():
    prose = ["Nuptial gifts are given by males", "to females during courtship, and", "selection favours them when",
             "the gift raises fitness enough.", "We model the search for gifts", "with a time-in time-out model."]
    pages = {1: _numbered_page(20, prose, step=2), 2: _numbered_page(32, prose), 3: _numbered_page(38, prose[:5])}
    pages[3][0].extend(pdf_module.Line(f"Figure {i}: a gift", 57, 500, 300 - 12 * i, 10) for i in range(30))  # few numbered
    plain = {4: ([pdf_module.Line("12 participants took part in the study.", 57, 500, 700, 10),
                  pdf_module.Line("They were paid for their time.", 57, 500, 688, 10)], 792.0)}
    pdf_module._strip_line_numbers(pages | plain)
    assert [line.text for line in pages[1][0]] == prose
    assert [line.text for line in pages[3][0][:5]] == prose[:5]  # the document is line-numbered: a sparse page too
    assert plain[4][0][0].text == "12 participants took part in the study."


def test_two_columns_numbered_side_by_side_lose_their_line_numbers():
    """Read top to bottom, a two-column manuscript's numbers interleave (342, 376, 343, 377, ...): each column counts up."""
    left = ["Photometric observations were ob-", "tained on the nights of July 2-4", "with the two telescopes located",
            "in Morocco and in Chile; both", "operate at f/8 with a CCD camera", "and a field of view of 22 arcmin."]
    right = ["The light curve shows a period", "of about 16.8 h with an amplitude", "of 0.2 mag, as is usual for",
             "comets at this distance from", "the Sun; the colour is red, as", "for D-type asteroids and comets."]
    lines = []
    for i, (first, second) in enumerate(zip(left, right)):
        lines.append(pdf_module.Line(f"{342 + i} {first}", 33, 290, 700 - 12 * i, 10))
        lines.append(pdf_module.Line(f"{376 + i} {second}", 310, 570, 700 - 12 * i, 10))
    pdf_module._strip_line_numbers({7: (lines, 792.0)})
    assert [line.text for line in lines[::2]] == left and [line.text for line in lines[1::2]] == right


def test_a_title_page_s_numbers_read_apart_from_their_lines_are_line_numbers_too():
    """A title page set "1 Financial Incentives ... Evidence", "2 from an Experimental ...", then "3" beside "in Brazil":
    its title kept the numbers. A number alone on its line, where the numbered lines' numbers stand, is one."""
    title = [pdf_module.Line("1 Financial Incentives and Healthcare Provision: Evidence", 44, 535, 708, 17),
             pdf_module.Line("2 from an Experimental Aedes aegypti Control Programme", 44, 536, 667, 17),
             pdf_module.Line("3", 44, 47, 626, 10), pdf_module.Line("in Brazil", 262, 339, 626, 17),
             pdf_module.Line("4", 44, 47, 578, 10), pdf_module.Line("Danilo Freire", 174, 257, 578, 12),
             pdf_module.Line("5", 44, 47, 542, 10), pdf_module.Line("25 February 2021", 250, 340, 542, 12)]
    prose = ["Mosquito control is the most", "effective means of reducing", "infections worldwide, yet", "vector programmes fail",
             "to reach their goals due to", "low worker productivity."]
    pages = {1: (title, 792.0), 2: _numbered_page(6, prose), 3: _numbered_page(12, prose)}
    pdf_module._strip_line_numbers(pages)
    assert [line.text for line in pages[1][0]] == ["Financial Incentives and Healthcare Provision: Evidence",
                                                   "from an Experimental Aedes aegypti Control Programme", "in Brazil",
                                                   "Danilo Freire", "25 February 2021"]


def _decoded_lines(codes: str, texts: list[str]) -> list[pdf_module.Line]:
    """Lines of a page whose "{s1b}" (the code's hex) stand for the slot of that control code, after
    _decode_ligature_slots has read them."""
    slots = {f"s{ord(code):x}": chr(pdf_module._SLOT_BASE + ord(code)) for code in codes}
    lines = [pdf_module.Line(text.format(**slots), 57, 500, 700 - 12 * i, 10) for i, text in enumerate(texts)]
    pdf_module._decode_ligature_slots({1: (lines, 792.0)})
    return lines


def test_a_ligature_set_in_a_control_code_is_read_as_the_one_that_makes_words():
    """A TeX font without a Unicode map leaves its ligatures in control codes ("\x1bnancial", "e\x1dective",
    "con\x1eict"), which were dropped ("nancial", "e ective"); which code holds which ligature, the words tell."""
    lines = _decoded_lines("\x1b\x1c\x1d\x1e\x0b", [
        "We {s1b}nd that {s1b}nancial rewards raise the e{s1d}ect of {s1b}eld work",
        "in the {s1b}rst year; the control group received a {s1e}at fee and a {s1e}yer,",
        "the team bonus was e{s1d}ective and the o{s1c}ce was e{s1c}cient in its {s1b}ght.",
        "The coe{s1c}cients are given for (i{sb} , j{sb} ) in the {s1d}."])
    assert lines[0].text == "We find that financial rewards raise the effect of field work"
    assert lines[1].text == "in the first year; the control group received a flat fee and a flyer,"
    assert lines[2].text == "the team bonus was effective and the office was efficient in its fight."
    assert lines[3].text == "The coefficients are given for (i , j ) in the ff."  # a math glyph's code no word explains: dropped


def test_ligatures_in_c1_codes_are_read_too_and_a_code_holding_two_is_read_word_by_word():
    """ACM's Libertine leaves its ligatures in C1 codes ("\x80rst", "di\x82erences", "\x8cese"), which were dropped with a
    space ("rst", "di erences", "e key"); one code may hold two ligatures (Th and tt): each word then reads as the one
    that makes it a word. A C1 code no word explains stays a space, as before."""
    lines = _decoded_lines("\x80\x82\x8c\x85\x9d", [
        "{s8c}ese are the {s80}rst di{s82}erences; {s8c}e users are speci{s80}c,",
        "{s8c}is design a{s8c}racted users who o{s85}en found it e{s82}ective and bene{s80}cial.",
        "The weights w{s9d}1 and w{s9d}2 are fitted."])
    assert lines[0].text == "These are the first differences; The users are specific,"
    assert lines[1].text == "This design attracted users who often found it effective and beneficial."
    assert lines[2].text == "The weights w 1 and w 2 are fitted."


def test_ligatures_a_font_maps_to_no_unicode_are_read_by_their_words():
    """A font that maps no Unicode to its ligatures leaves PDFium a 0 for each of them, which was dropped ("e ect",
    "di erent", "the rst"): they are kept in one code of their own and each word reads as the ligature that makes it a
    word, the commoner when two do ("bu?er": buffer, not butter). A glyph no ligature explains (a hyphen) is a space."""
    lines = _decoded_lines(pdf_module._UNMAPPED_CODE, [
        "The {s10}rst e{s10}ect was di{s10}erent in the bu{s10}er, and the coe{s10}cients of the {s10}ow were {s10}nal;",
        "a pulse{s10}driven meta{s10}analysis was e{s10}cient."])
    assert lines[0].text == "The first effect was different in the buffer, and the coefficients of the flow were final;"
    assert lines[1].text == "a pulse driven meta analysis was efficient."


def test_a_numbered_line_that_goes_on_with_a_cut_sentence_names_no_section():
    """"... then apply fluid diffusion over the course of" / "20 Jacobi iterations (consequence of fluid's" / "resistance
    to motion), ...": the numbered line was read as section 20, and the sentence naming the Jacobi iterations was no longer
    quotable (a heading is not). A line cut short, or with a comma, or a footnote's first line ("1 In order to evaluate
    the worst-case ... to"), right after a paragraph that stops on a function word goes on with its sentence; a numbered
    heading there, or one that wraps inside its brackets after a whole paragraph, still names its section."""
    from collections import Counter

    from assistant.corpus.pdf import Block, _names_a_section

    def names(before: str, line: str) -> bool:
        flat = [(2, Block(before)), (2, Block(line, heading=True)), (2, Block("resistance to motion), then compute the pressure."))]
        return _names_a_section(flat, 1, Counter())

    cut = "I first advect the velocity field, then apply fluid diffusion over the course of"
    assert not names(cut, "20 Jacobi iterations (consequence of fluid\u2019s")
    assert not names(cut, "1 In order to evaluate the worst-case computation time of the")
    assert not names(cut, "2 While our threat model, and Tor\u2019s, precludes a global network")
    assert names(cut, "4. Experiments")
    assert names("We report the results below.", "6.1 Primary Results (Held-Out Test Set, participant-level")


def test_a_title_in_small_capitals_keeps_its_last_word_set_alone_on_the_next_line():
    """"SOME STYLOMETRIC REMARKS ON OVID'S Heroides AND THE Epistula" / "Sapphus": the first line's small capitals make
    its typical size smaller than the second line's, which was left out of the title."""
    first = "SOME STYLOMETRIC REMARKS ON OVID'S Heroides AND THE Epistula"
    # (in small capitals a word's first letter is full size, the others smaller; "Heroides" and "Epistula" are italics)
    sizes = [size for word in first.split() for size in ([17.2] + [13.8 if word.isupper() else 17.2] * (len(word) - 1))]
    lines = [pdf_module.Line(first, 51, 562, 725, 17.2, sizes),
             pdf_module.Line("Sapphus", 277, 335, 705, 17.2, [17.2] * 7),
             pdf_module.Line("PREPRINT, COMPILED SEPTEMBER 4, 2025", 207, 405, 686, 10.9, [10.9] * 31),
             pdf_module.Line("Ben Nagy", 276, 321, 655, 10.9, [10.9] * 7),
             pdf_module.Line("This article aims to contribute to two debates in Latin philology.", 86, 526, 581, 10.9, [10.9] * 56)]
    title, read_from = pdf_module._first_page_title(lines, 792.0)
    assert title == f"{first} Sapphus" and read_from == lines[:2]


def test_a_table_s_rank_column_is_kept_in_a_document_without_line_numbers():
    rows = [pdf_module.Line(f"{rank} connectance {10 + rank} 0.8{rank}", 57, 500, 600 - 12 * rank, 10) for rank in range(1, 6)]
    prose = [pdf_module.Line(f"A sentence of the text, line {i}.", 57, 500, 400 - 12 * i, 10) for i in range(30)]
    pages = {5: (rows + prose, 792.0)}
    pdf_module._strip_line_numbers(pages)
    assert rows[0].text == "1 connectance 11 0.81"


def test_a_hyphen_cut_at_a_line_end_stays_only_when_it_is_the_words_own():
    """"recog-" + "nition" is one word without its hyphen; "semi-" + "honest" keeps it, since the text writes
    "semi-honest" elsewhere; so do a link of a longer chain and two words the text uses on their own."""
    from assistant.corpus.pdf import Block, _join, _mend_broken_words

    lines = ["The protocol is only secure against semi-", "honest clients and outper-", "forms a recog-",
             "nition baseline trained end-to-", "end with project-", "specific rules."]
    broken = lines[0]
    for line in lines[1:]:
        broken = _join(broken, line)
    pages = {1: [Block("A semi-honest client follows the protocol; each project has specific rules.")], 2: [Block(broken)]}
    _mend_broken_words(pages)
    assert pages[2][0].text == ("The protocol is only secure against semi-honest clients and outperforms a recognition "
                                "baseline trained end-to-end with project-specific rules.")
    assert pages[1][0].text.startswith("A semi-honest client")


def test_a_link_cut_at_a_line_end_is_joined_whole_and_a_sentence_after_a_link_is_not_joined_to_it():
    from assistant.corpus.pdf import _join

    lines = ["The code is publicly available at https://github.", "com/RichSchulz/gender-pricing-service-", "duration-replication.",
             "Data are at https://example.org/data/.", "The next sentence starts here."]
    text = lines[0]
    for line in lines[1:]:
        text = _join(text, line)
    assert text == ("The code is publicly available at https://github.com/RichSchulz/gender-pricing-service-duration-replication. "
                    "Data are at https://example.org/data/. The next sentence starts here.")
    # A link's own hyphen at a line's end, which PDFium reports as a word break (U+FFFE, read as \x02): it was
    # "https://github.com/GIST NJU/CMPS", a link to another account.
    assert _join("data are available at GitHub: https://github.com/GIST\x02", "NJU/CMPS.") == (
        "data are available at GitHub: https://github.com/GIST-NJU/CMPS.")


def _sized_lines_pdf(path: Path, lines: list[tuple[float, str]]) -> Path:
    """A one-column PDF of (font size, text) lines top to bottom, a new page when one is full."""
    from reportlab.pdfgen import canvas

    drawing = canvas.Canvas(str(path))
    drawing.setTitle(TITLE)
    y = 760.0
    for size, text in lines:
        if y < 80:
            drawing.showPage()
            y = 760.0
        y -= size * 1.3 + (10 if size > 10 else 0)  # a heading stands a little apart, as in a paper
        drawing.setFont(_font(), size)
        drawing.drawString(72, y, text)
    drawing.save()
    return path


def _paragraph(text: str) -> list[tuple[float, str]]:
    return [(10, line) for line in _wrap(text, 450, _font(), 10)]


def test_figure_labels_a_copyright_line_and_a_cut_quote_in_a_heading_font_are_no_sections(tmp_path: Path):
    """Seen on real papers: a figure's labels ("Xa", "Sa ∗", "Loss", "Ground"), "Copyright © 2019 ISCA" and the second line
    of a quoted title ("Uncertainties from Computer Simulation”") set large were cited as the sections of what follows
    ("p. 6 · Xa"). They stay in the text; the numbered headings and a heading of words before a paragraph stay sections."""
    lines = [(12, "Abstract"), *_paragraph(ABSTRACT), (12, "1 Introduction"), *_paragraph(INTRODUCTION[0]),
             (12, "Copyright © 2019 ISCA"), *_paragraph(INTRODUCTION[1]),
             (12, "Xa"), (12, "Sa ∗"), (12, "Loss"), (12, "Ground"),
             (9, "Fig. 1: Summary of the method. Each turbine is a momentum sink and the wakes are resolved."),
             (12, "2 Method"), *_paragraph(METHOD[0]),
             (12, "Uncertainties from Computer Simulation”"), *_paragraph(METHOD[1]),
             (12, "Wake Interactions Between Rows"), *_paragraph(RESULTS[1]),
             (12, "3 Results"), *_paragraph(RESULTS[0])]
    text = read_full_text(_sized_lines_pdf(tmp_path / "labels.pdf", lines))
    assert [heading for _, heading in text.sections] == ["Abstract", "1 Introduction", "2 Method",
                                                         "Wake Interactions Between Rows", "3 Results"]
    for line in ("Copyright © 2019 ISCA", "Uncertainties from Computer Simulation”", "Xa", FACT):
        assert line in text.body  # only the labels changed, not the text read


def test_an_axis_label_repeated_over_panels_and_a_lower_case_section_word_are_no_sections(tmp_path: Path):
    """"Primary Rate [bits/s/Hz]" under each panel of a figure, and "method." (a paragraph's last line, taken for the
    heading "Method" by its word) were sections; an unnumbered heading of one word before a paragraph ("Tiling") is one."""
    lines = [(12, "Abstract"), *_paragraph(ABSTRACT), (12, "1 Introduction"), *_paragraph(INTRODUCTION[0]),
             (10, "and the operators schedule the array with the"), (12, "method."),
             *[(12, "Primary Rate [bits/s/Hz]") for _ in range(3)], (9, "Fig. 2: Rate regions of the three schemes."),
             (12, "Tiling"), *_paragraph(METHOD[0]), (12, "2 Results"), *_paragraph(RESULTS[0])]
    text = read_full_text(_sized_lines_pdf(tmp_path / "axis.pdf", lines))
    assert [heading for _, heading in text.sections] == ["Abstract", "1 Introduction", "Tiling", "2 Results"]


def test_a_unicode_hyphen_is_read_as_the_ascii_one():
    # A ReScience article sets "McDonald‐Johnson" with U+2010: a question naming "McDonald-Johnson" was refused as a name
    # the paper never mentions. NFKC makes the non-breaking hyphen (U+2011) a U+2010, and that the ASCII one.
    assert pdf_module._normal("the McDonald\u2010Johnson model, state\u2011of\u2011the art") == "the McDonald-Johnson model, state-of-the art"
