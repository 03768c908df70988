"""The client of a Chroma server: https with verification, a bearer token, and a timeout on every request.

chromadb's HttpClient takes ssl and headers, and verification through its settings (`chroma_server_ssl_verify`:
True, False or a CA file), but gives its httpx session no timeout: a stalled server would make every call wait
forever. So the client is built as HttpClient builds it, and the session gets CHROMA_TIMEOUT (connect and each
read) before its first request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.config import Settings


def server_url(settings: "Settings") -> str:
    """The server's address as users configure it (never with credentials)."""
    return f"{'https' if settings.chroma_ssl else 'http'}://{settings.chroma_host}:{settings.chroma_port}"


def http_client_options(settings: "Settings") -> dict[str, Any]:
    """Keyword arguments for chromadb.HttpClient: host, port, ssl, headers (the token) and chromadb settings."""
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_ssl:
        chroma_settings.chroma_server_ssl_verify = str(settings.chroma_ca_bundle) if settings.chroma_ca_bundle else True
    token = settings.chroma_token.get_secret_value() if settings.chroma_token is not None else ""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    return {"host": settings.chroma_host, "port": settings.chroma_port, "ssl": settings.chroma_ssl, "headers": headers,
            "settings": chroma_settings}


def http_client(settings: "Settings") -> Any:
    """A chromadb client of the configured server whose every request ends within CHROMA_TIMEOUT seconds."""
    if settings.chroma_ssl and settings.chroma_ca_bundle and not settings.chroma_ca_bundle.is_file():
        from assistant.errors import ConfigError

        raise ConfigError(f"CHROMA_CA_BUNDLE ({settings.chroma_ca_bundle}) is not a file: point it at the PEM file of "
                          f"the CA that signed the Chroma server's certificate, or unset it to use the system's CAs.")
    options = http_client_options(settings)
    chroma_settings = options["settings"]  # what chromadb.HttpClient fills in, for a Client with a timed session
    chroma_settings.chroma_api_impl = "chromadb.api.fastapi.FastAPI"
    chroma_settings.chroma_server_host = options["host"]
    chroma_settings.chroma_server_http_port = int(options["port"])
    chroma_settings.chroma_server_ssl_enabled = options["ssl"]
    chroma_settings.chroma_server_headers = options["headers"]
    return _TimedClient(timeout=settings.chroma_timeout, settings=chroma_settings)


def _timed_client_class() -> type:
    from chromadb.api.client import Client

    class TimedClient(Client):
        """chromadb's Client with a timeout on its session, set before the first request (the identity check)."""

        def __init__(self, *, timeout: float, settings: Any) -> None:
            self._request_timeout = timeout
            super().__init__(settings=settings)

        def get_user_identity(self) -> Any:
            _set_timeout(self._server, self._request_timeout)
            return super().get_user_identity()

    return TimedClient


def _set_timeout(server: Any, seconds: float) -> None:
    import httpx

    session = getattr(server, "_session", None)
    if not isinstance(session, httpx.Client):  # chromadb changed its internals: fail loudly rather than hang later
        raise RuntimeError("chromadb's HTTP client has no httpx session to give CHROMA_TIMEOUT to; check the chromadb version")
    session.timeout = httpx.Timeout(seconds)


class _LazyTimedClient:
    """Builds the TimedClient class on first use, so importing this module does not import chromadb."""

    _cls: type | None = None

    def __call__(self, **kwargs: Any) -> Any:
        if self._cls is None:
            self._cls = _timed_client_class()
        return self._cls(**kwargs)


_TimedClient = _LazyTimedClient()
