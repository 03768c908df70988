"""An index of N chunks in the product's own format, built fast: the seeds and SciFact's real abstracts (embedded for
real, once, and kept under .cache/), then synthetic papers whose vectors are made cheaply. Not a test.

    .venv/bin/python bench/scale.py --synthetic-chunks 1000000 --data-dir /tmp/idx-1m     # then ASSISTANT_DATA_DIR=/tmp/idx-1m assistant ask ...

What is real and what is made (the output says so too):
- Real: the 72 seeds and SciFact's 5,183 abstracts, ingested by the product (`ingest_papers`, the bundled embedder) into
  .cache/scale-real/data once; every build starts from a copy of it.
- Synthetic papers: long abstracts of 10-40 sentences (about 5 chunks a paper, between an abstract and a full text) of 12-30 words drawn from the real abstracts' word frequencies, titles
  from the real titles' words (no copied sentence). Chunked as the product chunks (whole sentences up to
  Settings.chunk_tokens, trailing sentences repeated up to chunk_overlap), but with sentences known by construction
  (no pysbd) and token counts summed per word (tiktoken's count of " word", so a chunk's count is close to, not
  exactly, tiktoken's count of its text).
- Their vectors are made, not embedded: a paper takes one real chunk vector plus half of another as its centre; each
  of its chunks is the centre plus Gaussian noise (norm ~0.6), normalised; each sentence vector is its chunk's vector
  plus noise (norm ~0.4), normalised, float16; the paper's catalog vector is the mean of its chunks' (as ingest makes it).
- Stored as an ingest stores them: the chunks into the live generation's chunk collection (ids, vectors, metadata
  as ChunkWriter writes them), then the catalog published by the Writer's own code (a new catalog, one pointer write),
  the publish signal written: by a writer process of its own (ChromaWriter; Chroma's add holds the GIL), handed the
  papers in batches as they are made. Beside it this process makes the derived files of the new version (dense matrix,
  BM25 over chunks and papers, sentence vectors) from the made tokens and vectors, and saves them with the product's
  own classes (their `save`) once the writer has published and the version is known, so that the first question does
  not rebuild them from Chroma.

A cold `assistant ask` with ASSISTANT_DATA_DIR=DIR then reads this index as any other.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.config import PROJECT_ROOT, Settings  # noqa: E402
from assistant.store.connection import CHUNK_GRAPH  # noqa: E402

# The real part, embedded once; named by the chunk graph Chroma builds, since a collection keeps the graph it was made with
_GRAPH = CHUNK_GRAPH["hnsw"]
REAL_CACHE = PROJECT_ROOT / ".cache" / f"scale-real-m{_GRAPH['max_neighbors']}-ef{_GRAPH['ef_construction']}"
CHROMA_BATCH = 5000  # chunks per Chroma add
WRITER_WORK = "synthetic-handover"  # in the data dir while the Chroma writer runs: the batches of papers it is handed
HANDOVER_PAPERS = 10_000  # papers a batch (about 56,000 chunks)
_WORD = re.compile(r"[a-z]{2,}")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {os.getloadavg()[0]:.1f}] {message}", flush=True)


def real_data_dir(cache: Path = REAL_CACHE) -> Path:
    """The data dir of the real index (seeds + SciFact, embedded by the bundled embedder), built once."""
    from assistant.corpus import load_papers
    from assistant.indexing import ingest_papers
    from bench.scifact import papers as scifact_papers

    done = cache / "data"
    if done.is_dir():
        return done
    building = cache / "data-tmp"
    shutil.rmtree(building, ignore_errors=True)
    real = load_papers([Settings(_env_file=None).seeds_dir]) + scifact_papers()
    log(f"embedding the real part once: {len(real)} papers (seeds + SciFact) into {building}; minutes of CPU")
    report = ingest_papers(real, Settings(_env_file=None, data_dir=building))
    log(f"real part: {report.chunks_total} chunks in {report.seconds:.0f} s")
    building.rename(done)
    return done


class Vocabulary:
    """Words of the real abstracts and titles with their frequencies, each word's BM25 stem and tiktoken count."""

    def __init__(self, abstracts: list[str], titles: list[str], settings: Settings):
        import bm25s

        from assistant.lexical import _stemmer
        from assistant.tokens import get_encoding

        counts = Counter(w for text in abstracts for w in _WORD.findall(text.lower()))
        title_counts = Counter(w for text in titles for w in _WORD.findall(text.lower()) if len(w) > 2)
        self.words = sorted(set(counts) | set(title_counts))
        number = {w: i for i, w in enumerate(self.words)}
        self.cdf = np.cumsum(_weights([number[w] for w in counts], list(counts.values()), len(self.words)))
        self.title_cdf = np.cumsum(_weights([number[w] for w in title_counts], list(title_counts.values()), len(self.words)))
        stopwords = set(bm25s.stopwords.STOPWORDS_EN)
        stemmer = _stemmer()
        self.stems = [None if w in stopwords else stemmer.stemWord(w) for w in self.words]
        encoding = get_encoding(settings.tokenizer_encoding)
        self.tokens = np.array([len(encoding.encode(" " + w)) for w in self.words], dtype=np.int32)
        self.array = np.array(self.words, dtype=object)


