"""Prompt text lives in assistant/prompt_templates/<name>.md (package data); render() fills one and lets nothing slip."""

from __future__ import annotations

import re
from importlib import resources
from importlib.resources.abc import Traversable
from string import Template

PROMPTS_DIR: Traversable = resources.files("assistant") / "prompt_templates"

# The one abstention sentence: the system prompt asks for it, the parser and the tests look for it.
NO_ANSWER = "The collection has no paper that answers this."

_NAME = re.compile(r"[a-z0-9_]+")
# "<source", "</source", "< / SOURCE": anything a model could read as opening or closing a source block.
_SOURCE_TAG = re.compile(r"<(\s*/?\s*source)", re.IGNORECASE)


def render(name: str, **variables: object) -> str:
    """prompt_templates/<name>.md filled with variables; every variable must be used and every placeholder filled."""
    template = _load(name)
    expected = _identifiers(name, template)
    missing = sorted(expected - variables.keys())
    if missing:
        raise ValueError(f"Prompt '{name}' uses {_listed(missing)}, which was not given.")
    unused = sorted(variables.keys() - expected)
    if unused:
        raise ValueError(f"Prompt '{name}' does not use {_listed(unused)}; it has {_listed(sorted(expected)) or 'no variables'}.")
    return template.substitute({key: str(value) for key, value in variables.items()})


def format_sources(sources: list[tuple[int, str, str]]) -> str:
    """Each (number, title, text) as a <source id="n"> block that its own text cannot close or forge."""
    blocks = []
    for number, title, text in sources:
        title = " ".join(_neutralise(title).split())
        blocks.append(f'<source id="{int(number)}">\nTitle: {title}\n{_neutralise(text).strip()}\n</source>')
    return "\n\n".join(blocks)


def _neutralise(text: str) -> str:
    return _SOURCE_TAG.sub(r"‹\1", text)


def _listed(names: list[str]) -> str:
    return ", ".join(f"${n}" for n in names)


def prompt_names() -> list[str]:
    """The names of the prompts there are, sorted."""
    return sorted(item.name[:-3] for item in PROMPTS_DIR.iterdir() if item.name.endswith(".md"))


def _load(name: str) -> Template:
    path = PROMPTS_DIR / f"{name}.md"
    if not _NAME.fullmatch(name) or not path.is_file():
        raise ValueError(f"Unknown prompt '{name}'; prompt_templates/ has {', '.join(prompt_names()) or 'none'}.")
    return Template(path.read_text(encoding="utf-8").strip())


def _identifiers(name: str, template: Template) -> set[str]:
    """The placeholders of template; a stray '$' is an error (Template.get_identifiers needs Python 3.11)."""
    found: set[str] = set()
    for match in template.pattern.finditer(template.template):
        if match.group("invalid") is not None:
            line = template.template.count("\n", 0, match.start()) + 1
            raise ValueError(f"prompt_templates/{name}.md line {line} has a '$' that starts no variable; write $$ for a dollar sign.")
        identifier = match.group("named") or match.group("braced")
        if identifier:
            found.add(identifier)
    return found
