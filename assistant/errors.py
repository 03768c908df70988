"""The one family of errors a user can cause; each message says what to do."""


class AssistantError(Exception):
    """An error meant for the user: the CLI prints it and exits 1, the UI shows it."""


class CorpusError(AssistantError):
    """A paper file that cannot be read as it is."""


class StoreError(AssistantError):
    """The index is missing, unreadable, unreachable or built with another embedder."""


class EmbeddingError(AssistantError):
    """The embedding model is missing or cannot be loaded as configured."""


class CollectionError(AssistantError):
    """A collection name that cannot be used, or a collection that does not exist."""


class QuestionError(AssistantError):
    """A question that cannot be asked as it is (empty, say)."""


class LLMError(AssistantError):
    """The LLM server failed or rejected the request."""


class ConfigError(AssistantError):
    """A setting with a value that cannot be used."""


class IdClashError(CorpusError):
    """A paper whose id is already in the index for a different paper (other title and other abstract)."""


class ReaderError(AssistantError):
    """The reader model is missing or cannot be loaded."""
