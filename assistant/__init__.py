"""Paper Assistant: ask questions of a collection of research papers, get answers cited to specific papers.

The public names load on first use, so `import assistant` (and `assistant --help`) does not pay for chromadb,
onnxruntime and the rest until something needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.collection import (IndexStats, build_index, delete_collection, index_is_empty, index_stats, list_papers,
                                      related_papers)
    from assistant.config import Settings, get_settings
    from assistant.errors import AssistantError
    from assistant.models import Answer, Citation, Hit, Paper, PaperRef
    from assistant.named_collections import CollectionInfo, list_collections
    from assistant.service import Assistant, ask, ask_stream, collection_assistant, default_assistant, retrieve

_HOMES = {
    "IndexStats": "collection", "build_index": "collection", "index_is_empty": "collection", "index_stats": "collection",
    "list_papers": "collection", "related_papers": "collection",
    "Settings": "config", "get_settings": "config",
    "AssistantError": "errors",
    "Answer": "models", "Citation": "models", "Hit": "models", "Paper": "models", "PaperRef": "models",
    "CollectionInfo": "named_collections", "delete_collection": "collection", "list_collections": "named_collections",
    "Assistant": "service", "ask": "service", "ask_stream": "service", "collection_assistant": "service",
    "default_assistant": "service", "retrieve": "service",
}

__all__ = [
    "Answer", "Assistant", "AssistantError", "Citation", "CollectionInfo", "Hit", "IndexStats", "Paper", "PaperRef", "Settings", "ask",
    "ask_stream", "build_index", "collection_assistant", "default_assistant", "delete_collection", "get_settings",
    "index_is_empty", "index_stats", "list_collections", "list_papers", "related_papers", "retrieve",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'assistant' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"assistant.{home}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))
