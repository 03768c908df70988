"""Read paper files (trending-page text, JSON Lines, JSON, CSV/TSV, arXiv snapshot, BibTeX, RIS, CSL-JSON) into Papers.

Ids: an id given with a paper (JSON/CSV `id`, the arXiv id, a BibTeX citation key) is kept as given, case and all
(`DUP-1` and `dup-1` are two papers); a RIS or CSL-JSON entry with a DOI gets the DOI (lower case); a paper without
either gets `<slug of its title>-<6 hex of its normalised title>`, which depends on
nothing but the title, so the same paper gets the same id from any file, in any command, in any order.

Limits: a title longer than MAX_TITLE_CHARS or an abstract longer than MAX_ABSTRACT_CHARS is cut (at a word) with a
note in the read report; no real abstract comes close, and the cost of a paper stays bounded.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.corpus.formats import ARXIV_KEYS, code_links, files_of, links, optional, records_of, squash, string, url_field, authors_of
from assistant.corpus.library import LibraryRecords, normal_doi
from assistant.corpus.linked import attach_pdf
from assistant.corpus.pdf import PdfError, pdf_record
from assistant.corpus.zotero import ItemRecords
from assistant.errors import CorpusError
from assistant.models import Paper

MAX_TITLE_CHARS = 500
MAX_ABSTRACT_CHARS = 20_000
ID_SCHEME = 2  # bumped when the ids papers get change; an index of another scheme must be rebuilt
_LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "þ": "th"})  # NFKD keeps these
_MAX_SLUG = 60
# Escape sequences (CSI, OSC, two-character ones) and control characters: paper text is shown in terminals too.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]")
# Bidi controls (embeddings, overrides, isolates, marks): U+202E shows "gnp.exe" as "exe.png", in every interface.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


@dataclass
class ReadReport:
    """The papers read, and what was changed on the way (cut titles or abstracts)."""

    papers: list[Paper] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "file: key" of library entries without an abstract
    ignored: list[Path] = field(default_factory=list)  # files of other types in the folders given
    failed: list[str] = field(default_factory=list)  # PDFs that could not be read (encrypted, damaged, no text), with why
    pages: int = 0  # pages of text read from PDFs
    seconds: float = 0.0  # how long reading took


def load_papers(paths: Iterable[str | Path]) -> list[Paper]:
    """Read every paper of the given files and directories, checking all of them before returning any."""
    return read_papers(paths).papers


def read_papers(paths: Iterable[str | Path], *, on_page: Callable[[int], None] | None = None,
                cache: Path | None = None, follow_links: bool = True) -> ReadReport:
    """Read every paper of the given files and directories (all checked first), with notes on what was cut.

    PDFs: on_page(n) is told of the pages read (a progress bar); with a cache folder, a PDF read before is not read again.
    follow_links: read the PDFs that library entries link (off for files uploaded through the browser: an upload must
    not make the server read its own files).
    """
    started = time.perf_counter()
    report = ReadReport()
    by_title: dict[str, tuple[str, str | None]] = {}
    by_id: dict[str, str] = {}
    by_doi: dict[str, str] = {}
    files = files_of(paths, report.ignored)
    libraries = {file: records_of(file) for file in files if file.suffix.lower() != ".pdf"}
    # A PDF that an entry links (a Zotero export beside its files/ folder) is read once, as that entry's full text.
    if not follow_links:
        _unlink(libraries, report)
    linked = {pdf.resolve() for found in libraries.values() for _, record in found.records for pdf in record.get("pdfs", [])}
    for file in files:
        if file.suffix.lower() == ".pdf":
            if file.resolve() in linked:
                continue
            try:
                record, notes = pdf_record(file, on_page, cache)
            except PdfError as e:  # one bad PDF does not stop the others
                report.failed.append(str(e))
                report.notes.append(str(e))
                continue
            report.notes += notes
            report.pages += len(record.pop("page_numbers"))
            found = LibraryRecords([(1, record)])
        else:
            found = _with_linked_pdfs(libraries[file], file, report, on_page, cache)
        if found.skipped:
            report.skipped += [f"{file}: {key}" for key in found.skipped]
            report.notes.append(f"{file}: {len(found.skipped)} entr{'y' if len(found.skipped) == 1 else 'ies'} without an "
                                f"abstract skipped ({', '.join(found.skipped)})")
        for line, record in found.records:
            where = f"{file}:{line}"
            fields = _fields(record, where, report.notes)
            title, explicit_id = fields["title"], fields.pop("id")
            paper_id = explicit_id or derived_id(title)
            if paper_id in by_id and explicit_id:
                raise CorpusError(f"{where}: duplicate paper: id {explicit_id!r} is also at {by_id[paper_id]}; remove one.")
            clash = None
            if fields["doi"] and (first := by_doi.get(fields["doi"].lower(), where)) != where:
                clash = f"the DOI {fields['doi']!r} is also at {first}"
            first_where, first_id = by_title.get(_normal(title), (where, explicit_id))
            # Records with different explicit ids are different papers that share a title (errata, replies).
            if clash is None and first_where != where and not (explicit_id and first_id):
                clash = f"the title {title!r} is also at {first_where}"
            if clash and file.suffix.lower() == ".pdf":  # a paper twice in a folder: the PDF is left out, the others go in
                report.failed.append(f"{file}: left out, the same paper twice? ({clash})")
                report.notes.append(report.failed[-1])
                continue
            if clash:
                raise CorpusError(f"{where}: duplicate paper: {clash}; remove one.")
            if fields["doi"]:
                by_doi.setdefault(fields["doi"].lower(), where)
            by_title.setdefault(_normal(title), (where, explicit_id))
            by_id[paper_id] = where
            report.papers.append(Paper(paper_id=paper_id, source=str(file) if file.suffix.lower() == ".pdf" else where, **fields))
    if report.ignored:
        names = ", ".join(file.name for file in report.ignored[:10]) + (", ..." if len(report.ignored) > 10 else "")
        report.notes.append(f"{len(report.ignored)} file{'s' if len(report.ignored) != 1 else ''} of other types skipped ({names}).")
    if report.failed and not report.papers:
        raise CorpusError(" ".join(report.failed))
    report.seconds = time.perf_counter() - started
    return report


def _unlink(libraries: dict[Path, LibraryRecords], report: ReadReport) -> None:
    """Drop the PDF links of the library entries (noted); an entry that had only its PDF to give is skipped later."""
    for file, found in libraries.items():
        dropped = 0
        for _, record in found.records:
            dropped += bool(record.get("pdfs"))
            record["pdfs"] = []
        if dropped:
            report.notes.append(f"{file}: {dropped} entr{'y links' if dropped == 1 else 'ies link'} a PDF, not read from an "
                                f"upload; upload the PDF itself, or ingest the library with `assistant ingest`.")


def _with_linked_pdfs(found: LibraryRecords, file: Path, report: ReadReport, on_page: Callable[[int], None] | None,
                      cache: Path | None) -> LibraryRecords:
    """The library file's records, each given the full text of the PDF it links (a missing or unreadable PDF is noted);
    an entry left with neither an abstract nor a readable PDF is skipped."""
    kept = LibraryRecords(skipped=list(found.skipped))
    for line, record in found.records:
        if "pdfs" not in record:  # not a library entry: its checks are made when it becomes a paper
            kept.records.append((line, record))
            continue
        pdfs = record.pop("pdfs")
        if pdfs:
            pages, notes = attach_pdf(record, pdfs, f"{file}:{line}", on_page, cache)
            report.pages += pages
            report.notes += notes
        if record.get("abstract") is None or (isinstance(record["abstract"], str) and not record["abstract"].strip()):
            kept.skipped.append(str(record.get("id") or record.get("doi") or record.get("title") or f"line {line}")[:60])
            continue
        kept.records.append((line, record))
    if not kept.records:
        raise CorpusError(f"{file}: none of its {len(kept.skipped)} entries has an abstract or a readable linked PDF; export "
                          f"the library with abstracts, or with its files (in Zotero: Export Files).")
    return kept


def check_file_sizes(paths: Iterable[str | Path], max_mb: int) -> None:
    """A CorpusError naming every paper file over max_mb MB (its size, the limit, how to raise it), before any is read."""
    over = [(file, file.stat().st_size) for file in files_of(paths) if file.stat().st_size > max_mb * 1024 * 1024]
    if over:
        sizes = "; ".join(f"{file} is {size / 1024 / 1024:.1f} MB" for file, size in over)
        needed = math.ceil(max(size for _, size in over) / 1024 / 1024)
        raise CorpusError(f"{sizes}, more than the {max_mb} MB a paper file may have. Split it, or raise the limit: "
                          f"ASSISTANT_MAX_FILE_MB={needed} (in the environment or .env).")


def derived_id(title: str) -> str:
    """The id of a paper given without one: its title's slug and a short hash of the whole normalised title."""
    return f"{slugify(title)}-{hashlib.sha256(_normal(title).encode()).hexdigest()[:6]}"


