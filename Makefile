# Think Family — `make help` lists the targets.
#
# Everything is installed into the project folder (.venv, node_modules, build/),
# so a fresh machine with Python 3.11, Node 20 and make needs nothing else.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
THINKFAMILY := $(BIN)/thinkfamily
DEMO_PEOPLE ?= 2000
DEMO_SEED ?= 1
# The demo county is taken "today", so its concerns are recent and raise Think Sibling prompts.
DEMO_DATE := $(shell date +%F)
DEMO_COUNTY := var/county-$(DEMO_PEOPLE)-$(DEMO_SEED)-$(DEMO_DATE)
CSS := build/static/thinkfamily/thinkfamily.css

.DEFAULT_GOAL := help
.PHONY: help install assets demo serve test test-browser-deps lint format typecheck openapi bench bench-family bench-api bench-load clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed ## Create .venv and install the project with its pinned dependencies

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

$(CSS): node_modules/.package-lock.json $(wildcard thinkfamily/core/static_src/*.scss)
	npm run --silent build:css

assets: $(CSS) ## Install GOV.UK Frontend from npm and compile the stylesheet

demo: install assets ## Build a synthetic county, import it, create demo users and serve the site
	$(THINKFAMILY) migrate --verbosity 0
	@if [ ! -f $(DEMO_COUNTY)/records.csv ]; then \
		$(THINKFAMILY) synth --people $(DEMO_PEOPLE) --seed $(DEMO_SEED) --extract-date $(DEMO_DATE) \
			--out $(DEMO_COUNTY); fi
	$(THINKFAMILY) import $(DEMO_COUNTY)
	$(THINKFAMILY) demo_setup
	$(THINKFAMILY) runserver 127.0.0.1:8000

serve: install assets ## Serve the site at http://127.0.0.1:8000 without rebuilding the demo data
	$(THINKFAMILY) runserver 127.0.0.1:8000

test-browser-deps: ## Install Debian's Chromium for the browser tests, if it can be installed here
	@scripts/ensure-chromium

test: install assets test-browser-deps ## Run the whole test suite (PostgreSQL too when DATABASE_URL points at one)
	$(BIN)/pytest

lint: install ## ruff: lint and formatting check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## ruff: fix what can be fixed and format
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install ## mypy on the services, selectors and pure packages
	$(BIN)/mypy thinkfamily/*/services.py thinkfamily/*/selectors.py thinkfamily/matching/services/*.py thinkfamily/matching/deterministic.py thinkfamily/extracts/reader.py thinkfamily/linkage/*.py \
		thinkfamily/families/genogram.py thinkfamily/people/family.py thinkfamily/prompts/visibility.py \
		thinkfamily/prompts/rules.py thinkfamily/core/working_days.py thinkfamily/core/benchmarks_load.py thinkfamily/core/databases.py \
		thinkfamily/referrals/annex_a.py thinkfamily/referrals/measures.py \
		thinkfamily/learning/timescales.py thinkfamily/learning/indicators.py thinkfamily/learning/charts.py \
		thinkfamily/learning/ingest thinkfamily/learning/vocabulary.py thinkfamily/learning/public.py \
		thinkfamily/learning/search.py thinkfamily/learning/dissemination.py thinkfamily/learning/demo.py \
		thinkfamily/api/api.py thinkfamily/api/base.py thinkfamily/api/benchmarks.py thinkfamily/api/demo.py \
		thinkfamily/api/idempotency.py thinkfamily/api/models.py thinkfamily/api/selectors_cases.py \
		thinkfamily/api/endpoints/*.py thinkfamily/api/management/commands/*.py

openapi: install ## Regenerate docs/openapi.json from the API (a test fails while it is stale)
	$(THINKFAMILY) api-schema

bench: install ## Benchmark synth + import (BENCH_PEOPLE, BENCH_POSTGRES); appends to docs/benchmarks.md
	$(THINKFAMILY) bench import --people $${BENCH_PEOPLE:-300000} --postgres $${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres} --write

bench-family: install ## Benchmark Think Sibling on a county of 300,000+ records (BENCH_FAMILY_PEOPLE, BENCH_POSTGRES); appends to docs/benchmarks.md
	$(THINKFAMILY) bench family --people $${BENCH_FAMILY_PEOPLE:-180000} --postgres $${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres} --write

bench-api: install ## Benchmark the API's bulk push throughput and single-push latency (BENCH_API_PEOPLE, BENCH_POSTGRES); appends to docs/benchmarks.md
	$(THINKFAMILY) bench api --people $${BENCH_API_PEOPLE:-20000} --postgres $${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres} --write

bench-load: install ## Load test: locust against gunicorn on a county of 300,000+ records, stepped users (BENCH_LOAD_PEOPLE, BENCH_LOAD_USERS, BENCH_POSTGRES); appends to docs/benchmarks.md
	$(THINKFAMILY) bench load --people $${BENCH_LOAD_PEOPLE:-180000} --users $${BENCH_LOAD_USERS:-2,4,8,16,32} --postgres $${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres} --write

clean: ## Remove the virtualenv, node_modules, built assets and local databases
	rm -rf $(VENV) node_modules build staticfiles var
