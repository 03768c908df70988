"""Labelled answerability data, built automatically: SciFact claims (answerable or not) and the seeds' dev questions.

    PYTHONPATH=. nice -n 10 .venv/bin/python bench/answerability.py [--out bench/results/answerability] [--cache DIR]

1. SciFact train (bench/scifact_split.py): claims asked as "Is it true that <claim>?" over one index holding the gold
   abstracts of the answerable claims plus 1,500 other abstracts (built once into CACHE/scifact-index, then reused).
2. Seeds (../shared/eval/questions.jsonl and bench/data/extra_questions.jsonl, gold by title) over the 72 seed papers,
   split in halves by a hash of the question id (seed_split): every question as written
   (answerable ones labelled 1, "unanswerable" ones 0), and every answerable question again with its gold papers
   left out (labelled 0). Leaving out is emulated: the k + len(gold) best papers are retrieved and the gold ones
   dropped from the hits (the other papers' scores are what a collection without them gives, up to BM25's idf).
Per question: the features of assistant/answering/answerability.py, the label, the split, and what the offline answerer says
(abstained, cited papers, quote), written to OUT/rows.jsonl.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from assistant.config import PROJECT_ROOT, Settings  # noqa: E402
from scifact_split import Claim, indexed_papers, load_corpus, paper_id, split_claims  # noqa: E402

DEV_QUESTIONS = PROJECT_ROOT.parent / "shared" / "eval" / "questions.jsonl"
EXTRA_QUESTIONS = PROJECT_ROOT / "bench" / "data" / "extra_questions.jsonl"
K = Settings.model_fields["top_k"].default  # what ask() retrieves by default: the features are computed on the same hits

OUT = PROJECT_ROOT / "bench" / "results" / "answerability"
CACHE = PROJECT_ROOT / "bench" / "results" / "indexes"  # built once, reused by every later run (git-ignored)


def build_scifact_index(cache: Path) -> Settings:
    """The SciFact index under cache/scifact-index, ingested once (an existing complete index is reused)."""
    from assistant.indexing import ingest_papers
    from assistant.store import UNFINISHED, PaperStore

    settings = Settings(_env_file=None, data_dir=cache / "scifact-index")
    store = PaperStore(settings)
    claims = split_claims()
    papers = indexed_papers(claims, load_corpus())
    if store.version() not in (None, UNFINISHED) and store.count_papers() == len(papers):
        return settings
    started = time.perf_counter()
    report = ingest_papers(papers, settings, store=store)
    print(f"indexed {len(papers)} SciFact abstracts, {report.chunks_written} chunks, in {time.perf_counter() - started:.0f} s", flush=True)
    return settings


def build_seeds_index(cache: Path) -> Settings:
    """The 72 seed papers under cache/seeds-index (reused when present)."""
    from assistant.indexing import ingest_paths
    from assistant.store import UNFINISHED, PaperStore

    settings = Settings(_env_file=None, data_dir=cache / "seeds-index")
    if PaperStore(settings).version() in (None, UNFINISHED):
        ingest_paths([settings.seeds_dir], settings)
    return settings


class Asker:
    """Retrieves, computes the features and runs the offline answerer (with the old hand thresholds, and ungated)."""

    def __init__(self, settings: Settings):
        from assistant.service import Assistant

        self.assistant = Assistant(settings, offline=True)
        self.retriever = self.assistant.retriever

    def row(self, question: str, drop: set[str] = frozenset(), k: int = K, gold: list[str] = ()) -> dict:
        from assistant.answering.answerability import content_terms, features, term_stats, weighted_share
        from assistant.evidence import terms
        from assistant.answering.extractive import extractive_answer

        state = self.retriever.state()
        hits = [h for h in self.retriever.retrieve(question, k=k + len(drop)) if h.paper_id not in drop][:k]
        vector = self.retriever.embed_query(question)
        bank = self.assistant.bank
        sentences = bank.sentences(hits)
        stats = term_stats(question, state.lexical)
        row: dict = {"question": question, "features": features(question, hits, sentences, vector, stats),
                     "hits": [h.paper_id for h in hits], "paper_features": {}}
        row["features"].update(reader_features(question, hits, sentences, vector))
        asked = content_terms(question)
        for hit in hits:  # what a per-paper gate (a list answer) and sentence selection can be fitted on
            own = features(question, [hit], {hit.paper_id: sentences.get(hit.paper_id, [])}, vector, stats)
            row["paper_features"][hit.paper_id] = {"fused": hit.score, **own}
        row["sentences"] = {pid: [[s.start, s.end, round(float(vector @ s.vector), 4), round(weighted_share(asked, terms(s.text), stats), 4)]
                                  for s in sentences.get(pid, [])] for pid in gold if pid in sentences}
        params = self.assistant.extractive_params
        # "old": the hand thresholds; "ungated": what is answered when the confidence passes (the gate is applied when fitting).
        for name, confidence in (("old", None), ("ungated", 1.0)):
            draft = extractive_answer(question, hits, bank, question_vector=vector, params=params, confidence=confidence)
            row[name] = {"abstained": draft.abstained, "text": draft.text, "cited": [c.paper_id for c in draft.citations],
                         "spans": {c.paper_id: c.spans for c in draft.citations}, "quotes": {c.paper_id: c.quote for c in draft.citations}}
        return row


READER_FEATURES = ("reader_top", "reader_first", "reader_margin")  # not in the shipped model: fit_answerability --extra tries them


def reader_features(question: str, hits, sentences, vector) -> dict[str, float]:
    """The shipped reader's logits as answerability features: the best read sentence over the hits (each hit's sentences
    nearest the question, as answer.py reads them), the first hit's best, and the best minus the mean of the hits' bests."""
    from assistant.evidence import read
    from assistant.answering.reader import get_reader

    if not hits:
        return dict.fromkeys(READER_FEATURES, 0.0)
    reading = read(get_reader(), question, hits, sentences, vector)
    best = [reading.paper(hit.paper_id) for hit in hits if reading.logits.get(hit.paper_id)]
    if not best:
        return dict.fromkeys(READER_FEATURES, 0.0)
    first = reading.paper(hits[0].paper_id) if reading.logits.get(hits[0].paper_id) else min(best)
    return {"reader_top": max(best), "reader_first": first, "reader_margin": max(best) - sum(best) / len(best)}


def rationale_spans(record: dict, indexes: list[int]) -> list[tuple[int, int]]:
    """Character spans of the given sentences in the abstract (the sentences joined by single spaces)."""
    spans, position = [], 0
    for i, sentence in enumerate(record["sentences"]):
        if i in indexes:
            spans.append((position, position + len(sentence)))
        position += len(sentence) + 1
    return spans


def scifact_rows(settings: Settings, claims: list[Claim]) -> list[dict]:
    corpus = load_corpus()
    asker = Asker(settings)
    rows = []
    for number, claim in enumerate(claims, start=1):
        row = asker.row(claim.question, gold=[paper_id(cid) for cid in claim.evidence] if claim.answerable else [])
        row.update(set="scifact", id=claim.id, split=claim.split, label=int(claim.answerable), kind="claim",
                   gold=[paper_id(cid) for cid in claim.evidence] if claim.answerable else [],
                   rationale={paper_id(cid): rationale_spans(corpus[cid], idx) for cid, idx in claim.evidence.items()} if claim.answerable else {})
        rows.append(row)
        if number % 50 == 0:
            print(f"  scifact {number}/{len(claims)}", flush=True)
    return rows


def seed_split(question_id: str) -> str:
    """A seed question's half, "fit" or "held", by a hash of its id (its leave-gold-out twin goes with it)."""
    return "fit" if hashlib.sha1(question_id.encode()).digest()[0] % 2 == 0 else "held"


