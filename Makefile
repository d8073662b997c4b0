# SoccerPredict: every target bootstraps what it needs (uv, .venv, the locked environment).
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(PYTHON) -m uv
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.synced
AIRFLOW_VENV := .venv-airflow
AIRFLOW_STAMP := $(AIRFLOW_VENV)/.synced

.PHONY: help install services system-deps airflow-install airflow-lock run test test-airflow test-fast lint docs format bench clean image pin mutate screenshots

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV) sync --frozen --python 3.11 --compile-bytecode
	@touch $(STAMP)

install: $(STAMP)  ## create .venv from the lock file

system-deps:  ## Debian's chromium, chromium-driver, prometheus (promtool), prometheus-alertmanager (amtool)
	@bash .ci/system-deps.sh

$(AIRFLOW_STAMP): airflow/requirements.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV) venv --quiet --allow-existing --python 3.11 $(AIRFLOW_VENV)
	$(UV) pip install --quiet --compile-bytecode --python $(AIRFLOW_VENV)/bin/python -r airflow/requirements.lock
	@touch $(AIRFLOW_STAMP)

airflow-install: $(AIRFLOW_STAMP)  ## create .venv-airflow (Airflow 3.3, its own environment) from its lock file

airflow-lock:  ## re-resolve airflow/requirements.lock from airflow/requirements.in
	$(UV) pip compile --quiet --python-version 3.11 airflow/requirements.in -o airflow/requirements.lock

run: $(STAMP)  ## the main job on embedded defaults: ingest the sample, train, serve the champion, print where
	$(BIN)/soccerpredict demo

services: system-deps  ## start PostgreSQL, Redis, RabbitMQ and dockerd when they are down (root; .ci/services.sh)
	@bash .ci/services.sh

test: $(STAMP) $(AIRFLOW_STAMP) services image  ## every test: main suite (images included), then the DAGs in the Airflow env
	$(BIN)/pytest -q
	$(MAKE) --no-print-directory test-airflow

test-airflow: $(STAMP) $(AIRFLOW_STAMP)  ## the DAG tests, in .venv-airflow (DagBag, structure, dag.test() of the ingestion DAGs)
	$(AIRFLOW_VENV)/bin/python -m pytest -q -p no:cacheprovider -o addopts="-ra --strict-markers" tests/airflow

test-fast: $(STAMP)  ## tests without real services, containers or the full data set
	$(BIN)/pytest -q -m "not service and not slow and not container"

lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

docs: $(STAMP)  ## build the MkDocs site strictly (site/)
	$(BIN)/mkdocs build --strict --quiet

format: $(STAMP)  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

image: $(STAMP)  ## build the project and Airflow images (offline base when no registry answers), tagged <version>-<source digest>
	PYTHON=$(abspath $(BIN)/python) bash docker/build.sh $(IMAGES)

pin: $(STAMP)  ## name the image this source builds in the manifests, the Airflow values and the compiled pipeline
	$(BIN)/python -m soccerpredict.image --pin
	$(BIN)/soccerpredict pipeline compile

mutate: $(STAMP)  ## mutation testing of the core rules (mutmut, [tool.mutmut] in pyproject.toml): docs/mutation.md
	$(UV) sync --frozen --python 3.11 --group mutation --inexact --quiet
	@start=$$(date +%s); $(BIN)/mutmut run; code=$$?; \
	  $(BIN)/python tools/mutation_report.py --seconds $$(( $$(date +%s) - start )) --out docs/mutation.md; exit $$code

screenshots: $(STAMP)  ## docs/ui/*.png: each web UI page in headless Chromium over the test doubles' published objects
	$(BIN)/python tools/ui_screenshots.py --out docs/ui

bench: $(STAMP)  ## every benchmark (needs ../shared/data and PostgreSQL/Redis; results: docs/benchmarks.md)
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_features.py
	$(BIN)/python bench/bench_predictor.py

clean:  ## remove local state (.soccerpredict) and caches, keep .venv
	rm -rf .soccerpredict .pytest_cache .mypy_cache .ruff_cache .hypothesis mutants
