"""The question as it is searched: cleaned, cut to its token budget, and a follow-up rewritten to stand alone."""

from __future__ import annotations

import re
import unicodedata

from assistant.config import Settings
from assistant.errors import LLMError, QuestionError
from assistant.llm import ChatModel, Message
from assistant.prompts import render
from assistant.tokens import count_tokens, truncate_tokens

# Follow-ups this short (in words) lean on the conversation; offline, they are searched together with the previous question.
_SHORT_FOLLOW_UP_WORDS = 12
_FOLLOW_UP_WORDS = re.compile(r"\b(it|its|they|them|their|this|that|these|those|the paper|the method|same|also|more)\b", re.IGNORECASE)


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


def standalone_question(question: str, history: list[Message], chat: ChatModel | None, notes: list[str]) -> str:
    """The follow-up rewritten to stand alone: by the LLM when there is one, else joined to the previous question."""
    previous = [m["content"] for m in history if m.get("role") == "user" and m.get("content", "").strip()]
    if not previous:
        return question
    if chat is not None:
        transcript = "\n".join(f"{m['role']}: {truncate_tokens(m['content'], 300)}" for m in history[-6:])
        try:
            rewritten = chat.complete([{"role": "user", "content": render("rewrite_question", history=transcript, question=question)}]).text
            rewritten = rewritten.strip().splitlines()[0].strip().strip('"') if rewritten.strip() else ""
            if rewritten:
                return rewritten
        except LLMError as error:
            notes.append(f"Could not rewrite the follow-up with the LLM ({error}); searched it with the previous question.")
    if len(question.split()) <= _SHORT_FOLLOW_UP_WORDS or _FOLLOW_UP_WORDS.search(question):
        return f"{previous[-1]} {question}"
    return question
