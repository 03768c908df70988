"""The read path (retrieval, answering, the Assistant) imports nothing that writes the index."""

from __future__ import annotations

import subprocess
import sys

from assistant.config import PROJECT_ROOT

WRITERS = ("assistant.indexing", "assistant.store.writer", "assistant.corpus")  # chunking.sentence_spans is shared, pure


def test_asking_imports_no_writer():
    code = ("import sys, assistant, assistant.retrieval, assistant.answer, assistant.service, assistant.collection; "
            f"print([m for m in {WRITERS!r} if m in sys.modules])")
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
