"""The LLM boundary: the ChatModel protocol, its OpenAI-compatible adapter, and the one factory of OpenAI clients.

openai is imported only in this package (server.py makes every client, openai_chat.py streams chat replies), and only
when a client is made: an offline question never imports it (~0.5 s of a cold start).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Callable

from assistant.errors import LLMError
from assistant.llm.chat import ChatModel, ChatReply, Message

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.llm.openai_chat import OpenAIChatModel
    from assistant.llm.server import OPENAI_BASE_URL, PLACEHOLDER_KEY

__all__ = ["OPENAI_BASE_URL", "PLACEHOLDER_KEY", "ChatModel", "ChatReply", "Message", "OpenAIChatModel", "chat_model_from",
           "embedding_client"]

_LAZY = {"OpenAIChatModel": "assistant.llm.openai_chat", "OPENAI_BASE_URL": "assistant.llm.server",
         "PLACEHOLDER_KEY": "assistant.llm.server"}


def __getattr__(name: str) -> Any:
    """The names that need openai, imported on first use."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _api_key(settings: Settings) -> str | None:
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key is not None else None
    return key or None


def chat_model_from(settings: Settings) -> ChatModel | None:
    """The ChatModel the settings describe; None when no key and no base URL are configured (offline mode)."""
    if not settings.llm_enabled:
        return None
    from assistant.llm.openai_chat import OpenAIChatModel

    return OpenAIChatModel(
        model=settings.llm_model,
        api_key=_api_key(settings),
        base_url=settings.openai_base_url or None,
        timeout=settings.llm_timeout,
        idle_timeout=settings.llm_idle_timeout,
        max_retries=settings.llm_max_retries,
        max_tokens=settings.llm_max_tokens,
    )


def embedding_client(settings: Settings) -> Callable[[str, list[str]], list[list[float]]]:
    """embed(model, texts) -> vectors through the embedding server (ASSISTANT_EMBEDDING_BASE_URL, else the LLM's server),
    retried with backoff by the client, errors as LLMError naming the settings to check."""
    import openai

    from assistant.llm.server import OPENAI_BASE_URL, Server, display_url

    if settings.embedding_base_url:
        server = Server(settings.embedding_base_url, settings.openai_embedding_model, settings.embedding_timeout,
                        settings.embedding_max_retries, model_setting="ASSISTANT_OPENAI_EMBEDDING_MODEL",
                        role="embedding server", url_setting="ASSISTANT_EMBEDDING_BASE_URL",
                        key_setting="ASSISTANT_EMBEDDING_API_KEY", timeout_setting="ASSISTANT_EMBEDDING_TIMEOUT")
        key = settings.embedding_api_key.get_secret_value() if settings.embedding_api_key is not None else None
    else:
        if not settings.llm_enabled:
            raise LLMError("ASSISTANT_EMBEDDING_BACKEND=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL, or an embedding server "
                           "of its own: ASSISTANT_EMBEDDING_BASE_URL); set one, or use the local embedder.")
        server = Server(settings.openai_base_url or OPENAI_BASE_URL, settings.openai_embedding_model, settings.llm_timeout,
                        settings.llm_max_retries, model_setting="ASSISTANT_OPENAI_EMBEDDING_MODEL")
        key = _api_key(settings)
    client = server.client(key or None)

    def embed(model: str, texts: list[str]) -> list[list[float]]:
        try:
            response = client.embeddings.create(model=model, input=texts)
        except openai.OpenAIError as exc:
            error = server.error(exc)
        else:
            vectors = [item.embedding for item in sorted(response.data, key=lambda item: item.index)]
            if len(vectors) != len(texts):
                raise LLMError(f"The {server.role} at {display_url(server.base_url)} returned {len(vectors)} vectors for "
                               f"{len(texts)} texts. Check {server.url_setting} and the server's log.")
            return vectors
        raise error

    return embed
