"""The question as it is searched: cleaned, cut to its token budget, and a follow-up rewritten to stand alone."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence

from assistant.config import Settings
from assistant.errors import LLMError, QuestionError
from assistant.answering.followup import FollowUp, Turn, refers_back, resolve, scope
from assistant.llm import ChatModel
from assistant.prompts import render
from assistant.tokens import count_tokens, truncate_tokens

def clean_question(question: str, settings: Settings) -> tuple[str, list[str]]:
    """The question without control characters, cut to the token budget; notes say what was changed."""
    if not isinstance(question, str) or not question.strip():
        raise QuestionError("The question is empty: type a question about the papers.")
    text = "".join(ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in question)
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise QuestionError("The question has no readable text: type a question about the papers.")
    notes = []
    if count_tokens(text, settings.tokenizer_encoding) > settings.max_question_tokens:
        text = truncate_tokens(text, settings.max_question_tokens, settings.tokenizer_encoding)
        notes.append(f"The question was longer than {settings.max_question_tokens} tokens and was cut to that length.")
    return text, notes


def standalone_question(question: str, history: Sequence[Turn], chat: ChatModel | None, notes: list[str],
                        title_of: Callable[[str], str | None], known_titles: Callable[[], Iterable[str]]) -> FollowUp:
    """The question to search: itself unless it refers back ("it", "this method", "what about X?"); then rewritten by
    the LLM when there is one, else with the subject of the previous turn (the papers it cited) in place of the pointer.
    "The first one", "these papers": asked of those papers of the previous answer (FollowUp.paper_ids), no LLM needed.
    known_titles: every title of the collection, asked for only when a previous answer carries no paper ids (at a
    million chunks, making them costs seconds).
    """
    if not refers_back(question):
        return FollowUp(question)
    scoped = scope(question, history, title_of)
    if scoped is not None:
        return scoped
    if chat is not None and history:
        transcript = "\n".join(_turn(m, title_of) for m in history[-6:])
        try:
            rewritten = chat.complete([{"role": "user", "content": render("rewrite_question", history=transcript, question=question)}]).text
            rewritten = rewritten.strip().splitlines()[0].strip().strip('"') if rewritten.strip() else ""
            if rewritten:
                return FollowUp(rewritten)
        except LLMError as error:
            notes.append(f"Could not rewrite the follow-up with the LLM ({error}); resolved it from the papers cited before.")
    return resolve(question, history, title_of, known_titles)


def _turn(message: Turn, title_of: Callable[[str], str | None]) -> str:
    """One message of the transcript the rewrite prompt shows, with the titles of the papers an answer cited."""
    line = f"{message['role']}: {truncate_tokens(str(message.get('content', '')), 300)}"
    ids: object = message.get("paper_ids")
    titles: list[str] = [t for t in (title_of(str(pid)) for pid in ids) if t] if isinstance(ids, list) else []
    return line + (f" (cited: {'; '.join(titles)})" if titles else "")
