"""Questions on when the papers were written ("Which is the most recent paper?", "What papers are from 2022?"): answered
from the papers' records (a BibTeX, RIS, Zotero or PDF entry's year), since no passage of a paper says when it appeared.

Only questions that name no topic of their own: "Which is the most recent paper on tidal energy?" is left to the other
answers (the topic decides which papers count).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Protocol, Sequence

from assistant.evidence import Sentence
from assistant.markdown import escape_markdown
from assistant.models import Citation, Draft

# Every word of such a question is one of these (or a year).
_DATE_QUESTION_WORDS = set("""
what which who is are was were the this that these those my our of in on from about does do did please tell me show list
give all any here there paper papers article articles work works study studies one ones publication publications
published written appeared came come date dated year years collection library most recent recently newest latest last
oldest earliest first new old
""".split())
_NEWEST = re.compile(r"\b(most recent|newest|latest|last)\b", re.IGNORECASE)
_OLDEST = re.compile(r"\b(oldest|earliest|(published|written|appeared|came) first)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_WORD = re.compile(r"[a-z]+|\d+")
LISTED = 5  # papers named by date, the first of them the answer


class Dated(Protocol):
    """A paper as its record gives it (a Hit, or the catalog's PaperRecord)."""

    @property
    def paper_id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def urls(self) -> list[str]: ...

    @property
    def date(self) -> str | None: ...


@dataclass(frozen=True)
class DateAsked:
    """What a question asks of the papers' dates: the newest, the oldest, or those of one year."""

    kind: str  # "newest", "oldest" or "year"
    year: str | None = None


def date_asked(question: str) -> DateAsked | None:
    """What the question asks of the papers' dates, when that is all it asks ("Which paper is the oldest?", "What papers
    were published in 2022?"); else None."""
    words = _WORD.findall(question.lower().replace("’", "'").replace("'s", " is"))
    if not words or any(word not in _DATE_QUESTION_WORDS and not _YEAR.fullmatch(word) for word in words):
        return None
    year = _YEAR.search(question)
    if year:
        return DateAsked("year", year.group())
    if _NEWEST.search(question):
        return DateAsked("newest")
    if _OLDEST.search(question):
        return DateAsked("oldest")
    return None


def papers_by_date(papers: Sequence[Dated], asked: DateAsked) -> list[Dated]:
    """The papers that answer it, in the order named: newest or oldest first, or those of the year asked (newest first)."""
    dated = [paper for paper in papers if _year(paper)]
    if asked.kind == "year":
        dated = [paper for paper in dated if _year(paper) == asked.year]
    return sorted(dated, key=lambda paper: paper.date or "", reverse=asked.kind != "oldest")


def dated_draft(papers: Sequence[Dated], asked: DateAsked, quotes: Mapping[str, Sentence]) -> Draft:
    """The answer from the papers' record dates: the newest or oldest first (with the next few), or those of the year
    asked; the first LISTED cited with their sentence in `quotes`. Papers without a year are left out, and said to be."""
    years = sorted({year for paper in papers if (year := _year(paper))})
    if not years:
        return Draft(text="The collection's records give no date for its papers (no year in their entries), so it cannot "
                          "tell when they were written.", abstained=True)
    chosen = papers_by_date(papers, asked)
    if not chosen:
        span = years[0] if len(years) == 1 else f"{years[0]}–{years[-1]}"
        return Draft(text=f"No paper in the collection is from {asked.year}: its dated papers are from {span}.", abstained=True)
    if asked.kind == "year":
        count = len(chosen)
        head = f"{count} paper{'s' if count != 1 else ''} in the collection {'are' if count != 1 else 'is'} from {asked.year}:"
    else:
        which = "most recent" if asked.kind == "newest" else "oldest"
        head = f"The {which} paper in the collection is *{escape_markdown(chosen[0].title)}* ({chosen[0].date}) [1]. By date:"
    shown = chosen[:LISTED]
    citations = [_citation(number, paper, quotes.get(paper.paper_id)) for number, paper in enumerate(shown, start=1)]
    lines = [f"- {paper.date}: *{escape_markdown(paper.title)}* [{number}]" for number, paper in enumerate(shown, start=1)]
    text = f"{head}\n\n" + "\n".join(lines) + (f"\n\n…and {len(chosen) - LISTED} more." if len(chosen) > LISTED else "")
    undated = sum(1 for paper in papers if not _year(paper))
    if undated:
        text += (f"\n\nLeft out: {undated} paper{'s' if undated != 1 else ''} whose record gives no date.")
    return Draft(text=text, citations=citations)


def _citation(number: int, paper: Dated, sentence: Sentence | None) -> Citation:
    """The paper cited with its sentence (none when its abstract gave none to quote)."""
    return Citation(number=number, paper_id=paper.paper_id, title=paper.title, urls=paper.urls,
                    quote=sentence.text if sentence else "", spans=[(sentence.start, sentence.end)] if sentence else [])


def _year(paper: Dated) -> str | None:
    """The year of a paper's record date ("2022" of "2022-03-01"), when it has one."""
    return paper.date[:4] if paper.date and _YEAR.match(paper.date[:4]) else None
