"""The Chroma index: chunk vectors plus a catalog of papers (chromadb is imported only in this package).

Two collections per index (names made in records.CollectionNames):
- `<name>_chunks`: one record per chunk, id `paper_id#hash#index`, document = title + chunk text.
- `<name>_papers`: the catalog, one record per paper, id = paper_id, with the hash of the indexed
  version. A paper is visible only through the catalog: readers keep a chunk only when its hash is
  the catalog's, so a half-written or replaced paper is never seen.

Modules: records (plain values), connection (client, reconnects, version following, the Chroma embedding
adapter), catalog (reads), writer (ingest, publish, sweep, drop, swap), errors (what a failure means),
paper_store (PaperStore, the facade). Failures reach the user as one StoreError that says what to do: start
the server, check permissions, free disk space, or (for a damaged local index, a DamagedIndexError) rebuild.
"""

from assistant.store.errors import DamagedIndexError
from assistant.store.paper_store import PaperStore
from assistant.store.records import ChunkRecord, CollectionNames, IngestReport, PaperRecord, Snapshot, index_hash

__all__ = ["ChunkRecord", "CollectionNames", "DamagedIndexError", "IngestReport", "PaperRecord", "PaperStore", "Snapshot",
           "index_hash"]
