"""Settings: one object, read from the environment (prefix ASSISTANT_) and an untracked .env."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MAX_COLLECTION_NAME = 40
COLLECTION_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def collection_name_problem(name: str) -> str | None:
    """Why name cannot name a collection (lowercase letters and digits, single hyphens between them, at most 40), or None."""
    if len(name) > MAX_COLLECTION_NAME or not COLLECTION_NAME.fullmatch(name):
        return (f"{name[:60]!r} cannot name a collection: use lowercase letters, digits and single hyphens "
                f"(at most {MAX_COLLECTION_NAME} characters), e.g. 'thesis' or 'reading-group-2024'.")
    return None


class Settings(BaseSettings):
    """Everything the assistant can be told; each field is documented in .env.example."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    data_dir: Path = Field(PROJECT_ROOT / "data", description="Where the index (Chroma + BM25) lives.")
    seeds_dir: Path = Field(PROJECT_ROOT / "seeds", description="The collection ingested when the index is empty.")
    collection: str = Field("papers", description="Name of the Chroma collection holding the chunks.")
    seed_when_empty: bool = Field(True, description="Build the collection from seeds_dir when it is empty (false for named collections: they hold only what was ingested into them).")

    chunk_tokens: int = Field(160, ge=16, le=2000, description="Largest chunk, in tiktoken tokens.")
    chunk_overlap: int = Field(40, ge=0, le=1000, description="Tokens of trailing sentences repeated at the start of the next chunk.")
    tokenizer_encoding: str = Field("cl100k_base", description="tiktoken encoding used for chunking and budgets.")

    embedding_backend: Literal["local", "openai"] = Field("local", description="local = bundled all-MiniLM-L6-v2 (ONNX); openai = text-embedding-3-small.")
    embedding_model_dir: Path | None = Field(None, description="A directory with model.onnx + tokenizer.json to use instead of the bundled model.")
    openai_embedding_model: str = Field("text-embedding-3-small", description="Embedding model when embedding_backend=openai.")
    embedding_batch_size: int = Field(32, ge=1, le=1024, description="Texts embedded per batch (per request to an embedding server).")
    sentence_vectors: Literal["late-chunked", "separate"] = Field("late-chunked", description="How the sentence vectors quoted from are made at ingest: pooled from the chunk pass (late-chunked, no extra model run) or each sentence embedded alone (separate; always so with an embedding server). A change takes effect at the next ingest.")
    embedding_base_url: str | None = Field(None, description="An OpenAI-compatible embedding server of its own (vLLM, text-embeddings-inference, Ollama), separate from the chat LLM; setting it selects remote embeddings.")
    embedding_api_key: SecretStr | None = Field(None, description="Key for ASSISTANT_EMBEDDING_BASE_URL (none needed by most local servers); never printed.")
    embedding_concurrency: int = Field(4, ge=1, le=64, description="Requests to the embedding server in flight at once during an ingest.")
    embedding_timeout: float = Field(60.0, gt=0, description="Seconds to wait for each answer of the embedding server.")
    embedding_max_retries: int = Field(3, ge=0, le=10, description="Retries per embedding request on 429/5xx/timeouts/dropped connections, with backoff.")

    top_k: int = Field(5, ge=1, le=50, description="Papers retrieved per question.")
    min_confidence: float | None = Field(None, ge=0.0, le=1.0, description="Below this confidence (P(the collection answers the question), from the fitted answerability model) the answer abstains, and the LLM is not called; unset: the floor fitted with the model. Trade-off curve: docs/ANSWERABILITY.md.")
    max_list_papers: int = Field(5, ge=1, le=50, description="Most papers a \"which papers ...\" answer lists; the rest are counted (\"and N more\") and carried in Answer.more (folded under the answer in the chat). 5 keeps a list answer on about one screen.")
    reader_quotes: Literal["off", "full-text", "all"] = Field("full-text", description="What the reader shipped in the package (docs/READER.md) does to quotes; papers are chosen as without it. full-text (the default): for a full text (a PDF's) quoted alone, the sentence it picks among the 24 the quote score puts first leads the quote, with the quote score's best sentence on its page (COVID-QA's held-out full texts: the answer quoted 0.594 -> 0.660 of questions, ~100 ms more; loaded on the first such quote); all: it orders every cited paper's quote sentences, abstracts' too (on the seeds' questions it quotes the answer's keywords less often); off: never read. true / false read as all / off.")
    use_reader: bool = Field(False, description="Judge answers with the reader shipped in the package (a cross-encoder, docs/READER.md): which sentences are quoted, which papers answer and are listed (the fused top reordered), which sentences of an LLM answer their sources support. Off (the default until the shipped reader's figures beat the older rules on held-out data, bench/reader_answers.py, bench/grounding.py): cosine and shared-word rules.")

    openai_api_key: SecretStr | None = Field(None, validation_alias=AliasChoices("OPENAI_API_KEY", "ASSISTANT_OPENAI_API_KEY"), description="Key for an OpenAI(-compatible) server; enables LLM answers.")
    openai_base_url: str | None = Field(None, validation_alias=AliasChoices("OPENAI_BASE_URL", "ASSISTANT_OPENAI_BASE_URL"), description="OpenAI-compatible server (Ollama, vLLM, llama.cpp); enables LLM answers.")
    llm_model: str = Field("gpt-4o-mini", description="Chat model name for LLM answers.")
    llm_timeout: float = Field(90.0, gt=0, description="Seconds the whole LLM answer may take (retries and waits included); then the offline answer is shown.")
    llm_idle_timeout: float = Field(30.0, gt=0, description="Seconds to wait for the LLM server's next bytes before the attempt counts as failed.")
    llm_max_retries: int = Field(2, ge=0, le=10, description="Retries on 429/5xx/timeouts before falling back to the offline answer.")
    llm_max_tokens: int = Field(700, ge=16, description="Most tokens the LLM may write per answer.")
    context_tokens: int = Field(3000, ge=256, description="Token budget for the sources put into the prompt.")
    max_question_tokens: int = Field(512, ge=16, description="Longer questions are truncated to this many tokens, with a note.")

    chroma_host: str | None = Field(None, validation_alias=AliasChoices("CHROMA_HOST", "ASSISTANT_CHROMA_HOST"), description="Chroma server host; when set, the index lives on that server.")
    chroma_port: int = Field(8000, validation_alias=AliasChoices("CHROMA_PORT", "ASSISTANT_CHROMA_PORT"), description="Chroma server port.")
    chroma_ssl: bool = Field(False, validation_alias=AliasChoices("CHROMA_SSL", "ASSISTANT_CHROMA_SSL"), description="Talk to the Chroma server over https (certificate verified).")
    chroma_token: SecretStr | None = Field(None, validation_alias=AliasChoices("CHROMA_TOKEN", "ASSISTANT_CHROMA_TOKEN"), description="Bearer token sent to the Chroma server (or the proxy in front of it); never printed.")
    chroma_ca_bundle: Path | None = Field(None, validation_alias=AliasChoices("CHROMA_CA_BUNDLE", "ASSISTANT_CHROMA_CA_BUNDLE"), description="PEM file of the CA that signed the server's certificate (a private CA); default: the system's CAs.")
    chroma_timeout: float = Field(30.0, gt=0, validation_alias=AliasChoices("CHROMA_TIMEOUT", "ASSISTANT_CHROMA_TIMEOUT"), description="Seconds to connect to the Chroma server and to wait for each of its answers.")

    version_check_ms: int = Field(500, ge=0, description="Before a question, the index version is read from Chroma only when this data dir's publish signal (a file every ingest here rewrites) changed, or when this many ms have passed since the last read: the bound on how late an ingest through another data dir (another machine on the same Chroma server) is seen. 0: read it before every question.")
    lock_timeout: float = Field(600.0, ge=0, description="Seconds an ingest waits for another ingest of the same index to finish before giving up.")
    lock_stale_seconds: float = Field(60.0, gt=0, description="On a Chroma server: a writer lock whose heartbeat is older than this is taken over (its writer died).")

    max_file_mb: int = Field(20, ge=1, description="Largest paper file, in MB, that `assistant ingest` reads and the browser uploads (a library of thousands of abstracts is a few MB).")

    @field_validator("reader_quotes", mode="before")
    @classmethod
    def _reader_quotes_switch(cls, value: object) -> object:
        # it was a switch: ASSISTANT_READER_QUOTES=true / false still mean every quote / none
        if isinstance(value, bool):
            return "all" if value else "off"
        if not isinstance(value, str):
            return value
        word = value.strip().lower()
        return "all" if word in {"true", "1", "yes", "on"} else "off" if word in {"false", "0", "no"} else word

    @field_validator("collection")
    @classmethod
    def _check_collection(cls, name: str) -> str:
        # checked as `--collection` is, before anything opens the index: a name Chroma refuses would read as a damaged index
        problem = collection_name_problem(name)
        if problem:
            raise ValueError(problem)
        return name

    @model_validator(mode="after")
    def _check_overlap(self) -> "Settings":
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError(
                f"ASSISTANT_CHUNK_OVERLAP ({self.chunk_overlap}) must be smaller than "
                f"ASSISTANT_CHUNK_TOKENS ({self.chunk_tokens})."
            )
        return self

    @property
    def remote_embeddings(self) -> bool:
        """True when texts are embedded by an OpenAI-compatible server (OpenAI's, or ASSISTANT_EMBEDDING_BASE_URL)."""
        return self.embedding_backend == "openai" or bool(self.embedding_base_url)

    @property
    def llm_enabled(self) -> bool:
        """True when a key or a base URL says an LLM server is available."""
        return bool(self.openai_api_key) or bool(self.openai_base_url)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once; a bad value is a ConfigError naming the setting."""
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(f"{_env_name(e['loc'])}: {e['msg']}" for e in error.errors(include_url=False, include_input=False))
        raise ConfigError(f"Bad setting ({problems}). Check your environment and .env against .env.example.") from None


def _env_name(location: tuple) -> str:
    """The environment variable behind a settings field (what the user has to fix)."""
    if not location:
        return "settings"
    field = str(location[0])
    unprefixed = {"openai_api_key", "openai_base_url", "chroma_host", "chroma_port", "chroma_ssl", "chroma_token",
                  "chroma_ca_bundle", "chroma_timeout"}
    return field.upper() if field in unprefixed else f"ASSISTANT_{field.upper()}"
