"""Training groups for the reader, built from SciFact train (FIT claims only) and self-supervised pairs from its abstracts.

Each group is a question and up to K candidate sentences with 0/1 labels: the reader is trained listwise over a group
plus a fixed "none of these" logit (0), so a group whose labels are all 0 teaches "the collection does not say".
Candidates are the sentences answering would meet: the bi-encoder's best sentences of the nearest papers.

Never used: a HELD claim (bench/scifact_split.py, seed 13), or any abstract that is gold for a HELD claim (as a
positive, a negative or a self-supervised source). The seeds' questions are for validation only (bench/reader/evaluate.py).

    nice -n 10 .venv/bin/python bench/reader/data.py --out .cache/reader/groups.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench.scifact_split import SCIFACT, Claim, load_corpus, split_claims  # noqa: E402

CACHE = Path(__file__).resolve().parent.parent.parent / ".cache" / "reader"
K = 8  # candidates per group: what answering scores for one question (the best sentences of the top papers)


@dataclass
class Group:
    question: str
    candidates: list[str]
    labels: list[int]
    kind: str


# --- dense vectors of every abstract and sentence (the bi-encoder answering uses), cached ---------------------------

def vectors(corpus: dict[str, dict]) -> tuple[list[str], np.ndarray, dict[str, tuple[int, int]], np.ndarray]:
    """Abstract ids, their vectors (title + abstract), each id's row range in the sentence matrix, and the sentence vectors."""
    ids = sorted(corpus, key=int)
    spans, start = {}, 0
    for cid in ids:
        spans[cid] = (start, start + len(corpus[cid]["sentences"]))
        start += len(corpus[cid]["sentences"])
    path = CACHE / "vectors.npz"
    if path.is_file():
        saved = np.load(path)
        return ids, saved["abstracts"], spans, saved["sentences"]
    embedder = embedder_()
    abstracts = embedder.embed([f"{corpus[c]['title']}. {corpus[c]['text']}" for c in ids])
    sentences = embedder.embed([s for c in ids for s in corpus[c]["sentences"]])
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, abstracts=abstracts, sentences=sentences)
    return ids, abstracts, spans, sentences


_embedder = None


def embedder_():
    global _embedder
    if _embedder is None:
        from assistant.embedding import LocalEmbedder

        _embedder = LocalEmbedder()
    return _embedder


# --- question forms ---------------------------------------------------------------------------------------------------

VERBS = ("increase", "decrease", "reduce", "inhibit", "cause", "promote", "improve", "induce", "prevent", "regulate", "activate",
         "enhance", "lead", "correlate", "contribute", "require", "affect", "impair", "protect", "suppress", "block", "mediate",
         "result", "predict", "bind", "confer", "lower", "raise", "alter", "trigger", "drive", "control", "modulate", "associate",
         "elevate", "limit", "restore", "express", "produce", "contain", "show", "exhibit", "decline", "occur", "depend", "play",
         "lack", "target", "form", "help", "remain", "differ", "exceed", "rise", "fall", "attenuate", "accelerate", "delay")
AUX = ("is", "are", "was", "were", "can", "could", "may", "might", "will", "has", "have", "had", "does", "do", "did", "should")


def question_forms(claim: Claim) -> list[str]:
    """The claim as stated, as "Is it true that ...?", and as a yes/no question ("Does X reduce Y?") when a verb is found."""
    forms = [claim.text.strip(), claim.question]
    yes_no = yes_no_question(claim.text)
    if yes_no:
        forms.append(yes_no)
    return forms


