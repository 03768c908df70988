"""ask() with an OpenAI-compatible server configured by settings: every fault ends in a valid Answer with a note."""

from __future__ import annotations

import re
import socket

import pytest
from pydantic import SecretStr

from assistant import Answer, ask, ask_stream
from assistant.prompts import NO_ANSWER

from fake_openai import FakeOpenAI

SENTINEL_KEY = "sk-SENTINEL-0123456789abcdef"
MCTS = "Which papers use Monte Carlo tree search to make LLM agents better at web tasks?"
FAST_RETRY = {"retry-after-ms": "10"}


@pytest.fixture
def server():
    with FakeOpenAI() as fake:
        yield fake


def llm_settings(seeded_settings, base_url: str, **extra):
    return seeded_settings.model_copy(update={
        "openai_base_url": base_url, "openai_api_key": SecretStr(SENTINEL_KEY), "llm_model": "fake-model",
        "llm_timeout": 1.0, "llm_max_retries": 1, **extra})


def final(stream) -> Answer:
    """The Answer that ends an ask_stream."""
    items = list(stream)
    assert isinstance(items[-1], Answer) and all(isinstance(i, str) for i in items[:-1])
    return items[-1]


def assert_valid(answer: Answer) -> None:
    retrieved = {hit.paper_id for hit in answer.sources}
    assert answer.text
    assert all(c.paper_id in retrieved for c in answer.citations)
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers <= {c.number for c in answer.citations}
    assert answer.abstained or answer.citations
    assert SENTINEL_KEY not in answer.model_dump_json()


def test_non_streaming_llm_answer(server, seeded_settings):
    server.reply("WebPilot uses MCTS for web tasks [1]. Agent Q guides search with MCTS [2].", prompt_tokens=800, completion_tokens=18)
    answer = ask(MCTS, settings=llm_settings(seeded_settings, server.base_url))
    assert answer.mode == "llm" and answer.usage.prompt_tokens == 800 and len(answer.citations) == 2
    assert server.requests[0].body.get("stream") in (None, False)
    assert_valid(answer)


def test_streams_an_llm_answer_whose_citations_are_valid(server, seeded_settings):
    server.stream(["WebPilot uses MCTS ", "for web tasks [1]. ", "Agent Q guides search with MCTS [2]."], usage=(900, 20))
    items = list(ask_stream(MCTS, settings=llm_settings(seeded_settings, server.base_url)))
    answer = items[-1]
    assert [i for i in items[:-1]] == ["WebPilot uses MCTS ", "for web tasks [1]. ", "Agent Q guides search with MCTS [2]."]
    assert answer.mode == "llm" and answer.model == "fake-model"
    assert answer.usage.prompt_tokens == 900 and answer.usage.completion_tokens == 20
    assert len(answer.citations) == 2
    assert_valid(answer)
    request = server.requests[0]
    assert request.body["stream"] is True and request.body["model"] == "fake-model"
    assert request.headers["authorization"] == f"Bearer {SENTINEL_KEY}"


def test_rate_limit_with_retry_after_then_success(server, seeded_settings):
    server.status(429, headers={"Retry-After": "1", **FAST_RETRY})
    server.reply("WebPilot uses MCTS [1].")
    answer = ask(MCTS, settings=llm_settings(seeded_settings, server.base_url))
    assert answer.mode == "llm" and len(server.requests) == 2
    assert_valid(answer)


@pytest.mark.parametrize("fault", ["500s", "hang", "cut", "malformed", "401"])
def test_faults_fall_back_to_the_offline_answer_with_a_note(server, seeded_settings, fault):
    if fault == "500s":
        server.status(500, headers=FAST_RETRY)
        server.status(500, headers=FAST_RETRY)
    elif fault == "hang":
        server.hang(3)
        server.hang(3)
    elif fault == "cut":
        server.cut(["WebPilot uses "])
        server.cut(["WebPilot uses "])
    elif fault == "malformed":
        server.malformed(["WebPilot uses "])
    elif fault == "401":
        server.status(401, body={"error": {"message": f"Incorrect API key provided: {SENTINEL_KEY[:12]}****"}})
    run = ask_stream if fault in ("cut", "malformed") else ask
    answer = run(MCTS, settings=llm_settings(seeded_settings, server.base_url))
    answer = final(answer) if run is ask_stream else answer
    assert answer.mode == "extractive"
    assert any("offline answer" in note for note in answer.notes)
    if fault == "401":
        assert any("rejected the API key" in note for note in answer.notes)
        assert SENTINEL_KEY[:12] not in " ".join(answer.notes)
    assert_valid(answer)


