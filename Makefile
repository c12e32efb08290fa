# make book     - set up .venv if needed; execute the notebooks that need it (in parallel, on
#                 every core) and build the site strictly into _build/html
# make chapter PAGE=book/<name>.md [FORCE=1]
#               - execute that one chapter (if its code, code/mlbio or data/ changed; FORCE=1:
#                 always) and build the site around it; other pages come from the cache
# make preview [PORT=8000] - serve _build/html on http://localhost:8000/mlbio-book/
# make test     - every test (unit, extensions, strict build, browser, HTML, lint)
# make bench    - cold build with 1 and with 2 workers side by side, warm and one-chapter
#                 rebuilds, each notebook's run time, CPU time and memory (writes bench/)
# make budgets  - build, then page weights and the Lighthouse table: landing page and every
#                 chapter, mobile and desktop, median of 3 runs (writes bench/budgets.json)
# make lock     - compile requirements.txt and binder/requirements.txt from code/pyproject.toml
# make lint     - ruff
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NPM_DEV := node_modules/.package-lock.dev
BINDER_CACHE := $(VENV)/.binder-cache
PORT ?= 8000

.PHONY: install book chapter preview test bench budgets lint lock clean

$(STAMP): requirements.txt code/pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip check
	@touch $(STAMP)

# The Binder test (tests/test_binder.py) installs binder/ offline from uv's cache: fill it once
# per change of the Binder files (mlbio_book.binder; online).
$(BINDER_CACHE): $(STAMP) binder/requirements.txt binder/runtime.txt code/mlbio_book/binder.py
	$(PY) -m mlbio_book.binder --fill-cache
	@touch $(BINDER_CACHE)

install: $(STAMP) $(BINDER_CACHE)

# The tests also need the npm dev tools (the Nu Html Checker, Lighthouse); the build needs only
# MathJax, which the build installs itself with `npm ci --omit=dev`.
$(NPM_DEV): package.json package-lock.json
	npm ci --prefer-offline --ignore-scripts --no-audit --no-fund
	@touch $(NPM_DEV)

book: install
	$(PY) -m mlbio_book.build

chapter: install
	@test -n "$(PAGE)" || { echo "usage: make chapter PAGE=book/<name>.md [FORCE=1]"; exit 2; }
	$(PY) -m mlbio_book.build --chapter $(PAGE) $(if $(FORCE),--force)

preview: install
	$(PY) -m mlbio_book.serve _build/html --port $(PORT)

test: install $(NPM_DEV)
	$(PY) -m pytest

bench: install
	$(PY) tools/bench.py

budgets: book $(NPM_DEV)
	$(PY) tools/budgets.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

lock: install
	$(PY) tools/lock.py

clean:
	rm -rf _build