def yes_no_question(statement: str) -> str | None:
    words = statement.rstrip(". ").split()
    for i, word in enumerate(words[1:], start=1):
        low = word.lower()
        if low in AUX:
            return _cap(" ".join([low] + [_uncap(words[0])] + words[1:i] + words[i + 1 :])) + "?"
        for verb in VERBS:
            if low in (verb + "s", verb + "es"):
                return _cap(" ".join(["does", _uncap(words[0])] + words[1:i] + [verb] + words[i + 1 :])) + "?"
            if low == verb:
                return _cap(" ".join(["do", _uncap(words[0])] + words[1:i] + [verb] + words[i + 1 :])) + "?"
    return None


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _uncap(text: str) -> str:
    """The first letter lower-cased, unless the first word is a name (IL-18, mRNA)."""
    first = text.split(" ")[0]
    return text if any(c.isupper() or c.isdigit() for c in first[1:]) else text[:1].lower() + text[1:]


# --- candidates --------------------------------------------------------------------------------------------------------

class Space:
    """The corpus with its vectors; finds the nearest abstracts and the best sentences for a question."""

    def __init__(self, corpus: dict[str, dict], banned: set[str]):
        self.corpus = corpus
        self.ids, self.abstracts, self.spans, self.sentences = vectors(corpus)
        self.row = {cid: i for i, cid in enumerate(self.ids)}
        self.banned = banned  # abstracts never used (gold for a HELD claim)

    def embed(self, texts: list[str]) -> np.ndarray:
        return embedder_().embed(texts)

    def nearest(self, qvec: np.ndarray, n: int, exclude: set[str]) -> list[str]:
        sims = self.abstracts @ qvec
        out = []
        for i in np.argsort(-sims):
            cid = self.ids[i]
            if cid not in exclude and cid not in self.banned:
                out.append(cid)
                if len(out) == n:
                    break
        return out

    def best_sentences(self, qvec: np.ndarray, papers: list[str]) -> list[tuple[float, str, int]]:
        """(cosine, paper, sentence index) of every sentence of the papers, best first."""
        found = []
        for cid in papers:
            lo, hi = self.spans[cid]
            for j, sim in enumerate(self.sentences[lo:hi] @ qvec):
                found.append((float(sim), cid, j))
        return sorted(found, key=lambda t: -t[0])

    def text(self, cid: str, j: int) -> str:
        return self.corpus[cid]["sentences"][j]


def present_group(space: Space, question: str, qvec: np.ndarray, gold: dict[str, list[int]], kind: str, rng: random.Random) -> Group:
    """The K best sentences of the gold abstracts + their 4 nearest others; a rationale sentence put in if none made it."""
    others = space.nearest(qvec, 4, exclude=set(gold))
    ranked = space.best_sentences(qvec, list(gold) + others)[:K]
    positives = {(cid, j) for cid, js in gold.items() for j in js}
    if not any((cid, j) in positives for _, cid, j in ranked):
        cid, j = rng.choice(sorted(positives))
        ranked[-1] = (0.0, cid, j)
    rng.shuffle(ranked)
    return Group(question, [space.text(c, j) for _, c, j in ranked], [int((c, j) in positives) for _, c, j in ranked], kind)


def absent_group(space: Space, question: str, qvec: np.ndarray, exclude: set[str], kind: str, papers: list[str] | None = None) -> Group:
    """The K best sentences of the 5 nearest abstracts that are not gold: the target is "none of these"."""
    papers = papers if papers is not None else space.nearest(qvec, 5, exclude=exclude)
    ranked = space.best_sentences(qvec, papers)[:K]
    return Group(question, [space.text(c, j) for _, c, j in ranked], [0] * len(ranked), kind)


# --- self-supervised questions ------------------------------------------------------------------------------------------

STOP = set("a an the of in on for to and or with by from at as is are was were be been that this these those which who whom whose "
           "its their our we it not no than then there into over under between among via using used use based both also can may "
           "has have had did does do".split())


