"""The Chroma index: chunk vectors plus a catalog of papers (chromadb is imported only in this package).

Three collections per generation of an index (names made in records.CollectionNames):
- `<name>_chunks-g<G>`: one record per chunk, id `paper_id#hash#index`, its vector and offsets into its paper's text;
  no document (stores written before 2026-12 have one, which is not read).
- `<name>_texts-g<G>`: one record per indexed version of a paper, id `paper_id#hash`, its text (store/texts.py): the
  one place a text is kept, written once, like the chunks.
- `<name>_papers-g<G>[-c<C>]`: the catalog, one record per paper, id = paper_id, with the hash of the indexed
  version (an ingest publishes a copy with its batch applied, catalog C + 1). A paper is visible only through the
  catalog: readers keep a chunk or a text only when its hash is the catalog's, so a half-written or replaced paper
  is never seen. (Catalogs written before 2026-12 hold the texts as documents; the next copy moves them.)
The metadata of `<name>_current` names the live generation G; readers resolve it on every read, so a rebuild
(a new generation, then one write to the pointer) is never seen half done. An index without that pointer has
the legacy layout (`<name>_chunks`, `<name>_papers`) and is read as it is, until a rebuild.

Modules: records (plain values), connection (client, reconnects, version following, the Chroma embedding
adapter), texts (the papers' texts), catalog (reads), writer (ingest, publish, sweep, rebuild, drop), errors (what
a failure means), paper_store (PaperStore, the facade). Failures reach the user as one StoreError that says what to do: start
the server, check permissions, free disk space, or (for a damaged local index, a DamagedIndexError) rebuild.
"""

from assistant.store.errors import DamagedIndexError
from assistant.store.paper_store import PaperStore
from assistant.store.records import UNFINISHED, ChunkRecord, CollectionNames, IngestReport, PaperRecord, Snapshot, index_hash

__all__ = ["ChunkRecord", "CollectionNames", "DamagedIndexError", "IngestReport", "PaperRecord", "PaperStore", "Snapshot",
           "UNFINISHED", "index_hash"]
