# Two commands for a fresh clone: `make start` and `make test`.
# Both create .venv on first use; only Python 3.11+ and make are needed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: start test setup book verify bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed, found " + sys.version.split()[0] + ": run make PYTHON=python3.11 ...")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the course and its dependencies into $(VENV) (first run only, about a minute)..."
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP)

start: setup
	@$(BIN)/course book
	@$(BIN)/course list

test: setup
	$(BIN)/python -m pytest --ignore=tests/book/test_browser.py

book: setup
	$(BIN)/course book

verify: setup
	$(BIN)/course verify

bench: setup
	$(BIN)/course bench --quick

clean:
	rm -rf book/_build .pytest_cache
