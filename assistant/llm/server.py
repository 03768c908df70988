"""The one factory of OpenAI clients (chat and embeddings) and what their failures mean to a user (openai imported here
and in openai_chat.py only)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx2
import openai

from assistant.errors import LLMError

OPENAI_BASE_URL = "https://api.openai.com/v1"
# Local servers (Ollama, vLLM, llama.cpp) need no key, but the client refuses to start without one.
PLACEHOLDER_KEY = "not-needed"


@dataclass(frozen=True)
class Server:
    """An OpenAI(-compatible) server, the model asked of it and the setting that names that model."""

    base_url: str
    model: str
    timeout: float = 30.0
    max_retries: int = 2
    model_setting: str = "ASSISTANT_LLM_MODEL"
    role: str = "LLM server"  # how messages name it
    url_setting: str = "OPENAI_BASE_URL"
    key_setting: str = "OPENAI_API_KEY"
    timeout_setting: str = "ASSISTANT_LLM_IDLE_TIMEOUT (and ASSISTANT_LLM_TIMEOUT)"

    def client(self, api_key: str | None, http_client: httpx2.Client | None = None, *, own_retries: bool = True) -> openai.OpenAI:
        """An openai client for this server; everything passed explicitly, so it reads no OPENAI_* variable behind the
        settings' back. own_retries=False leaves retrying to the caller (the chat model retries within its deadline)."""
        return openai.OpenAI(api_key=api_key or PLACEHOLDER_KEY, base_url=self.base_url, timeout=self.timeout,
                             max_retries=self.max_retries if own_retries else 0, http_client=http_client)

    def error(self, exc: openai.OpenAIError) -> LLMError:
        """The user-facing LLMError for a failed request; never quotes the server's reply."""
        server = f"The {self.role} at {display_url(self.base_url)}"
        retried = f" after {self.max_retries} {'retry' if self.max_retries == 1 else 'retries'}" if self.max_retries else ""
        if isinstance(exc, openai.APITimeoutError):
            message = (f"{server} did not answer within {self.timeout:g} s{retried}. "
                       f"Try again, or raise {self.timeout_setting} for a slow server.")
        elif isinstance(exc, openai.APIConnectionError) and isinstance(exc.__cause__, httpx2.ConnectError):
            message = (f"Could not reach the {self.role} at {display_url(self.base_url)}{retried}. "
                       f"Check that the server is running and that {self.url_setting} is right.")
        elif isinstance(exc, openai.APIConnectionError):
            message = (f"The connection to the {self.role} at {display_url(self.base_url)} broke off{retried}. "
                       "Try again, or check the server's log.")
        elif isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
            message = f"The {self.role} rejected the API key (HTTP {exc.status_code}). Check {self.key_setting}."
        elif isinstance(exc, openai.NotFoundError):
            message = (f"{server} has no model '{self.model}' (HTTP 404). "
                       f"Check {self.model_setting}, and that {self.url_setting} is right (local servers usually end in /v1).")
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
                       f"Check {self.model_setting} ({self.model}) and the server's log.")
        else:
            message = f"The request to the {self.role} at {display_url(self.base_url)} failed ({type(exc).__name__})."
        return LLMError(message)


    def too_slow(self, timeout: float, when: str) -> LLMError:
        """The answer's deadline passed."""
        return LLMError(f"The {self.role} at {display_url(self.base_url)} did not finish the answer within "
                        f"{timeout:g} s ({when}). Try again, or raise ASSISTANT_LLM_TIMEOUT for a slow server.")

    def not_openai(self) -> LLMError:
        """A reply that is not an OpenAI-compatible one."""
        return LLMError(f"The server at {display_url(self.base_url)} did not answer like an OpenAI-compatible server. "
                        f"Check {self.url_setting} (local servers usually end in /v1).")

    def not_json(self) -> LLMError:
        """A body announced as JSON that is not."""
        return LLMError(f"The {self.role} at {display_url(self.base_url)} sent a reply that is not valid JSON. Try again; if it "
                        f"keeps happening, check the server's log and that {self.url_setting} points to an OpenAI-compatible API.")

    def empty(self, finish_reason: str | None, max_tokens: int) -> LLMError:
        """A reply with no answer in it."""
        if finish_reason == "length":
            return LLMError(f"The LLM used all of its {max_tokens} tokens without writing an answer "
                            "(a reasoning model thinking too long?). Raise ASSISTANT_LLM_MAX_TOKENS.")
        return LLMError(f"The LLM ({self.model}) returned an empty answer. Try again, or try another model.")

def broke_off(reason: str) -> LLMError:
    """A stream that stopped before the answer was complete."""
    return LLMError(f"The LLM stream broke off before the answer was complete: {reason}. Try again.")


def display_url(url: str) -> str:
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
