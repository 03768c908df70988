"""A fake OpenAI-compatible server on 127.0.0.1: tests queue what each request gets, then read what was sent.

    server = FakeOpenAI()
    server.reply("Hello [1].")                      # a JSON chat completion
    server.stream(["Hel", "lo"], usage=(12, 2))     # an SSE stream, usage chunk, data: [DONE]
    server.status(429, headers={"Retry-After": "0"})
    server.hang(5)                                  # answers nothing until the client gives up
    server.cut(["Hel"])                             # some deltas, then the connection drops
    server.malformed(["Hel"])                       # some deltas, then a line that is not JSON
    ...
    server.requests[0].body["model"]
    server.close()

Each request takes the next queued behaviour; a request with nothing queued gets a 500 that tells the
client not to retry, so an unexpected extra request shows up in `requests` instead of hanging.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: Any  # parsed JSON, or the raw text when it is not JSON


@dataclass
class _Behaviour:
    kind: str
    options: dict[str, Any] = field(default_factory=dict)


def completion_json(text: str | None, *, model: str = "fake-model", prompt_tokens: int = 10,
                    completion_tokens: int = 5, finish_reason: str = "stop", usage: bool = True) -> dict[str, Any]:
    """The body of a non-streaming chat completion, as OpenAI sends it."""
    body: dict[str, Any] = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish_reason, "logprobs": None}],
    }
    if usage:
        body["usage"] = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                         "total_tokens": prompt_tokens + completion_tokens}
    return body


def chunk_json(*, content: str | None = None, finish_reason: str | None = None, model: str = "fake-model",
               usage: tuple[int, int] | None = None, choices: bool = True) -> dict[str, Any]:
    """One chat.completion.chunk; with usage and choices=False it is the final usage chunk."""
    chunk: dict[str, Any] = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
                             "model": model, "choices": []}
    if choices:
        delta = {"content": content} if content is not None else {}
        chunk["choices"] = [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}]
    if usage is not None:
        chunk["usage"] = {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)}
    return chunk


def sse_events(deltas: list[str], *, usage: tuple[int, int] | None = (10, 5), finish_reason: str | None = "stop",
               model: str = "fake-model", done: bool = True) -> list[str]:
    """The `data:` lines of a streamed completion: a role chunk, one chunk per delta, finish, usage, [DONE]."""
    chunks = [{**chunk_json(model=model), "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}]
    chunks += [chunk_json(content=d, model=model) for d in deltas]
    if finish_reason is not None:
        chunks.append(chunk_json(finish_reason=finish_reason, model=model))
    if usage is not None:
        chunks.append(chunk_json(usage=usage, choices=False, model=model))
    lines = [f"data: {json.dumps(c)}" for c in chunks]
    if done:
        lines.append("data: [DONE]")
    return lines


class FakeOpenAI:
    """An OpenAI-compatible HTTP server in a thread; see the module docstring."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._queue: deque[_Behaviour] = deque()
        self._lock = threading.Lock()
        self._released = threading.Event()  # ends hangs when the server closes
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        """What a client passes as base_url."""
        return f"{self.url}/v1"

    def close(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- behaviours, one per request, in order -------------------------------------------------

    def reply(self, text: str | None, **completion: Any) -> None:
        """A JSON chat completion (see completion_json for the options)."""
        self.json(200, completion_json(text, **completion))

    def json(self, status: int, body: Any, *, headers: dict[str, str] | None = None) -> None:
        """Any JSON body with any status."""
        self._push("json", status=status, body=body, headers=headers or {})

    def status(self, code: int, *, body: Any = None, headers: dict[str, str] | None = None) -> None:
        """An error status; the body defaults to an OpenAI-style error object."""
        if body is None:
            body = {"error": {"message": f"fake error {code}", "type": "fake_error", "param": None, "code": None}}
        self.json(code, body, headers=headers)

    def raw(self, status: int, text: str, *, content_type: str = "text/html") -> None:
        """A non-JSON body, as a misconfigured proxy would send."""
        self._push("raw", status=status, text=text, content_type=content_type)

    def stream(self, deltas: list[str], **events: Any) -> None:
        """An SSE stream of deltas (see sse_events for the options)."""
        self.sse(sse_events(deltas, **events))

    def sse(self, lines: list[str], *, end: str = "finish") -> None:
        """An SSE stream of given `data:` lines; end='finish' ends the body properly, 'drop' drops the connection."""
        self._push("sse", lines=lines, end=end)

    def cut(self, deltas: list[str]) -> None:
        """A stream that sends some deltas, then drops the connection mid-body."""
        self.sse(sse_events(deltas, usage=None, finish_reason=None, done=False), end="drop")

    def malformed(self, deltas: list[str], line: str = 'data: {"choices": [{"delta": {"content": "x"') -> None:
        """A stream that sends some deltas, then a line that is not JSON."""
        lines = sse_events(deltas, usage=None, finish_reason=None, done=False)
        self.sse([*lines, line, *sse_events([], usage=(1, 1))[1:]])

    def hang(self, seconds: float = 5.0) -> None:
        """Read the request and answer nothing for `seconds` (or until close), then drop the connection."""
        self._push("hang", seconds=seconds)

    def call(self, handler: Callable[[BaseHTTPRequestHandler], None]) -> None:
        """Anything else: the handler writes the response itself."""
        self._push("call", handler=handler)

    def _push(self, kind: str, **options: Any) -> None:
        with self._lock:
            self._queue.append(_Behaviour(kind, options))

    def _next(self) -> _Behaviour | None:
        with self._lock:
            return self._queue.popleft() if self._queue else None

    @property
    def pending(self) -> int:
        """Behaviours queued but not yet used."""
        with self._lock:
            return len(self._queue)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a hanging handler must not hold up close()
    fake: FakeOpenAI

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients drop keep-alive connections and abandon streams; that is not a server failure.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # chunked bodies, so a dropped stream is detectably incomplete
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep pytest output clean
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        fake = self.server.fake
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        self.body = body  # for call() handlers: the request's parsed body
        with fake._lock:
            fake.requests.append(Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        behaviour = fake._next()
        try:
            if behaviour is None:
                self._send_json(500, {"error": {"message": "fake server: nothing queued for this request"}},
                                {"x-should-retry": "false"})
            else:
                getattr(self, f"_do_{behaviour.kind}")(**behaviour.options)
        except ConnectionError:
            pass  # the client gave up first (timeouts)

    def _send_json(self, status: int, body: Any, headers: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _do_json(self, status: int, body: Any, headers: dict[str, str]) -> None:
        self._send_json(status, body, headers)

    def _do_raw(self, status: int, text: str, content_type: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _do_sse(self, lines: list[str], end: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for line in lines:
            self._write_chunk(f"{line}\n\n".encode())
        if end == "drop":
            self.close_connection = True
            self.wfile.flush()
            self.connection.shutdown(2)  # no terminating chunk: the body is incomplete
            return
        self.wfile.write(b"0\r\n\r\n")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _do_hang(self, seconds: float) -> None:
        self.server.fake._released.wait(seconds)
        self.close_connection = True

    def _do_call(self, handler: Callable[[BaseHTTPRequestHandler], None]) -> None:
        handler(self)
