"""Paper Assistant: ask questions of a collection of research-paper abstracts, get answers cited to specific papers."""

from assistant.collection import IndexStats, build_index, index_is_empty, index_stats, list_papers, related_papers
from assistant.config import Settings, get_settings
from assistant.errors import AssistantError
from assistant.models import Answer, Citation, Hit, Paper
from assistant.service import Assistant, ask, ask_stream, default_assistant, retrieve

__all__ = [
    "Answer", "Assistant", "AssistantError", "Citation", "Hit", "IndexStats", "Paper", "Settings", "ask", "ask_stream",
    "build_index", "default_assistant", "get_settings", "index_is_empty", "index_stats", "list_papers", "related_papers",
    "retrieve",
]
