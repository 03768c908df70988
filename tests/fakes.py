"""A fake ChatModel: replays queued replies and records what it was sent."""

from __future__ import annotations

from assistant.errors import LLMError
from assistant.llm import ChatReply, Message
from assistant.models import Usage


class FakeChatModel:
    """Each call takes the next queued reply: a string (streamed word by word) or an exception to raise."""

    def __init__(self, *replies: str | Exception, model: str = "fake-model"):
        self.model = model
        self.replies = list(replies)
        self.history: list[list[Message]] = []

    def _next(self, messages: list[Message]) -> str:
        self.history.append(messages)
        if not self.replies:
            raise AssertionError("FakeChatModel was called more often than replies were queued")
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    def complete(self, messages: list[Message]) -> ChatReply:
        text = self._next(messages)
        return ChatReply(text=text, usage=Usage(prompt_tokens=11, completion_tokens=len(text.split())), model=self.model)

    def stream(self, messages: list[Message]):
        text = self._next(messages)
        for word in text.split(" "):
            yield word + " "
        yield ChatReply(text=text, usage=Usage(prompt_tokens=11, completion_tokens=len(text.split())), model=self.model)


class BrokenStreamChatModel(FakeChatModel):
    """Streams the first words of its reply, then fails like a dropped connection."""

    def stream(self, messages: list[Message]):
        text = self._next(messages)
        yield text.split(" ")[0] + " "
        raise LLMError("The LLM stream broke off before the answer was complete.")
