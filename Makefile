# Two commands do everything on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
# loopback only: without sign-in only the machine's own user gets in anyway (README: Sign-in and roles)
ADDRESS ?= 127.0.0.1
SCALE ?= default
PYTEST := $(PY) -m pytest
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export STREAMLIT_BROWSER_GATHER_USAGE_STATS := false

.PHONY: run serve seed install install-dev system-deps test test-unit test-pages test-browser bench clean-state \
	run-scaled stop-scaled scaled-deps test-scaled

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make run: install, migrate, seed the demo world on first start (never over existing data), serve on 127.0.0.1:8501.
## serve.py serves at once; the MO index is brought up to date in the background (progress on the MO page).
run: install
	$(PY) -m rm_core db upgrade
	$(PY) -m rm_core demo seed --scale $(SCALE) --if-empty
	$(PY) serve.py --server.port $(PORT) --server.address $(ADDRESS)

serve: install
	$(PY) serve.py --server.port $(PORT) --server.address $(ADDRESS)

## Debian packages the test tiers need: PostgreSQL (storage tests), Chromium (browser tests), Pango (PDF)
system-deps:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ ! -x /usr/bin/chromium ] \
	    || ! ldconfig -p | grep -q libpangoft2; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql chromium \
	    libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; \
	fi

## make test: every tier (unit incl. PostgreSQL, pages, browser)
test: install-dev system-deps
	$(PYTEST) tests -q -m "not browser" --ignore=tests/pages --ignore=tests/browser --ignore=tests/scaled -n 2 --dist loadfile
	$(PYTEST) tests/pages -q -n 2 --dist loadfile
	$(PYTEST) tests/browser -q

test-unit: install-dev system-deps
	$(PYTEST) tests -q -m "not browser" --ignore=tests/pages --ignore=tests/browser --ignore=tests/scaled -n 2 --dist loadfile

test-pages: install-dev
	$(PYTEST) tests/pages -q -n 2 --dist loadfile

test-browser: install-dev system-deps
	$(PYTEST) tests/browser -q

## make run-scaled: PostgreSQL + Chroma server + two replicas behind HAProxy on :8500 (deploy/README.md)
run-scaled: install scaled-deps
	deploy/run-scaled.sh start

stop-scaled:
	deploy/run-scaled.sh stop

## Debian packages of the scaled set-up and its browser tier (installed only when missing)
scaled-deps: system-deps
	@if ! command -v haproxy >/dev/null || ! command -v curl >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy curl >/dev/null; \
	fi

## make test-scaled: the scale-out set-up started on free ports and driven through the proxy (own tier)
test-scaled: install-dev scaled-deps
	$(PYTEST) tests/scaled -q

bench: install-dev
	for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean-state:
	rm -rf data/state
