"""The paper file formats: finding the files, and reading each into records (line, fields) before any check.

The reference-manager formats (.bib, .ris, CSL-JSON in a .json) live in their own modules; their entries without an
abstract are skipped (and listed), as every library export has some.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from pathlib import Path

from assistant.corpus.bibtex import bibtex_records
from assistant.corpus.csl_json import csl_records, is_csl_json
from assistant.corpus.library import LibraryRecords, Records
from assistant.corpus.ris import ris_records
from assistant.errors import CorpusError

FORMATS = {".txt": "text", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "csv",
           ".bib": "bibtex", ".ris": "ris", ".pdf": "pdf"}
_ACCEPTED = "accepted formats: " + ", ".join(FORMATS)
# The lines a saved "trending papers" page shows above its first paper.
_HEADER = re.compile(
    r"new|subscribe|get trending papers in your email inbox!|by\s*\S+ and the research community"
    r"|(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}(,? \d{4})?",
    re.IGNORECASE,
)
_ABSTRACT_WORDS = 40  # no real title is this long, nearly every abstract is longer
ARXIV_KEYS = {"id", "title", "abstract", "authors", "update_date", "categories"}
_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\"*。，；：！？、"
_CODE_HOSTS = r"github\.com|gitlab\.com|bitbucket\.org|codeberg\.org|huggingface\.co|zenodo\.org|osf\.io|figshare\.com|sourceforge\.net"
_CODE_LINK = re.compile(rf"(?<![\w/.@-])(?:https?://)?(?:www\.)?(?:{_CODE_HOSTS})/[^\s<>\"]+", re.IGNORECASE)
_OPENERS = {")": "(", "]": "[", "}": "{"}


def files_of(paths: Iterable[str | Path], ignored: list[Path] | None = None) -> list[Path]:
    """The paper files named or in the named folders; a folder's files of other types are left out (added to `ignored`)."""
    if isinstance(paths, (str, Path)):  # one path, not an iterable of its characters
        paths = [paths]
    files: dict[Path, Path] = {}  # keyed by real path: a file named directly and through its directory is read once
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(f for f in path.rglob("*") if f.is_file() and not _hidden(f.relative_to(path)))
            other = [f for f in found if f.suffix.lower() not in FORMATS]
            found = [f for f in found if f.suffix.lower() in FORMATS]
            if ignored is not None:
                ignored += other
            if not found:
                raise CorpusError(f"{path}: the directory holds no paper files; add some ({_ACCEPTED}).")
        elif path.is_file():
            found = [path]
        else:
            raise CorpusError(f"{path}: no such file or directory; check the path.")
        for file in found:
            if file.suffix.lower() not in FORMATS:
                raise CorpusError(f"{file}: unknown file type {file.suffix or '(none)'!r}; {_ACCEPTED}. Rename or remove it.")
            files.setdefault(file.resolve(), file)
    if not files:
        raise CorpusError(f"No paper files given; pass at least one file or directory ({_ACCEPTED}).")
    return list(files.values())


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def records_of(file: Path) -> LibraryRecords:
    """The file's records (line, fields), and the keys of library entries skipped for having no abstract."""
    text, suffix = _read_text(file), file.suffix.lower()
    kind = FORMATS[suffix]
    if kind == "bibtex":
        found = bibtex_records(text, file)
    elif kind == "ris":
        found = ris_records(text, file)
    elif kind == "json":
        found = _json_records(text, file)
    elif kind == "text":
        found = LibraryRecords(_text_records(text, file))
    elif kind == "csv":
        found = LibraryRecords(_csv_records(text, file, "\t" if suffix == ".tsv" else ","))
    else:
        found = LibraryRecords(_jsonl_records(text, file))
    if not found.records:
        if found.skipped:
            raise CorpusError(f"{file}: none of its {len(found.skipped)} entries has an abstract; export the library with "
                              f"abstracts (in Zotero: the Abstract field of each item).")
        raise CorpusError(f"{file}: no papers found; add papers to it or remove it.")
    return found


