"""`assistant mcp` end to end: the SDK's own client starts the server as a host would (stdio subprocess), or talks to
it over streamable HTTP on 127.0.0.1, on a copy of the session's seed index."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

pytest.importorskip("mcp", reason="the mcp SDK is not installed")

from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402
from mcp.shared.exceptions import MCPError  # noqa: E402
from processes import end_process  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DAFORMER = "daformer-improving-network-architectures-and-training-047533"
TOOLS = {"search_papers", "ask", "get_paper", "list_collections", "add_papers", "export_bibtex"}
ABSENT_TOPIC = "Is there work on federated learning across hospitals with differential privacy guarantees?"
STARTUP_SECONDS = 60


def server_env(data_dir: Path) -> dict[str, str]:
    """The assistant's environment for the server: no key, no Chroma server, this checkout's package, data_dir."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("ASSISTANT_", "OPENAI_", "CHROMA_"))}
    env["ASSISTANT_DATA_DIR"] = str(data_dir)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(result) -> dict[str, Any]:
    """A tool result as {'error': message} or its structured content."""
    if result.is_error:
        return {"error": result.content[0].text}
    return result.structured_content


async def session(client: Client, papers_file: Path, broken_bib: Path) -> dict[str, Any]:
    """Everything the tests check, in one client session (one server start)."""
    out: dict[str, Any] = {"tools": {tool.name: tool for tool in (await client.list_tools()).tools}}
    out["search"] = call(await client.call_tool("search_papers", {
        "query": "domain adaptive semantic segmentation with transformers", "k": 5}))
    out["cited"] = call(await client.call_tool("ask", {"question": "Where's the code for DAFormer?"}))
    out["absent"] = call(await client.call_tool("ask", {"question": ABSENT_TOPIC}))
    out["empty"] = call(await client.call_tool("ask", {"question": "   "}))
    out["after_empty"] = call(await client.call_tool("list_collections", {}))  # still serving
    out["no_collection"] = call(await client.call_tool("ask", {"question": "self-play?", "collection": "nowhere"}))
    out["no_paper"] = call(await client.call_tool("get_paper", {"paper_id": "no-such-paper"}))
    out["paper"] = call(await client.call_tool("get_paper", {"paper_id": DAFORMER}))
    out["bibtex"] = call(await client.call_tool("export_bibtex", {"paper_ids": [DAFORMER]}))
    out["broken"] = call(await client.call_tool("add_papers", {"paths": [str(broken_bib)], "collection": "mine"}))
    out["missing_file"] = call(await client.call_tool("add_papers", {"paths": [str(papers_file.parent / "gone.bib")]}))
    out["added"] = call(await client.call_tool("add_papers", {"paths": [str(papers_file)], "collection": "mine"}))
    out["collections"] = call(await client.call_tool("list_collections", {}))
    out["mine"] = call(await client.call_tool("ask", {"question": "which papers forecast tidal energy?", "collection": "mine"}))
    out["templates"] = [t.uri_template for t in (await client.list_resource_templates()).resource_templates]
    out["resource"] = (await client.read_resource(f"paper://papers/{DAFORMER}")).contents[0].text
    try:
        await client.read_resource("paper://papers/no-such-paper")
        out["resource_missing"] = None
    except MCPError as error:
        out["resource_missing"] = str(error)
    return out


def write_inputs(directory: Path) -> tuple[Path, Path]:
    papers = directory / "tidal.jsonl"
    papers.write_text("\n".join(json.dumps(p) for p in [
        {"id": "tidal-1", "title": "Forecasting tidal energy with recurrent networks",
         "abstract": "We forecast tidal energy output with recurrent neural networks trained on ten years of tide gauge data."},
        {"id": "soil-1", "title": "Soil moisture from satellite radar",
         "abstract": "We estimate soil moisture from synthetic aperture radar images with a physics-guided model."},
    ]) + "\n")
    broken = directory / "broken.bib"
    broken.write_text("@article{ok,\n  title = {Fine},\n  abstract = {Fine.}\n}\n\n@article{bad,\n  title = {Broken\n")
    return papers, broken


def run_stdio(directory: Path) -> dict[str, Any]:
    papers, broken = write_inputs(directory)
    params = StdioServerParameters(command=sys.executable, args=["-m", "assistant", "mcp"],
                                   env=server_env(directory / "data"), cwd=str(directory))

    async def main() -> dict[str, Any]:
        async with Client(params) as client:
            return await session(client, papers, broken)

    return anyio.run(main)


