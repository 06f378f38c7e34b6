# One entry point per thing a user does. `make serve` and `make test` are the README's two commands.
PYTHON ?= python3
UV_VERSION ?= 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
RUN := $(VENV)/bin/python
PORT ?= 3000
export BENTOML_DO_NOT_TRACK ?= true
export UV_PYTHON_DOWNLOADS ?= never

.PHONY: help setup train eda models serve test test-fast fuzz screenshot lint format bench bench-train clean

help:  ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "error: Python 3.11+ is needed ($(PYTHON) is older); set PYTHON=python3.x"; exit 1; }
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

setup: $(VENV)/.synced  ## Create .venv with the locked dependencies (uv)

train: setup  ## Train, compare and save all models to the BentoML store (full grids)
	$(RUN) -m training train

eda: setup  ## Write the exploratory data analysis to reports/
	$(RUN) -m training eda

models: setup  ## List the models in the BentoML store with their test metrics
	$(RUN) -m training models

serve: setup  ## Serve the models on port 3000 (PORT=...), training them first if the store has none
	@$(RUN) -m training models --quiet || { echo "No trained models in the store ($${BENTOML_HOME:-~/bentoml}): training them first (a few minutes)."; $(RUN) -m training train; }
	@echo "Serving on http://localhost:$(PORT): the analyst page at http://localhost:$(PORT)/ui/, the API (Swagger UI) at http://localhost:$(PORT)/"
	$(VENV)/bin/bentoml serve service:Forecaster --port $(PORT)

test: setup  ## Run the whole test suite (trains a quick model into a temporary store)
	$(RUN) -m pytest

test-fast: setup  ## Run the tests that need neither a trained model nor a server
	$(RUN) -m pytest -m "not slow"

fuzz: setup  ## Schema-driven fuzz (schemathesis) of every POST API in /docs.json on bentoml serve
	BOXOFFICE_FUZZ=1 $(RUN) -m pytest tests/service/test_fuzz.py

screenshot: setup  ## The analyst page (/ui) with the example film as reports/screenshot.png (needs chromium)
	BOXOFFICE_SCREENSHOT=1 $(RUN) -m pytest tests/service/test_screenshot.py

bench: setup  ## Benchmark the service against the original-style server (needs wrk and trained models)
	@command -v wrk >/dev/null || { echo "error: wrk is not installed (Debian: apt-get install wrk)"; exit 1; }
	@$(RUN) -m training models --quiet || { echo "error: no trained models: run make train first"; exit 1; }
	$(RUN) -m bench.run --rounds 3

bench-train: setup  ## Time quick, full and with-credits training against the 30 s / 180 s / 240 s limits
	$(RUN) -m bench.training

lint: setup  ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup  ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:  ## Remove the environments, caches and reports (not the model store)
	rm -rf $(TOOLS) $(VENV) .pytest_cache .ruff_cache .hypothesis reports

include image/image.mk
