"""What the assistant needs from an LLM: the ChatModel protocol, its messages and replies (no client library here)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from assistant.models import Usage

Message = dict[str, str]  # {"role": ..., "content": ...}


@dataclass
class ChatReply:
    """A finished reply: its text, the tokens it cost, and the model that wrote it."""

    text: str
    usage: Usage
    model: str
    truncated: bool = False  # the model stopped at max_tokens (finish_reason "length")


class ChatModel(Protocol):
    """What the assistant needs from an LLM; tests pass a fake, production an OpenAIChatModel."""

    model: str

    def complete(self, messages: list[Message]) -> ChatReply:
        """The whole reply at once."""
        ...

    def stream(self, messages: list[Message]) -> Iterator[str | ChatReply]:
        """Text deltas as they arrive, then exactly one ChatReply (full text + usage) last."""
        ...
