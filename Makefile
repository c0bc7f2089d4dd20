# Two entry points for a fresh machine (see README.md): `make demo` and `make test`.
# Everything they need is installed by the targets below; caches live outside the repo.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export LLMREG_CACHE ?= $(HOME)/.cache/llmreg

# Offline Pulumi engine: no update checks, no plugin downloads, local file backends only.
export PULUMI_SKIP_UPDATE_CHECK := true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION := true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK := true

.PHONY: help venv pulumi postgres lint fmt check unit generate sdk docs test demo clean-demo

help:
	@echo "make demo   - set up everything, run the example stack (pulumi up) on the embedded store"
	@echo "make test   - set up everything (Pulumi CLI build, PostgreSQL), lint, type-check, run all tests"
	@echo "make fmt    - format and auto-fix with ruff"
	@echo "make check  - ruff and mypy (strict), no tests"
	@echo "make unit   - the tests that need neither the Pulumi engine nor PostgreSQL (fast)"
	@echo "make generate - regenerate every generated file from the shapes: the Python SDK's"
	@echo "               typed surface, the runtime's settings, the docs' tables, the plugin"
	@echo "               schema and the TypeScript SDK (sdk/)"

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@echo "==> Python environment in $(VENV)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[server,dev]'
	touch $@

# Progress goes to stderr; stdout is the bin dir (cached in $(LLMREG_CACHE)/pulumi).
pulumi:
	@scripts/setup-pulumi

postgres:
	@scripts/setup-postgres

lint: venv
	@echo "==> ruff and mypy"
	$(BIN)/ruff check provider tests benchmarks examples
	$(BIN)/ruff format --check provider tests benchmarks examples
	$(BIN)/mypy

fmt: venv
	$(BIN)/ruff format provider tests benchmarks examples
	$(BIN)/ruff check --fix provider tests benchmarks examples

check: lint

unit: venv
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not e2e and not postgres" $(PYTEST_ARGS)

# Regenerate every file made from the shapes (llmreg.deploy.generate, then the plugin schema and
# the TypeScript SDK); tests fail when one is stale. `docs` and `sdk` are parts of it.
generate: docs sdk

docs: venv
	$(BIN)/python -m llmreg.deploy.generate

sdk: venv
	LLMREG_PULUMI_BIN="$$(scripts/setup-pulumi | tail -n 1)" scripts/gen-sdk

test: venv
	@echo "==> Pulumi toolchain"
	pulumi_bin="$$(scripts/setup-pulumi | tail -n 1)"; \
	echo "==> PostgreSQL on loopback"; \
	pg_dsn="$$(scripts/setup-postgres | tail -n 1)"; \
	echo "==> Chromium for the console's browser tests"; \
	scripts/setup-chromium >/dev/null; \
	$(MAKE) --no-print-directory lint; \
	echo "==> pytest"; \
	PATH="$$pulumi_bin:$$PATH" LLMREG_PULUMI_BIN="$$pulumi_bin" LLMREG_TEST_PG_DSN="$$pg_dsn" \
	  $(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS); \
	echo "==> the other supported Pythons, the oldest and newest pulumi SDK"; \
	scripts/test-pythons "$$pulumi_bin"

demo: venv
	@echo "==> Pulumi toolchain"
	pulumi_bin="$$(scripts/setup-pulumi | tail -n 1)"; \
	PATH="$$pulumi_bin:$(CURDIR)/$(BIN):$$PATH" examples/pulumi-project/run-demo.sh
