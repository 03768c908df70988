"""The OpenAI-compatible adapter against a fake server on 127.0.0.1: requests, streaming, retries, errors."""

from __future__ import annotations

import json
import os
import socket
import traceback

import httpx2
import pytest
from fake_openai import FakeOpenAI, completion_json, sse_events

from assistant.config import Settings
from assistant.errors import AssistantError, LLMError
from assistant.llm import OPENAI_BASE_URL, ChatReply, OpenAIChatModel, chat_model_from
from assistant.models import Usage

KEY = "sk-SENTINEL-123456789"
MESSAGES = [{"role": "system", "content": "Answer from the sources."}, {"role": "user", "content": "What is BM25?"}]
# Honoured by the client instead of its 0.5 s+ backoff, so retry tests stay fast.
FAST_RETRY = {"retry-after-ms": "10"}


@pytest.fixture(autouse=True)
def _no_llm_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("OPENAI_", "ASSISTANT_OPENAI_", "ASSISTANT_LLM_")):
            monkeypatch.delenv(name)


@pytest.fixture
def fake_openai():
    server = FakeOpenAI()
    yield server
    server.close()


def model_for(server: FakeOpenAI, **options) -> OpenAIChatModel:
    options = {"model": "test-model", "api_key": KEY, "base_url": server.base_url, "timeout": 2.0, "max_retries": 0, **options}
    return OpenAIChatModel(**options)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def consume(stream) -> tuple[list[str], LLMError | None]:
    """The deltas a stream yielded before it raised LLMError (or ended)."""
    deltas: list[str] = []
    try:
        for item in stream:
            deltas.append(item)
    except LLMError as err:
        return deltas, err
    return deltas, None


def error_text(err: BaseException) -> str:
    return "".join(traceback.format_exception(err)) + str(err) + repr(err)


