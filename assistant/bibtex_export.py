"""BibTeX of an answer's sources: the original entry of a paper read from a .bib file, a generated one otherwise.

Generated entries have stable keys (first author's surname, year, first title word, and 4 hex of the paper id, so two
exports of the same paper agree and two papers never share a key) and escape LaTeX's special characters.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol


class Citable(Protocol):
    """What an entry is made from: a Hit (assistant.models), or a paper known only by its citation. Typed by shape, so
    that models (whose Answer.bibtex() calls down here) is not imported back."""

    paper_id: str
    title: str
    urls: list[str]
    authors: list[str]
    date: str | None
    doi: str | None
    bibtex: str | None


@dataclass
class _Cited:
    """A cited paper missing from the answer's sources: what its citation says of it."""

    paper_id: str
    title: str
    urls: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    date: str | None = None
    doi: str | None = None
    bibtex: str | None = None


class _Answer(Protocol):
    @property
    def sources(self) -> Sequence[Citable]: ...
    @property
    def citations(self) -> Sequence[object]: ...

_SPECIALS = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "%": r"\%", "&": r"\&", "$": r"\$", "#": r"\#",
             "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}"}
_SMALL_WORDS = {"a", "an", "the", "on", "of", "for", "in", "to", "and", "with", "from", "by", "at", "is", "are"}


def answer_bibtex(answer: _Answer) -> str:
    """The BibTeX of the papers an answer cites, in the order of their markers ("" when it cites none)."""
    sources = {hit.paper_id: hit for hit in answer.sources}
    cited: list[Citable] = []
    for citation in answer.citations:
        paper_id, title, urls = citation.paper_id, citation.title, citation.urls  # type: ignore[attr-defined]
        cited.append(sources.get(paper_id) or _Cited(paper_id=paper_id, title=title, urls=list(urls)))
    return bibtex_of(cited)


def bibtex_of(hits: Iterable[Citable]) -> str:
    """One BibTeX entry per paper (each paper once), separated by blank lines, after the @string macros they use."""
    from assistant.corpus.bibtex import split_macros

    macros: dict[tuple[str, str], str] = {}  # each definition once, however many entries use it
    entries: dict[str, str] = {}
    for hit in hits:
        if hit.paper_id in entries:
            continue
        used, entries[hit.paper_id] = split_macros(hit.bibtex) if hit.bibtex else ([], bibtex_entry(hit))
        for name, block in used:
            macros.setdefault((name, " ".join(block.split())), block)
    blocks = [*macros.values(), *entries.values()]
    return "\n\n".join(blocks) + "\n" if blocks else ""


def bibtex_entry(hit: Citable) -> str:
    """The paper's original BibTeX entry (after the @string macros it uses) when it came from a .bib file, else one
    generated from what the index holds."""
    if hit.bibtex:
        return hit.bibtex.strip()
    fields = [("title", latex_escape(hit.title))]
    if hit.authors:
        fields.append(("author", " and ".join(_author(name) for name in hit.authors)))
    year = _year(hit.date)
    if year:
        fields.append(("year", year))
    if hit.doi:
        fields.append(("doi", _verbatim(hit.doi)))
    url = next((url for url in hit.urls if not url.lower().startswith(("https://doi.org/", "http://doi.org/"))), None)
    if url:
        fields.append(("url", _verbatim(url)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{bibtex_key(hit)},\n{body}\n}}"


def bibtex_key(hit: Citable) -> str:
    """A stable key: surname of the first author, year, first significant title word, and 4 hex of the paper id."""
    surname = _ascii(hit.authors[0].split()[-1]) if hit.authors and hit.authors[0].split() else ""
    words = [word for word in (_ascii(w) for w in hit.title.split()) if word and word not in _SMALL_WORDS]
    stem = f"{surname}{_year(hit.date) or ''}{words[0] if words else ''}" or "paper"
    return f"{stem[:40]}-{hashlib.sha256(hit.paper_id.encode()).hexdigest()[:4]}"


def latex_escape(text: str) -> str:
    """text with LaTeX's special characters escaped, white space squashed (other Unicode is kept: BibTeX reads UTF-8)."""
    return "".join(_SPECIALS.get(ch, ch) for ch in " ".join(text.split()))


def _author(name: str) -> str:
    escaped = latex_escape(name)
    # A name holding " and " (a consortium) is braced, or BibTeX would read two authors.
    return f"{{{escaped}}}" if re.search(r"\sand\s", name, re.IGNORECASE) else escaped


def _verbatim(value: str) -> str:
    """A DOI or URL as BibTeX keeps it verbatim: only braces and backslashes, which would break the entry, are encoded."""
    return value.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")


def _year(date: str | None) -> str | None:
    found = re.search(r"\b(1[5-9]\d\d|2\d\d\d)\b", date or "")
    return found.group(1) if found else None


def _ascii(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode())
