"""The reader's figures on data it was never trained on, next to the bi-encoder's (the embedder's cosine). Not a test.

SciFact train, HELD claims (bench/scifact_split.py, seed 13; no HELD claim and no abstract gold for one is trained on),
each asked as "Is it true that ...?":
- rationale top-1: the highest-scored sentence of a gold abstract is one of its rationale sentences (per claim and gold abstract);
- answerability AUC: the best score over the sentences of the gold abstracts + the 4 nearest others ("present") against
  the best over the 5 nearest others, gold left out ("absent"); nearest by the bi-encoder, question vs title + abstract;
- at the model's threshold (reader.json): answered when present, abstained when absent.
Seeds (validation only: dev questions of ../shared/eval/questions.jsonl and bench/data/extra_questions.jsonl with one gold
paper): the same AUC, and gold paper top-1 (the paper holding the best sentence among gold + 4 nearest is the gold one).
Cost: one batch of 8 pairs of 64 tokens vs one query embedding, median of 50 runs, onnxruntime with the session defaults.

    nice -n 10 .venv/bin/python bench/reader/evaluate.py [--model assistant/data/reader] [--json docs/reader-eval.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from bench.reader.data import Space, embedder_  # noqa: E402
from bench.scifact_split import load_corpus, split_claims  # noqa: E402
from assistant.answering.reader import Reader  # noqa: E402


SHORTLIST = 4  # sentences of a paper the reader reads at answer time, picked by the stored sentence vectors
COSINE_WEIGHT = 5.0  # a fixed (unfitted) mix: logits span ~10, cosines ~0.5


def rank_mean(present: dict[str, list[float]], absent: dict[str, list[float]]) -> tuple[list[float], list[float]]:
    """The reader's and the bi-encoder's scores turned into ranks over all cases and averaged (the probe's "rank-sum")."""
    n = len(present["reader"])
    combined = np.zeros(2 * n)
    for name in ("reader", "bi-encoder"):
        combined += np.argsort(np.argsort(np.array(present[name] + absent[name]))) / 2
    return list(combined[:n]), list(combined[n:])


def auc(positive: list[float], negative: list[float]) -> float:
    """P(a present score > an absent score), ties counted half."""
    pos, neg = np.asarray(positive)[:, None], np.asarray(negative)[None, :]
    return float(((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (pos.size * neg.size))


class Scorers:
    """The reader's logits and the bi-encoder's cosines for one question over many sentences."""

    def __init__(self, reader: Reader):
        self.reader = reader

    def both(self, question: str, qvec: np.ndarray, sentences: list[str], vectors: np.ndarray) -> dict[str, np.ndarray]:
        return {"reader": self.reader.scores(question, sentences), "bi-encoder": vectors @ qvec}


def scifact(reader: Reader, limit: int | None) -> dict:
    corpus = load_corpus()
    held = [c for c in split_claims() if c.split == "held"][:limit]
    space = Space(corpus, banned=set())
    scorers = Scorers(reader)
    qvecs = space.embed([c.question for c in held])
    top1: dict[str, list[int]] = {"reader": [], "bi-encoder": [], "reader within the bi-encoder's top 4": [],
                                  f"reader + {COSINE_WEIGHT:g} x cosine": []}
    present: dict[str, list[float]] = {"reader": [], "bi-encoder": []}
    absent: dict[str, list[float]] = {"reader": [], "bi-encoder": []}
    for claim, qvec in zip(held, qvecs):
        others = space.nearest(qvec, 5, exclude=set(claim.evidence))
        papers = list(claim.evidence) + others
        rows = [(cid, j) for cid in papers for j in range(len(corpus[cid]["sentences"]))]
        sentences = [space.text(cid, j) for cid, j in rows]
        vectors = np.stack([space.sentences[space.spans[cid][0] + j] for cid, j in rows])
        scored = scorers.both(claim.question, qvec, sentences, vectors)
        in_present = np.array([cid in claim.evidence or cid in others[:4] for cid, _ in rows])
        in_absent = np.array([cid in others for cid, _ in rows])
        for name, values in scored.items():
            present[name].append(float(values[in_present].max()))
            absent[name].append(float(values[in_absent].max()))
            for cid, rationale in claim.evidence.items():
                mine = [i for i, (c, _) in enumerate(rows) if c == cid]
                best = mine[int(np.argmax(values[mine]))]
                top1[name].append(int(rows[best][1] in rationale))
        for cid, rationale in claim.evidence.items():
            mine = np.array([i for i, (c, _) in enumerate(rows) if c == cid])
            cosine, logit = scored["bi-encoder"][mine], scored["reader"][mine]
            # What answering does: the reader picks among the sentences the stored vectors put first.
            shortlist = np.argsort(-cosine)[:SHORTLIST]
            top1["reader within the bi-encoder's top 4"].append(int(rows[mine[shortlist[int(np.argmax(logit[shortlist]))]]][1] in rationale))
            mixed = logit + COSINE_WEIGHT * cosine
            top1[f"reader + {COSINE_WEIGHT:g} x cosine"].append(int(rows[mine[int(np.argmax(mixed))]][1] in rationale))
    threshold = reader.config.threshold
    return {
        "claims": len(held),
        "gold abstracts": len(top1["reader"]),
        "rationale top-1": {name: round(float(np.mean(v)), 3) for name, v in top1.items()},
        "answerability AUC": {**{name: round(auc(present[name], absent[name]), 3) for name in present},
                              "reader + bi-encoder (rank mean)": round(auc(*rank_mean(present, absent)), 3)},
        "reader at threshold": {"threshold": threshold, "answered when present": round(float(np.mean(np.array(present["reader"]) > threshold)), 3),
                                "abstained when absent": round(float(np.mean(np.array(absent["reader"]) <= threshold)), 3)},
    }


def seeds(reader: Reader) -> dict:
    from assistant.chunking import sentence_spans
    from assistant.corpus import load_papers

    papers = load_papers([ROOT / "seeds"])
    by_title = {p.title.casefold(): p for p in papers}
    questions = []
    for path in (ROOT.parent / "shared" / "eval" / "questions.jsonl", ROOT / "bench" / "data" / "extra_questions.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                gold = [by_title.get(t.casefold()) for t in record.get("gold_titles", [])]
                if len(gold) == 1 and gold[0] is not None:
                    questions.append((record["question"], gold[0].paper_id))
    embedder = embedder_()
    sentences = {p.paper_id: [p.abstract[a:b] for a, b in sentence_spans(p.abstract)] for p in papers}
    abstract_vectors = embedder.embed([f"{p.title}. {p.abstract}" for p in papers])
    ids = [p.paper_id for p in papers]
    sentence_vectors = {pid: embedder.embed(sentences[pid]) for pid in ids}
    qvecs = embedder.embed([q for q, _ in questions])
    present: dict[str, list[float]] = {"reader": [], "bi-encoder": []}
    absent: dict[str, list[float]] = {"reader": [], "bi-encoder": []}
    top1: dict[str, list[int]] = {"reader": [], "bi-encoder": []}
    for (question, gold), qvec in zip(questions, qvecs):
        order = [ids[i] for i in np.argsort(-(abstract_vectors @ qvec)) if ids[i] != gold]
        others = order[:5]
        best: dict[str, dict[str, float]] = {"reader": {}, "bi-encoder": {}}
        for pid in [gold] + others:
            best["reader"][pid] = float(reader.scores(question, sentences[pid]).max())
            best["bi-encoder"][pid] = float((sentence_vectors[pid] @ qvec).max())
        for name, by_paper in best.items():
            present[name].append(max(by_paper[p] for p in [gold] + others[:4]))
            absent[name].append(max(by_paper[p] for p in others))
            top1[name].append(int(max([gold] + others[:4], key=lambda p: by_paper[p]) == gold))
    threshold = reader.config.threshold
    return {
        "questions": len(questions),
        "gold paper top-1": {name: round(float(np.mean(v)), 3) for name, v in top1.items()},
        "answerability AUC": {**{name: round(auc(present[name], absent[name]), 3) for name in present},
                              "reader + bi-encoder (rank mean)": round(auc(*rank_mean(present, absent)), 3)},
        "reader at threshold": {"answered when present": round(float(np.mean(np.array(present["reader"]) > threshold)), 3),
                                "abstained when absent": round(float(np.mean(np.array(absent["reader"]) <= threshold)), 3)},
    }


def public(reader: Reader) -> dict:
    """The public sets' HELD papers (bench/reader/public_qa.py), never trained on."""
    return {"covid_qa held (full text)": covid_held(reader), "pubmed_qa held": pubmed_held(reader)}


def covid_held(reader: Reader) -> dict:
    """COVID-QA's full texts: the answering sentence top-1 among all of its paper's sentences, and among the
    bi-encoder's 8 best (what quoting reads)."""
    from bench.reader.public_qa import PublicSpace, covid_qa

    papers, questions = covid_qa()
    space = PublicSpace("covid_qa", papers, ROOT / ".cache" / "reader")
    held = [q for q in questions if q.split == "held"]
    top1: dict[str, list[int]] = {"reader": [], "bi-encoder": [], "reader within the bi-encoder's top 8": []}
    logits: list[np.ndarray] = [np.empty(0)] * len(held)  # per question, in order
    for paper_id in sorted({q.paper_id for q in held}):  # a paper's questions in one call: its sentences embedded once
        mine = [i for i, q in enumerate(held) if q.paper_id == paper_id]
        size = len(papers[paper_id].sentences)
        scored = reader.score_pairs([(held[i].text, s) for i in mine for s in papers[paper_id].sentences])
        for n, i in enumerate(mine):
            logits[i] = scored[n * size : (n + 1) * size]
    for question, qvec, logit in zip(held, embedder_().embed([q.text for q in held]), logits):
        cosine = space.vectors_of(question.paper_id) @ qvec
        shortlist = np.argsort(-cosine)[:8]
        top1["reader"].append(int(int(np.argmax(logit)) in question.answers))
        top1["bi-encoder"].append(int(int(np.argmax(cosine)) in question.answers))
        top1["reader within the bi-encoder's top 8"].append(int(int(shortlist[int(np.argmax(logit[shortlist]))]) in question.answers))
    return {"questions": len(held), "papers": len({q.paper_id for q in held}),
            "answer sentence top-1": {k: round(float(np.mean(v)), 3) for k, v in top1.items()}}


def pdf_held(reader: Reader, pdf_dir: Path) -> dict:
    """Questions written about real PDFs (bench/reader/pdf_qa.py), HELD papers: the answering sentence top-1 among all
    of its paper's sentences, and among the bi-encoder's 24 best (what quoting reads)."""
    from bench.real_pdfs import folded
    from bench.reader.pdf_qa import answering, paper_sentences, questions_by_pdf

    top1: dict[str, list[int]] = {"reader": [], "bi-encoder": [], "reader within the bi-encoder's top 24": []}
    papers = 0
    for name, asked in questions_by_pdf("held").items():
        if not (pdf_dir / name).exists():
            continue
        sentences = paper_sentences(pdf_dir / name)
        folded_sentences = [folded(s) for s in sentences]
        asked = [(q, answering(q["fact"], folded_sentences)) for q in asked if not q.get("absent")]
        asked = [(q, answers) for q, answers in asked if 0 < len(answers) <= 2]
        if len(sentences) < 20 or not asked:
            continue
        papers += 1
        vectors = embedder_().embed(sentences)
        scored = reader.score_pairs([(q["question"], s) for q, _ in asked for s in sentences])
        for n, ((_, answers), qvec) in enumerate(zip(asked, embedder_().embed([q["question"] for q, _ in asked]))):
            logit = scored[n * len(sentences) : (n + 1) * len(sentences)]
            cosine = vectors @ qvec
            shortlist = np.argsort(-cosine)[:24]
            top1["reader"].append(int(int(np.argmax(logit)) in answers))
            top1["bi-encoder"].append(int(int(np.argmax(cosine)) in answers))
            top1["reader within the bi-encoder's top 24"].append(int(int(shortlist[int(np.argmax(logit[shortlist]))]) in answers))
    return {"questions": len(top1["reader"]), "papers": papers,
            "answer sentence top-1": {k: round(float(np.mean(v)), 3) for k, v in top1.items()}}


def pubmed_held(reader: Reader) -> dict:
    """PubMedQA: the same answerability AUC as on SciFact (the best sentence over the gold abstract + 4 nearest vs the
    5 nearest), and the reader's threshold."""
    from bench.reader.public_qa import PublicSpace, pubmed_qa

    papers, questions = pubmed_qa()
    space = PublicSpace("pubmed_qa", papers, ROOT / ".cache" / "reader")
    held = [q for q in questions if q.split == "held"]
    present: dict[str, list[float]] = {"reader": [], "bi-encoder": []}
    absent: dict[str, list[float]] = {"reader": [], "bi-encoder": []}
    for question, qvec in zip(held, embedder_().embed([q.text for q in held])):
        others = space.nearest(qvec, 5, question.paper_id, "held")
        best: dict[str, dict[str, float]] = {"reader": {}, "bi-encoder": {}}
        for pid in [question.paper_id] + others:
            best["reader"][pid] = float(reader.scores(question.text, papers[pid].sentences).max())
            best["bi-encoder"][pid] = float((space.vectors_of(pid) @ qvec).max())
        for name, by_paper in best.items():
            present[name].append(max(by_paper[p] for p in [question.paper_id] + others[:4]))
            absent[name].append(max(by_paper[p] for p in others))
    threshold = reader.config.threshold
    return {
        "questions": len(held),
        "answerability AUC": {**{name: round(auc(present[name], absent[name]), 3) for name in present},
                              "reader + bi-encoder (rank mean)": round(auc(*rank_mean(present, absent)), 3)},
        "reader at threshold": {"answered when present": round(float(np.mean(np.array(present["reader"]) > threshold)), 3),
                                "abstained when absent": round(float(np.mean(np.array(absent["reader"]) <= threshold)), 3)},
    }


def cost(reader: Reader) -> dict:
    embedder = embedder_()
    question = "what does the reader cost here"
    words = 64 - 3 - len(reader._tokenizer.encode(question, add_special_tokens=False).ids)  # [CLS] q [SEP] p [SEP]: 64 tokens
    pairs = [(question, " ".join(["reader"] * words))] * 8
    tokens = len(reader._tokenizer.encode(*pairs[0]).ids)

    def median_ms(run) -> float:
        run()
        times = []
        for _ in range(50):
            began = time.perf_counter()
            run()
            times.append(1000 * (time.perf_counter() - began))
        return statistics.median(times)

    read = median_ms(lambda: reader.score_pairs(pairs))
    embed = median_ms(lambda: embedder.embed(["what does the reader cost here"]))
    return {"tokens per pair": tokens, "8 pairs ms": round(read, 1), "query embedding ms": round(embed, 1), "ratio": round(read / embed, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None, help="a folder with reader.onnx + reader.json, or an .onnx file (default: the shipped one)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N HELD claims (a quick look)")
    parser.add_argument("--parts", default="scifact,seeds,public,pdf,cost")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--pdf-dir", type=Path, default=ROOT / ".cache" / "reader" / "pdfs", help="the PDFs of bench/data/reader_pdf_qa.jsonl (part pdf)")
    args = parser.parse_args()
    reader = Reader.load(args.model)
    figures: dict = {"model": str(args.model or "shipped"), "version": reader.config.version}
    parts = args.parts.split(",")
    if "scifact" in parts:
        figures["scifact held claims"] = scifact(reader, args.limit)
    if "seeds" in parts:
        figures["seeds dev + extra (validation)"] = seeds(reader)
    if "public" in parts:
        figures["public sets, held papers"] = public(reader)
    if "pdf" in parts:
        figures["real PDFs, held papers"] = pdf_held(reader, args.pdf_dir)
    if "cost" in parts:
        figures["cost"] = cost(reader)
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
