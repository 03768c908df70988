"""Many questions at once: answers do not depend on what else runs, and an ingest never shows a half-written paper."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from assistant.service import ask, default_assistant
from assistant.chunking import chunk_paper
from assistant.config import Settings
from assistant.corpus import load_papers
from assistant.indexing import ingest_papers
from assistant.models import Answer, Paper
from conftest import SEEDS_DIR

THREADS = 8
QUESTIONS_PER_THREAD = 25
QUESTIONS = [
    "Which papers study self-correction in LLMs?",
    "Where's the code for DAFormer?",
    "Which papers use Monte Carlo tree search to make LLM agents better at web tasks?",
    "How can unsupervised domain adaptation help semantic segmentation?",
    "What benchmarks evaluate multimodal retrieval-augmented generation?",
    "How do LLM agents learn to use tools?",
    "Is there work on test-time adaptation for 3D object detection?",
    "Which paper trains web agents with online reinforcement learning?",
    "Is there work on federated learning across hospitals with differential privacy guarantees?",
    "How can language models pick a reasoning strategy for a task?",
]


def outcome(answer: Answer) -> tuple[str, list[str]]:
    return answer.text, [citation.paper_id for citation in answer.citations]


def test_concurrent_questions_get_the_answers_they_get_alone(seeded_settings):
    alone = {question: outcome(ask(question, settings=seeded_settings, llm=None)) for question in QUESTIONS}
    assert any(cited for _, cited in alone.values())
    plan = [QUESTIONS[(thread * 7 + n) % len(QUESTIONS)] for thread in range(THREADS) for n in range(QUESTIONS_PER_THREAD)]

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        together = list(pool.map(lambda question: outcome(ask(question, settings=seeded_settings, llm=None)), plan))

    assert len(together) == THREADS * QUESTIONS_PER_THREAD
    for question, got in zip(plan, together):
        assert got == alone[question], question


REVISION_START = "In a revised edition, the authors restate their method and report new experiments. "
REVISION_END = " The revised experiments add two more datasets and a stronger baseline."
MOVING_QUESTIONS = [  # each about one of the two papers that keep changing: (question, which of them)
    ("How does test-time adaptation work for monocular 3D object detection?", 0),
    ("What is the self-learning meta-strategy agent for reasoning tasks?", 1),
    ("Which paper adapts a 3D detector at test time?", 0),
    ("How can an agent learn which reasoning strategy to choose?", 1),
]


def revised(paper: Paper) -> Paper:
    return paper.model_copy(update={"abstract": REVISION_START + paper.abstract + REVISION_END})


def chunk_spans(paper: Paper, settings: Settings) -> dict[int, tuple[int, int]]:
    chunks = chunk_paper(paper, settings.chunk_tokens, settings.chunk_overlap, settings.tokenizer_encoding)
    return {chunk.index: (chunk.start, chunk.end) for chunk in chunks}


def test_questions_during_ingests_never_see_a_half_written_paper(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", seeds_dir=SEEDS_DIR)
    papers = load_papers([SEEDS_DIR])[:4]
    versions = [papers, [revised(p) for p in papers[:2]] + papers[2:]]  # the first two papers change back and forth
    spans = {p.paper_id: {} for p in papers}  # paper id -> abstract -> chunk index -> (start, end)
    for version in versions:
        for paper in version:
            spans[paper.paper_id][paper.abstract] = chunk_spans(paper, settings)
    ingest_papers(versions[0], settings)
    default_assistant(settings)  # the askers' services exist before the ingests start

    answers: list[tuple[str, Answer]] = []
    errors: list[BaseException] = []
    ingesting = threading.Event()
    ingesting.set()

    def ingest_back_and_forth() -> None:
        try:
            for round_ in range(1, 7):
                ingest_papers(versions[round_ % 2], settings)
        except BaseException as error:  # noqa: BLE001 - reported by the assertions below
            errors.append(error)
        finally:
            ingesting.clear()

    def keep_asking(offset: int) -> None:
        n = offset
        while ingesting.is_set():
            try:
                question, about = MOVING_QUESTIONS[n % len(MOVING_QUESTIONS)]
                answers.append((papers[about].paper_id, ask(question, settings=settings, llm=None)))
            except BaseException as error:  # noqa: BLE001
                errors.append(error)
                return
            n += 1

    threads = [threading.Thread(target=ingest_back_and_forth)] + [threading.Thread(target=keep_asking, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)

    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)
    assert len(answers) >= 4
    seen = set()
    for about, answer in answers:
        by_id = {hit.paper_id: hit for hit in answer.sources}
        assert by_id.get(about) and by_id[about].chunks, f"{about} was missing or had no chunks while it was re-ingested"
        for hit in answer.sources:
            whole = spans[hit.paper_id].get(hit.abstract)
            assert whole is not None, f"{hit.paper_id}: an abstract that no ingest wrote"
            seen.add(hit.abstract)
            for chunk in hit.chunks:  # every chunk is a chunk of exactly this version of the paper
                assert whole[chunk.index] == (chunk.start, chunk.end), hit.paper_id
                assert chunk.text == hit.abstract[chunk.start : chunk.end]
        for citation in answer.citations:
            assert citation.paper_id in by_id and citation.paper_id in spans
            abstract = by_id[citation.paper_id].abstract
            assert all(abstract[start:end] in citation.quote for start, end in citation.spans)
    assert len(seen & {revised(p).abstract for p in papers[:2]}) >= 1  # the askers did run while versions changed
    assert len(seen & {p.abstract for p in papers[:2]}) >= 1
    catalog = default_assistant(settings).retriever.state().snapshot.papers
    assert {pid: record.abstract for pid, record in catalog.items()} == {p.paper_id: p.abstract for p in versions[0]}