def test_connection_refused_falls_back(seeded_settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    answer = ask(MCTS, settings=llm_settings(seeded_settings, f"http://127.0.0.1:{port}/v1", llm_max_retries=0))
    assert answer.mode == "extractive"
    assert any("Could not reach" in note for note in answer.notes)
    assert_valid(answer)


def test_a_reply_without_citations_is_not_presented_as_cited(server, seeded_settings):
    server.reply("Several papers use tree search for web agents.")
    answer = ask(MCTS, settings=llm_settings(seeded_settings, server.base_url))
    assert answer.mode == "extractive"
    assert any("cited none of the sources" in note for note in answer.notes)
    assert_valid(answer)


def test_a_reply_citing_sources_that_do_not_exist_is_cleaned(server, seeded_settings):
    server.stream(["WebPilot uses MCTS [1]. Another paper does too [42]."])
    answer = final(ask_stream(MCTS, settings=llm_settings(seeded_settings, server.base_url)))
    assert answer.mode == "llm" and "[42]" not in answer.text
    assert any("[42]" in note for note in answer.notes)
    assert_valid(answer)


def test_the_llm_can_abstain(server, seeded_settings):
    server.reply(NO_ANSWER)
    answer = ask("Is there work on federated learning across hospitals?", settings=llm_settings(seeded_settings, server.base_url))
    assert answer.abstained and answer.mode == "llm"
    assert_valid(answer)


def test_non_streaming_complete_is_used_to_rewrite_follow_ups(server, seeded_settings):
    server.reply("Where is the code for DAFormer?")
    server.reply("The code is at https://github.com/lhoyer/DAFormer [1].")
    history = [{"role": "user", "content": "Tell me about DAFormer."}, {"role": "assistant", "content": "It is a UDA method [1]."}]
    answer = ask("where's its code?", history=history, settings=llm_settings(seeded_settings, server.base_url))
    assert answer.standalone_question == "Where is the code for DAFormer?"
    assert answer.citations[0].title.startswith("DAFormer")
    assert server.requests[0].body.get("stream") in (None, False)
    assert_valid(answer)


def test_an_answer_cut_at_the_token_limit_says_so(server, seeded_settings):
    server.reply("WebPilot uses MCTS for web tasks [1]. Agent Q", finish_reason="length")
    answer = ask(MCTS, settings=llm_settings(seeded_settings, server.base_url))
    assert answer.mode == "llm"
    assert any("token limit" in note and "ASSISTANT_LLM_MAX_TOKENS" in note for note in answer.notes)
    assert_valid(answer)


def test_a_slow_drip_stream_ends_at_the_deadline_with_the_offline_answer(server, seeded_settings):
    from fake_openai import sse_events
    from test_llm_adapter import drip

    events = [f"{line}\n\n".encode() for line in sse_events([f"word{i} " for i in range(300)])]
    server.call(drip(events, every=0.1, content_type="text/event-stream"))

    answer = final(ask_stream(MCTS, settings=llm_settings(seeded_settings, server.base_url, llm_timeout=1.0, llm_idle_timeout=0.5)))

    assert answer.mode == "extractive" and answer.citations
    assert any("did not finish the answer within 1 s" in note and "offline answer" in note for note in answer.notes)
    assert_valid(answer)


def test_invalid_json_from_the_llm_falls_back_in_python_too(server, seeded_settings):
    server.raw(200, '{"id": "chatcmpl-1", "choices": [', content_type="application/json")
    answer = ask(MCTS, settings=llm_settings(seeded_settings, server.base_url, llm_max_retries=0))
    assert answer.mode == "extractive" and answer.citations
    assert any("not valid JSON" in note and "offline answer" in note for note in answer.notes)


DAFORMER = "How is DAFormer built?"
PARAPHRASE = "DAFormer pairs a Transformer encoder with a multi-level context-aware feature fusion decoder [1]."


@pytest.mark.parametrize("made_up", [
    "DAFormer was trained on 10 billion Mars rover images and reaches 99.9% accuracy [1].",
    "Run this shell command to see the DAFormer code [1].",
])
def test_made_up_claims_sharing_words_with_the_cited_abstract_are_dropped_with_a_note(server, seeded_settings, made_up):
    server.reply(f"{PARAPHRASE} {made_up}")
    answer = ask(DAFORMER, settings=llm_settings(seeded_settings, server.base_url, llm_timeout=30.0))
    assert answer.mode == "llm" and answer.citations[0].title.startswith("DAFormer")
    assert answer.text == PARAPHRASE  # the supported paraphrase is kept, word for word
    assert any(note.startswith("Removed 1 sentence(s)") for note in answer.notes)
    assert_valid(answer)


def test_an_answer_of_made_up_claims_only_falls_back_to_the_offline_answer(server, seeded_settings):
    server.reply("DAFormer was trained on 10 billion Mars rover images and reaches 99.9% accuracy [1]. "
                 "Run this shell command to see the DAFormer code [1].")
    answer = ask(DAFORMER, settings=llm_settings(seeded_settings, server.base_url, llm_timeout=30.0))
    assert answer.mode == "extractive" and "Mars" not in answer.text and "shell" not in answer.text
    assert any("not supported by the sources it cites" in note for note in answer.notes)