def test_complete_returns_text_usage_and_model(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply("BM25 is a ranking function [1].", model="test-model-2024", prompt_tokens=42, completion_tokens=9)

    reply = model_for(fake_openai, max_tokens=321).complete(MESSAGES)

    assert reply == ChatReply(text="BM25 is a ranking function [1].", usage=Usage(prompt_tokens=42, completion_tokens=9), model="test-model-2024")
    [request] = fake_openai.requests
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.body["model"] == "test-model"
    assert request.body["messages"] == MESSAGES
    assert request.body["max_tokens"] == 321
    assert request.body["temperature"] == 0
    assert "max_completion_tokens" not in request.body and "response_format" not in request.body
    assert not request.body.get("stream")


def test_complete_strips_a_leading_think_block_and_flags_truncation(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply("<think>\nThe user wants BM25.\n</think>\n\nBM25 ranks documents [1].", finish_reason="length")

    reply = model_for(fake_openai).complete(MESSAGES)

    assert reply.text == "BM25 ranks documents [1]."
    assert reply.truncated


def test_stream_yields_deltas_in_order_then_one_reply_with_usage(fake_openai: FakeOpenAI) -> None:
    fake_openai.stream(["BM25 ", "is a ranking ", "function [1]."], usage=(30, 7), model="served-model")

    items = list(model_for(fake_openai).stream(MESSAGES))

    assert items[:-1] == ["BM25 ", "is a ranking ", "function [1]."]
    assert items[-1] == ChatReply(text="BM25 is a ranking function [1].", usage=Usage(prompt_tokens=30, completion_tokens=7), model="served-model")
    [request] = fake_openai.requests
    assert request.body["stream"] is True
    assert request.body["stream_options"] == {"include_usage": True}
    assert request.body["max_tokens"] == 700


def test_stream_estimates_usage_when_the_server_reports_none(fake_openai: FakeOpenAI) -> None:
    fake_openai.stream(["BM25 is a ranking function [1]."], usage=None)

    reply = list(model_for(fake_openai).stream(MESSAGES))[-1]

    assert isinstance(reply, ChatReply)
    assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0


def test_stream_asks_again_without_stream_options_when_the_server_rejects_them(fake_openai: FakeOpenAI) -> None:
    fake_openai.status(400, body={"error": {"message": "unknown field stream_options"}})
    fake_openai.stream(["Fine [1]."], usage=None)

    items = list(model_for(fake_openai).stream(MESSAGES))

    assert items[0] == "Fine [1]."
    assert [("stream_options" in r.body) for r in fake_openai.requests] == [True, False]


def test_rate_limit_with_retry_after_is_retried(fake_openai: FakeOpenAI) -> None:
    fake_openai.status(429, headers={"Retry-After": "0"})
    fake_openai.reply("After the wait [1].")

    reply = model_for(fake_openai, max_retries=2).complete(MESSAGES)

    assert reply.text == "After the wait [1]."
    assert len(fake_openai.requests) == 2
    assert fake_openai.requests[1].headers["x-stainless-retry-count"] == "1"


def test_rate_limit_that_persists_says_so(fake_openai: FakeOpenAI) -> None:
    for _ in range(2):
        fake_openai.status(429, headers=FAST_RETRY)

    with pytest.raises(LLMError, match=r"rate-limiting .*HTTP 429.* after 1 retry"):
        model_for(fake_openai, max_retries=1).complete(MESSAGES)
    assert len(fake_openai.requests) == 2


def test_server_errors_are_retried_max_retries_times_then_raise(fake_openai: FakeOpenAI) -> None:
    for _ in range(3):
        fake_openai.status(500, headers=FAST_RETRY)

    with pytest.raises(LLMError, match=r"server error \(HTTP 500\) after 2 retries") as caught:
        model_for(fake_openai, max_retries=2).complete(MESSAGES)

    assert len(fake_openai.requests) == 3
    assert isinstance(caught.value, AssistantError)
    assert "fake error" not in str(caught.value)  # the server's body is not quoted


def test_a_server_that_hangs_times_out(fake_openai: FakeOpenAI) -> None:
    fake_openai.hang(10)

    with pytest.raises(LLMError, match=r"did not answer within 0.5 s.*ASSISTANT_LLM_TIMEOUT"):
        model_for(fake_openai, timeout=0.5, max_retries=0).complete(MESSAGES)
    assert len(fake_openai.requests) == 1


@pytest.mark.parametrize("failure", ["hang", "cut"])
def test_a_timeout_or_dropped_connection_is_retried(fake_openai: FakeOpenAI, failure: str) -> None:
    if failure == "hang":
        fake_openai.hang(10)
    else:
        fake_openai.cut(["half an answer"])
    fake_openai.reply("Second time lucky [1].")

    reply = model_for(fake_openai, timeout=5.0, idle_timeout=0.3, max_retries=1).complete(MESSAGES)

    assert reply.text == "Second time lucky [1]."
    assert [r.headers["x-stainless-retry-count"] for r in fake_openai.requests] == ["0", "1"]


def test_connection_refused_names_the_server() -> None:
    base_url = f"http://127.0.0.1:{closed_port()}/v1"
    model = OpenAIChatModel(model="test-model", base_url=base_url, timeout=1.0, max_retries=0)

    with pytest.raises(LLMError, match="Could not reach") as caught:
        model.complete(MESSAGES)
    assert base_url in str(caught.value)
    assert "OPENAI_BASE_URL" in str(caught.value)

    deltas, err = consume(model.stream(MESSAGES))
    assert deltas == [] and err is not None and "Could not reach" in str(err)


@pytest.mark.parametrize("status", [401, 403])
def test_a_rejected_key_is_reported_and_never_shown(fake_openai: FakeOpenAI, status: int) -> None:
    # OpenAI's 401 body echoes part of the key; none of it may reach the user.
    body = {"error": {"message": f"Incorrect API key provided: {KEY}. You can find your API key at ...", "code": "invalid_api_key"}}
    fake_openai.status(status, body=body)
    fake_openai.status(status, body=body)
    model = model_for(fake_openai)

    with pytest.raises(LLMError) as caught:
        model.complete(MESSAGES)
    deltas, streamed = consume(model.stream(MESSAGES))

    for err in (caught.value, streamed):
        assert isinstance(err, LLMError)
        assert str(err) == f"The LLM server rejected the API key (HTTP {status}). Check OPENAI_API_KEY."
        assert err.__cause__ is None and err.__context__ is None
        assert KEY not in error_text(err)
        assert "SENTINEL" not in error_text(err)
    assert deltas == []
    assert KEY not in repr(model)


def test_an_error_event_mid_stream_is_not_quoted(fake_openai: FakeOpenAI) -> None:
    lines = sse_events(["Partial "], usage=None, finish_reason=None, done=False)
    fake_openai.sse([*lines, f'data: {{"error": {{"message": "key {KEY} revoked"}}}}'])

    deltas, err = consume(model_for(fake_openai).stream(MESSAGES))

    assert deltas == ["Partial "]
    assert err is not None and "broke off" in str(err)
    assert KEY not in error_text(err)


def test_unknown_model_names_the_setting(fake_openai: FakeOpenAI) -> None:
    fake_openai.status(404, body={"error": {"message": "model 'nope' not found", "code": "model_not_found"}})

    with pytest.raises(LLMError, match=r"no model 'nope' \(HTTP 404\).*ASSISTANT_LLM_MODEL"):
        model_for(fake_openai, model="nope").complete(MESSAGES)


def test_a_stream_cut_midway_yields_what_came_then_raises(fake_openai: FakeOpenAI) -> None:
    fake_openai.cut(["BM25 ", "is a "])

    deltas, err = consume(model_for(fake_openai).stream(MESSAGES))

    assert deltas == ["BM25 ", "is a "]
    assert err is not None and str(err).startswith("The LLM stream broke off")
    assert "connection dropped" in str(err)


def test_a_stream_that_ends_without_finishing_raises(fake_openai: FakeOpenAI) -> None:
    # A clean end of body but no finish_reason and no [DONE]: the server stopped early.
    fake_openai.sse(sse_events(["BM25 "], usage=None, finish_reason=None, done=False))

    deltas, err = consume(model_for(fake_openai).stream(MESSAGES))

    assert deltas == ["BM25 "]
    assert err is not None and "broke off" in str(err)


def test_malformed_sse_raises(fake_openai: FakeOpenAI) -> None:
    fake_openai.malformed(["BM25 "])

    deltas, err = consume(model_for(fake_openai).stream(MESSAGES))

    assert deltas == ["BM25 "]
    assert err is not None and "malformed" in str(err)


def test_an_empty_reply_raises(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply("")
    fake_openai.stream([])
    model = model_for(fake_openai)

    with pytest.raises(LLMError, match="empty answer"):
        model.complete(MESSAGES)
    deltas, err = consume(model.stream(MESSAGES))
    assert deltas == [] and err is not None and "empty answer" in str(err)


def test_a_server_that_is_not_openai_compatible_is_named(fake_openai: FakeOpenAI) -> None:
    fake_openai.raw(200, "<html><body>Welcome to nginx!</body></html>")

    with pytest.raises(LLMError, match="did not answer like an OpenAI-compatible server.*OPENAI_BASE_URL"):
        model_for(fake_openai).complete(MESSAGES)


def test_a_caller_owned_http_client_is_used() -> None:
    seen: list[httpx2.Request] = []

    def handle(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json=completion_json("Through the transport [1]."))

    client = httpx2.Client(transport=httpx2.MockTransport(handle))
    model = OpenAIChatModel(model="test-model", api_key=KEY, base_url="http://llm.invalid/v1", http_client=client)

    assert model.complete(MESSAGES).text == "Through the transport [1]."
    assert [str(r.url) for r in seen] == ["http://llm.invalid/v1/chat/completions"]


def test_base_url_alone_is_enough(fake_openai: FakeOpenAI) -> None:
    settings = Settings(_env_file=None, openai_base_url=fake_openai.base_url, llm_model="llama3.2", llm_max_tokens=64)
    fake_openai.reply("Local answer [1].")

    model = chat_model_from(settings)

    assert model is not None
    assert model.complete(MESSAGES).text == "Local answer [1]."
    [request] = fake_openai.requests
    assert request.headers["authorization"] == "Bearer not-needed"
    assert (request.body["model"], request.body["max_tokens"]) == ("llama3.2", 64)


def test_chat_model_from_is_none_offline_and_a_model_with_either_setting() -> None:
    assert chat_model_from(Settings(_env_file=None)) is None

    with_key = chat_model_from(Settings(_env_file=None, openai_api_key=KEY))
    assert isinstance(with_key, OpenAIChatModel)
    assert with_key.base_url == OPENAI_BASE_URL
    assert KEY not in repr(with_key)

    with_url = chat_model_from(Settings(_env_file=None, openai_base_url="http://127.0.0.1:11434/v1", llm_timeout=3, llm_max_retries=4))
    assert isinstance(with_url, OpenAIChatModel)
    assert (with_url.base_url, with_url.timeout, with_url.max_retries) == ("http://127.0.0.1:11434/v1", 3, 4)


def drip(body: list[bytes], every: float, content_type: str = "application/json"):
    """A handler that sends the headers at once, then one piece of the body every `every` seconds (until closed)."""
    def handler(request) -> None:
        request.send_response(200)
        request.send_header("Content-Type", content_type)
        request.send_header("Transfer-Encoding", "chunked")
        request.end_headers()
        try:
            for piece in body:
                request.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                request.wfile.flush()
                if request.server.fake._released.wait(every):
                    return
            request.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client gave up, as it should
            pass
        request.close_connection = True
    return handler


def test_a_reply_that_trickles_in_ends_at_the_deadline(fake_openai: FakeOpenAI) -> None:
    body = json.dumps(completion_json("A complete answer [1]."))
    fake_openai.call(drip([body[i:i + 1].encode() for i in range(len(body))], every=0.2))

    with pytest.raises(LLMError, match=r"did not finish the answer within 1 s.*ASSISTANT_LLM_TIMEOUT"):
        model_for(fake_openai, timeout=1.0, idle_timeout=0.5).complete(MESSAGES)


def test_a_stream_that_trickles_in_is_cut_at_the_deadline(fake_openai: FakeOpenAI) -> None:
    events = [f"{line}\n\n".encode() for line in sse_events([f"word{i} " for i in range(200)])]
    fake_openai.call(drip(events, every=0.1, content_type="text/event-stream"))

    deltas, error = consume(model_for(fake_openai, timeout=1.0, idle_timeout=0.5).stream(MESSAGES))

    assert deltas and len(deltas) < 200  # some text arrived, then the deadline cut the rest
    assert isinstance(error, LLMError) and "did not finish the answer within 1 s" in str(error)


def test_a_retry_after_longer_than_the_deadline_is_not_waited_for(fake_openai: FakeOpenAI) -> None:
    fake_openai.status(429, headers={"Retry-After": "120"})
    fake_openai.reply("Never asked for [1].")

    with pytest.raises(LLMError, match=r"within 2 s \(it asked to wait 120 s before trying again\)"):
        model_for(fake_openai, timeout=2.0, max_retries=2).complete(MESSAGES)
    assert len(fake_openai.requests) == 1


def test_the_settings_deadlines_reach_the_adapter() -> None:
    model = chat_model_from(Settings(_env_file=None, openai_base_url="http://127.0.0.1:9/v1", llm_timeout=40, llm_idle_timeout=7))
    assert isinstance(model, OpenAIChatModel)
    assert (model.timeout, model.idle_timeout) == (40, 7)


def test_a_reply_announced_as_json_that_is_not_raises_llm_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.raw(200, '{"id": "chatcmpl-1", "choices": [', content_type="application/json")

    with pytest.raises(LLMError, match="not valid JSON"):
        model_for(fake_openai).complete(MESSAGES)
