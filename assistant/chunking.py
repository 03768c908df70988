"""Split abstracts into token-bounded chunks of whole sentences, with overlap."""

from __future__ import annotations

import bisect
import re
import threading
from functools import lru_cache
from typing import Sequence, TypeVar

import pysbd

from assistant.models import Chunk, Paper
from assistant.tokens import get_encoding

_segmenter_lock = threading.Lock()
T = TypeVar("T")


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


# pysbd's time grows with the square of the text's length (100k characters take seconds): longer texts are cut into
# pieces of at most this many characters, at a sentence end where there is one, and segmented piece by piece.
# The pieces end where pysbd ends a sentence too: on the seeds and all 5,183 SciFact abstracts the spans are pysbd's own.
PIECE_CHARS = 4_000
_PIECE_END = re.compile(r"[.!?][\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of text, trimmed of surrounding white space, in order and covering all words.

    Linear in the length of text: long texts are segmented in bounded pieces (PIECE_CHARS). Recent texts are
    remembered: an ingest asks for the same abstract's sentences to chunk it and to pool their vectors.
    """
    return list(_sentence_spans(text))


@lru_cache(maxsize=2048)
def _sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    for start, end in _pieces(text):
        spans.extend((start + s, start + e) for s, e in _segment(text[start:end]))
    return tuple(spans)


def _pieces(text: str) -> list[tuple[int, int]]:
    """text cut into spans of at most PIECE_CHARS characters: after the last sentence end in reach, else at a space."""
    pieces, start = [], 0
    while len(text) - start > PIECE_CHARS:
        limit = start + PIECE_CHARS
        cut = None
        for match in _PIECE_END.finditer(text, start + PIECE_CHARS // 2, limit):
            cut = match.end()
        if cut is None:
            space = max(text.rfind(" ", start + 1, limit), text.rfind("\n", start + 1, limit))
            cut = space + 1 if space > start else limit
        pieces.append((start, cut))
        start = cut
    pieces.append((start, len(text)))
    return pieces


def _segment(text: str) -> list[tuple[int, int]]:
    """pysbd's sentences of text as spans, trimmed of surrounding white space, covering all words."""
    if not text.strip():
        return []
    with _segmenter_lock:  # pysbd keeps state per call; one at a time
        sentences = _segmenter().segment(text)
    spans: list[tuple[int, int]] = []
    cursor = 0
    for sentence in sentences:
        stripped = sentence.strip()
        if not stripped:
            continue
        start = text.find(stripped, cursor)
        if start < 0:  # the segmenter altered the text; fall back to what is left, whole
            break
        spans.append((start, start + len(stripped)))
        cursor = start + len(stripped)
    rest = text[cursor:]
    if rest.strip():
        offset = cursor + len(rest) - len(rest.lstrip())
        spans.append((offset, cursor + len(rest.rstrip())))
    return _join_inline_items(text, spans)


# pysbd ends a sentence before every "1)", "(2)", "iii)" of an inline enumeration, even in mid-sentence ("WebRL
# incorporates 1) a curriculum ..., 2) a reward model, and 3) ..."), which leaves "WebRL incorporates" as a sentence
# (85 of the seeds' and SciFact's 5,255 abstracts). An index keeps the spans it was built with (its sentence vectors are
# stored by span) until `assistant ingest --rebuild`.
_ITEM_MARK = re.compile(r"\(?(?:\d{1,2}|[ivx]{1,4}|[a-h])\)\s")
_SENTENCE_END = re.compile(r"[.!?:;][\"'”’)\]]*$")


def _join_inline_items(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans with every enumeration item that pysbd split off in mid-sentence joined back to the words before it
    (an item after a finished sentence, "two strategies. 1) Reliability ...", stays a sentence of its own)."""
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined and _ITEM_MARK.match(text, start) and not _SENTENCE_END.search(text, joined[-1][0], joined[-1][1]):
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def _split_long_sentence(text: str, start: int, end: int, max_tokens: int, encoding: str) -> list[tuple[int, int]]:
    """A sentence longer than a chunk, cut at word boundaries into pieces of at most max_tokens."""
    enc = get_encoding(encoding)
    pieces: list[tuple[int, int]] = []
    piece_start = start
    piece_end = start
    for match in re.finditer(r"\S+", text[start:end]):
        word_end = start + match.end()
        if piece_end > piece_start and len(enc.encode(text[piece_start:word_end], disallowed_special=())) > max_tokens:
            pieces.append((piece_start, piece_end))
            piece_start = start + match.start()
        piece_end = word_end
    if piece_end > piece_start:
        pieces.append((piece_start, piece_end))
    return pieces


def chunk_text(text: str, max_tokens: int, overlap_tokens: int, encoding: str = "cl100k_base") -> list[tuple[int, int, int]]:
    """(start, end, tokens) of chunks of text: whole sentences, at most max_tokens, repeating up to overlap_tokens of trailing sentences."""
    enc = get_encoding(encoding)

    def tokens(span: tuple[int, int]) -> int:
        return len(enc.encode(text[span[0] : span[1]], disallowed_special=()))

    units: list[tuple[int, int]] = []
    for span in sentence_spans(text):
        if tokens(span) > max_tokens:
            units.extend(_split_long_sentence(text, *span, max_tokens, encoding))
        else:
            units.append(span)

    chunks: list[tuple[int, int, int]] = []
    first = 0
    while first < len(units):
        last = first
        while last + 1 < len(units) and tokens((units[first][0], units[last + 1][1])) <= max_tokens:
            last += 1
        span = (units[first][0], units[last][1])
        chunks.append((span[0], span[1], tokens(span)))
        if last + 1 >= len(units):
            break
        # Start the next chunk with the trailing sentences that fit in the overlap, but always move forward.
        next_first = last + 1
        while next_first - 1 > first and tokens((units[next_first - 1][0], units[last][1])) <= overlap_tokens:
            next_first -= 1
        first = next_first
    return chunks


def chunk_paper(paper: Paper, max_tokens: int = 160, overlap_tokens: int = 40, encoding: str = "cl100k_base") -> list[Chunk]:
    """The paper's text (its abstract, then its body when it has one) as chunks; every chunk knows its paper, its place
    and its span, and for a full-text paper the page and section it starts in."""
    text = paper.text
    return [
        Chunk(
            paper_id=paper.paper_id,
            title=paper.title,
            index=index,
            start=start,
            end=end,
            text=text[start:end],
            token_count=count,
            page=place(paper.pages, start),
            section=place(paper.sections, start),
        )
        for index, (start, end, count) in enumerate(chunk_text(text, max_tokens, overlap_tokens, encoding))
    ]


def quotable_spans(text: str, sections: Sequence[tuple[int, str]] = ()) -> list[tuple[int, int]]:
    """The sentences a quote can be made of: every sentence of text but a full-text paper's section headings."""
    headings = {(offset, offset + len(heading)) for offset, heading in sections if offset > 0}
    return [span for span in sentence_spans(text) if span not in headings]


def place(marks: Sequence[tuple[int, T]], offset: int) -> T | None:
    """The value of the last mark (offset, value) at or before offset: the page or section a position is in."""
    at = bisect.bisect_right([start for start, _ in marks], offset) - 1
    return marks[at][1] if at >= 0 else None
