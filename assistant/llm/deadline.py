"""One deadline per LLM answer: retries that fit in it, and a transport that stops a reply still trickling in past it."""

from __future__ import annotations

import contextvars
import random
import time
from collections.abc import Iterator
from typing import Any, Callable, TypeVar

import httpx2
import openai

# Backoff between retries when the server names no Retry-After (the openai client's own schedule).
_FIRST_BACKOFF, _MAX_BACKOFF = 0.5, 8.0
# When the current request must be finished (time.monotonic()); read by the transport as a reply arrives.
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("llm_deadline", default=None)
_T = TypeVar("_T")


class DeadlineExceeded(Exception):
    """The answer's deadline leaves no room for what the server asked (a Retry-After longer than what is left)."""


class _DeadlinePassed(httpx2.ReadTimeout):
    """Raised inside the transport when a reply is still arriving at the deadline."""


class _DeadlineStream(httpx2.SyncByteStream):
    """A response body that stops once the request's deadline has passed: a server that drips a byte every few
    seconds never trips the per-read timeout."""

    def __init__(self, inner: Any, deadline: float, request: httpx2.Request):
        self._inner, self._deadline, self._request = inner, deadline, request

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            if time.monotonic() > self._deadline:
                raise _DeadlinePassed("the answer's deadline passed", request=self._request)
            yield chunk

    def close(self) -> None:
        self._inner.close()


class _DeadlineTransport(httpx2.BaseTransport):
    """The real transport, with every body read against the deadline of the request that asked for it."""

    def __init__(self, inner: httpx2.BaseTransport):
        self._inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        deadline = _DEADLINE.get()
        response = self._inner.handle_request(request)
        if deadline is not None:
            response.stream = _DeadlineStream(response.stream, deadline, request)
        return response

    def close(self) -> None:
        self._inner.close()


def deadline_http_client() -> httpx2.Client:
    """The openai client's default HTTP client, reading replies against the current deadline."""
    return openai.DefaultHttpxClient(transport=_DeadlineTransport(httpx2.HTTPTransport()))


def cut_at_deadline(exc: BaseException) -> bool:
    """Whether the failure is the transport stopping a reply that was still arriving at the deadline."""
    return isinstance(exc, _DeadlinePassed) or isinstance(exc.__cause__, _DeadlinePassed)


def with_retries(deadline: float, idle_timeout: float, max_retries: int, send: Callable[[dict[str, Any]], _T]) -> _T:
    """send(request options) until it succeeds, retrying what is worth retrying while the deadline leaves room."""
    attempt = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DeadlineExceeded("before it could answer")
        options = {"timeout": min(idle_timeout, remaining), "extra_headers": {"x-stainless-retry-count": str(attempt)}}
        token = _DEADLINE.set(deadline)
        try:
            return send(options)
        except openai.OpenAIError as exc:
            if attempt >= max_retries or not _retryable(exc) or time.monotonic() >= deadline:
                raise
            asked = _retry_after(exc)
            wait = asked if asked is not None else _backoff(attempt)
            if time.monotonic() + wait >= deadline:
                if asked is not None:
                    raise DeadlineExceeded(f"it asked to wait {asked:g} s before trying again") from None
                raise
        finally:
            _DEADLINE.reset(token)
        time.sleep(wait)
        attempt += 1


def _retryable(exc: openai.OpenAIError) -> bool:
    """What the openai client itself would retry: timeouts, dropped connections, 408/409/429/5xx."""
    if isinstance(exc, openai.APIConnectionError):  # APITimeoutError included
        return True
    if isinstance(exc, openai.APIStatusError):
        verdict = exc.response.headers.get("x-should-retry")
        if verdict in ("true", "false"):
            return verdict == "true"
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return False


def _retry_after(exc: openai.OpenAIError) -> float | None:
    """The pause the server asked for (Retry-After-Ms, or Retry-After in seconds), if it asked for one."""
    headers = exc.response.headers if isinstance(exc, openai.APIStatusError) else {}
    for header, divisor in (("retry-after-ms", 1000), ("retry-after", 1)):
        try:
            delay = float(headers.get(header, "")) / divisor
        except ValueError:
            continue
        if 0 <= delay < float("inf"):
            return delay
    return None


def _backoff(attempt: int) -> float:
    """Exponential backoff with jitter, the openai client's own schedule."""
    return float(min(_FIRST_BACKOFF * 2**attempt, _MAX_BACKOFF) * (1 - 0.25 * random.random()))
