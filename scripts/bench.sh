#!/usr/bin/env bash
# `make bench`: measured figures, each next to the baseline it is judged against, taken in the same run.
# Every benchmark writes a Markdown table to bench/results/; nothing here asserts a time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export MARQUEE_BENCH_POSTGRES_URL=${MARQUEE_BENCH_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
mkdir -p bench/results
benches=(${MARQUEE_BENCHES:-recommender_bench import_bench seed_bench assistant_bench})
for name in "${benches[@]}"; do
  echo "[bench] $name"
  .venv/bin/python "bench/$name.py"
done
echo "[bench] tables written to bench/results/"
ls -1 bench/results/
