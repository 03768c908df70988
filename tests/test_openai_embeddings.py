"""ASSISTANT_EMBEDDING_BACKEND=openai: vectors from an OpenAI-compatible /embeddings endpoint; mixing embedders is refused."""

from __future__ import annotations

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
