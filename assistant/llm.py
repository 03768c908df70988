"""The LLM boundary: the ChatModel protocol and its adapter for OpenAI-compatible servers (openai only here)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Callable, TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import httpx2
import openai
from openai.types.chat import ChatCompletion

from assistant.errors import LLMError
from assistant.models import Usage

if TYPE_CHECKING:
    from assistant.config import Settings

Message = dict[str, str]  # {"role": ..., "content": ...}

OPENAI_BASE_URL = "https://api.openai.com/v1"
# Local servers (Ollama, vLLM, llama.cpp) need no key, but the client refuses to start without one.
PLACEHOLDER_KEY = "not-needed"

# A reasoning model's leading thoughts; an unclosed block means the reply was cut while still thinking.
_THINK = re.compile(r"^\s*<think>.*?(?:</think>\s*|$)", re.DOTALL)


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


class OpenAIChatModel:
    """A ChatModel backed by OpenAI or any OpenAI-compatible server, through the official client.

    Retries (429 honouring Retry-After, 5xx, timeouts, dropped connections) are the client's own,
    `max_retries` times with backoff. Every failure surfaces as an LLMError whose message says what to
    do and carries neither the key nor the server's reply body (OpenAI's 401 body echoes part of the key).

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
        timeout: float = 30.0,
        max_retries: int = 2,
        max_tokens: int = 700,
        temperature: float = 0.0,
        http_client: httpx2.Client | None = None,
    ) -> None:
        self.model = model
        self.base_url = base_url or OPENAI_BASE_URL
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_tokens = max_tokens
        self.temperature = temperature
        # Everything is passed explicitly so the client reads no OPENAI_* variable behind the settings' back.
        self._client = openai.OpenAI(
            api_key=api_key or PLACEHOLDER_KEY,
            base_url=self.base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
        )

    def __repr__(self) -> str:
        return f"OpenAIChatModel(model={self.model!r}, base_url={_display_url(self.base_url)!r})"

    def complete(self, messages: list[Message]) -> ChatReply:
        """The whole reply at once, with the usage the server reported."""
        try:
            response = self._client.chat.completions.create(**self._request(messages))
        except openai.OpenAIError as exc:
            failure = self._error(exc)
        else:
            return self._reply(response, messages)
        # Raised outside the except block so the openai error is neither __cause__ nor __context__.
        raise failure from None

    def stream(self, messages: list[Message]) -> Iterator[str | ChatReply]:
        """Text deltas as they arrive, then one ChatReply; a stream that breaks off raises LLMError."""
        stream = self._open_stream(messages)
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
                    failure = self._broke_off(_stream_failure(exc, self.timeout))
                except ValueError:  # a data line that is not JSON
                    failure = self._broke_off("the server sent a malformed chunk")
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
            raise self._not_openai()
        if finish_reason is None:
            # Servers send a finish_reason before [DONE]; without one the body ended early.
            raise self._broke_off("the server ended it without finishing")
        text = _strip_thinking("".join(parts))
        if not text:
            raise self._empty(finish_reason)
        if usage is None or usage == Usage():
            usage = _estimate_usage(messages, "".join(parts))
        yield ChatReply(text=text, usage=usage, model=model, truncated=finish_reason == "length")

    def _open_stream(self, messages: list[Message]) -> openai.Stream[Any]:
        with_usage = {**self._request(messages), "stream": True, "stream_options": {"include_usage": True}}
        # Some servers reject stream_options with a 400 or 422: ask once more without it; usage is then estimated.
        without_usage = {**self._request(messages), "stream": True}
        failure: LLMError | None = None
        for request in (with_usage, without_usage):
            try:
                return self._client.chat.completions.create(**request)
            except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
                failure = self._error(exc)
            except openai.OpenAIError as exc:
                failure = self._error(exc)
                break
        assert failure is not None
        raise failure from None

    def _request(self, messages: list[Message]) -> dict[str, Any]:
        # max_tokens, not max_completion_tokens: llama.cpp's server ignores the latter. No response_format:
        # llama.cpp answers json_schema with a 500.
        return {"model": self.model, "messages": messages, "max_tokens": self.max_tokens, "temperature": self.temperature}

    def _reply(self, response: object, messages: list[Message]) -> ChatReply:
        if not isinstance(response, ChatCompletion):  # the client hands back the text of a non-JSON 200
            raise self._not_openai()
        # Read leniently: the client does not validate, so a compatible server's odd reply arrives as it is.
        choice = (getattr(response, "choices", None) or [None])[0]
        content = getattr(getattr(choice, "message", None), "content", None)
        finish_reason = getattr(choice, "finish_reason", None)
        text = _strip_thinking(content) if isinstance(content, str) else ""
        if not text:
            if choice is None:
                raise self._not_openai()
            raise self._empty(finish_reason)
        reported = getattr(response, "usage", None)
        usage = _usage(reported) if reported is not None else Usage()
        if usage == Usage():
            usage = _estimate_usage(messages, content)
        model = getattr(response, "model", None) or self.model
        return ChatReply(text=text, usage=usage, model=model, truncated=finish_reason == "length")

    def _error(self, exc: openai.OpenAIError) -> LLMError:
        """The user-facing LLMError for a failed request; never quotes the server's reply."""
        server = f"The LLM server at {_display_url(self.base_url)}"
        retried = f" after {self.max_retries} {'retry' if self.max_retries == 1 else 'retries'}" if self.max_retries else ""
        if isinstance(exc, openai.APITimeoutError):
            message = (f"{server} did not answer within {self.timeout:g} s{retried}. "
                       "Try again, or raise ASSISTANT_LLM_TIMEOUT for a slow server.")
        elif isinstance(exc, openai.APIConnectionError) and isinstance(exc.__cause__, httpx2.ConnectError):
            message = (f"Could not reach the LLM server at {_display_url(self.base_url)}{retried}. "
                       "Check that the server is running and that OPENAI_BASE_URL is right.")
        elif isinstance(exc, openai.APIConnectionError):
            message = (f"The connection to the LLM server at {_display_url(self.base_url)} broke off{retried}. "
                       "Try again, or check the server's log.")
        elif isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
            message = f"The LLM server rejected the API key (HTTP {exc.status_code}). Check OPENAI_API_KEY."
        elif isinstance(exc, openai.NotFoundError):
            message = (f"{server} has no model '{self.model}' (HTTP 404). "
                       "Check ASSISTANT_LLM_MODEL, and that OPENAI_BASE_URL is right (local servers usually end in /v1).")
        elif isinstance(exc, openai.RateLimitError) and exc.code == "insufficient_quota":
            message = "The OpenAI account has no quota left (HTTP 429). Check the plan and billing of OPENAI_API_KEY."
        elif isinstance(exc, openai.RateLimitError):
            message = (f"{server} kept rate-limiting the requests (HTTP 429){retried}. "
                       "Wait a minute and try again.")
        elif isinstance(exc, openai.APIStatusError) and exc.status_code >= 500:
            message = (f"{server} failed with a server error (HTTP {exc.status_code}){retried}. "
                       "Try again later, or check the server's log.")
        elif isinstance(exc, openai.APIStatusError):
            code = f", {exc.code}" if isinstance(exc.code, str) and re.fullmatch(r"[a-z_]{1,64}", exc.code) else ""
            message = (f"{server} refused the request (HTTP {exc.status_code}{code}). "
                       f"Check ASSISTANT_LLM_MODEL ({self.model}) and the server's log.")
        else:
            message = f"The request to the LLM server at {_display_url(self.base_url)} failed ({type(exc).__name__})."
        return LLMError(message)

    def _broke_off(self, reason: str) -> LLMError:
        return LLMError(f"The LLM stream broke off before the answer was complete: {reason}. Try again.")

    def _not_openai(self) -> LLMError:
        return LLMError(
            f"The server at {_display_url(self.base_url)} did not answer like an OpenAI-compatible server. "
            "Check OPENAI_BASE_URL (local servers usually end in /v1)."
        )

    def _empty(self, finish_reason: str | None) -> LLMError:
        if finish_reason == "length":
            return LLMError(
                f"The LLM used all of its {self.max_tokens} tokens without writing an answer "
                "(a reasoning model thinking too long?). Raise ASSISTANT_LLM_MAX_TOKENS."
            )
        return LLMError(f"The LLM ({self.model}) returned an empty answer. Try again, or try another model.")