def seed_rows(settings: Settings) -> list[dict]:
    """The dev questions and ours (bench/data/extra_questions.jsonl) as written, and each answerable one with its gold left out."""
    from assistant.evaluation import gold_paper_ids, load_questions

    asker = Asker(settings)
    titles = {pid: p.title for pid, p in asker.retriever.state().snapshot.papers.items()}
    rows = []
    for source, path in (("dev", DEV_QUESTIONS), ("extra", EXTRA_QUESTIONS)):
        questions = load_questions(path)
        gold = gold_paper_ids(questions, titles)
        for question in questions:
            ids = gold.get(question.id, [])
            common = dict(set="seeds", source=source, split=seed_split(question.id), kind=question.type)
            row = asker.row(question.question, gold=ids)
            row.update(common, id=question.id, label=int(question.answerable), gold=ids, keywords=list(question.answer_keywords))
            rows.append(row)
            if question.answerable and ids:
                row = asker.row(question.question, drop=set(ids))
                row.update(common, id=f"{question.id}-leave-gold-out", label=0, gold=[], leave_gold_out=True)
                rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--cache", type=Path, default=CACHE, help="Where the indexes are built once and reused.")
    parser.add_argument("--index-only", action="store_true", help="Only build the SciFact index.")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    scifact = build_scifact_index(args.cache)
    if args.index_only:
        return
    started = time.perf_counter()
    rows = seed_rows(build_seeds_index(args.cache))
    rows += scifact_rows(scifact, split_claims())
    with open(args.out / "rows.jsonl", "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
    print(f"{len(rows)} rows in {args.out / 'rows.jsonl'} ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
