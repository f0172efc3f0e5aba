# README's two commands: `make demo` runs the main job, `make test` every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest schemas clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/plantwin run scenarios/baseline-shift.yaml --report-dir reports/demo

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict contracts simulator mocks gateway harness

pytest: $(STAMP)
	$(BIN)/pytest -q -n 2 -p no:cacheprovider

schemas: $(STAMP)
	$(BIN)/plantwin schemas

clean:
	rm -rf $(VENV) reports .mypy_cache .ruff_cache
