# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Compiled bytecode is kept (in the virtualenv, not beside the sources) even where the
# environment says not to write it: every test process and every subprocess the tests
# start would otherwise compile the whole project again.
export PYTHONDONTWRITEBYTECODE :=
export PYTHONPYCACHEPREFIX := $(CURDIR)/$(VENV)/pycache

.PHONY: run test lint typecheck pytest clean bench docs messages catalogs

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --config-settings editable_mode=compat -e '.[dev]'
	touch $(STAMP)

## make run: set up, migrate, load the demo team, serve HTTP and open the console chat
run: $(STAMP)
	SIM_TRAFFIC=$${SIM_TRAFFIC:-true} $(BIN)/switchboard run

## make test: set up and run every check
test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest --numprocesses=auto --maxprocesses=4 --dist loadgroup

## make bench: latency figures of the doors and commands (not part of make test);
## the other benchmarks: switchboard bench --help
bench: $(STAMP)
	$(BIN)/switchboard bench doors

## make docs: regenerate docs/configuration.md from the settings (a test fails when it is stale)
docs: $(STAMP)
	$(BIN)/switchboard config docs docs/configuration.md

## make messages: extract every message into the catalogs (store/locale/*/LC_MESSAGES/*.po),
## keeping what is translated; then translate the new ones and run make catalogs
LOCALES := store/locale
messages: $(STAMP)
	$(BIN)/pybabel extract -F $(LOCALES)/babel.cfg --no-location --sort-output \
		--omit-header -k N_ -k pgettext:1c,2 -o $(LOCALES)/switchboard.pot .
	$(BIN)/pybabel update -i $(LOCALES)/switchboard.pot -d $(LOCALES) -D switchboard \
		--no-fuzzy-matching --ignore-obsolete --width 100

## make catalogs: compile the catalogs the product reads (a test fails when one is stale)
catalogs: $(STAMP)
	$(BIN)/pybabel compile -d $(LOCALES) -D switchboard

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
