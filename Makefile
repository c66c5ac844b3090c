# The two quick-start commands: `make demo` and `make test` (see README.md).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/wahooks: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(BIN)/wahooks

install: $(BIN)/wahooks

demo: install
	$(BIN)/wahooks demo

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q

# docs/configuration.md is generated from the settings model; a test checks it is current.
docs: install
	$(BIN)/wahooks config-reference > docs/configuration.md

.PHONY: install demo lint test docs
