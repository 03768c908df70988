"""ASSISTANT_EMBEDDING_BACKEND=openai: vectors from an OpenAI-compatible /embeddings endpoint; mixing embedders is refused."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pydantic import SecretStr

from assistant.config import Settings
from assistant.errors import StoreError
from assistant.indexing import ingest_papers
from assistant.models import Paper
from assistant.retrieval import Retriever
from assistant.store import PaperStore

from fake_openai import FakeOpenAI

PAPERS = [Paper(paper_id="widgets", title="Robust Widgets", abstract="Widgets are robust under stress."),
          Paper(paper_id="gadgets", title="Plain Gadgets", abstract="Gadgets are plain and cheap.")]


def embeddings_body(vectors: list[list[float]]) -> dict:
    return {"object": "list", "model": "text-embedding-3-small",
            "data": [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)],
            "usage": {"prompt_tokens": 3, "total_tokens": 3}}


def test_openai_embeddings_build_and_query_the_index(tmp_path):
    with FakeOpenAI() as server:
        server.json(200, embeddings_body([[1.0, 0.0, 0.0, 0.0]]))  # the dimension probe
        # both chunks, then both abstracts' sentences (a remote embedder gives no token states: sentences are embedded too)
        server.json(200, embeddings_body([[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]]))
        server.json(200, embeddings_body([[1.0, 0.1, 0.0, 0.0]]))  # the question
        settings = Settings(_env_file=None, data_dir=tmp_path / "data", embedding_backend="openai",
                            openai_api_key=SecretStr("sk-test"), openai_base_url=server.base_url)
        report = ingest_papers(PAPERS, settings)
        hits = Retriever(settings).retrieve("cheap gadgets", k=2, method="dense")
        paths = [r.path for r in server.requests]
        models = {r.body["model"] for r in server.requests}
    assert report.chunks_written == 2
    assert paths == ["/v1/embeddings"] * 3 and models == {"text-embedding-3-small"}
    assert hits[0].paper_id == "gadgets"
    assert PaperStore(settings).embedder.identity == "openai:text-embedding-3-small"

    local = Settings(_env_file=None, data_dir=tmp_path / "data")
    with pytest.raises(StoreError, match="--rebuild"):
        PaperStore(local).snapshot()


def test_openai_backend_without_a_key_says_what_to_set(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", embedding_backend="openai")
    with pytest.raises(Exception, match="OPENAI_API_KEY"):
        ingest_papers(PAPERS, settings)


def test_an_unknown_embedding_model_names_the_embedding_setting(tmp_path):
    from assistant.errors import LLMError

    with FakeOpenAI() as server:
        server.json(404, {"error": {"message": "no such model", "type": "invalid_request_error", "code": "model_not_found"}})
        settings = Settings(_env_file=None, data_dir=tmp_path / "data", embedding_backend="openai", llm_max_retries=0,
                            openai_api_key=SecretStr("sk-test"), openai_base_url=server.base_url, openai_embedding_model="nope")
        with pytest.raises(LLMError, match=r"no model 'nope' \(HTTP 404\).*ASSISTANT_OPENAI_EMBEDDING_MODEL"):
            ingest_papers(PAPERS, settings)


def _vector_of(text: str) -> list[float]:
    """A fixed 4-d vector per text, so replies can be checked whatever order requests arrive in."""
    rng = np.random.default_rng(sum(text.encode()) * 7919 + len(text))
    return [float(x) for x in rng.normal(size=4)]


def _echo(handler) -> None:
    """Answer an /embeddings request with each input's own vector."""
    texts = handler.body["input"]
    body = json.dumps(embeddings_body([_vector_of(t) for t in texts])).encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _embedding_server_settings(tmp_path, server: FakeOpenAI, **more) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "data", embedding_base_url=server.base_url, **more)


def test_an_embedding_server_of_its_own_needs_no_chat_llm_and_answers_offline(tmp_path):
    from assistant.service import Assistant

    with FakeOpenAI() as server:
        for _ in range(8):
            server.call(_echo)
        settings = _embedding_server_settings(tmp_path, server, embedding_api_key=SecretStr("emb-key"))
        assert not settings.llm_enabled  # no chat LLM configured: answers stay offline
        report = ingest_papers(PAPERS, settings)
        answer = Assistant(settings).ask("Are widgets robust under stress?")
        requests = list(server.requests)
    assert report.chunks_written == 2 and answer.mode == "extractive"
    assert {r.path for r in requests} == {"/v1/embeddings"}
    assert {r.headers["authorization"] for r in requests} == {"Bearer emb-key"}
    assert PaperStore(settings).embedder.identity == "openai:text-embedding-3-small"


def test_requests_are_batched_and_sent_concurrently_and_vectors_keep_the_texts_order(tmp_path):
    from assistant.embedding import OpenAIEmbedder

    texts = [f"text number {i}" for i in range(11)]
    with FakeOpenAI() as server:
        for _ in range(5):  # the dimension probe, then 11 texts in batches of 3
            server.call(_echo)
        embedder = OpenAIEmbedder(_embedding_server_settings(tmp_path, server, embedding_batch_size=3, embedding_concurrency=3))
        vectors = embedder.embed(texts)
        sizes = sorted(len(r.body["input"]) for r in server.requests[1:])
    expected = np.array([_vector_of(t) for t in texts], dtype=np.float32)
    assert sizes == [2, 3, 3, 3]
    assert np.allclose(vectors, expected / np.linalg.norm(expected, axis=1, keepdims=True), atol=1e-6)


def test_a_failing_embedding_server_is_retried_then_named_with_its_own_settings(tmp_path):
    from assistant.embedding import OpenAIEmbedder
    from assistant.errors import LLMError

    with FakeOpenAI() as server:
        server.call(_echo)  # the dimension probe
        server.status(503)
        server.call(_echo)  # the retry succeeds
        embedder = OpenAIEmbedder(_embedding_server_settings(tmp_path, server, embedding_max_retries=1))
        assert embedder.embed(["a", "b"]).shape == (2, 4)
        server.status(503)
        server.status(503)
        with pytest.raises(LLMError, match=r"embedding server at .*HTTP 503.*after 1 retry"):
            embedder.embed(["c"])


def test_an_unreachable_embedding_server_says_which_setting_to_check(tmp_path):
    from assistant.errors import LLMError

    with FakeOpenAI() as server:
        url = server.base_url
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", embedding_base_url=url, embedding_max_retries=0)
    with pytest.raises(LLMError, match="Could not reach the embedding server.*ASSISTANT_EMBEDDING_BASE_URL"):
        ingest_papers(PAPERS, settings)


def test_a_server_returning_too_few_vectors_is_an_error_not_a_shifted_index(tmp_path):
    from assistant.embedding import OpenAIEmbedder
    from assistant.errors import LLMError

    with FakeOpenAI() as server:
        server.call(_echo)
        server.json(200, embeddings_body([[1.0, 0.0, 0.0, 0.0]]))
        embedder = OpenAIEmbedder(_embedding_server_settings(tmp_path, server))
        with pytest.raises(LLMError, match="returned 1 vectors for 2 texts"):
            embedder.embed(["a", "b"])
