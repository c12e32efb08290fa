# make book  - set up .venv if needed, build the site into _build/html
# make test  - same set-up, then run every test (unit, strict build, browser, lint)
# make bench - build timings, per-notebook run time and peak memory (writes bench/)
# make budgets - build, then page weights and Lighthouse scores (writes bench/budgets.json)
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install book test bench budgets lint clean

$(STAMP): requirements.txt code/pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip check
	@touch $(STAMP)

install: $(STAMP)

book: install
	$(PY) tools/build.py

test: install
	$(PY) -m pytest

bench: install
	$(PY) tools/bench.py

budgets: book
	$(PY) tools/budgets.py

lint: install
	$(VENV)/bin/ruff check code tests tools book/_ext
	$(VENV)/bin/ruff format --check code tests tools book/_ext

clean:
	rm -rf _build
