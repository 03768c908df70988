"""What a failure of the index means to a user, and what to do about it: one clear StoreError each."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import StoreError

if TYPE_CHECKING:
    from assistant.config import Settings

REBUILD_HINT = "run `assistant ingest --rebuild` to rebuild it from your paper files"
_SPACE_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_PERMISSION_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS}
_SPACE_WORDS = ("disk is full", "no space left", "quota exceeded")
_PERMISSION_WORDS = ("readonly database", "read-only file system", "permission denied", "operation not permitted")


class DamagedIndexError(StoreError):
    """The local index files cannot be read as an index; a rebuild sets them aside and starts anew."""


def _problem(error: Exception, path: Path) -> str:
    """'space', 'permission', 'not a folder', 'text' or 'damaged': what a failure of the local index most likely means."""
    if isinstance(error, (NotADirectoryError, FileExistsError)):
        return "not a folder"
    if isinstance(error, UnicodeError):  # the text handed to the index, not the index, is at fault
        return "text"
    if isinstance(error, OSError) and error.errno in _SPACE_ERRNOS:
        return "space"
    if isinstance(error, OSError) and error.errno in _PERMISSION_ERRNOS:
        return "permission"
    text = str(error).lower()
    if any(words in text for words in _SPACE_WORDS):
        return "space"
    if any(words in text for words in _PERMISSION_WORDS):
        return "permission"
    if "unable to open database file" in text and not _accessible(path):
        return "permission"
    return "damaged"


def _accessible(path: Path) -> bool:
    """True when this user may read and write the index folder, its parent and its database file."""
    for item in (path.parent, path, path / "chroma.sqlite3"):
        mode = os.R_OK | os.W_OK | (os.X_OK if item.is_dir() else 0)
        if item.exists() and not os.access(item, mode):
            return False
    return True


def local_error(what: str, error: Exception, path: Path) -> StoreError:
    problem, detail = _problem(error, path), describe(error)
    if problem == "space":
        return StoreError(f"Cannot {what}: the disk holding the index at {path} is full ({detail}). Free some disk space "
                          f"(or set ASSISTANT_DATA_DIR to a folder on another disk), then run the command again.")
    if problem == "not a folder":
        return StoreError(f"Cannot {what}: {path} or a folder above it is a file, not a folder ({detail}). Move that "
                          f"file away, or set ASSISTANT_DATA_DIR to a folder.")
    if problem == "text":
        return StoreError(f"Cannot {what}: a paper's text holds characters that cannot be stored ({detail}). The index "
                          f"at {path} is unchanged; leave out or fix the file that paper came from, then run the command "
                          f"again (and please report the file: reading it should have cleaned its text).")
    if problem == "permission":
        return StoreError(f"Cannot {what}: no permission to use the index at {path} ({detail}). Check the permissions of "
                          f"{path.parent} and everything in it (this user must be able to read and write them, on a "
                          f"disk that is not read-only), or set ASSISTANT_DATA_DIR to a folder this user can write.")
    return DamagedIndexError(f"Cannot {what}: the index at {path} is damaged or unreadable ({detail}); {REBUILD_HINT} "
                             f"(the rebuild keeps the damaged files beside the new index).")


def server_error(what: str, error: Exception, host: str, port: int, settings: "Settings | None" = None) -> StoreError:
    """What a failed call to the Chroma server means: down, stalled, refused the token, untrusted certificate, ..."""
    message = _server_problem(what, error, host, port, settings)
    token = settings.chroma_token.get_secret_value() if settings is not None and settings.chroma_token is not None else ""
    return StoreError(message.replace(token, "***") if token else message)


def _server_problem(what: str, error: Exception, host: str, port: int, settings: "Settings | None") -> str:
    import httpx

    at = f"the Chroma server at {host}:{port}"
    start = f"Start it with `chroma run --host {host} --port {port} --path DIR`, or unset CHROMA_HOST to use the local index."
    chain = _chain(error)
    text = " ".join(str(e) for e in chain).lower()
    status = next((e.response.status_code for e in chain if isinstance(e, httpx.HTTPStatusError)), None)
    ssl = bool(settings and settings.chroma_ssl)
    if "certificate_verify_failed" in text or "certificate verify failed" in text:
        return (f"Cannot {what}: the TLS certificate of {at} could not be verified ({_ssl_reason(text)}). If it is signed "
                f"by a private CA, set CHROMA_CA_BUNDLE to that CA's PEM file; check that CHROMA_HOST is a name the "
                f"certificate was issued for.")
    if ssl and any(words in text for words in ("wrong_version_number", "wrong version number", "record layer failure", "packet length too long", "unexpected eof")):
        return (f"Cannot {what}: {at} does not speak https on that port. Unset CHROMA_SSL for a plain-http server, or set "
                f"CHROMA_PORT to the port of the TLS proxy.")
    if status == 400 and "https" in text:
        return f"Cannot {what}: {at} only accepts https. Set CHROMA_SSL=true (and CHROMA_CA_BUNDLE for a private CA)."
    if status in (401, 403) or any("auth" in type(e).__name__.lower() for e in chain):
        has_token = bool(settings and settings.chroma_token and settings.chroma_token.get_secret_value())
        if has_token:
            return (f"Cannot {what}: {at} refused the token in CHROMA_TOKEN (HTTP {status or 'auth error'}). Check "
                    f"CHROMA_TOKEN against the token the server (or its proxy) expects.")
        return (f"Cannot {what}: {at} requires a token (HTTP {status or 'auth error'}) and CHROMA_TOKEN is not set. Set "
                f"CHROMA_TOKEN to the token the server (or its proxy) expects.")
    if any(isinstance(e, httpx.TimeoutException) for e in chain):
        seconds = f" within {settings.chroma_timeout:g} s" if settings else ""
        kind = next(type(e).__name__ for e in chain if isinstance(e, httpx.TimeoutException))
        return (f"Cannot {what}: {at} did not answer{seconds} ({kind}): it may be stalled or overloaded. Check that it "
                f"runs and is not paused ({start[0].lower()}{start[1:]}), or raise CHROMA_TIMEOUT for a slow server.")
    if any(isinstance(e, httpx.TransportError) for e in chain) or "could not connect" in text:
        kind = type(next((e for e in chain if isinstance(e, httpx.TransportError)), error)).__name__
        return f"Cannot {what}: {at} did not answer ({kind}). {start}"
    return (f"Cannot {what}: {at} failed ({describe(error)}). Check the server's log; if its data is damaged, start it "
            f"on a new `--path` and run `assistant ingest`.")


def _chain(error: BaseException) -> list[BaseException]:
    """The error and the errors it was raised from (chromadb wraps httpx's errors in plain ones)."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _ssl_reason(text: str) -> str:
    for reason in ("self-signed certificate in certificate chain", "self-signed certificate", "unable to get local issuer certificate",
                   "hostname mismatch", "certificate has expired", "ip address mismatch"):
        if reason in text:
            return reason
    return "certificate verify failed"


def describe(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text[:200]}" if text else type(error).__name__
