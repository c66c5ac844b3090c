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
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -q

# The quick loop: everything but the end-to-end tests (marked e2e), in 4 worker processes,
# without lint. `make test` still runs everything.
test-quick: install
	$(BIN)/pytest -q -m "not e2e" -n 4

# docs/configuration.md is generated from the settings model; a test checks it is current.
docs: install
	$(BIN)/wahooks config-reference > docs/configuration.md

.PHONY: install demo lint test test-quick docs