def slugify(text: str, *, dots: bool = False) -> str:
    """Lowercase ASCII slug of text, at most 60 characters cut at a word boundary; 'paper' if nothing is left."""
    text = unicodedata.normalize("NFKD", text.lower().translate(_LETTERS)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9.]+" if dots else r"[^a-z0-9]+", "-", text).strip("-.")
    if len(slug) > _MAX_SLUG:
        cut = slug.rfind("-", 0, _MAX_SLUG + 1)
        slug = slug[: cut if cut > 0 else _MAX_SLUG].strip("-.")
    return slug or "paper"


def _normal(title: str) -> str:
    return squash(unicodedata.normalize("NFKC", title).casefold())


def _clean(text: str) -> str:
    """text without escape sequences, control characters (tabs and newlines kept) or bidi controls."""
    text = _ESCAPES.sub("", text)
    return "".join(ch for ch in text if ch in "\t\n" or (unicodedata.category(ch) != "Cc" and ch not in BIDI_CONTROLS))


def _cut(text: str, limit: int, what: str, where: str, notes: list[str]) -> str:
    if len(text) <= limit:
        return text
    notes.append(f"{where}: the {what} was {len(text):,} characters long and was cut to {limit:,}.")
    space = text.rfind(" ", 0, limit)
    return text[: space if space > limit // 2 else limit].rstrip()


def _fields(record: dict, where: str, notes: list[str]) -> dict:
    missing = " or ".join(repr(name) for name in ("title", "abstract") if record.get(name) is None)
    if missing:
        found = ", ".join(map(repr, record)) or "none"
        raise CorpusError(f"{where}: no {missing} (fields found: {found}); give every paper a title and an abstract.")
    arxiv = ARXIV_KEYS <= record.keys()
    tidy = squash if arxiv else str.strip  # the arXiv snapshot wraps lines and doubles spaces inside both
    title, abstract = (tidy(_clean(string(record[name], name, where))) for name in ("title", "abstract"))
    for name, value in (("title", title), ("abstract", abstract)):
        if not value:
            raise CorpusError(f"{where}: empty {name}; fill it in or remove the paper.")
    title = _cut(title, MAX_TITLE_CHARS, "title", where, notes)
    abstract = _cut(abstract, MAX_ABSTRACT_CHARS, "abstract", where, notes)
    full = _full_text(record, len(abstract), where) if record.get("body") else {}
    paper_id = optional(record.get("id"), "id", where)
    # A full text's links to its code and data are the paper's too (its abstract rarely has them); not every link of a body.
    urls = links(abstract) + url_field(record.get("url"), where) + (code_links(full["body"]) if full else [])
    if arxiv and paper_id:
        urls.append(f"https://arxiv.org/abs/{paper_id}")
    return {
        "id": paper_id,
        "title": title,
        "abstract": abstract,
        "urls": list(dict.fromkeys(urls)),
        "authors": [name for name in (squash(_clean(name)) for name in authors_of(record.get("authors"), where)) if name],
        "date": optional(record.get("update_date" if arxiv else "date"), "date", where),
        "doi": normal_doi(optional(record.get("doi"), "doi", where)),
        # The original entry of a .bib file, given back as it was when an answer's sources are exported.
        "bibtex": None if record.get("bibtex") is None else _clean(string(record["bibtex"], "bibtex", where)),
        **full,
    }


def _full_text(record: dict, abstract_chars: int, where: str) -> dict:
    """A PDF's body, with its page and section offsets moved if the abstract before them was cut."""
    shift = abstract_chars - len(record["abstract"].strip())

    def moved(offset: int) -> int:
        return offset if offset == 0 else offset + shift

    return {"body": record["body"], "pdf": record.get("pdf"),
            "pages": [(moved(offset), page) for offset, page in record.get("pages", [])],
            "sections": [(moved(offset), heading) for offset, heading in record.get("sections", [])]}




def zotero_papers(found: ItemRecords) -> ReadReport:
    """The papers of Zotero items read by assistant.corpus.zotero.item_records (their notes and skipped keys kept)."""
    report = ReadReport(notes=list(found.notes), skipped=list(found.skipped), pages=found.pages)
    for where, record in found.records:
        if record.get("url") and not re.match(r"https?://\S", record["url"], re.IGNORECASE):
            record = {**record, "url": None}  # Zotero's URL field holds whatever was typed into it
        fields = _fields(record, where, report.notes)
        report.papers.append(Paper(paper_id=fields.pop("id"), source=where, **fields))
    return report
