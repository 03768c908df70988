"""The reader's support threshold for grounding LLM text: chosen on SciFact FIT claims, reported on HELD claims.

    PYTHONPATH=. nice -n 10 .venv/bin/python bench/grounding.py [--limit 300]

Each SciFact train claim (bench/scifact_split.py) is judged as a sentence of an LLM answer would be
(generation.reader_judge): the reader reads the SUPPORT_CANDIDATES sentences of the cited abstract nearest the claim by
their vectors, and the best logit decides. A claim citing its gold abstract is supported; the same claim citing the
abstract nearest it that is not its gold (a related paper that does not state it: what a made-up claim citing a
real source looks like) is not. The threshold maximises balanced accuracy on FIT; HELD reports what it keeps and drops.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scifact_split import load_corpus, split_claims  # noqa: E402


def best_logits(reader, embedder, claims, corpus, candidates: int) -> tuple[np.ndarray, np.ndarray]:
    """Per claim: the best logit over its gold abstract's nearest sentences, and over the nearest non-gold abstract's."""
    abstracts = sorted({cid for claim in claims for cid in claim.evidence})
    sentences = [(cid, text) for cid in abstracts for text in corpus[cid]["sentences"]]
    vectors = embedder.embed([text for _, text in sentences])
    claim_vectors = embedder.embed([claim.text for claim in claims])
    owners = np.array([abstracts.index(cid) for cid, _ in sentences])
    gold_pairs, other_pairs = [], []
    for number, (claim, vector) in enumerate(zip(claims, claim_vectors)):
        cosines = vectors @ vector
        gold = {abstracts.index(cid) for cid in claim.evidence}
        first_gold = abstracts.index(next(iter(claim.evidence)))
        other = next(owners[i] for i in np.argsort(-cosines) if owners[i] not in gold)
        for owner, pairs in ((first_gold, gold_pairs), (other, other_pairs)):
            rows = np.flatnonzero(owners == owner)
            for i in rows[np.argsort(-cosines[rows])][:candidates]:
                pairs.append((number, (claim.text, sentences[i][1])))
    result = []
    for pairs in (gold_pairs, other_pairs):
        best = np.full(len(claims), -np.inf)
        for (number, _), logit in zip(pairs, reader.score_pairs([pair for _, pair in pairs])):
            best[number] = max(best[number], float(logit))
        result.append(best)
    return result[0], result[1]


def shared_word_rule(claims, corpus, embedder) -> tuple[float, float]:
    """The rule before the reader on the same pairs: supported when the cited abstract shares a content word."""
    from assistant.evidence import terms

    abstracts = sorted({cid for claim in claims for cid in claim.evidence})
    texts = {cid: f"{corpus[cid]['title']} {' '.join(corpus[cid]['sentences'])}" for cid in abstracts}
    vectors = embedder.embed([texts[cid] for cid in abstracts])
    kept = dropped = 0
    for claim, vector in zip(claims, embedder.embed([claim.text for claim in claims])):
        gold = next(iter(claim.evidence))
        other = next(abstracts[i] for i in np.argsort(-(vectors @ vector)) if abstracts[i] not in claim.evidence)
        kept += bool(terms(claim.text) & terms(texts[gold]))
        dropped += not (terms(claim.text) & terms(texts[other]))
    return kept / len(claims), dropped / len(claims)


def main() -> None:
    from assistant.config import Settings
    from assistant.embedding import get_embedder
    from assistant.answering.generation import SUPPORT_CANDIDATES
    from assistant.answering.reader import Reader

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=300, help="Claims per split (the first ones, in split order).")
    parser.add_argument("--before", action="store_true", help="Only the shared-word rule used before the reader (no reader).")
    args = parser.parse_args()
    if args.before:
        embedder, corpus = get_embedder(Settings(_env_file=None)), load_corpus()
        for split in ("fit", "held"):
            chosen = [c for c in split_claims() if c.split == split][: args.limit]
            kept, dropped = shared_word_rule(chosen, corpus, embedder)
            print(f"shared-word rule, {split}: {len(chosen)} claims; supported kept {kept:.3f}, unsupported dropped {dropped:.3f}")
        return
    reader, embedder = Reader.load(), get_embedder(Settings(_env_file=None))
    corpus = load_corpus()
    claims = split_claims()
    print(f"reader {reader.config.version}; {SUPPORT_CANDIDATES} candidate sentences per cited abstract")
    threshold = 0.0
    for split in ("fit", "held"):
        chosen = [c for c in claims if c.split == split][: args.limit]
        supported, made_up = best_logits(reader, embedder, chosen, corpus, SUPPORT_CANDIDATES)
        if split == "fit":
            grid = np.unique(np.concatenate([supported, made_up]))
            balanced = [((supported >= t).mean() + (made_up < t).mean()) / 2 for t in grid]
            threshold = float(grid[int(np.argmax(balanced))])
            print(f"threshold (best balanced accuracy on FIT): {threshold:.3f}")
        kept, dropped = (supported >= threshold).mean(), (made_up < threshold).mean()
        order = np.concatenate([supported, made_up])
        labels = np.concatenate([np.ones(len(supported)), np.zeros(len(made_up))])
        ranks = order.argsort().argsort() + 1
        auc = (ranks[labels == 1].sum() - len(supported) * (len(supported) + 1) / 2) / (len(supported) * len(made_up))
        print(f"{split}: {len(chosen)} claims; supported kept {kept:.3f}, unsupported dropped {dropped:.3f}, AUC {auc:.3f}")


if __name__ == "__main__":
    main()
