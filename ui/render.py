"""Pure text helpers of the web UI: escaping, highlighting, marker links, status lines, the Markdown export.

Nothing here imports Streamlit, so the tests can check the text the app renders.
"""

from __future__ import annotations

import re
from typing import Any, Iterable
from urllib.parse import quote

from assistant import Answer, Citation
from assistant.markdown import defuse_shortcodes
from assistant.markdown import inert_markdown as escape_markdown  # the UI's name for it

HIGHLIGHT = "orange-background"
CONTEXT = "gray"
_CODE_SPAN = re.compile(r"(`[^`\n]+`)")
_MARKER = re.compile(r"(?<!\[)\[(\d+)\](?!\()")


def answer_markdown(text: str, literals: Iterable[str] = ()) -> str:
    """An answer's Markdown, with the literals it quotes (titles, sentences) shown exactly and no math or HTML read."""
    wanted = sorted({literal for literal in literals if literal.strip()}, key=len, reverse=True)
    if not wanted:
        return defuse_markdown(text)
    pieces, position = [], 0
    for match in re.finditer("|".join(map(re.escape, wanted)), text):
        pieces.append(defuse_markdown(text[position:match.start()]))
        pieces.append(escape_markdown(match.group(0)))
        position = match.end()
    pieces.append(defuse_markdown(text[position:]))
    return "".join(pieces)


def defuse_markdown(markdown: str) -> str:
    """Markdown kept, but $ is no math, < no HTML and :name: no emoji; `code spans` are left as they are."""
    parts = _CODE_SPAN.split(markdown)
    for i in range(0, len(parts), 2):  # the odd parts are the code spans
        text = defuse_shortcodes(parts[i])
        parts[i] = text.replace("\\$", "$").replace("$", "\\$").replace("<", "\\<")
    return "".join(parts)


def source_anchor(message_index: int, number: int) -> str:
    """The HTML id of source card [number] under message message_index."""
    return f"source-{message_index}-{number}"


