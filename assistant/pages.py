"""Where a quote of a full-text paper sits: its page and section, and whether it is from the body or the abstract."""

from __future__ import annotations

from assistant.chunking import place
from assistant.models import Answer, Citation, Hit


# How the note on facts taken from a body begins (the chat shows it as a caption: each source card says it too).
BODY_NOTE = "From the body of the paper, not its abstract:"


def place_citations(answer: Answer, hits: list[Hit]) -> None:
    """Give each citation of a full-text paper its page, section and in_body; note the facts taken from a body.

    Citations of abstract-only papers are left as they are (page and section None).
    """
    by_id = {hit.paper_id: hit for hit in [*answer.sources, *hits]}
    from_body = []
    for citation in answer.citations:
        hit = by_id.get(citation.paper_id)
        if hit is None or hit.body_start is None or not citation.spans:
            continue
        locate(citation, hit)
        if citation.in_body:
            from_body.append(citation)
    if from_body:
        where = "; ".join(f"[{c.number}] {label(c)}" for c in from_body)
        answer.notes.append(f"{BODY_NOTE} {where}.")


def locate(citation: Citation, hit: Hit) -> None:
    """Set the citation's page (where its quote starts), section and in_body from its first span."""
    start = citation.spans[0][0]
    citation.page = place(hit.pages, start)
    citation.in_body = hit.body_start is not None and start >= hit.body_start
    # A quote of the body is under a heading of the body, or none that was found: never "Abstract".
    body_start = hit.body_start or 0
    citation.section = place([mark for mark in hit.sections if mark[0] >= body_start] if citation.in_body else hit.sections, start)


def label(citation: Citation) -> str:
    """'p. 4, 3 Results' (or what of it is known); '' for a citation of an abstract-only paper."""
    parts = [f"p. {citation.page}" if citation.page is not None else "", citation.section or ""]
    return ", ".join(part for part in parts if part)
