# One-command set-up: every target creates .venv and installs the pinned stack on first use.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed

.PHONY: setup quickstart lint test test-fast bench lock dashboard clean

$(STAMP): pyproject.toml constraints.txt tests/plugins/netspace_toy_plugin/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]' -e tests/plugins/netspace_toy_plugin
	touch $(STAMP)

setup: $(STAMP)

## The main job: a small design-space campaign on the embedded dataset (local Ray, SQLite, local MLflow).
quickstart: $(STAMP)
	$(VENV)/bin/netspace run examples/quickstart.yaml
	$(VENV)/bin/netspace report quickstart --out reports/quickstart

## Lint and type check ([tool.mypy] in pyproject.toml): the first step of both test tiers.
lint: $(STAMP)
	$(VENV)/bin/ruff check netspace tests benchmarks scripts
	$(PY) -m mypy

## The test suite (the same command CI runs through .ci/run): lint, type check, then every test.
test: lint
	bash scripts/test_services.sh
	$(PY) -m pytest -q

## The quick tier for development: lint, type check, then the tests not marked slow (no training runs, Ray
## cluster or browser). `make test` stays the whole suite.
test-fast: lint
	bash scripts/test_services.sh
	$(PY) -m pytest -q -m "not slow"

## Benchmarks (not tests): figures are printed, see the README's Benchmarks section.
bench: $(STAMP)
	$(PY) benchmarks/bench_sampling.py
	$(PY) benchmarks/bench_worker.py
	$(PY) benchmarks/bench_campaign.py
	$(PY) benchmarks/bench_analysis.py

lock:
	{ echo "# Exact versions the project is tested with (pip install -c constraints.txt ...). Regenerate with: make lock"; $(PY) -m pip freeze --exclude-editable | grep -v "^-e"; } > constraints.txt

dashboard: $(STAMP)
	$(VENV)/bin/netspace dashboard

clean:
	rm -rf $(VENV) netspace.db mlflow.db mlruns mlartifacts netspace_runs reports