def run_http(directory: Path) -> dict[str, Any]:
    papers, broken = write_inputs(directory)
    port = free_port()
    with (directory / "server.log").open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "assistant", "mcp", "--http", f"127.0.0.1:{port}"],
                                   cwd=directory, env=server_env(directory / "data"), stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while True:
                if process.poll() is not None:
                    pytest.fail(f"the server exited with {process.returncode}:\n{(directory / 'server.log').read_text()}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"the server did not listen within {STARTUP_SECONDS} s")
                    time.sleep(0.2)

            async def main() -> dict[str, Any]:
                async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                    return await session(client, papers, broken)

            return anyio.run(main)
        finally:
            end_process(process)


@pytest.fixture(scope="module", params=["stdio", "http"])
def results(request, tmp_path_factory: pytest.TempPathFactory, seeded_settings) -> dict[str, Any]:
    """One client session per transport, against its own copy of the seed index."""
    directory = tmp_path_factory.mktemp(f"mcp-{request.param}")
    shutil.copytree(seeded_settings.data_dir, directory / "data")
    return run_stdio(directory) if request.param == "stdio" else run_http(directory)


def test_the_six_tools_are_listed_with_their_schemas(results) -> None:
    tools = results["tools"]
    assert set(tools) == TOOLS
    assert tools["ask"].input_schema["required"] == ["question"]
    assert {"text", "citations", "abstained", "confidence"} <= set(tools["ask"].output_schema["properties"])
    assert tools["search_papers"].input_schema["properties"]["k"]["default"] == 10


def test_ask_answers_with_cited_quotes_as_structured_content(results) -> None:
    cited = results["cited"]
    assert not cited["abstained"]
    assert "[1]" in cited["text"]
    first = cited["citations"][0]
    assert first["number"] == 1 and first["paper_id"] == DAFORMER
    assert first["title"].startswith("DAFormer") and "github.com/lhoyer/DAFormer" in first["quote"]
    assert "https://github.com/lhoyer/DAFormer" in first["urls"]
    assert 0.0 <= cited["confidence"] <= 1.0


def test_ask_abstains_on_a_topic_the_collection_lacks(results) -> None:
    absent = results["absent"]
    assert absent["abstained"] is True
    assert absent["citations"] == []
    assert absent["closest"]  # the closest papers, said not to answer


def test_search_papers_puts_daformer_first(results) -> None:
    hits = results["search"]["hits"]
    assert hits[0]["paper_id"] == DAFORMER
    assert len(hits) == 5 and hits[0]["passage"] and hits[0]["uri"] == f"paper://papers/{DAFORMER}"
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_an_empty_question_is_a_tool_error_and_the_server_keeps_serving(results) -> None:
    assert "The question is empty" in results["empty"]["error"]
    assert results["after_empty"]["collections"][0]["name"] == "papers"


def test_unknown_collections_papers_and_files_are_tool_errors_with_the_clis_message(results) -> None:
    assert "There is no collection 'nowhere'" in results["no_collection"]["error"]
    assert "No paper with the id 'no-such-paper'" in results["no_paper"]["error"]
    assert "gone.bib: no such file" in results["missing_file"]["error"]
    assert "broken.bib:6" in results["broken"]["error"]  # the file and line, and nothing written
    assert "mine" not in results["after_empty"]["collections"][0]["name"]


def test_add_papers_returns_the_report_and_list_collections_shows_the_new_one(results) -> None:
    added = results["added"]
    assert added["collection"] == "mine" and sorted(added["added"]) == ["soil-1", "tidal-1"]
    assert "2 added" in added["summary"]
    assert {"name": "mine", "papers": 2, "default": False} in results["collections"]["collections"]
    assert {"name": "papers", "papers": 72, "default": True} in results["collections"]["collections"]
    assert results["mine"]["citations"][0]["paper_id"] == "tidal-1"


def test_get_paper_export_bibtex_and_the_paper_resource(results) -> None:
    assert results["paper"]["title"].startswith("DAFormer") and results["paper"]["abstract"]
    assert results["bibtex"]["bibtex"].startswith("@misc{") and "DAFormer" in results["bibtex"]["bibtex"]
    assert results["templates"] == ["paper://{collection}/{paper_id}"]
    assert results["resource"].startswith("# DAFormer") and "https://github.com/lhoyer/DAFormer" in results["resource"]
    assert "No paper with the id 'no-such-paper'" in results["resource_missing"]


def test_stdout_carries_only_protocol_messages(tmp_path: Path, seeded_settings) -> None:
    """A raw host: every line the server writes to stdout, through an answer and an error, is a JSON-RPC message."""
    shutil.copytree(seeded_settings.data_dir, tmp_path / "data")
    requests = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "ask", "arguments": {"question": ABSENT_TOPIC}}},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "ask", "arguments": {"question": ""}}},
    ]
    process = subprocess.Popen([sys.executable, "-m", "assistant", "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=server_env(tmp_path / "data"))
    watchdog = threading.Timer(300, process.kill)  # a hung server fails the test instead of hanging it
    watchdog.start()
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write("".join(json.dumps(r) + "\n" for r in requests))
        process.stdin.flush()
        lines = [process.stdout.readline() for _ in range(3)]  # the replies to 1, 2 and 3; EOF would cancel 2 and 3
        process.stdin.close()
        lines += process.stdout.readlines()
        process.wait(timeout=30)
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
    replies = [json.loads(line) for line in lines if line]  # a stray print would fail here
    by_id = {reply["id"]: reply for reply in replies}
    assert set(by_id) == {1, 2, 3}
    assert by_id[2]["result"]["structuredContent"]["abstained"] is True
    assert by_id[3]["result"]["isError"] is True


@pytest.mark.parametrize("value", ["localhost", "127.0.0.1:http", "127.0.0.1:70000"])
def test_a_bad_http_address_is_a_usage_error(value: str) -> None:
    from click.testing import CliRunner

    from assistant.cli import main

    result = CliRunner().invoke(main, ["mcp", "--http", value])
    assert result.exit_code == 2 and "HOST:PORT" in result.output
