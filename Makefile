# eWTP: `make run` serves the platform with the demo; `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON := $(shell scripts/find-python)
PG_URL ?= postgres://postgres@127.0.0.1:5432/ewtp
export PYTHONDONTWRITEBYTECODE :=

.PHONY: run test venv deps messages lint test-sqlite test-postgres test-counts serve-demo clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { scripts/find-python; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

venv: $(VENV)/.installed

messages: venv
	@$(BIN)/python scripts/compile_messages.py

deps:
	@scripts/system-deps

# The demo pays with the two simulators (the sandbox card provider and the mobile-money
# simulator); every page then says that payments are simulated.
run: export EWTP_PAYMENT_PROVIDERS ?= sandbox,momo-sim
run: export EWTP_IOSS_NUMBER ?= IM0560000001
# The demo is served over plain HTTP on 127.0.0.1 (EWTP_HTTPS=off: no redirect to HTTPS).
run: export EWTP_HTTPS ?= off
run: venv deps messages
	$(BIN)/ewtp migrate --noinput -v 0
	$(BIN)/ewtp loaddemo
	@$(BIN)/ewtp worker > var/worker.log 2>&1 & worker=$$!; \
	trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	$(BIN)/ewtp serve --bind 127.0.0.1:8000 --workers 3

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy ewtp config
	$(BIN)/lint-imports
	$(BIN)/ewtp makemigrations --check --dry-run

test-sqlite: venv messages
	@echo "=== test suite on SQLite ==="
	$(BIN)/pytest -n 2 -q -p no:cacheprovider -m "not postgres"

test-postgres: venv messages
	@scripts/ensure-postgres
	@echo "=== test suite on PostgreSQL ==="
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -n 2 -q -p no:cacheprovider -m "not browser"

test: venv
	@scripts/system-deps --test
	@$(MAKE) --no-print-directory messages lint test-sqlite test-postgres test-counts

# The number of tests of each pass, as pytest collects them; the README quotes them
# (`scripts/test-counts --write` updates it).
test-counts: venv
	@echo "=== test counts ==="
	@scripts/test-counts

clean:
	rm -rf $(VENV) staticfiles test-output
