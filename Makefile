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
	@echo "Installing the course and its dependencies into $(VENV) (first run only: a few minutes, longer on a slow network)..."
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP)

# Ends with what to type next, exactly: the commands work without activating .venv.
start: setup
	@$(BIN)/course book
	@$(BIN)/course list
	@echo ""
	@echo "What to type now (no need to activate anything):"
	@echo "  $(BIN)/course check        # grade the exercise shown as Next above"
	@echo "  $(BIN)/python -m labs.ch01_concepts.threads_vs_processes   # run a lab"
	@echo "Or type 'source $(BIN)/activate' once; then 'course check' and 'python -m labs...' work as written in the book."

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