def _read_text(file: Path) -> str:
    try:
        data = file.read_bytes().removeprefix(b"\xef\xbb\xbf")
    except OSError as e:
        raise CorpusError(f"{file}: cannot be read ({e.strerror}); check its permissions.") from e
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise CorpusError(f"{file}:{line}: binary data (a NUL byte); give a UTF-8 text file instead.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise CorpusError(f"{file}:{line}: not valid UTF-8 (byte {data[e.start]:#04x}); save it as UTF-8.") from e
    if not text.strip():
        raise CorpusError(f"{file}: the file is empty; add papers to it or remove it.")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _text_records(text: str, file: Path) -> Records:
    """Non-blank lines alternate title and abstract, after an optional page header."""
    entries = [(n, line.strip()) for n, line in enumerate(text.split("\n"), 1) if line.strip()]
    while entries and _HEADER.fullmatch(entries[0][1]):
        entries.pop(0)

    def wordy(i: int) -> bool:
        return len(entries[i][1].split()) >= _ABSTRACT_WORDS

    def no_abstract(i: int) -> CorpusError:
        line, title = entries[i]
        return CorpusError(f"{file}:{line}: the title {title[:80]!r} has no abstract; put it on the next line.")

    # An abstract in a title's place shows where a line went missing, so the message can point there.
    for i in range(0, len(entries), 2):
        if wordy(i) and (i == 0 or wordy(i - 1)):
            raise CorpusError(f"{file}:{entries[i][0]}: an abstract with no title before it; add its title above.")
        if wordy(i):
            raise no_abstract(i - 2)
    if len(entries) % 2:
        raise no_abstract(len(entries) - 1)
    return [(n, {"title": title, "abstract": abstract}) for (n, title), (_, abstract) in zip(entries[::2], entries[1::2])]


def _csv_records(text: str, file: Path, delimiter: str) -> Records:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows, start = [], 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as e:
        raise CorpusError(f"{file}:{reader.line_num}: not valid CSV ({e}); check the quotes on that line.") from e
    if not rows:
        raise CorpusError(f"{file}: no rows found; add a header row (title, abstract) and papers.")
    (header_line, header), *rows = rows
    header = [name.strip().lower() for name in header]
    missing = " or ".join(repr(name) for name in ("title", "abstract") if name not in header)
    if missing:
        found = ", ".join(map(repr, header))
        raise CorpusError(f"{file}:{header_line}: no {missing} column (columns found: {found}); name the columns title and abstract.")
    for line, row in rows:
        if len(row) > len(header):
            raise CorpusError(f"{file}:{line}: {len(row)} fields for {len(header)} columns; quote fields that contain {delimiter!r}.")
    return [(line, dict(zip(header, row + [""] * (len(header) - len(row))))) for line, row in rows]


def _jsonl_records(text: str, file: Path) -> Records:
    records = []
    for n, line in enumerate(text.split("\n"), 1):
        if line.strip():
            try:
                value = json.loads(line)
            except (ValueError, RecursionError) as e:
                raise CorpusError(f"{file}:{n}: invalid JSON ({_json_problem(e)}); write one JSON object per line.") from e
            records.append((n, _object(value, f"{file}:{n}")))
    return records


def _json_records(text: str, file: Path) -> LibraryRecords:
    """A .json file holds a list of objects (CSL-JSON items, or papers), one object, or (named so by many) one per line."""
    try:
        items = json.loads(text)
    except (ValueError, RecursionError) as e:
        if not text.lstrip().startswith("["):
            return LibraryRecords(_jsonl_records(text, file))
        line = getattr(e, "lineno", 1)
        raise CorpusError(f"{file}:{line}: invalid JSON ({_json_problem(e)}); make the file one list of objects.") from e
    if not isinstance(items, list):
        line = text.count("\n", 0, _skip_space(text)) + 1
        return LibraryRecords([(line, _object(items, f"{file}:{line}"))])
    # json.loads gives no positions, so walk the (now known valid) list again for each item's line.
    decoder, pos = json.JSONDecoder(), _skip_space(text, text.index("[") + 1)
    lines, line, counted = [], 1, 0  # newlines are counted once each: big files stay linear
    for _ in items:
        line, counted = line + text.count("\n", counted, pos), pos
        lines.append(line)
        pos = _skip_space(text, decoder.raw_decode(text, pos)[1])
        pos = _skip_space(text, pos + 1) if text[pos] == "," else pos
    if is_csl_json(items):
        return csl_records(items, lines, file)
    return LibraryRecords([(n, _object(item, f"{file}:{n}")) for n, item in zip(lines, items)])


def _skip_space(text: str, pos: int = 0) -> int:
    """The position of the first character at or after pos that is not JSON white space."""
    while pos < len(text) and text[pos] in " \t\n":
        pos += 1
    return pos


def _json_problem(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg.lower()} at column {error.colno}"
    return "nested too deeply" if isinstance(error, RecursionError) else str(error)


def _object(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise CorpusError(f"{where}: expected a JSON object with title and abstract, found {type(value).__name__}.")
    return {str(key).strip().lower(): item for key, item in value.items()}


def string(value: object, name: str, where: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and name in ("id", "date"):
        value = str(value)
    if not isinstance(value, str):
        raise CorpusError(f"{where}: {name} must be text, found {type(value).__name__}; write it as a string.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:  # a lone surrogate from a JSON "\ud800" escape
        raise CorpusError(f"{where}: {name} holds an invalid \\u escape; fix or remove it.") from e
    return value


def squash(text: str) -> str:
    return " ".join(text.split())


def optional(value: object, name: str, where: str) -> str | None:
    return None if value is None else squash(string(value, name, where)) or None


def links(text: str) -> list[str]:
    links = []
    for match in _URL.finditer(text):
        url = _without_prose(match.group())
        if url.partition("://")[2] and not is_placeholder_link(url) and not _cut_short(text, match):
            links.append(url)
    return links


# A path going on after a space: "(https://github.com/ESCOMP/CTSM/tree/branch tags/PPE.n11 ...)", whose underscore the
# PDF draws as a rule, not a character; a path's part, with a capital, a figure or a dot, not prose's "and/or".
_PATH_GOES_ON = re.compile(r" [\w.-]+/[\w./-]*?[A-Z\d.]")


def _cut_short(text: str, match: re.Match[str]) -> bool:
    """Whether the link found is only the start of one the text cut with a space: such a link points elsewhere."""
    return not match.group().endswith("/") and _PATH_GOES_ON.match(text, match.end()) is not None


def code_links(text: str) -> list[str]:
    """Links to code or data on a host made for it (GitHub, Zenodo, OSF, ...), with or without their https:// (a body
    writes "github.com/owner/repo"): what a full text says about its code, among the many links a body holds."""
    found = []
    for match in _CODE_LINK.finditer(text):
        if _cut_short(text, match):
            continue
        url = _without_prose(match.group()).rstrip("/")
        path = re.sub(r"^(?:https?://)?[^/]+", "", url, flags=re.IGNORECASE)
        if path and not is_placeholder_link(url):  # a host alone ("github.com/.") names no repository
            found.append(url if re.match(r"https?://", url, re.IGNORECASE) else f"https://{url}")
    return found


# A template's stand-in for a link, never filled in ("github.com/AUTHOR_NAME/REPOSITORY_NAME", "github.com/<user>/<repo>",
# "github.com/YOUR_USERNAME/..."): a part of its path in capitals and underscores, or in angle brackets.
_PLACEHOLDER = re.compile(r"/(?:[A-Z]+_[A-Z_]+|YOUR[A-Z_]*|USERNAME|<[^/>]*>)(?=/|$)")


def is_placeholder_link(url: str) -> bool:
    """Whether a link is a template's placeholder, pointing at nothing."""
    return _PLACEHOLDER.search(url.partition("://")[2] or url) is not None


def _without_prose(url: str) -> str:
    """Sentence punctuation and unbalanced closing brackets belong to the prose around a link."""
    while url and (url[-1] in _TRAILING or (url[-1] in _OPENERS and url.count(url[-1]) > url.count(_OPENERS[url[-1]]))):
        url = url[:-1]
    return url


def url_field(value: object, where: str) -> list[str]:
    if value is None:
        return []
    parts = value if isinstance(value, list) else re.split(r"[\s;]+", string(value, "url", where))
    urls = [url for url in (string(part, "url", where).strip() for part in parts) if url]
    for url in urls:
        if not re.match(r"https?://\S", url, re.IGNORECASE):
            raise CorpusError(f"{where}: url {url[:80]!r} is not an http(s) link; write it as https://...")
    return urls


def authors_of(value: object, where: str) -> list[str]:
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:  # a JSON list kept in a CSV cell
            value = json.loads(value)
        except (ValueError, RecursionError):
            pass  # not JSON after all: split it like any other string of names
    if value is None:
        return []
    if isinstance(value, list):
        names = [string(name, "author", where) for name in value]
    else:
        text = string(value, "authors", where)
        names = text.split(";") if ";" in text else re.split(r",|\band\b", text)
    return [squash(name) for name in names if name.strip()]
