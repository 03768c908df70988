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
