#!/usr/bin/env bash
# The README's test command (`make test`): sets up what it needs, then runs every test.
# PostgreSQL and Redis tests use MARQUEE_TEST_POSTGRES_URL / MARQUEE_TEST_REDIS_URL; by default they point at
# the local servers, and tests skip (saying why) when those are unreachable unless MARQUEE_REQUIRE_SERVICES=1.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
export MARQUEE_TEST_POSTGRES_URL=${MARQUEE_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
export MARQUEE_TEST_REDIS_URL=${MARQUEE_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

echo "[test] lint"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

if [ -x scripts/train_bot.sh ]; then
  echo "[test] Rasa model (trained only when bot/ or data/ changed)"
  scripts/train_bot.sh
fi

echo "[test] pytest"
exec .venv/bin/python -m pytest tests "$@"