def pseudo_claim(sentence: str, rng: random.Random) -> str | None:
    """A sentence turned into a claim-like question: brackets and numbers out, some words dropped, asked as a question."""
    text = re.sub(r"\s*[\(\[][^\)\]]*[\)\]]", "", sentence)
    text = re.sub(r"\b\d+(\.\d+)?\s*%?", "", text)
    text = re.sub(r"^(In (this|the present) (study|work|paper),?|Here,? |We (found|show|report|demonstrate|observed) that|"
                  r"Our (results|data|findings) (show|suggest|indicate|demonstrate) that|These (results|data|findings) "
                  r"(show|suggest|indicate|demonstrate) that|Results:?|Conclusions?:?|Background:?|Methods:?)\s*", "", text, flags=re.I)
    words = [w for w in text.rstrip(". ").split() if w.strip(",;:")]
    if len(words) < 7:
        return None
    keep = [w for i, w in enumerate(words) if i == 0 or rng.random() > 0.2]
    claim = " ".join(keep[:30]).strip(",;: ")
    form = rng.random()
    if form < 0.4:
        return f"Is it true that {_uncap(claim)}?"
    if form < 0.7:
        return yes_no_question(claim) or f"Is it true that {_uncap(claim)}?"
    return _cap(claim) + "."


def phrase_question(sentence: str, rng: random.Random) -> tuple[str, str] | None:
    """A question about a phrase of the sentence (2-4 content words), and that phrase."""
    words = [w.strip(",;:.()[]\"'") for w in sentence.split()]
    spans = []
    for n in (2, 3, 4):
        for i in range(len(words) - n + 1):
            span = words[i : i + n]
            if all(span) and span[0].lower() not in STOP and span[-1].lower() not in STOP and sum(len(w) > 5 for w in span) >= 1:
                spans.append(" ".join(span))
    if not spans:
        return None
    phrase = rng.choice(spans)
    shown = phrase if any(c.isupper() for c in phrase[1:]) else phrase.lower()
    template = rng.choice(["What is known about {}?", "Is there any work on {}?", "What does the paper say about {}?",
                           "Which findings concern {}?", "What about {}?", "{}?"])
    return template.format(shown), phrase


def title_question(title: str, rng: random.Random) -> str:
    title = title.strip().rstrip(".")
    return rng.choice(["{}", "Is there any work on {}?", "What is known about {}?", "Any papers on {}?"]).format(
        title if rng.random() < 0.5 or any(c.isupper() for c in title.split(" ")[0][1:]) else _uncap(title))


