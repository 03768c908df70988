"""The read path (retrieval, answering, the Assistant) imports nothing that writes the index, nor the OpenAI client."""

from __future__ import annotations

import subprocess
import sys

from assistant.config import PROJECT_ROOT

WRITERS = ("assistant.indexing", "assistant.store.writer", "assistant.corpus")  # chunking.sentence_spans is shared, pure
OPENAI = ("openai", "assistant.llm.openai_chat", "assistant.llm.server")  # imported when a client is made (~0.5 s cold)


def test_asking_imports_no_writer_and_no_openai_client():
    code = ("import sys, assistant, assistant.retrieval, assistant.answering.answer, assistant.service, assistant.collection; "
            f"print([m for m in {WRITERS + OPENAI!r} if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True,
                          env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin"})
    assert done.stdout.strip() == "[]", done.stdout


def test_the_command_line_starts_without_loading_the_index_or_the_model():
    """`assistant --help` and `import assistant` stay cheap: chromadb and onnxruntime load when a command needs them."""
    import subprocess
    import sys

    probe = ("import sys, assistant, assistant.cli; from assistant import Settings; "
             "print(sorted(m for m in ('chromadb', 'onnxruntime', 'openai', 'bm25s', 'streamlit') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    from assistant import Answer, ask

    assert callable(ask) and Answer.__name__ == "Answer"


def _import_graph() -> dict[str, set[str]]:
    """Which assistant modules each assistant module imports (at the top, inside functions, or for type checking)."""
    import ast

    package = PROJECT_ROOT / "assistant"
    modules = {}
    for path in package.rglob("*.py"):
        name = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts).removesuffix(".__init__")
        modules[name] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
        graph[name] = {m for m in found if m in modules and m not in (name, "assistant")}
    return graph


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        module = todo.pop()
        if module == goal:
            return True
        if module not in seen:
            seen.add(module)
            todo.extend(graph.get(module, ()))
    return False


ANSWERING = ("answering.answer", "service", "named_collections", "collection", "models", "bibtex_export",
             "answering.extractive", "answering.citations", "answering.generation", "answering.answerability",
             "answering.list_membership", "answering.followup", "evidence", "retrieval", "answering.question", "params")


def test_the_answering_modules_are_in_no_import_cycle():
    graph = _import_graph()
    cycles = [(f"assistant.{name}", other) for name in ANSWERING for other in graph[f"assistant.{name}"]
              if _reaches(graph, other, f"assistant.{name}")]
    assert cycles == []


def test_the_answer_side_is_a_package_that_imports_nothing_built_on_it():
    """assistant.answering turns a question into an Answer; what serves it (the Assistant, collections, the CLI, the MCP
    server, uploads, the evaluation) sits above it and is never imported from it (test_asking_imports_no_writer checks the
    writers at run time)."""
    graph = _import_graph()
    above = {"assistant.service", "assistant.collection", "assistant.cli", "assistant.mcp_server", "assistant.uploads",
             "assistant.evaluation", "assistant.evaluation.run"}
    answering = [name for name in graph if name.startswith("assistant.answering.")]
    assert {"assistant.answering.answer", "assistant.answering.extractive", "assistant.answering.reader"} <= set(answering)
    reached = {(name, goal) for name in answering for goal in above if _reaches(graph, name, goal)}
    assert reached == set()
