# SoccerPredict: every target bootstraps what it needs (uv, .venv, the locked environment).
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(PYTHON) -m uv
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.synced

.PHONY: help install run test test-fast lint format bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV) sync --frozen --python 3.11
	@touch $(STAMP)

install: $(STAMP)  ## create .venv from the lock file

run: $(STAMP)  ## the main job on embedded defaults: ingest the sample, train, serve the champion, print where
	$(BIN)/soccerpredict demo

test: $(STAMP)  ## the whole test suite (needs PostgreSQL, Redis, RabbitMQ on this machine)
	$(BIN)/pytest -q

test-fast: $(STAMP)  ## tests without real services or the full data set
	$(BIN)/pytest -q -m "not service and not slow"

lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)  ## every benchmark (needs ../shared/data and PostgreSQL/Redis; results: docs/benchmarks.md)
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_features.py
	$(BIN)/python bench/bench_predictor.py

clean:  ## remove local state (.soccerpredict) and caches, keep .venv
	rm -rf .soccerpredict .pytest_cache .mypy_cache .ruff_cache .hypothesis
