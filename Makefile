# Tryg — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
HTMX_VERSION := 4.0.1
AXE_VERSION  := 4.11.0
NPM_CACHE    := .cache/npm
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-test catalogs vendor lint bench messages clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[postgres]"
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed catalogs vendor
install-test: $(VENV)/.installed-test catalogs vendor

catalogs: $(VENV)/.installed
	$(VENV)/bin/pybabel compile --statistics -d locale -D messages

# htmx (and axe-core for the accessibility tests) from the npm registry, exact versions.
# `make run` serves this copy of htmx because a laptop may be offline; production uses the CDN.
vendor: static/vendor/htmx.min.js static/vendor/ext/hx-sse.min.js tests/vendor/axe.min.js

static/vendor/htmx.min.js:
	mkdir -p $(NPM_CACHE) static/vendor
	cd $(NPM_CACHE) && npm pack --silent htmx.org@$(HTMX_VERSION) >/dev/null
	tar -xzf $(NPM_CACHE)/htmx.org-$(HTMX_VERSION).tgz -C $(NPM_CACHE)
	cp $(NPM_CACHE)/package/dist/htmx.min.js static/vendor/htmx.min.js
	rm -rf $(NPM_CACHE)/package

# htmx's SSE extension (live co-editing), from the same package and release.
static/vendor/ext/hx-sse.min.js: static/vendor/htmx.min.js
	mkdir -p static/vendor/ext $(NPM_CACHE)
	cd $(NPM_CACHE) && { [ -f htmx.org-$(HTMX_VERSION).tgz ] || npm pack --silent htmx.org@$(HTMX_VERSION) >/dev/null; }
	tar -xzf $(NPM_CACHE)/htmx.org-$(HTMX_VERSION).tgz -C $(NPM_CACHE) package/dist/ext/hx-sse.min.js
	cp $(NPM_CACHE)/package/dist/ext/hx-sse.min.js static/vendor/ext/hx-sse.min.js
	rm -rf $(NPM_CACHE)/package

tests/vendor/axe.min.js:
	mkdir -p $(NPM_CACHE) tests/vendor
	cd $(NPM_CACHE) && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null
	tar -xzf $(NPM_CACHE)/axe-core-$(AXE_VERSION).tgz -C $(NPM_CACHE)
	cp $(NPM_CACHE)/package/axe.min.js tests/vendor/axe.min.js
	rm -rf $(NPM_CACHE)/package

# The origin must match the address the browser uses (passkeys are bound to it).
run: export TRYG_ORIGIN ?= http://localhost:$(PORT)
run: export TRYG_HTMX_URL ?= /static/vendor/htmx.min.js
run: install
	$(PY) -m app demo
	@echo ""
	@echo "    Open $(TRYG_ORIGIN) in your browser (passkeys work only at this address)."
	@echo ""
	$(PY) -m app serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Fast tests and browser tests run in separate pytest processes (docs/design.md §8: Playwright's sync
# API and asyncio do not share a process well).
test: install-test lint
	$(PY) -m pytest tests/unit tests/web
	$(PY) -m pytest tests/package
	$(PY) -m pytest tests/browser

bench: install-test
	$(PY) -m tests.bench

# Re-extract messages after changing user-facing strings; then translate the new Danish entries.
messages: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _ -k gettext -k N_ -k ngettext:1,2 \
	  --no-location --omit-header -o locale/messages.pot .
	$(VENV)/bin/pybabel update -i locale/messages.pot -d locale -D messages -l da --no-fuzzy-matching

clean:
	rm -rf $(VENV) .cache static/vendor tests/vendor tryg.db tryg.db-*