def link_markers(text: str, message_index: int, numbers: Iterable[int]) -> str:
    """Turn each marker [n] with a source card into a link that scrolls to the card."""
    valid = set(numbers)

    def replace(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if number not in valid:
            return match.group(0)
        return f"[\\[{number}\\]](#{source_anchor(message_index, number)})"

    return _MARKER.sub(replace, text)


def merge_spans(spans: Iterable[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Spans clamped to the text, sorted, overlapping ones joined, empty ones dropped."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted((max(0, s), min(length, e)) for s, e in spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def highlight(abstract: str, spans: Iterable[tuple[int, int]]) -> str:
    """The abstract as Markdown: the spans highlighted and bold, the rest in grey so the quote stands out."""
    pieces, position = [], 0
    for start, end in merge_spans(spans, len(abstract)):
        pieces.append(_styled(abstract[position:start], CONTEXT))
        pieces.append(_styled(abstract[start:end], HIGHLIGHT, bold=True))
        position = end
    pieces.append(_styled(abstract[position:], CONTEXT))
    return "".join(pieces).strip()


def excerpt(abstract: str, spans: Iterable[tuple[int, int]], context: int = 140) -> str:
    """The quoted spans with about `context` characters around each, cut at words, as highlight() shows them; "…" marks a cut."""
    merged = merge_spans(spans, len(abstract))
    windows = _windows(abstract, merged, context)
    if not windows:
        return highlight(abstract, [])
    pieces = []
    for left, right in windows:
        inside = [(max(s, left) - left, min(e, right) - left) for s, e in merged if s < right and e > left]
        pieces.append(highlight(abstract[left:right], inside))
    cut = _styled("…", CONTEXT)
    text = f" {cut} ".join(pieces)
    if windows[0][0] > 0:
        text = f"{cut} {text}"
    if windows[-1][1] < len(abstract):
        text = f"{text} {cut}"
    return text


def is_whole(abstract: str, spans: Iterable[tuple[int, int]], context: int = 140) -> bool:
    """Whether the excerpt around the spans already shows the whole abstract."""
    return _windows(abstract, merge_spans(spans, len(abstract)), context) in ([], [(0, len(abstract))])


def _windows(abstract: str, merged: list[tuple[int, int]], context: int) -> list[tuple[int, int]]:
    """The parts of the abstract an excerpt shows: each span widened by context to whole words, overlapping ones joined."""
    windows: list[tuple[int, int]] = []
    for start, end in merged:
        left, right = _word_start(abstract, start - context), _word_end(abstract, end + context)
        if windows and left <= windows[-1][1]:
            windows[-1] = (windows[-1][0], right)
        else:
            windows.append((left, right))
    return windows


def _word_start(text: str, position: int) -> int:
    """position moved forward to the start of a word (0 when it falls before the text)."""
    if position <= 0:
        return 0
    space = text.find(" ", position)
    return space + 1 if space != -1 else position


def _word_end(text: str, position: int) -> int:
    """position moved back to the end of a word (the text's end when it falls past it)."""
    if position >= len(text):
        return len(text)
    space = text.rfind(" ", 0, position)
    return space if space != -1 else position


def _styled(text: str, style: str, bold: bool = False) -> str:
    """text inside a Streamlit :style[...] directive; its outer whitespace stays outside, as bold must hug words."""
    core = text.strip()
    if not core:
        return " " if text else ""
    inner = f"**{escape_markdown(core)}**" if bold else escape_markdown(core)
    lead = " " if text[0].isspace() else ""
    trail = " " if text[-1].isspace() else ""
    return f"{lead}:{style}[{inner}]{trail}"


def links_markdown(urls: Iterable[str]) -> str:
    """The paper's web links as Markdown links; anything that is not http(s) is shown as text."""
    shown = []
    for url in urls:
        if re.match(r"https?://", url, re.IGNORECASE):
            href = quote(url, safe=":/?#[]@!$&'*+,;=%~-._")  # spaces, <, >, ( and ) are percent-encoded
            shown.append(f"[{escape_markdown(url)}](<{href}>)")
        else:
            shown.append(escape_markdown(url))
    return " · ".join(shown)


def status_line(answer: Answer) -> str:
    """Mode, confidence, time taken and, for an LLM answer, tokens: one short line."""
    took = answer.timings.total_text()
    if answer.mode == "llm":
        parts = [f"LLM: {answer.model or 'unknown model'}", took,
                 f"{answer.usage.prompt_tokens} prompt + {answer.usage.completion_tokens} completion tokens"]
    else:
        parts = ["offline: extractive", took]
    if answer.abstained:  # the model's estimate, which a rule overrode: not "confidence 62% (medium)" under a refusal
        parts.insert(1, f"declined (the model's estimate that the collection answers it: {answer.confidence:.0%})")
    else:
        parts.insert(1, f"confidence {answer.confidence:.0%} ({'high' if answer.confidence >= 0.8 else 'medium' if answer.confidence >= 0.5 else 'low'})")
    return " · ".join(parts)


def answer_papers(answer: Answer) -> list[str]:
    """The papers an answer named, in its order: those it cites, then a list's papers past its limit ("these papers")."""
    return list(dict.fromkeys([c.paper_id for c in answer.citations] + [ref.paper_id for ref in answer.more]))


def chat_history(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation as ask_stream wants it: answered turns only, as role/content pairs."""
    history: list[dict[str, Any]] = []
    for question, reply in zip(messages, messages[1:]):
        if question["role"] == "user" and reply["role"] == "assistant" and reply.get("answer") is not None:
            history.append({"role": "user", "content": question["content"]})
            history.append({"role": "assistant", "content": reply["answer"].text,
                            "paper_ids": answer_papers(reply["answer"])})
    return history


def _reference(citation: Citation) -> str:
    line = f"{citation.number}. {citation.title}"
    if citation.urls:
        line += " — " + ", ".join(citation.urls)
    quote_lines = "\n".join(f"   > {row}" for row in citation.quote.splitlines() if row.strip())
    return f"{line}\n{quote_lines}" if quote_lines else line


def conversation_markdown(messages: list[dict[str, Any]]) -> str:
    """The conversation as a Markdown document; each answer is followed by the references its markers point to."""
    parts = ["# Paper Assistant conversation"]
    for message in messages:
        if message["role"] == "user":
            parts.append(f"## Question\n\n{message['content'].strip()}")
            continue
        answer: Answer | None = message.get("answer")
        if answer is None:
            parts.append(f"**Error:** {message.get('error', 'no answer')}")
            continue
        parts.append(f"### Answer\n\n{answer.text.strip()}\n\n*{status_line(answer)}*")
        if answer.notes:
            parts.append("\n".join(f"> Note: {note}" for note in answer.notes))
        if answer.citations:
            parts.append("#### References\n\n" + "\n".join(_reference(c) for c in answer.citations))
        elif answer.abstained and answer.sources:
            parts.append("#### Closest papers\n\n" + "\n".join(f"- {hit.title}" for hit in answer.sources))
    return "\n\n".join(parts) + "\n"


# -- the welcome examples -------------------------------------------------------------------------

_NAME = re.compile(r"([A-Za-z][\w.*+-]{1,24}):\s")  # "DAFormer: Improving ..." names its method DAFormer
_WORD = re.compile(r"[A-Za-z][A-Za-z-]+")
_SMALL = {"a", "an", "and", "are", "as", "at", "by", "for", "from", "in", "into", "is", "it", "its", "of", "on", "or",
          "the", "to", "via", "with", "without", "we", "our", "how", "what", "when", "why", "towards", "toward", "using",
          "can", "do", "does", "all", "you", "need", "your", "made", "easy", "more", "less", "than", "beyond"}
_VAGUE = {"learning", "model", "models", "approach", "study", "analysis", "new", "based", "improving", "enhancing",
          "training", "towards", "making", "framework", "method", "methods", "large"}
# When the titles give too few examples: a question that works on any collection (the overview), or those on its one
# paper (asked of it as it stands). "Which papers in this collection share a method?" was offered, and declined when
# clicked.
GENERIC_EXAMPLES = ["What is this collection about?"]
ONE_PAPER_EXAMPLES = ["What are the main findings?", "What data does it use?", "What are its limitations?"]


def welcome_examples(papers: list[Any], count: int = 3) -> list[str]:
    """Example questions about this collection, from its papers' titles and links (the same every time for one
    collection): where a named method's code is, a topic several titles share, what a named method does."""
    ordered = sorted(papers, key=lambda paper: paper.title.lower())
    named = [(match.group(1), paper) for paper in ordered if (match := _NAME.match(paper.title))
             and any(ch.isupper() for ch in match.group(1)) and match.group(1).lower() not in _SMALL]
    examples = []
    with_code = [name for name, paper in named if any("github.com/" in url for url in paper.urls)]
    if with_code:
        examples.append(f"Where's the code for {with_code[0]}?")
    topic = _shared_topic([paper.title for paper in ordered])
    if topic:
        examples.append(f"Which papers study {topic}?")
    others = [name for name, _ in named if name not in (with_code[:1])]
    if others:
        examples.append(f"What does {others[0]} propose?")
    if len(examples) < count:
        short = [paper.title for paper in sorted(ordered, key=lambda paper: len(paper.title)) if len(paper.title) <= 90]
        examples += [f"What does “{title}” find?" for title in short[: count - len(examples)]]
    for generic in ONE_PAPER_EXAMPLES if len(papers) == 1 else GENERIC_EXAMPLES:
        if len(examples) < count and generic not in examples:
            examples.append(generic)
    return examples[:count]


def _shared_topic(titles: list[str]) -> str | None:
    """The phrase of two or three words (no small words, not led by a vague one) in the most titles, at least two;
    the longer phrase on a tie ("large language models" over "language models")."""
    counts: dict[str, int] = {}
    for title in titles:
        words = [word.lower() for word in _WORD.findall(title)]
        phrases = {" ".join(words[i:i + n]) for n in (2, 3) for i in range(len(words) - n + 1)
                   if not _SMALL & set(words[i:i + n]) and words[i] not in _VAGUE - {"large"}
                   and not set(words[i:i + n]) <= _VAGUE}
        for phrase in phrases:
            counts[phrase] = counts.get(phrase, 0) + 1
    if not counts:
        return None
    best = max(sorted(counts), key=lambda phrase: (counts[phrase], len(phrase.split())))
    return best if counts[best] >= 2 else None
