"""OpenAIChatModel: the ChatModel of OpenAI and OpenAI-compatible servers, through the official client."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import openai
from openai.types.chat import ChatCompletion

from assistant.errors import LLMError
from assistant.llm.chat import ChatReply, Message
from assistant.llm.deadline import DeadlineExceeded, cut_at_deadline, deadline_http_client, with_retries
from assistant.llm.server import OPENAI_BASE_URL, Server, broke_off, display_url
from assistant.models import Usage

# A reasoning model's leading thoughts; an unclosed block means the reply was cut while still thinking.
_THINK = re.compile(r"^\s*<think>.*?(?:</think>\s*|$)", re.DOTALL)


class OpenAIChatModel:
    """A ChatModel backed by OpenAI or any OpenAI-compatible server, through the official client.

    `timeout` bounds the whole answer: every attempt, every wait before a retry (Retry-After included) and
    the reading of the reply; `idle_timeout` bounds each wait for the server's next bytes. Retries (429
    honouring Retry-After, 408/409/5xx, timeouts, dropped connections) happen `max_retries` times with
    backoff, only while the deadline leaves room. Every failure surfaces as an LLMError whose message says
    what to do and carries neither the key nor the server's reply body (OpenAI's 401 body echoes the key).

    A reasoning model's leading <think>...</think> block is removed from ChatReply.text in both
    complete() and stream(); stream() passes the deltas through untouched, so a UI sees the thinking
    as it is written but the final text, which citations are checked against, never contains it.
    """

    def __init__(
        self,
        *,
        model: str,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 90.0,
        idle_timeout: float | None = None,
        max_retries: int = 2,
        max_tokens: int = 700,
        temperature: float = 0.0,
        http_client: httpx2.Client | None = None,
    ) -> None:
        self.model = model
        self.base_url = base_url or OPENAI_BASE_URL
        self.timeout = timeout
        self.idle_timeout = min(idle_timeout or timeout, timeout)
        self.max_retries = max_retries
        self.max_tokens = max_tokens
        self.temperature = temperature
        self._server = Server(self.base_url, model, self.idle_timeout, max_retries)
        # A caller's own HTTP client is used as it is; the deadline is then checked between stream chunks only.
        self._client = self._server.client(api_key, http_client or deadline_http_client(), own_retries=False)

    def __repr__(self) -> str:
        return f"OpenAIChatModel(model={self.model!r}, base_url={display_url(self.base_url)!r})"

    def complete(self, messages: list[Message]) -> ChatReply:
        """The whole reply at once, with the usage the server reported."""
        deadline = time.monotonic() + self.timeout
        failure: LLMError
        try:
            response = self._send(deadline, self._request(messages))
        except openai.OpenAIError as exc:
            failure = self._server.too_slow(self.timeout, "while the reply was arriving") if cut_at_deadline(exc) else self._server.error(exc)
        except DeadlineExceeded as exc:
            failure = self._server.too_slow(self.timeout, str(exc))
        except ValueError:  # a body announced as JSON that is not (the client parses it with json.loads)
            failure = self._server.not_json()
        else:
            return self._reply(response, messages)
        # Raised outside the except block so the openai error is neither __cause__ nor __context__.
        raise failure from None

    def stream(self, messages: list[Message]) -> Iterator[str | ChatReply]:
        """Text deltas as they arrive, then one ChatReply; a stream that breaks off or outlasts the deadline raises LLMError."""
        deadline = time.monotonic() + self.timeout
        stream = self._open_stream(messages, deadline)
        with stream:
            parts: list[str] = []
            finish_reason: str | None = None
            usage: Usage | None = None
            model = self.model
            received = 0
            chunks = iter(stream)
            while True:
                failure: LLMError | None = None
                try:
                    chunk = next(chunks)
                except StopIteration:
                    break
                except openai.OpenAIError as exc:
                    failure = (self._server.too_slow(self.timeout, "while it was still writing") if cut_at_deadline(exc)
                               else broke_off(_stream_failure(exc, self.idle_timeout)))
                except ValueError:  # a data line that is not JSON
                    failure = broke_off("the server sent a malformed chunk")
                if failure is None and time.monotonic() > deadline:
                    failure = self._server.too_slow(self.timeout, "while it was still writing")
                if failure is not None:
                    raise failure from None
                received += 1
                model = getattr(chunk, "model", None) or model
                chunk_usage = getattr(chunk, "usage", None)
                if chunk_usage is not None:
                    usage = _usage(chunk_usage)
                for choice in getattr(chunk, "choices", None) or []:
                    finish_reason = getattr(choice, "finish_reason", None) or finish_reason
                    delta = getattr(getattr(choice, "delta", None), "content", None)
                    if isinstance(delta, str) and delta:
                        parts.append(delta)
                        yield delta
        if received == 0:
            raise self._server.not_openai()
        if finish_reason is None:
            # Servers send a finish_reason before [DONE]; without one the body ended early.
            raise broke_off("the server ended it without finishing")
        text = _strip_thinking("".join(parts))
        if not text:
            raise self._server.empty(finish_reason, self.max_tokens)
        if usage is None or usage == Usage():
            usage = _estimate_usage(messages, "".join(parts))
        yield ChatReply(text=text, usage=usage, model=model, truncated=finish_reason == "length")

    def _send(self, deadline: float, request: dict[str, Any]) -> Any:
        return with_retries(deadline, self.idle_timeout, self.max_retries,
                            lambda options: self._client.chat.completions.create(**request, **options))

    def _open_stream(self, messages: list[Message], deadline: float) -> openai.Stream[Any]:
        with_usage = {**self._request(messages), "stream": True, "stream_options": {"include_usage": True}}
        # Some servers reject stream_options with a 400 or 422: ask once more without it; usage is then estimated.
        without_usage = {**self._request(messages), "stream": True}
        failure: LLMError | None = None
        for request in (with_usage, without_usage):
            try:
                return self._send(deadline, request)
            except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
                failure = self._server.error(exc)
            except openai.OpenAIError as exc:
                failure = self._server.error(exc)
                break
            except DeadlineExceeded as exc:
                failure = self._server.too_slow(self.timeout, str(exc))
                break
        assert failure is not None
        raise failure from None

    def _request(self, messages: list[Message]) -> dict[str, Any]:
        # max_tokens, not max_completion_tokens: llama.cpp's server ignores the latter. No response_format:
        # llama.cpp answers json_schema with a 500.
        return {"model": self.model, "messages": messages, "max_tokens": self.max_tokens, "temperature": self.temperature}

    def _reply(self, response: object, messages: list[Message]) -> ChatReply:
        if not isinstance(response, ChatCompletion):  # the client hands back the text of a non-JSON 200
            raise self._server.not_openai()
        # Read leniently: the client does not validate, so a compatible server's odd reply arrives as it is.
        choice = (getattr(response, "choices", None) or [None])[0]
        content = getattr(getattr(choice, "message", None), "content", None)
        finish_reason = getattr(choice, "finish_reason", None)
        text = _strip_thinking(content) if isinstance(content, str) else ""
        if not text:
            if choice is None:
                raise self._server.not_openai()
            raise self._server.empty(finish_reason, self.max_tokens)
        reported = getattr(response, "usage", None)
        usage = _usage(reported) if reported is not None else Usage()
        if usage == Usage():
            usage = _estimate_usage(messages, content or "")
        model = getattr(response, "model", None) or self.model
        return ChatReply(text=text, usage=usage, model=model, truncated=finish_reason == "length")


def _stream_failure(exc: openai.OpenAIError, timeout: float) -> str:
    if isinstance(exc, openai.APITimeoutError):
        return f"the server sent nothing for {timeout:g} s"
    if isinstance(exc, openai.APIConnectionError):
        return "the connection dropped"
    if isinstance(exc, openai.APIError):
        return "the server reported an error in the middle of the answer"
    return f"the client failed ({type(exc).__name__})"


def _strip_thinking(text: str) -> str:
    return _THINK.sub("", text, count=1).strip()


def _usage(usage: Any) -> Usage:
    return Usage(prompt_tokens=_count(getattr(usage, "prompt_tokens", 0)),
                 completion_tokens=_count(getattr(usage, "completion_tokens", 0)))


def _count(value: Any) -> int:
    # Compatible servers are not validated by the client; a missing or odd count is just unknown.
    return value if isinstance(value, int) and value >= 0 else 0


def _estimate_usage(messages: list[Message], reply: str) -> Usage:
    """A tiktoken estimate for servers that report no usage; zeros when the tokenizer cannot load."""
    try:
        from assistant.tokens import count_tokens

        # About 4 tokens of chat framing per message, as OpenAI counts them.
        prompt = sum(count_tokens(m.get("content") or "") + 4 for m in messages) + (3 if messages else 0)
        return Usage(prompt_tokens=prompt, completion_tokens=count_tokens(reply))
    except Exception:  # an estimate is not worth failing an answer for
        return Usage()