def _weights(ids: list[int], counts: list[int], size: int) -> np.ndarray:
    weights = np.zeros(size)
    weights[ids] = counts
    return weights / weights.sum()


def synthetic_papers(vocabulary: Vocabulary, chunks_wanted: int, settings: Settings, seed: int = 0):
    """Made papers until they hold chunks_wanted chunks: yields (paper, sentence spans, chunks as (start, end, tokens,
    first sentence, last sentence), word ids of the title, word ids per sentence)."""
    from assistant.models import Paper

    rng = np.random.default_rng(seed)
    made, number = 0, 0
    last = len(vocabulary.words) - 1
    while made < chunks_wanted:
        sentences_n = int(rng.integers(10, 41))
        lengths = rng.integers(12, 31, sentences_n)
        ids = np.minimum(np.searchsorted(vocabulary.cdf, rng.random(int(lengths.sum()))), last)
        per_sentence = np.split(ids, np.cumsum(lengths)[:-1])
        title_ids = np.minimum(np.searchsorted(vocabulary.title_cdf, rng.random(int(rng.integers(6, 13)))), last)
        title = " ".join(vocabulary.array[title_ids]).capitalize()
        texts = [" ".join(vocabulary.array[s]).capitalize() + "." for s in per_sentence]
        spans, at = [], 0
        for text in texts:
            spans.append((at, at + len(text)))
            at += len(text) + 1
        abstract = " ".join(texts)
        counts = [int(vocabulary.tokens[s].sum()) + 1 for s in per_sentence]
        chunks = _chunks(spans, counts, settings.chunk_tokens, settings.chunk_overlap)
        chunks = chunks[: max(1, chunks_wanted - made)]
        made += len(chunks)
        yield (Paper(paper_id=f"synthetic-{number:07d}", title=title, abstract=abstract, source="synthetic"), spans, chunks,
               title_ids, per_sentence)
        number += 1


def _chunks(spans: list[tuple[int, int]], counts: list[int], max_tokens: int, overlap: int) -> list[tuple[int, int, int, int, int]]:
    """chunking.chunk_text's grouping over known sentences and token counts: (start, end, tokens, first, last)."""
    chunks = []
    first = 0
    while first < len(spans):
        last, total = first, counts[first]
        while last + 1 < len(spans) and total + counts[last + 1] <= max_tokens:
            last += 1
            total += counts[last]
        chunks.append((spans[first][0], spans[last][1], total, first, last))
        if last + 1 >= len(spans):
            break
        next_first, tail = last + 1, 0
        while next_first - 1 > first and tail + counts[next_first - 1] <= overlap:
            next_first -= 1
            tail += counts[next_first]
        first = next_first
    return chunks


