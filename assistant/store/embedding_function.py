"""Chroma's view of our embedder, registered so that a collection reopened anywhere rebuilds it from its stored config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from assistant.config import Settings
from assistant.embedding import Embedder, get_embedder


@register_embedding_function
class PaperAssistantEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma's view of our embedder, rebuilt from the collection's stored config when it is reopened."""

    def __init__(self, backend: str = "local", model_dir: str | None = None, openai_model: str = "text-embedding-3-small", batch_size: int = 32):
        self._config = {"backend": backend, "model_dir": model_dir, "openai_model": openai_model, "batch_size": batch_size}
        self._settings = Settings(
            embedding_backend=backend,
            embedding_model_dir=Path(model_dir) if model_dir else None,
            openai_embedding_model=openai_model,
            embedding_batch_size=batch_size,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> "PaperAssistantEmbeddingFunction":
        model_dir = str(settings.embedding_model_dir) if settings.embedding_model_dir else None
        backend = "openai" if settings.remote_embeddings else "local"  # an embedding server of its own speaks OpenAI's API
        return cls(backend, model_dir, settings.openai_embedding_model, settings.embedding_batch_size)

    @property
    def embedder(self) -> Embedder:
        return get_embedder(self._settings)

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.embedder.embed(list(input)))

    @staticmethod
    def name() -> str:
        return "paper-assistant"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine"]

    def get_config(self) -> dict[str, Any]:
        return dict(self._config)

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> "PaperAssistantEmbeddingFunction":
        return PaperAssistantEmbeddingFunction(**config)
