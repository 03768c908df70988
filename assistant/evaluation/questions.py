"""The evaluation's question set: reading it, and finding each question's gold papers in the collection."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from assistant.errors import AssistantError

UNANSWERABLE = "unanswerable"
TYPE_ORDER = ("known_item", "paraphrase", "multi", "code", UNANSWERABLE)


@dataclass(frozen=True)
class Question:
    """One question of the evaluation set."""

    id: str
    question: str
    type: str
    gold_titles: tuple[str, ...] = ()
    answer_keywords: tuple[str, ...] = ()

    @property
    def answerable(self) -> bool:
        return self.type != UNANSWERABLE


def load_questions(path: str | Path) -> list[Question]:
    """Read a JSON Lines question file (id, question, type, gold_titles, answer_keywords)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise AssistantError(f"Cannot read the question file {path}: {error.strerror}.") from None
    questions: list[Question] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
            if not all(isinstance(record.get(key) or [], list) for key in ("gold_titles", "answer_keywords")):
                raise TypeError("gold_titles and answer_keywords must be lists")
            question = Question(id=str(record["id"]), question=str(record["question"]), type=str(record["type"]),
                                gold_titles=tuple(record.get("gold_titles") or ()),
                                answer_keywords=tuple(record.get("answer_keywords") or ()))
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise AssistantError(f"{where}: not a question record ({type(error).__name__}: {error}); "
                                 "each line needs id, question, type, gold_titles, answer_keywords.") from None
        if question.answerable and not question.gold_titles:
            raise AssistantError(f"{where}: question {question.id!r} of type {question.type!r} has no gold_titles; "
                                 f"give its gold papers or make its type {UNANSWERABLE!r}.")
        questions.append(question)
    if not questions:
        raise AssistantError(f"{path} holds no questions.")
    if len({q.id for q in questions}) != len(questions):
        raise AssistantError(f"{path}: question ids must be unique.")
    return questions


def _title_key(title: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", title)).strip().casefold()


def gold_paper_ids(questions: list[Question], titles: Mapping[str, str]) -> dict[str, list[str]]:
    """The gold paper ids of each answerable question, from the collection's {paper_id: title}."""
    by_title: dict[str, list[str]] = {}
    for paper_id, title in titles.items():
        by_title.setdefault(_title_key(title), []).append(paper_id)
    gold: dict[str, list[str]] = {}
    for question in questions:
        if not question.answerable:
            continue
        ids = []
        for title in question.gold_titles:
            found = by_title.get(_title_key(title))
            if not found:
                raise AssistantError(f"Question {question.id!r}: the gold title {title!r} is not in the collection; "
                                     "ingest that paper or fix the title in the question file.")
            ids.extend(found)
        gold[question.id] = sorted(set(ids))
    return gold


def question_types(questions: list[Question]) -> list[str]:
    """The distinct question types of the set, the known ones first in a fixed order."""
    return ordered_types(q.type for q in questions)


def ordered_types(kinds: Iterable[str]) -> list[str]:
    """The distinct question types, the known ones first in a fixed order."""
    present = list(dict.fromkeys(kinds))
    return [t for t in TYPE_ORDER if t in present] + [t for t in present if t not in TYPE_ORDER]
