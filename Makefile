# The two commands a newcomer needs are `make demo` and `make test` (see README.md).
.DEFAULT_GOAL := help
SHELL := /bin/bash

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

setup:  ## build .venv and .venv-rasa when their dependency lists changed
	@scripts/setup.sh

demo:  ## run the product on SQLite with the demo world: Rasa, action server, web app
	@scripts/demo.sh

test:  ## the full suite: lint, unit, integration (PostgreSQL, Redis), conversation, end-to-end, browser
	@scripts/test.sh

unit:  ## fast unit tests only, for your own loop
	@scripts/setup.sh >/dev/null && .venv/bin/python -m pytest tests/unit -q -x

lint:  ## ruff lint and format check
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:  ## apply ruff's formatting and safe fixes
	@.venv/bin/ruff check --fix . && .venv/bin/ruff format .

train:  ## train the Rasa model when bot/ or data/ changed
	@scripts/setup.sh >/dev/null && scripts/train_bot.sh

bench:  ## measured figures and their baselines, written to bench/results/
	@scripts/bench.sh

.PHONY: help setup demo test unit lint format train bench