def build(chunks_total: int, data_dir: Path, seed: int = 0, cache: Path = REAL_CACHE, chroma: bool = True) -> dict[str, Any]:
    """Make data_dir an index of chunks_total chunks (the real ones included); what it did and how long each step took.

    Without chroma, only the derived files are made (under data_dir/derived-only, version "derived-only"), for timing
    the searches alone at sizes whose Chroma build does not fit in the time at hand: no index a question can read."""

    from assistant.chunk_table import ChunkTable
    from assistant.dense import DenseIndex, dense_dir
    from assistant.lexical import LexicalIndex, lexical_dir, paper_text, tokenize
    from assistant.sentence_vectors import _MARKER, PaperSentences, SentenceVectors, digest, load_sentences, method_of, sentences_dir
    from assistant.store import PaperStore
    from assistant.store.catalog_file import catalog_dir, save_catalog
    from assistant.store.records import Snapshot, index_hash, paper_metadata, paper_record
    from assistant.version_files import publish_folder

    steps: dict[str, float] = {}
    started = step = time.perf_counter()

    def done(name: str) -> None:
        nonlocal step
        steps[name] = round(time.perf_counter() - step, 1)
        log(f"{name}: {steps[name]} s")
        step = time.perf_counter()

    real = real_data_dir(cache)
    if data_dir.exists() and any(data_dir.iterdir()):
        raise SystemExit(f"{data_dir} is not empty: give a new directory (nothing was written).")
    if chroma:
        shutil.copytree(real, data_dir, dirs_exist_ok=True)
    settings = Settings(_env_file=None, data_dir=data_dir if chroma else real)
    store = PaperStore(settings)
    snapshot = store.snapshot()
    from assistant.dense import load_dense
    from assistant.lexical import live_chunk_texts, load_lexical

    real_dense = load_dense(store, snapshot)
    real_lexical_chunks = live_chunk_texts(store.all_chunks(), snapshot)
    real_sentences = load_sentences(settings, store.embedder, snapshot.version)
    assert real_sentences is not None, "the real index has no sentence vectors"
    load_lexical(store, snapshot)
    done("copy the real index and read it")
    real_count = len(real_dense.chunks)
    wanted = max(0, chunks_total - real_count)
    log(f"REAL part: {len(snapshot.papers)} papers, {real_count} chunks (embedded by {store.embedder.identity}); "
        f"SYNTHETIC part: {wanted} chunks, text drawn from the real vocabulary, vectors MADE (perturbed real vectors), not embedded")

    vocabulary = Vocabulary([p.abstract for p in snapshot.papers.values()], [p.title for p in snapshot.papers.values()], settings)
    base = np.asarray(real_dense.vectors, dtype=np.float32)
    rng = np.random.default_rng(seed + 1)
    # Chroma's add holds the GIL: its writes go to a process of their own, handed the papers batch by batch as they are
    # made, while this one makes the rest and the derived files.
    writer = ChromaWriter(data_dir) if chroma else None
    papers, chunk_words, paper_words, sentence_spans, blocks = [], [], [], [], []
    batch: list = []

    def hand_over() -> None:
        blocks.append(_made_vectors(batch, base, rng))
        if writer:
            writer.hand(batch, blocks[-1])
        batch.clear()

    for paper, spans, chunks, title_ids, per_sentence in synthetic_papers(vocabulary, wanted, settings, seed):
        papers.append((paper, index_hash(paper, settings), chunks))
        batch.append(papers[-1])
        sentence_spans.append(spans)
        chunk_words.extend(np.concatenate([title_ids, *per_sentence[first : last + 1]]) for *_, first, last in chunks)
        paper_words.append(np.concatenate([title_ids, *per_sentence]))
        if len(batch) == HANDOVER_PAPERS:
            hand_over()
    if batch:
        hand_over()
    if writer:
        writer.handed_all()
    matrix = np.concatenate([base, *blocks])  # the dense matrix: the real vectors, then the made ones
    vectors = matrix[len(base) :]
    blocks.clear()
    per_paper = np.array([len(c) for _, _, c in papers])
    rows = np.cumsum(np.concatenate([[0], per_paper]))
    done(f"make {len(papers)} synthetic papers ({wanted} chunks) and their vectors"
         + (", handed to the Chroma writer as they were made" if writer else ""))
    if not chroma:
        settings = Settings(_env_file=None, data_dir=data_dir / "derived-only")
        store = PaperStore(settings, store.embedder)  # only its paths are used: no Chroma is opened there

    # The derived files of the new version, made in memory beside the Chroma writer (what the first question would
    # otherwise rebuild from Chroma), saved once the writer has published and the version is known.
    groups = list(real_dense.chunks.groups) + [(p.paper_id, h) for p, h, _ in papers]
    synthetic_rows = np.array([(len(real_dense.chunks.groups) + number, index, s, e)
                               for number, (_, _, chunks) in enumerate(papers) for index, (s, e, *_) in enumerate(chunks)],
                              dtype=np.int32).reshape(-1, 4)
    table = ChunkTable(groups, np.concatenate([np.asarray(real_dense.chunks.rows), synthetic_rows]))
    done("dense matrix")

    stem_ids: dict[str, int] = {}
    word_stem = np.array([-1 if s is None else stem_ids.setdefault(s, len(stem_ids)) for s in vocabulary.stems], dtype=np.int64)

    def ids_of(words: list[str]) -> list[int]:
        return [stem_ids.setdefault(w, len(stem_ids)) for w in words]

    real_chunk_ids = [ids_of(words) for words in tokenize([c.document for c in real_lexical_chunks])]
    made_chunk_ids = [(s := word_stem[w])[s >= 0].tolist() for w in chunk_words]
    del chunk_words  # at 1M the word lists and the token lists below are most of this process's memory: freed once used
    real_table = ChunkTable.of(real_lexical_chunks)
    lexical_groups = list(real_table.groups) + [(p.paper_id, h) for p, h, _ in papers]
    lexical_rows = synthetic_rows.copy()
    lexical_rows[:, 0] += len(real_table.groups) - len(real_dense.chunks.groups)
    lexical_table = ChunkTable(lexical_groups, np.concatenate([np.asarray(real_table.rows), lexical_rows]))
    counts = _term_counts(real_chunk_ids + made_chunk_ids, dict(stem_ids))
    retriever = counts.retriever()
    del real_chunk_ids, made_chunk_ids
    real_ids = sorted(snapshot.papers)
    real_paper_ids = [ids_of(words) for words in tokenize([paper_text(snapshot.papers[p].title, snapshot.papers[p].abstract)
                                                          for p in real_ids])]
    made_paper_ids = [(s := word_stem[w])[s >= 0].tolist() for w in paper_words]
    del paper_words
    paper_counts = _term_counts(real_paper_ids + made_paper_ids, dict(stem_ids))
    paper_retriever = paper_counts.retriever()
    del real_paper_ids, made_paper_ids
    done("BM25 (chunks and papers)")

    sentences = {pid: found for pid, p in snapshot.papers.items() if (found := real_sentences.get(pid, p.title, p.abstract))}
    owners = []  # per synthetic sentence, the chunk row its vector is made from: the first chunk holding it
    for number, ((_, _, chunks), spans) in enumerate(zip(papers, sentence_spans)):
        owner = np.full(len(spans), -1, dtype=np.int64)
        for index, (*_, first, last) in enumerate(chunks):
            held = owner[first : last + 1]
            held[held < 0] = index
        owners.append(rows[number] + owner)
    owner_rows = np.concatenate(owners)
    made_sentences = np.empty((len(owner_rows), base.shape[1]), dtype=np.float16)
    for first in range(0, len(owner_rows), 200_000):  # its chunk's vector plus noise, normalised
        block = vectors[owner_rows[first : first + 200_000]]
        block += rng.normal(scale=0.4 / np.sqrt(base.shape[1]), size=block.shape).astype(np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        made_sentences[first : first + len(block)] = block
    bounds = np.cumsum([0] + [len(spans) for spans in sentence_spans])
    for number, ((paper, _, _), spans) in enumerate(zip(papers, sentence_spans)):
        sentences[paper.paper_id] = PaperSentences(digest(paper.title, paper.abstract), spans,
                                                   made_sentences[bounds[number] : bounds[number + 1]])
    done("sentence vectors")

    made = {paper.paper_id: paper_record(paper.paper_id, paper.text, paper_metadata(paper, hash_, len(chunks)))
            for paper, hash_, chunks in papers}
    done("catalog records")

    written, version = len(vectors), "derived-only"
    if chroma:
        chroma_figures = writer.finish()
        version, written = chroma_figures.pop("version"), chroma_figures.pop("synthetic_chunks")
        steps.update(chroma_figures)
        done("wait for the Chroma writer (chunks written, catalog published)")
    DenseIndex(table, matrix, version, embedder=store.embedder.identity).save(dense_dir(store))
    LexicalIndex(lexical_table, version, retriever, paper_retriever=paper_retriever,
                 paper_ids=real_ids + [p.paper_id for p, _, _ in papers], counts=counts, paper_counts=paper_counts,
                 paper_hashes=[snapshot.papers[p].index_hash for p in real_ids] + [h for _, h, _ in papers],
                 ).save(lexical_dir(settings))
    method = method_of(store.embedder, settings.sentence_vectors)
    publish_folder(sentences_dir(settings), version, _MARKER,
                   lambda folder: SentenceVectors.save(folder, version, store.embedder.identity, method, sentences))
    save_catalog(catalog_dir(settings), Snapshot(version, {**snapshot.papers, **made}))  # as the ingest that publishes writes it
    done("save the derived files and the catalog")

    root = data_dir if chroma else data_dir / "derived-only"
    size = {kind: round(sum(f.stat().st_size for f in (root / kind).rglob("*") if f.is_file()) / 2**20, 1)
            for kind in ("chroma", "dense", "bm25", "sentences", "catalog") if (root / kind).is_dir()}
    return {"chunks": real_count + written, "real_chunks": real_count, "synthetic_chunks": written,
            "papers": len(snapshot.papers) + len(papers), "real_papers": len(snapshot.papers), "version": version,
            "build_s": round(time.perf_counter() - started, 1), "steps_s": steps, "index_mb": size,
            "index_mb_total": round(sum(size.values()), 1), "load_average": round(os.getloadavg()[0], 1),
            "synthetic": "text drawn from the real vocabulary; vectors made from real ones (perturbed), not embedded",
            "chroma": chroma}


def _term_counts(documents: list[list[int]], vocab: dict[str, int]):
    """The term counts of documents given as word numbers (vocab: word -> number), as lexical.LexicalIndex keeps them."""
    from assistant.term_counts import TermCounts

    return replace(TermCounts.of(documents, {number: number for number in range(len(vocab))}), vocab=vocab)


def _made_vectors(papers: list, base: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The papers' chunk vectors, made: a paper's centre is a real vector plus half another, each of its chunks the centre
    plus Gaussian noise (norm ~0.6), normalised."""
    per_paper = [len(chunks) for _, _, chunks in papers]
    centres = base[rng.integers(0, len(base), len(papers))] + 0.5 * base[rng.integers(0, len(base), len(papers))]
    vectors = np.repeat(centres, per_paper, axis=0)
    vectors += rng.normal(scale=0.6 / np.sqrt(base.shape[1]), size=vectors.shape).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


class ChromaWriter:
    """The process that writes the synthetic papers into the index (write_chroma), and the files it is handed them in."""

    def __init__(self, data_dir: Path):
        self.work = data_dir / WRITER_WORK
        self.work.mkdir()
        self.batches = 0
        self.process = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--data-dir", str(data_dir),
                                         "--write-chroma"])

    def hand(self, papers: list, vectors: np.ndarray) -> None:
        """A batch of (paper, index hash, chunks) and their chunk vectors, for the writer to add next."""
        if self.process.poll() is not None:
            raise SystemExit(f"the Chroma writer stopped (exit {self.process.returncode}); its output is above")
        name = f"batch-{self.batches:05d}.pickle"
        with open(self.work / f"{name}.tmp", "wb") as out:
            pickle.dump((papers, vectors), out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(self.work / f"{name}.tmp", self.work / name)
        self.batches += 1

    def handed_all(self) -> None:
        (self.work / "handed-all").write_text(str(self.batches))

    def finish(self) -> dict[str, Any]:
        """Wait for the writer; what it wrote (the version it published among it); the hand-over folder removed."""
        if self.process.wait() != 0:
            raise SystemExit(f"the Chroma writer failed (exit {self.process.returncode}); its output is above; {self.work} is left")
        figures = json.loads((self.work / "written.json").read_text())
        shutil.rmtree(self.work)
        return figures


def _handed_batches(work: Path, parent: int) -> Iterator[tuple[list, np.ndarray]]:
    """The batches ChromaWriter.hand writes, in order, each read once and removed; until handed_all, or the parent is gone."""
    number = 0
    while True:
        batch = work / f"batch-{number:05d}.pickle"
        if batch.exists():
            with open(batch, "rb") as handed:
                yield pickle.load(handed)
            batch.unlink()
            number += 1
        # handed-all is written after the last batch: a batch that appeared between the two checks is read first
        elif (work / "handed-all").exists() and not batch.exists():
            return
        elif os.getppid() != parent:
            raise SystemExit("the building process is gone; the Chroma writer stops")
        else:
            time.sleep(0.2)


def write_chroma(data_dir: Path) -> None:
    """The Chroma writer: the handed-over synthetic papers into the live chunk collection (ids, vectors and metadata
    as ChunkWriter writes them), then the catalog published by the Writer's own code (a new catalog, one pointer write)
    and the publish signal written. Its figures, the version among them, go to written.json."""
    from assistant.models import Chunk
    from assistant.store import PaperStore
    from assistant.store.connection import listing
    from assistant.store.lock import writer_lock
    from assistant.store.records import chunk_id

    work, parent = data_dir / WRITER_WORK, os.getppid()
    pending: list = []
    by_id: dict[str, np.ndarray] = {}
    settings = Settings(_env_file=None, data_dir=data_dir)
    store = PaperStore(settings)
    written, adding, publishing = 0, 0.0, 0.0

    def chunk_of(paper, start: int, end: int, tokens: int, index: int) -> Chunk:
        # without its text: publishing reads only a chunk's index (its vector, for the paper's), and a million chunk texts
        # held again here would not fit beside the building process at 1M
        return Chunk(paper_id=paper.paper_id, title=paper.title, index=index, start=start, end=end, text="",
                     token_count=tokens)

    with writer_lock(settings, store) as lock:
        def write(client: Any) -> str:
            nonlocal written, adding, publishing
            connection = store._connection
            chunks_col, papers_col = connection.collections(client, store.embedder, create=False)
            for batch, vectors in _handed_batches(work, parent):
                ids, metadatas, added = [], [], 0
                for number, (paper, hash_, chunks) in enumerate(batch):
                    for index, (start, end, tokens, _, _) in enumerate(chunks):
                        ids.append(chunk_id(paper.paper_id, hash_, index))
                        metadatas.append({"paper_id": paper.paper_id, "hash": hash_, "index": index, "start": start,
                                          "end": end, "tokens": tokens})
                    if len(ids) >= CHROMA_BATCH or number == len(batch) - 1:
                        t = time.perf_counter()
                        chunks_col.add(ids=ids, embeddings=vectors[added : added + len(ids)], metadatas=metadatas)
                        adding += time.perf_counter() - t
                        added += len(ids)
                        written += len(ids)
                        if written % 100_000 < len(ids):
                            log(f"  Chroma writer: {written} synthetic chunks added ({written / adding:.0f} chunks/s of add)")
                        ids, metadatas = [], []
                row = 0
                for paper, hash_, chunks in batch:
                    pending.append((paper, hash_, [chunk_of(paper, s, e, n, i) for i, (s, e, n, _, _) in enumerate(chunks)]))
                    for index in range(len(chunks)):
                        by_id[chunk_id(paper.paper_id, hash_, index)] = vectors[row + index]
                    row += len(chunks)
            t = time.perf_counter()
            live_index = connection.live(listing(client))
            lock.ensure_held()
            texts_col = connection.texts(client, live_index.names.papers)
            version, _ = store.writer._publish_catalog(client, live_index, papers_col, pending, by_id, [], lock.ensure_held,
                                                       texts_col=texts_col)
            publishing = time.perf_counter() - t
            return version

        with store._connection.writing():
            version = store.call("write the synthetic papers", write)
        store._connection.published(version)
    log(f"  Chroma writer: {written} chunks in {adding:.0f} s of add, catalog of {len(pending)} papers published in "
        f"{publishing:.0f} s")
    (work / "written.json").write_text(json.dumps({
        "version": version, "synthetic_chunks": written, "chroma_add_s": round(adding, 1),
        "chroma_add_chunks_per_s": round(written / adding, 1) if adding else 0.0,
        "chroma_publish_catalog_s": round(publishing, 1)}))


def main(chunks: int, data_dir: Path, seed: int = 0) -> dict[str, Any]:
    log(f"building an index of {chunks} chunks in {data_dir}: the real papers (seeds + SciFact, real embeddings) plus "
        f"SYNTHETIC papers with MADE vectors (perturbed copies of real ones, not embedded)")
    result = build(chunks, data_dir, seed)
    log(json.dumps(result))
    log(f"done: ASSISTANT_DATA_DIR={data_dir} .venv/bin/assistant ask 'your question' reads it")
    return result


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM: reset by exec, unlike ru_maxrss, which a child started by a big parent
    inherits)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def measure(data_dir: Path, questions: int = 100) -> dict[str, Any]:
    """Query figures of the index in data_dir, from a fresh process (this one): a cold CLI `assistant ask --offline` (its
    own process, wall time to the printed answer), then in this process the first ask (loading everything), then
    `questions` SciFact claims each through retrieve() and a first-time offline ask(); peak RSS of this process."""

    from assistant.retrieval import Retriever, StageTimings
    from assistant.service import default_assistant
    from bench.scifact import claims

    asked = list(dict.fromkeys(c["text"] for c in claims()))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ASSISTANT_"))} | {"ASSISTANT_DATA_DIR": str(data_dir)}
    cli = Path(sys.executable).with_name("assistant")
    load_cli = os.getloadavg()[0]
    started = time.perf_counter()
    done = subprocess.run([str(cli), "ask", "--offline", asked[-1]], env=env, capture_output=True, text=True, timeout=900)
    cold_cli_s = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the cold `assistant ask` failed: {done.stderr[-2000:]}")
    settings = Settings(_env_file=None, data_dir=data_dir)
    load_first = os.getloadavg()[0]
    started = time.perf_counter()
    services = default_assistant(settings).with_chat(None)
    first = services.ask(asked[-2])
    first_ask_s = time.perf_counter() - started
    from assistant.dense import DenseIndex, dense_dir
    from assistant.lexical import LexicalIndex, lexical_dir
    from assistant.store import PaperStore

    parts: dict[str, float] = {}  # what a cold start pays, part by part (read again: Chroma's and the page cache warm)
    started = time.perf_counter()
    snapshot = PaperStore(settings).snapshot()
    parts["catalog_snapshot_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    LexicalIndex.load(lexical_dir(settings), snapshot.version)
    parts["bm25_load_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    DenseIndex.load(dense_dir(services.store), snapshot.version)
    parts["dense_load_s"] = round(time.perf_counter() - started, 2)
    retriever = Retriever(settings, services.store)
    retriever.retrieve(asked[-3], k=10)  # its own indexes loaded (the page cache is warm from the first ask)
    load_before = os.getloadavg()[0]
    retrieve_ms, ask_ms, stages = [], [], {"embed_ms": [], "dense_ms": [], "lexical_ms": [], "fusion_ms": []}
    cpu_retrieve, cpu_ask = [], []
    for question in asked[:questions]:
        timings = StageTimings()
        started, cpu = time.perf_counter(), time.process_time()
        retriever.retrieve(question, k=10, timings=timings)
        retrieve_ms.append((time.perf_counter() - started) * 1000)
        cpu_retrieve.append((time.process_time() - cpu) * 1000)
        for key in stages:
            stages[key].append(getattr(timings, key))
    for question in asked[questions : 2 * questions]:  # questions not asked before: nothing cached for them
        started, cpu = time.perf_counter(), time.process_time()
        services.ask(question)
        ask_ms.append((time.perf_counter() - started) * 1000)
        cpu_ask.append((time.process_time() - cpu) * 1000)

    def pct(values: list[float]) -> dict[str, float]:
        return {"p50": round(float(np.percentile(values, 50)), 1), "p95": round(float(np.percentile(values, 95)), 1)}

    return {"cold_cli_ask_s": round(cold_cli_s, 2), "load_average_cold_cli": round(load_cli, 1),
            "cold_cli_answer_starts": done.stdout.strip()[:120],
            "first_ask_in_process_s": round(first_ask_s, 2), "load_average_first_ask": round(load_first, 1),
            "first_answer_mode": first.mode, "cold_parts_warm_cache": parts,
            "retrieve_ms": pct(retrieve_ms), "retrieve_cpu_ms": pct(cpu_retrieve),
            "stages_p50_ms": {k: round(float(np.percentile(v, 50)), 1) for k, v in stages.items()},
            "ask_ms": pct(ask_ms), "ask_cpu_ms": pct(cpu_ask), "questions": questions,
            "load_average_before_questions": round(load_before, 1), "load_average_after": round(os.getloadavg()[0], 1),
            "peak_rss_mb": peak_rss_mb()}


class DerivedOnlyStore:
    """What the read path asks of a PaperStore, answered from a derived-only build (no Chroma): the version is
    "derived-only", the catalog its saved catalog files. For timing retrieve() and ask() at sizes whose Chroma build
    does not fit in the time at hand; anything else of a store is an AttributeError."""

    def __init__(self, settings: Settings):
        from assistant.embedding import get_embedder

        self.settings = settings
        self.embedder = get_embedder(settings)

    def version(self) -> str:
        return "derived-only"

    recent_version = version

    def snapshot(self) -> Any:
        from assistant.store.catalog_file import catalog_dir, load_catalog

        snapshot = load_catalog(catalog_dir(self.settings), "derived-only")
        assert snapshot is not None, "the derived-only build has no catalog files (built before they were written)"
        return snapshot


def first_answer(data_dir: Path, question: str, ask: bool) -> dict[str, Any]:
    """In a fresh process (this one): the read path from nothing to the first retrieve (or offline ask) over a
    derived-only build, part by part (Chroma's own start is not in it: measured on the full indexes)."""
    from assistant.dense import load_dense
    from assistant.lexical import load_lexical
    from assistant.retrieval import Retriever
    from assistant.service import Assistant

    parts: dict[str, float] = {}
    step = time.perf_counter()

    def done(name: str) -> None:
        nonlocal step
        parts[name] = round(time.perf_counter() - step, 2)
        step = time.perf_counter()

    settings = Settings(_env_file=None, data_dir=data_dir / "derived-only")
    store: Any = DerivedOnlyStore(settings)
    done("settings_and_embedder_s")
    snapshot = store.snapshot()
    done("catalog_s")
    load_lexical(store, snapshot)
    done("bm25_s")
    load_dense(store, snapshot)
    done("dense_s")
    if ask:
        assistant = Assistant(settings, offline=True, store=store)
        answer = assistant.ask(question)
        done("first_ask_s")
        return {"parts": parts, "answer_starts": answer.text[:120], "mode": answer.mode}
    Retriever(settings, store).retrieve(question, k=10)
    done("first_retrieve_s")
    return {"parts": parts}


def measure_parts(data_dir: Path, questions: int = 100) -> dict[str, Any]:
    """The query side over a derived-only build (build(chroma=False)), from fresh processes: a cold start to the first
    retrieve and to the first offline ask (each its own process, wall time from its start); then in this process the
    dense and BM25 folders' load and, per SciFact claim, the query embedding, the dense search (the retriever's 80
    chunks for k=10) and the BM25 scoring of chunks and papers with the top 200; then retrieve() and a first-time
    offline ask() through the real Retriever and Assistant over a store that reads the catalog files (no Chroma)."""

    from assistant.dense import DenseIndex
    from assistant.lexical import LexicalIndex
    from assistant.params import DEFAULT_RETRIEVAL
    from assistant.retrieval import Retriever, StageTimings, _top
    from assistant.service import Assistant
    from assistant.version_files import derived_dir
    from bench.scifact import claims

    settings = Settings(_env_file=None, data_dir=data_dir / "derived-only")
    everything = list(dict.fromkeys(c["text"] for c in claims()))
    asked = everything[:questions]
    result: dict[str, Any] = {"load_average_before": round(os.getloadavg()[0], 1)}
    for ask in (False, True):
        code = (f"import json, sys; sys.path.insert(0, {str(PROJECT_ROOT)!r}); from bench.scale_synthetic import first_answer; "
                f"from pathlib import Path; print(json.dumps(first_answer(Path({str(data_dir)!r}), {everything[-1 - ask]!r}, {ask})))")
        load = os.getloadavg()[0]
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        key = "cold_first_ask" if ask else "cold_first_retrieve"
        result[key] = {"wall_s": round(time.perf_counter() - started, 2), "load_average": round(load, 1)} | json.loads(
            done.stdout.strip().splitlines()[-1])
    store: Any = DerivedOnlyStore(settings)
    embedder = store.embedder
    started = time.perf_counter()
    dense = DenseIndex.load(derived_dir(settings, "dense"), "derived-only")
    result["dense_load_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    lexical = LexicalIndex.load(derived_dir(settings, "bm25"), "derived-only")
    result["bm25_load_s"] = round(time.perf_counter() - started, 2)
    assert dense is not None and lexical is not None
    result["dense_search"] = "int8 shortlist + exact re-score" if dense.compact is not None else "exact scan"
    times: dict[str, list[float]] = {"embed": [], "dense": [], "dense_cpu": [], "bm25": [], "bm25_cpu": [], "sum": []}
    for question in asked:
        started = time.perf_counter()
        vector = embedder.embed([question])[0]
        times["embed"].append((time.perf_counter() - started) * 1000)
        started, cpu = time.perf_counter(), time.process_time()
        dense.search(vector, 10 * DEFAULT_RETRIEVAL.dense_candidates_per_hit)
        times["dense"].append((time.perf_counter() - started) * 1000)
        times["dense_cpu"].append((time.process_time() - cpu) * 1000)
        started, cpu = time.perf_counter(), time.process_time()
        _top(lexical.scores(question), DEFAULT_RETRIEVAL.lexical_candidates)
        _top(lexical.paper_scores(question), DEFAULT_RETRIEVAL.lexical_candidates)
        times["bm25"].append((time.perf_counter() - started) * 1000)
        times["bm25_cpu"].append((time.process_time() - cpu) * 1000)
        times["sum"].append(times["embed"][-1] + times["dense"][-1] + times["bm25"][-1])
    del dense, lexical
    retriever = Retriever(settings, store)
    retriever.retrieve(everything[-3], k=10)  # its own indexes loaded
    assistant = Assistant(settings, offline=True, store=store)
    assistant.ask(everything[-4])
    result["load_average_before_questions"] = round(os.getloadavg()[0], 1)
    stages: dict[str, list[float]] = {"embed_ms": [], "dense_ms": [], "lexical_ms": [], "fusion_ms": []}
    for question in asked:  # embedded above: the embedder's time is in the stages of the searches alone
        timings = StageTimings()
        started, cpu = time.perf_counter(), time.process_time()
        retriever.retrieve(question, k=10, timings=timings)
        times.setdefault("retrieve", []).append((time.perf_counter() - started) * 1000)
        times.setdefault("retrieve_cpu", []).append((time.process_time() - cpu) * 1000)
        for name in stages:
            stages[name].append(getattr(timings, name))
    for question in everything[questions : 2 * questions]:  # questions not asked before
        started, cpu = time.perf_counter(), time.process_time()
        assistant.ask(question)
        times.setdefault("ask", []).append((time.perf_counter() - started) * 1000)
        times.setdefault("ask_cpu", []).append((time.process_time() - cpu) * 1000)
    for key, values in times.items():
        result[f"{key}_ms"] = {"p50": round(float(np.percentile(values, 50)), 1), "p95": round(float(np.percentile(values, 95)), 1)}
    result["retrieve_stages_p50_ms"] = {k: round(float(np.percentile(v, 50)), 1) for k, v in stages.items()}
    result.update({"chunks": len(retriever.state().dense.chunks) if retriever.state().dense else 0, "questions": len(asked),
                   "load_average_after": round(os.getloadavg()[0], 1), "peak_rss_mb": peak_rss_mb()})
    return result


def plot(rows: list[dict[str, Any]], path: Path, parts: list[dict[str, Any]] | None = None) -> None:
    """Log-log latency against chunks, with the 1M checks drawn as lines; parts: derived-only rows (searches alone)."""
    from matplotlib.figure import Figure

    rows = sorted(rows, key=lambda r: r["chunks"])
    ns = [r["chunks"] for r in rows]
    figure = Figure(figsize=(7.5, 4.5), layout="constrained")
    axis = figure.subplots()
    for key, label, color in (("retrieve_ms", "retrieve", "tab:blue"), ("ask_ms", "offline ask (first time per question)", "tab:green")):
        for q, style in (("p50", "-"), ("p95", "--")):
            axis.plot(ns, [r[key][q] for r in rows], marker="o", linestyle=style, color=color, label=f"{label} {q}")
    axis.plot(ns, [r["cold_cli_ask_s"] * 1000 for r in rows], marker="^", color="tab:red", label="cold `assistant ask` (process start to answer)")
    for part in sorted(parts or [], key=lambda r: r["chunks"]):
        for q, marker in (("p50", "x"), ("p95", "+")):
            axis.plot([part["chunks"]], [part["sum_ms"][q]], marker=marker, markersize=10, linestyle="none", color="tab:purple",
                      label=f"embed + dense + BM25 alone {q} (derived files, no Chroma)")
            for key, label, color in (("retrieve_ms", "retrieve", "tab:blue"), ("ask_ms", "offline ask", "tab:green")):
                if key in part:  # round 3: the real Retriever / Assistant over the derived and catalog files
                    axis.plot([part["chunks"]], [part[key][q]], marker=marker, markersize=10, linestyle="none", color=color,
                              label=f"{label} {q} (derived + catalog files, no Chroma)")
    for value, color in ((100, "tab:blue"), (400, "tab:green"), (5000, "tab:red")):
        axis.axhline(value, color=color, alpha=0.3, linewidth=1)
    axis.set(xscale="log", yscale="log", xlabel="chunks (N)", ylabel="ms", title="Latency against N (synthetic index, 2 shared cores)")
    axis.grid(alpha=0.3, which="both")
    axis.legend(fontsize=7)
    figure.savefig(path, dpi=110)


def merge(result: dict[str, Any], out: Path) -> Path:
    """Merge result by chunks into out/synthetic.json (and redraw out/synthetic.png)."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "synthetic.json"
    rows = {r["chunks"]: r for r in (json.loads(path.read_text()) if path.exists() else [])}
    rows[result["chunks"]] = result
    ordered = [rows[k] for k in sorted(rows)]
    path.write_text(json.dumps(ordered, indent=1) + "\n")
    parts_path = out / "synthetic-parts.json"
    if all("retrieve_ms" in r for r in ordered):
        plot(ordered, out / "synthetic.png", json.loads(parts_path.read_text()) if parts_path.exists() else None)
    return path


if __name__ == "__main__":  # the query side alone, in a fresh process: scale.py runs it after a build
    import argparse

    parser = argparse.ArgumentParser(description="Measure the query side of a built synthetic index (see bench/scale.py).")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--parts", type=int, default=None, help="Build the derived files only, of this many chunks, then time the searches.")
    parser.add_argument("--parts-measure-only", action="store_true", help="With --parts: time the derived-only build already there.")
    parser.add_argument("--write-chroma", action="store_true", help="(build's own use) write the handed-over papers into Chroma.")
    args = parser.parse_args()
    if args.write_chroma:
        write_chroma(args.data_dir)
    elif args.parts:
        built_path = args.data_dir / "derived-only-build.json"
        if args.parts_measure_only:
            built = json.loads(built_path.read_text())
        else:
            built = build(args.parts, args.data_dir, chroma=False)
            built_path.write_text(json.dumps(built))

        code = (f"import json, sys; sys.path.insert(0, {str(PROJECT_ROOT)!r}); from bench.scale_synthetic import measure_parts; "
                f"from pathlib import Path; print(json.dumps(measure_parts(Path({str(args.data_dir)!r}), {args.questions})))")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"measuring failed: {done.stderr[-3000:]}")
        row = {"part": "searches over derived files only (no Chroma)"} | built | json.loads(done.stdout.strip().splitlines()[-1])
        print(json.dumps(row), flush=True)
        out = PROJECT_ROOT / "docs" / "scale-1m" / "synthetic-parts.json"
        rows = {r["chunks"]: r for r in (json.loads(out.read_text()) if out.exists() else [])}
        rows[row["chunks"]] = row
        out.write_text(json.dumps([rows[k] for k in sorted(rows)], indent=1) + "\n")
    else:
        print(json.dumps(measure(args.data_dir, args.questions)), flush=True)
