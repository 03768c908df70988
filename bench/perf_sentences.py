"""Sentence vectors at ingest: (a) every sentence embedded on its own, against (b) "late chunking", the sentence's token
states mean-pooled out of the chunk's own forward pass (the pass that gives the chunk vector, so no extra model cost).
Speed per abstract, and quote quality on SciFact: for claims with rationale sentences, how often the best-scored
sentence of the gold abstract (cosine to the claim, optionally + the extractive answerer's term overlap) is a rationale
sentence. SciFact's own sentence list is used as the sentence units, so both methods score the same sentences.
Not a test.

    nice -n 10 .venv/bin/python bench/perf_sentences.py [--abstracts 300]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.chunking import chunk_text  # noqa: E402
from assistant.embedding import LocalEmbedder  # noqa: E402
from assistant.evidence import term_overlap, terms  # noqa: E402
from assistant.params import DEFAULT_EXTRACTIVE  # noqa: E402

SCIFACT = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "scifact"


def load(limit: int) -> tuple[dict[str, dict], list[tuple[str, str, set[int]]]]:
    """Gold abstracts (at most limit) and (claim, abstract id, rationale sentence indexes) pairs on them."""
    pairs = []
    for line in (SCIFACT / "queries_train.jsonl").read_text().splitlines():
        claim = json.loads(line)
        for doc_id, sets in claim["evidence"].items():
            pairs.append((claim["text"], doc_id, {i for s in sets for i in s["sentences"]}))
    wanted = {doc_id for _, doc_id, _ in pairs}
    docs = {}
    with gzip.open(SCIFACT / "corpus.jsonl.gz", "rt") as lines:
        for line in lines:
            doc = json.loads(line)
            if doc["_id"] in wanted:
                docs[doc["_id"]] = doc
    chosen = sorted(docs)
    random.Random(0).shuffle(chosen)
    docs = {d: docs[d] for d in chosen[:limit]}
    return docs, [p for p in pairs if p[1] in docs]


def sentence_spans_of(doc: dict) -> list[tuple[int, int]]:
    """Character spans of SciFact's sentences in doc['text'] (they are joined by single spaces)."""
    spans, cursor = [], 0
    for sentence in doc["sentences"]:
        start = doc["text"].find(sentence.strip(), cursor)
        start = cursor if start < 0 else start
        spans.append((start, start + len(sentence.strip())))
        cursor = spans[-1][1]
    return spans


def hidden_states(embedder: LocalEmbedder, texts: list[str]) -> list[tuple[np.ndarray, list[tuple[int, int]]]]:
    """Per text: its last hidden states (tokens x 384) and each token's character offsets (special tokens (0, 0))."""
    out = []
    for first in range(0, len(texts), embedder.batch_size):
        hidden, mask, encodings = embedder._hidden(texts[first : first + embedder.batch_size])
        for row, encoding in enumerate(encodings):
            length = int(mask[row].sum())
            out.append((hidden[row, :length], list(encoding.offsets[:length])))
    return out


