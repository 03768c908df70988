"""Tuning values as data: the weights and thresholds of retrieval and answering, frozen, with their defaults.

Pass a changed copy (dataclasses.replace) to try other values, as the evaluation's threshold sweep does;
nothing mutates a module constant.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetrievalParams:
    """How dense and BM25 rankings are fused (tuned on the dev set and half of SciFact train, docs/EVAL.md, docs/BENCH.md)."""

    # How much the lexical ranking counts against the dense one: lexical_weight x the share of the question's words
    # (distinct, stemmed) that the best BM25 paper holds. Keyword questions in the collection's own words ("which papers
    # use DPO?", a SciFact claim) are where BM25 beats the embedder; a paraphrase whose words the papers lack is where
    # the embedder wins. Fitted on half of SciFact train's claims and the dev set (docs/BENCH.md); it replaced
    # "1.5 / number of query terms, within [0.1, 0.5]", which gave long claims too little BM25.
    lexical_weight: float = 0.5
    # Added (times the share of the question's mixed-case names it mentions) to a candidate paper that names them
    # exactly: BM25 lower-cases, so "How does SCoRe work?" would otherwise find the many papers that say "score".
    # 0.1 (was 0.2): the dev rankings are the same at 0.1 and 0.2, SciFact train's fused nDCG@10 is higher at 0.1.
    name_weight: float = 0.1
    # Added to a paper whose own name, its title before a colon ("Agent-R: Training Language Model Agents ..."), is a
    # name the question asks about ("What is Agent-R evaluated on?"): the paper asked about by name is found first.
    title_name_weight: float = 0.3
    # Dense candidates fetched per paper asked for: stale chunks of replaced papers are filtered out after the query.
    # 16 raises SciFact train's recall@100 (k=100) 0.9563 -> 0.9588 but costs ~1 ms per retrieve at k=10 (docs/BENCH.md).
    dense_candidates_per_hit: int = 8
    # BM25 chunks kept per question (the best ones; a full ranking of every matching chunk costs more than it adds),
    # and as many papers from the paper-level BM25.
    lexical_candidates: int = 200
    # A paper's lexical score: (1 - paper_lexical_share) x its best chunk's BM25 + paper_lexical_share x the BM25 of
    # its title + abstract, each relative to the question's best. Whole papers see all of a claim's words at once;
    # more than 0.6 lowers the dev set's paraphrase questions.
    paper_lexical_share: float = 0.6
    # A paper's dense score: its best chunk's cosine + second_chunk_share x its second best chunk's (0: any share
    # above it lowered SciFact train's nDCG@10, docs/BENCH.md).
    second_chunk_share: float = 0.0


@dataclass(frozen=True)
class ExtractiveParams:
    """How the offline answerer scores sentences, picks papers and decides to abstain; also used to check citations."""

    # A sentence's score: cosine to the question (or claim) plus this much x the share of its words the sentence contains.
    overlap_weight: float = 0.35
    # Below this best-sentence score the evidence is too weak to answer from.
    min_evidence_score: float = 0.42
    # Another paper joins the answer when its best sentence scores at least this share of the best one.
    second_paper_ratio: float = 0.82
    max_papers: int = 4
    # Added to a sentence's score for naming what the question names (share of its names) ...
    name_bonus: float = 0.3
    # ... and for holding a number when the question asks for one.
    number_bonus: float = 0.1
    max_sentences_per_paper: int = 2
    # A sentence of an LLM answer is kept when the reader scores a sentence of its cited abstract at least this (a logit),
    # chosen on SciFact FIT claims by bench/grounding.py (docs/EVAL.md).
    support_logit: float = 0.0


DEFAULT_RETRIEVAL = RetrievalParams()
DEFAULT_EXTRACTIVE = ExtractiveParams()
