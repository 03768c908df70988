"""Escaping text from abstracts and models for Markdown: the one place both the answers and the web UI get it from."""

from __future__ import annotations

import re
import string

# What the answers escape: only what would turn abstract text into emphasis, math, links or markers like [3],
# so the text stays readable in a terminal too.
_ANSWER_SPECIAL = re.compile(r"[\\`*_\[\]~$<>|#]")
_ESCAPED = re.compile(r"\\([\\`*_\[\]~$<>|#])")
# Every ASCII punctuation character may be backslash-escaped in CommonMark, which also stops Streamlit's
# extras ($math$, :color[directives]) from reading anything in untrusted text.
_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
# A Streamlit emoji or icon shortcode (:rocket:, :material/home:) is read after unescaping, so a zero-width
# space is put after its first colon instead.
_SHORTCODE = re.compile(r":(?=[\w/+-]+:)")


def escape_markdown(text: str) -> str:
    """Text from an abstract, safe inside a markdown answer: no stray emphasis, math, links or markers like [3]."""
    return _ANSWER_SPECIAL.sub(r"\\\g<0>", text)


def unescape_markdown(text: str) -> str:
    """An answer's text as a terminal shows it: what escape_markdown escaped, as written ("p > 0.05", not "p \\> 0.05")."""
    return _ESCAPED.sub(r"\1", text)


# Emphasis an answer puts around a title ("From *DAFormer: ...*:", "- **DAFormer**: ..."): a pair of unescaped markers.
_EMPHASIS = re.compile(r"(?<!\\)(\*\*|\*)(?=\S)(.+?)(?<=\S)(?<!\\)\1")


def terminal_text(text: str) -> str:
    """An answer's text for a terminal: its emphasis markers dropped ("From DAFormer: ...:", not "From *DAFormer*:") and
    what escape_markdown escaped as written (an abstract's own "*" stays)."""
    return unescape_markdown(_EMPHASIS.sub(r"\2", text))


def defuse_shortcodes(text: str) -> str:
    """Text in which no :emoji: or :material/icon: shortcode is read by Streamlit."""
    return _SHORTCODE.sub(":\u200b", text)


def inert_markdown(text: str) -> str:
    """Text from an abstract or a model as inert Markdown for the web UI: shown literally, on one line, never as HTML."""
    text = defuse_shortcodes(text)
    return _PUNCTUATION.sub(r"\\\1", re.sub(r"\s+", " ", text))