def normalise(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.clip(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12, None)


def late_chunked(embedder: LocalEmbedder, doc: dict, spans: list[tuple[int, int]]) -> tuple[np.ndarray, int]:
    """Sentence vectors pooled from the chunk passes (title + chunk, as ingest embeds them); also the number of chunks."""
    text, title = doc["text"], doc["title"]
    chunks = chunk_text(text, 160, 40)
    prefix = len(title) + 2  # embed_text is f"{title}\n\n{chunk}"
    states = hidden_states(embedder, [f"{title}\n\n{text[s:e]}" for s, e, _ in chunks])
    vectors = np.zeros((len(spans), states[0][0].shape[1]), dtype=np.float32)
    for index, (start, end) in enumerate(spans):
        best, best_tokens = -1, None
        for (c_start, _c_end, _), (hidden, offsets) in zip(chunks, states):
            rows = [t for t, (a, b) in enumerate(offsets) if b > a and start <= c_start + a - prefix < end and a >= prefix]
            if len(rows) > best:
                best, best_tokens = len(rows), (hidden, rows)
        if best_tokens and best_tokens[1]:
            hidden, rows = best_tokens
            vectors[index] = hidden[rows].mean(axis=0)
    return normalise(vectors), len(chunks)


def top_is_rationale(claim_vector: np.ndarray, claim: str, doc: dict, vectors: np.ndarray, rationale: set[int],
                     with_overlap: bool) -> bool:
    scores = vectors @ claim_vector
    if with_overlap:
        claim_terms = terms(claim)
        scores = scores + DEFAULT_EXTRACTIVE.overlap_weight * np.array([term_overlap(claim_terms, s) for s in doc["sentences"]])
    return int(np.argmax(scores)) in rationale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--abstracts", type=int, default=300)
    args = parser.parse_args()
    docs, pairs = load(args.abstracts)
    embedder = LocalEmbedder()
    spans = {d: sentence_spans_of(doc) for d, doc in docs.items()}
    sentence_count = sum(len(s) for s in spans.values())

    started = time.perf_counter()
    chunk_count = 0
    for doc in docs.values():
        texts = [f"{doc['title']}\n\n{doc['text'][s:e]}" for s, e, _ in chunk_text(doc["text"], 160, 40)]
        chunk_count += len(texts)
        embedder.embed(texts)
    chunk_pass = time.perf_counter() - started

    started = time.perf_counter()
    separate = {d: embedder.embed(list(doc["sentences"])) for d, doc in docs.items()}
    separate_time = time.perf_counter() - started

    started = time.perf_counter()
    late = {d: late_chunked(embedder, doc, spans[d])[0] for d, doc in docs.items()}
    late_time = time.perf_counter() - started

    # (c) what ingest does now: assistant.sentence_vectors.embed_papers (pysbd sentences, vectorised pooling)
    from assistant.chunking import chunk_paper
    from assistant.models import Paper
    from assistant.sentence_vectors import embed_papers

    items = [(Paper(paper_id=d, title=doc["title"], abstract=doc["text"]), None) for d, doc in docs.items()]
    items = [(paper, chunk_paper(paper)) for paper, _ in items]
    started = time.perf_counter()
    production = {paper.paper_id: made for (paper, _), made in zip(items, embed_papers(embedder, items)[1])}
    production_time = time.perf_counter() - started

    # Speed, interleaved per abstract so that a change of load on the shared machine hits all three alike.
    interleaved = {"chunk pass only": 0.0, "(a) chunk pass + sentences embedded separately": 0.0,
                   "(c) embed_papers (chunk pass + late-chunked sentences)": 0.0}
    for (paper, chunks) in items:
        texts = [c.embed_text for c in chunks]
        sentence_texts = [paper.abstract[a:b] for a, b in production[paper.paper_id].spans]
        started = time.perf_counter()
        embedder.embed(texts)
        interleaved["chunk pass only"] += time.perf_counter() - started
        started = time.perf_counter()
        embedder.embed(texts)
        embedder.embed(sentence_texts)
        interleaved["(a) chunk pass + sentences embedded separately"] += time.perf_counter() - started
        started = time.perf_counter()
        embed_papers(embedder, [(paper, chunks)])
        interleaved["(c) embed_papers (chunk pass + late-chunked sentences)"] += time.perf_counter() - started

    claims = sorted({claim for claim, _, _ in pairs})
    claim_vectors = dict(zip(claims, embedder.embed(claims)))
    n = len(docs)
    print(f"{n} SciFact gold abstracts, {sentence_count} sentences, {chunk_count} chunks; {len(pairs)} (claim, abstract) pairs")
    print(f"chunk vectors only (today's ingest pass):        {chunk_pass / n * 1000:7.1f} ms per abstract")
    print(f"(a) every sentence embedded separately (extra):  {separate_time / n * 1000:7.1f} ms per abstract "
          f"({separate_time / chunk_pass:.2f}x the chunk pass)")
    print(f"(b) late chunking: chunk pass + pooling (total): {late_time / n * 1000:7.1f} ms per abstract "
          f"(extra over the chunk pass: {(late_time - chunk_pass) / n * 1000:.1f} ms, includes Python pooling)")
    print(f"(c) ingest's embed_papers: chunk + sentence vectors: {production_time / n * 1000:7.1f} ms per abstract "
          f"({production_time / chunk_pass:.2f}x the chunk pass)")
    base = interleaved["chunk pass only"]
    print("interleaved per abstract (one abstract at a time, as in a small ingest batch):")
    for label, seconds in interleaved.items():
        print(f"  {label:56} {seconds / n * 1000:7.1f} ms per abstract ({seconds / base:.2f}x the chunk pass)")
    lead = sum(0 in r for _, _, r in pairs) / len(pairs)
    print(f"top-scored sentence of the gold abstract is a rationale sentence ({len(pairs)} pairs; first sentence: {lead:.3f}):")
    for label, vectors in (("(a) separate", separate), ("(b) late chunking", late)):
        for with_overlap in (False, True):
            hits = sum(top_is_rationale(claim_vectors[c], c, docs[d], vectors[d], r, with_overlap) for c, d, r in pairs)
            print(f"  {label:18} {'cosine + overlap' if with_overlap else 'cosine':16} {hits / len(pairs):.3f}")
    for with_overlap in (False, True):
        hits = 0
        for c, d, r in pairs:
            made = production[d]
            rationale_spans = [spans[d][i] for i in r]
            scores = made.vectors.astype(np.float32) @ claim_vectors[c]
            if with_overlap:
                claim_terms = terms(c)
                scores = scores + DEFAULT_EXTRACTIVE.overlap_weight * np.array(
                    [term_overlap(claim_terms, docs[d]["text"][a:b]) for a, b in made.spans])
            a, b = made.spans[int(np.argmax(scores))]
            hits += any(a < e and s < b for s, e in rationale_spans)
        print(f"  {'(c) ingest (pysbd)':18} {'cosine + overlap' if with_overlap else 'cosine':16} {hits / len(pairs):.3f}"
              f"  (a sentence counts when it overlaps a rationale sentence)")
    agreement = np.concatenate([np.sum(separate[d] * late[d], axis=1) for d in docs])
    print(f"cosine between (a) and (b) vectors of a sentence: mean {agreement.mean():.3f}, 5th percentile {np.percentile(agreement, 5):.3f}")
    print(f"storage: {sentence_count / n:.1f} sentences per abstract x 384 floats = {sentence_count / n * 384 * 4 / 1024:.1f} KiB "
          f"float32 ({sentence_count / n * 384 * 2 / 1024:.1f} KiB float16) per abstract")


if __name__ == "__main__":
    main()