def chat_model_from(settings: Settings) -> ChatModel | None:
    """The ChatModel the settings describe; None when no key and no base URL are configured (offline mode)."""
    if not settings.llm_enabled:
        return None
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key is not None else None
    return OpenAIChatModel(
        model=settings.llm_model,
        api_key=key or None,
        base_url=settings.openai_base_url or None,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries,
        max_tokens=settings.llm_max_tokens,
    )


def embedding_client(settings: Settings) -> Callable[[str, list[str]], list[list[float]]]:
    """embed(model, texts) -> vectors through the configured OpenAI(-compatible) server, errors as LLMError."""
    if not settings.llm_enabled:
        raise LLMError("ASSISTANT_EMBEDDING_BACKEND=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL); set it, or use the local embedder.")
    chat = chat_model_from(settings)
    assert isinstance(chat, OpenAIChatModel)

    def embed(model: str, texts: list[str]) -> list[list[float]]:
        try:
            response = chat._client.embeddings.create(model=model, input=texts)
        except openai.OpenAIError as exc:
            error = chat._error(exc)
        else:
            return [item.embedding for item in sorted(response.data, key=lambda item: item.index)]
        raise error

    return embed


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


def _display_url(url: str) -> str:
    """url without user:password or query string, which can hold credentials."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        if parts.port:
            host = f"{host}:{parts.port}"
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    except ValueError:
        return "(the configured OPENAI_BASE_URL)"
