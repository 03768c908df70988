"""Named collections kept side by side in one index (one Chroma folder or server): names and listing (deleting one is
collection.delete_collection, which also forgets its default Assistants).

`assistant ingest FILE --collection thesis` fills a collection of its own (its own Chroma collections and BM25 files);
the default collection (Settings.collection, "papers") is the one built from the seeds. Only the default is ever
filled with the seeds: a named collection holds what was ingested into it, and asking a missing one is an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.config import MAX_COLLECTION_NAME, Settings, collection_name_problem, get_settings
from assistant.errors import CollectionError
from assistant.store import PaperStore

MAX_NAME = MAX_COLLECTION_NAME


@dataclass(frozen=True)
class CollectionInfo:
    """One collection of the index and how many papers it holds."""

    name: str
    papers: int
    default: bool


def check_name(name: str) -> str:
    """name, when it can name a collection: lowercase letters and digits, single hyphens between them, at most 40."""
    problem = collection_name_problem(name)
    if problem:
        raise CollectionError(problem)
    return name


def with_collection(settings: Settings | None, name: str | None) -> Settings:
    """The settings for collection `name` (None or the default's name: the settings as they are)."""
    settings = settings or get_settings()
    if name is None or name == settings.collection:
        return settings
    return settings.model_copy(update={"collection": check_name(name), "seed_when_empty": False})


def list_collections(settings: Settings | None = None) -> list[CollectionInfo]:
    """Every collection of the index, with its paper count, sorted by name (the default one even before it is built)."""
    settings = settings or get_settings()
    sizes = PaperStore(settings).collection_sizes()
    sizes.setdefault(settings.collection, 0)
    return [CollectionInfo(name, count, name == settings.collection) for name, count in sorted(sizes.items())]


def missing_collection(settings: Settings) -> CollectionError:
    """The error for asking a named collection that does not exist, naming those that do."""
    store = PaperStore(settings)
    names = ", ".join(sorted(store.collection_sizes())) or "none"
    return CollectionError(f"There is no collection {settings.collection!r} at {store.location} "
                           f"(collections: {names}). Add papers to it with `assistant ingest FILE --collection "
                           f"{settings.collection}`, or choose another.")
