"""The SciFact answerability protocol's data: claims split (seeded) into FIT and HELD-OUT, answerable or not, and the papers to index.

Claims with evidence (grouped by shared gold abstracts) are shuffled with a fixed seed and cut in two halves, FIT and HELD-OUT. Within each half,
half the claims are "answerable" (their gold abstracts are indexed) and half "unanswerable" (left out). The index
holds every answerable claim's gold abstracts plus `others` abstracts drawn (seeded) from the rest of the corpus,
never one that is gold for an unanswerable claim. An unanswerable claim sharing a gold abstract with another
claim goes with it: claims sharing an abstract form one group, split and labelled together.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass
from pathlib import Path

from assistant.config import PROJECT_ROOT
from assistant.models import Paper

SCIFACT = PROJECT_ROOT.parent / "shared" / "bench" / "scifact"


@dataclass(frozen=True)
class Claim:
    """A SciFact claim with its gold abstracts and rationale sentence indexes, its split and its label."""

    id: str
    text: str
    evidence: dict[str, list[int]]  # corpus id -> rationale sentence indexes
    split: str  # "fit" | "held"
    answerable: bool

    @property
    def question(self) -> str:
        """The claim as a question; its first letter lower-cased, as inside any sentence, unless it opens a name (IL-18, mRNA)."""
        claim = self.text.rstrip(".").strip()
        if claim[:1].isupper() and not any(c.isupper() or c.isdigit() for c in claim[1:].split(" ")[0]):
            claim = claim[0].lower() + claim[1:]
        return f"Is it true that {claim}?"


def paper_id(corpus_id: str) -> str:
    return f"scifact-{corpus_id}"


def load_corpus(folder: Path = SCIFACT) -> dict[str, dict]:
    with gzip.open(folder / "corpus.jsonl.gz", "rt", encoding="utf-8") as lines:
        return {record["_id"]: record for record in map(json.loads, lines)}


def split_claims(folder: Path = SCIFACT, seed: int = 13) -> list[Claim]:
    """The claims with evidence, each with its split and label (seeded, so the same on every run).

    Claims that share a gold abstract form one group and go together (same split, same label), so no abstract is
    both indexed and withheld, and no abstract serves both FIT and HELD-OUT.
    """
    records = [json.loads(line) for line in (folder / "queries_train.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    records = sorted((r for r in records if r["evidence"]), key=lambda r: int(r["_id"]))
    groups = _groups(records)
    random.Random(seed).shuffle(groups)
    claims = []
    for position, group in enumerate(groups):
        split = "fit" if position % 4 in (0, 1) else "held"
        answerable = position % 2 == 0
        for record in group:
            evidence = {cid: sorted({i for item in items for i in item["sentences"]}) for cid, items in record["evidence"].items()}
            claims.append(Claim(record["_id"], record["text"], evidence, split, answerable))
    return claims


def _groups(records: list[dict]) -> list[list[dict]]:
    """Claims joined when they share a gold abstract (union-find), in a stable order."""
    parent = list(range(len(records)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, record in enumerate(records):
        for cid in record["evidence"]:
            if cid in first:
                parent[root(i)] = root(first[cid])
            else:
                first[cid] = i
    grouped: dict[int, list[dict]] = {}
    for i, record in enumerate(records):
        grouped.setdefault(root(i), []).append(record)
    return [grouped[key] for key in sorted(grouped)]


def indexed_papers(claims: list[Claim], corpus: dict[str, dict], others: int = 1500, seed: int = 13) -> list[Paper]:
    """The gold abstracts of the answerable claims plus `others` abstracts (seeded) that are gold for no unanswerable claim."""
    gold = {cid for claim in claims if claim.answerable for cid in claim.evidence}
    withheld = {cid for claim in claims if not claim.answerable for cid in claim.evidence}
    pool = sorted((cid for cid in corpus if cid not in gold and cid not in withheld), key=int)
    chosen = sorted(gold, key=int) + random.Random(seed).sample(pool, others)
    papers, titles = [], set()
    for cid in chosen:
        record = corpus[cid]
        title = record["title"].strip() or f"SciFact {cid}"
        if title.casefold() in titles:
            title = f"{title} ({cid})"
        titles.add(title.casefold())
        papers.append(Paper(paper_id=paper_id(cid), title=title, abstract=" ".join(record["sentences"]), source=f"scifact:{cid}"))
    return papers
