"""LaTeX in reference-manager fields ({\\"o}, \\emph{}, $x^2$, braces) turned into readable text (pylatexenc only here)."""

from __future__ import annotations

import re
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec
from pylatexenc.latex2text import get_default_latex_context_db as text_context
from pylatexenc.latexwalker import LatexWalker
from pylatexenc.latexwalker import get_default_latex_context_db as walker_context
from pylatexenc.macrospec import MacroSpec

from assistant.errors import CorpusError

# In a field, % and & are text (exporters that forget to escape them are common), never a comment or a table cell.
_UNESCAPED = re.compile(r"(?<!\\)([%&])")


@lru_cache(maxsize=1)
def _contexts():
    # pylatexenc's defaults know \href and \url as text but not their arguments: both are declared here.
    walker = walker_context()
    walker.add_context_category("paper-assistant", prepend=True, macros=[MacroSpec("href", "{{"), MacroSpec("url", "{")])
    text = text_context()
    text.add_context_category("paper-assistant", prepend=True, macros=[
        MacroTextSpec("href", simplify_repl="%(2)s (%(1)s)"), MacroTextSpec("url", simplify_repl="%(1)s")])
    return walker, text


def latex_to_text(value: str, what: str, where: str) -> str:
    """value with its LaTeX markup rendered as plain text, white space squashed; a CorpusError when it cannot be read."""
    if "\\" not in value and "{" not in value and "$" not in value and "~" not in value:
        return " ".join(value.split())
    walker, text = _contexts()
    try:
        nodes = LatexWalker(_UNESCAPED.sub(r"\\\1", value), latex_context=walker, tolerant_parsing=True).get_latex_nodes()[0]
        plain = LatexNodes2Text(latex_context=text, math_mode="text").nodelist_to_text(nodes)
    except Exception as error:  # pylatexenc fails on some macros written without their arguments
        raise CorpusError(f"{where}: the {what} cannot be read as LaTeX ({type(error).__name__}: {error}); "
                          f"fix its markup (a macro without its arguments?).") from error
    return " ".join(plain.split())
