"""What the reference-manager formats (.bib, .ris, CSL-JSON) share: their records, skipped entries, and DOIs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

Records = list[tuple[int, dict]]  # (line, fields) per paper

_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


@dataclass
class LibraryRecords:
    """The entries of one library file that can be papers, and the keys of those skipped for having no abstract."""

    records: Records = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def normal_doi(value: object) -> str | None:
    """A DOI without its resolver prefix (https://doi.org/, doi:) or white space; None when there is none."""
    if not isinstance(value, str):
        return None
    doi = _DOI_PREFIX.sub("", "".join(value.split()))
    return doi or None


def doi_link(doi: str | None) -> str | None:
    """The https://doi.org/ link of a DOI."""
    return f"https://doi.org/{doi}" if doi else None


def doi_id(doi: str | None) -> str | None:
    """The paper id a DOI gives (DOIs ignore case, so the same paper gets the same id from every export)."""
    return doi.lower() if doi else None


def person_name(name: object) -> str:
    """'Last, First' as 'First Last' (a name without one comma is kept as written)."""
    text = " ".join(str(name).split())
    last, comma, first = text.partition(",")
    return f"{first.strip()} {last.strip()}".strip() if comma and "," not in first else text