def claims_without_evidence(held_gold: set[str]) -> tuple[list[dict], dict[str, set[str]]]:
    """SciFact train claims whose cited abstracts hold no evidence (none of them gold for a HELD claim), and every
    claim's cited abstract ids."""
    records = [json.loads(line) for line in (SCIFACT / "queries_train.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    cited: dict[str, set[str]] = {}
    for line in (SCIFACT / "qrels_train.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        qid, cid, *_ = line.split("\t")
        cited.setdefault(qid, set()).add(cid)
    return [r for r in records if not r["evidence"] and cited.get(r["_id"]) and not (cited[r["_id"]] & held_gold)], cited


# --- the build ----------------------------------------------------------------------------------------------------------

def build(sizes: dict[str, int], seed: int = 13) -> list[Group]:
    """The groups of every source, as many of each as `sizes` asks (real claims: every FIT claim in every form)."""
    rng = random.Random(seed)
    corpus = load_corpus()
    claims = split_claims()
    held_gold = {cid for c in claims if c.split == "held" for cid in c.evidence}
    fit = [c for c in claims if c.split == "fit"]
    space = Space(corpus, banned=held_gold)
    groups: list[Group] = []

    # SciFact FIT claims: present (rationale sentences are the answer) and absent (gold left out: none).
    # Every form is asked with the gold present; the claim and its "Is it true that" form also with the gold left out.
    questions = [(c, q, i < 2) for c in fit for i, q in enumerate(question_forms(c))][: sizes.get("claims", 10**9)]
    qvecs = space.embed([q for _, q, _ in questions])
    for (claim, question, also_absent), qvec in zip(questions, qvecs):
        groups.append(present_group(space, question, qvec, claim.evidence, "claim-present", rng))
        if also_absent:
            groups.append(absent_group(space, question, qvec, set(claim.evidence), "claim-absent"))

    # Claims whose cited abstract holds no evidence: that abstract and its nearest others, none answers.
    empty, cited = claims_without_evidence(held_gold)
    rng.shuffle(empty)
    empty = empty[: sizes.get("no_evidence", 0)]
    if empty:
        forms = [(r, rng.choice(question_forms(Claim(r["_id"], r["text"], {}, "fit", False)))) for r in empty]
        for (record, question), qvec in zip(forms, space.embed([q for _, q in forms])):
            papers = sorted(cited[record["_id"]]) + space.nearest(qvec, 2, exclude=cited[record["_id"]])
            groups.append(absent_group(space, question, qvec, set(), "no-evidence", papers=papers))

    # Self-supervised, from abstracts that are gold for no HELD claim.
    sources = [cid for cid in space.ids if cid not in held_gold and len(corpus[cid]["sentences"]) >= 3]
    pseudo = _self_supervised(space, sources, sizes.get("pseudo", 0), rng, "pseudo")
    phrase = _self_supervised(space, sources, sizes.get("phrase", 0), rng, "phrase")
    title = _self_supervised(space, sources, sizes.get("title", 0), rng, "title")
    groups += pseudo + phrase + title
    rng.shuffle(groups)
    return groups


def _self_supervised(space: Space, sources: list[str], n: int, rng: random.Random, kind: str) -> list[Group]:
    made: list[tuple[str, str, set[int], str | None]] = []  # question, source abstract, positive sentence indexes, phrase
    while len(made) < n:
        cid = rng.choice(sources)
        sentences = space.corpus[cid]["sentences"]
        if kind == "title":
            made.append((title_question(space.corpus[cid]["title"], rng), cid, set(range(len(sentences))), None))
            continue
        j = rng.randrange(1, len(sentences))  # not the opening sentence, mostly background
        if kind == "pseudo":
            question = pseudo_claim(sentences[j], rng)
            if question:
                made.append((question, cid, {j}, None))
        else:
            asked = phrase_question(sentences[j], rng)
            if asked:
                holding = {i for i, s in enumerate(sentences) if asked[1].lower() in s.lower()}
                made.append((asked[0], cid, holding or {j}, asked[1]))
    groups = []
    qvecs = space.embed([m[0] for m in made])
    for (question, cid, positives, phrase), qvec in zip(made, qvecs):
        if rng.random() < 0.55:
            group = present_group(space, question, qvec, {cid: sorted(positives)}, f"{kind}-present", rng)
            if phrase:  # a sentence of another paper holding the phrase answers too
                group.labels = [max(label, int(phrase.lower() in text.lower())) for label, text in zip(group.labels, group.candidates)]
            groups.append(group)
        else:
            group = absent_group(space, question, qvec, {cid}, f"{kind}-absent")
            if phrase:  # a question about a phrase no candidate holds
                keep = [i for i, text in enumerate(group.candidates) if phrase.lower() not in text.lower()]
                group = Group(question, [group.candidates[i] for i in keep], [0] * len(keep), group.kind)
            groups.append(group)
    return groups


# --- pointwise records (the shipped recipe: READER_PROBE.md's probe 1, grown) ---------------------------------------------

@dataclass
class Record:
    """One question (in one or more wordings: training picks one per epoch) with its labelled candidate sentences."""

    forms: list[str]
    candidates: list[str]
    labels: list[int]
    kind: str


def pointwise_candidates(space: Space, qvec: np.ndarray, gold: dict[str, list[int]], others: int = 5, per_other: int = 3) -> tuple[list[str], list[int]]:
    """Every sentence of the gold abstracts (rationale sentences positive), and the `per_other` sentences nearest to the
    question in each of the `others` nearest non-gold abstracts (negatives: what answering meets and must not quote)."""
    candidates, labels = [], []
    for cid, rationale in gold.items():
        for j, sentence in enumerate(space.corpus[cid]["sentences"]):
            candidates.append(sentence)
            labels.append(int(j in rationale))
    nearest = space.nearest(qvec, others, exclude=set(gold))
    for other in nearest:
        for _, _, j in space.best_sentences(qvec, [other])[:per_other]:
            candidates.append(space.text(other, j))
            labels.append(0)
    return candidates, labels


def build_pointwise(sizes: dict[str, int], seed: int = 13, pdf_dir: Path | None = None) -> list[Record]:
    """FIT claims (every wording; positives: rationale sentences), claims whose cited abstract holds no evidence
    (negatives only), and self-supervised questions from abstracts gold for no HELD claim."""
    rng = random.Random(seed)
    corpus = load_corpus()
    claims = split_claims()
    held_gold = {cid for c in claims if c.split == "held" for cid in c.evidence}
    space = Space(corpus, banned=held_gold)
    records: list[Record] = []
    fit = [c for c in claims if c.split == "fit"]
    for claim, qvec in zip(fit, space.embed([c.question for c in fit])):
        candidates, labels = pointwise_candidates(space, qvec, claim.evidence)
        records.append(Record(question_forms(claim), candidates, labels, "claim"))

    empty, cited = claims_without_evidence(held_gold)
    rng.shuffle(empty)
    for record in empty[: sizes.get("no_evidence", 0)]:
        claim = Claim(record["_id"], record["text"], {}, "fit", False)
        qvec = space.embed([claim.question])[0]
        papers = sorted(cited[record["_id"]]) + space.nearest(qvec, 2, exclude=cited[record["_id"]])
        candidates = [space.text(c, j) for _, c, j in space.best_sentences(qvec, papers)[:8]]
        records.append(Record(question_forms(claim), candidates, [0] * len(candidates), "no-evidence"))

    sources = [cid for cid in space.ids if cid not in held_gold and len(corpus[cid]["sentences"]) >= 3]
    for kind in ("pseudo", "phrase"):
        made: list[tuple[str, str, list[int]]] = []
        while len(made) < sizes.get(kind, 0):
            cid = rng.choice(sources)
            sentences = corpus[cid]["sentences"]
            j = rng.randrange(1, len(sentences))
            if kind == "pseudo":
                question = pseudo_claim(sentences[j], rng)
                if question:
                    made.append((question, cid, [j]))
            else:
                asked = phrase_question(sentences[j], rng)
                if asked:
                    made.append((asked[0], cid, [i for i, s in enumerate(sentences) if asked[1].lower() in s.lower()] or [j]))
        for (question, cid, positives), qvec in zip(made, space.embed([m[0] for m in made])):
            candidates, labels = pointwise_candidates(space, qvec, {cid: positives}, others=3, per_other=2)
            records.append(Record([question], candidates, labels, kind))
    records += public_records(sizes, rng)
    if pdf_dir is not None:
        from bench.reader.pdf_qa import records as pdf_qa_records

        made, counts = pdf_qa_records(pdf_dir, embedder_().embed)
        print(f"PDF questions: {counts}")
        records += [Record(*r) for r in made]
    rng.shuffle(records)
    return records


def public_records(sizes: dict[str, int], rng: random.Random) -> list[Record]:
    """Questions people wrote about papers of the public sets' FIT part (bench/reader/public_qa.py).

    COVID-QA (full text): the sentences holding the answer against the paper's 10 other sentences nearest the question
    and the 2 best of each of the 2 nearest other papers. PubMedQA: the conclusion against the 3 best sentences of each
    of the 4 nearest other abstracts; every other question also with its abstract left out (none answers)."""
    from bench.reader.public_qa import PublicSpace, covid_qa, pubmed_qa

    records: list[Record] = []
    for name, load, size in (("covid_qa", covid_qa, sizes.get("covid", 0)), ("pubmed_qa", pubmed_qa, sizes.get("pubmed", 0))):
        if not size:
            continue
        papers, questions = load()
        fit = [q for q in questions if q.split == "fit"]
        rng.shuffle(fit)
        fit = fit[:size]
        space = PublicSpace(name, papers, CACHE)
        for number, (question, qvec) in enumerate(zip(fit, embedder_().embed([q.text for q in fit]))):
            sentences = papers[question.paper_id].sentences
            candidates = [sentences[j] for j in question.answers]
            labels = [1] * len(candidates)
            if name == "covid_qa":
                same = space.best(qvec, question.paper_id, 10, skip=set(question.answers))
                candidates += [sentences[j] for j in same]
                labels += [0] * len(same)
                others, per_other = space.nearest(qvec, 2, question.paper_id, "fit"), 2
            else:
                others, per_other = space.nearest(qvec, 4, question.paper_id, "fit"), 3
            negatives = [papers[o].sentences[j] for o in others for j in space.best(qvec, o, per_other)]
            records.append(Record([question.text], candidates + negatives, labels + [0] * len(negatives), name))
            if name == "pubmed_qa" and number % 2 == 0:
                absent = [papers[o].sentences[j] for o in space.nearest(qvec, 5, question.paper_id, "fit") for j in space.best(qvec, o, 2)]
                records.append(Record([question.text], absent, [0] * len(absent), f"{name}-absent"))
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=CACHE / "groups.jsonl")
    parser.add_argument("--claims", type=int, default=10**9, help="at most this many (FIT claim, question form) pairs")
    parser.add_argument("--no-evidence", type=int, default=200, help="groups of claims whose cited abstract holds no evidence")
    parser.add_argument("--pseudo", type=int, default=500, help="self-supervised groups: a sentence made into a claim-like question")
    parser.add_argument("--phrase", type=int, default=250, help="self-supervised groups: a question about a phrase")
    parser.add_argument("--title", type=int, default=250, help="self-supervised groups: a title as the question")
    parser.add_argument("--covid", type=int, default=0, help="COVID-QA questions of FIT papers (pointwise only)")
    parser.add_argument("--pubmed", type=int, default=0, help="PubMedQA questions of FIT papers (pointwise only)")
    parser.add_argument("--pdf-qa", type=Path, default=None, metavar="PDF_DIR",
                        help="add bench/data/reader_pdf_qa.jsonl's questions, their PDFs in PDF_DIR (pointwise only; bench/reader/pdf_qa.py)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--pointwise", action="store_true", help="write pointwise records (the shipped recipe) instead of listwise groups")
    args = parser.parse_args()
    sizes = {"claims": args.claims, "no_evidence": args.no_evidence, "pseudo": args.pseudo, "phrase": args.phrase, "title": args.title,
             "covid": args.covid, "pubmed": args.pubmed}
    if args.pointwise:
        records = build_pointwise(sizes, args.seed, args.pdf_qa)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("".join(json.dumps(asdict(r)) + "\n" for r in records), encoding="utf-8")
        counts: dict[str, int] = {}
        for r in records:
            counts[r.kind] = counts.get(r.kind, 0) + 1
        print(f"{len(records)} questions, {sum(len(r.candidates) for r in records)} pairs, {sum(sum(r.labels) for r in records)} positive: {counts}")
        return
    groups = build(sizes, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as out:
        for group in groups:
            out.write(json.dumps(asdict(group)) + "\n")
    kinds: dict[str, int] = {}
    for group in groups:
        kinds[group.kind] = kinds.get(group.kind, 0) + 1
    print(f"{len(groups)} groups, {sum(len(g.candidates) for g in groups)} pairs, {sum(sum(g.labels) for g in groups)} positive: {kinds}")


if __name__ == "__main__":
    main()
