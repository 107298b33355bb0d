#!/usr/bin/env bash
# Seeded 5-fold cross-validation of the NLU model (bot/config.yml on data/nlu), with its reports kept in
# results/nlu-crossval/ as an artifact, then the gate: intent macro-F1 must be at least 0.90.
set -euo pipefail
cd "$(dirname "$0")/.."

MIN_MACRO_F1=${MARQUEE_MIN_INTENT_MACRO_F1:-0.90}
OUT=results/nlu-crossval
DEFAULT_SEED=1

usage() {
  cat <<USAGE
usage: scripts/nlu_crossval.sh [--seed N | --seeds N,M,...] [--gate-only]

Runs Rasa's own 5-fold cross-validation (rasa.nlu.test.cross_validate, via scripts/nlu_crossval.py) of
bot/config.yml on data/nlu, with the folds drawn by a seeded StratifiedKFold: the same data and seed give
the same figure. Writes the reports (intent_report.json, confusion matrix, histogram, errors, successes,
run.json with the seed and the CPU time) to $OUT/, or to $OUT/seed-<N>/ for each of several seeds.
Then fails unless the intent macro-F1 of every run is at least $MIN_MACRO_F1
(MARQUEE_MIN_INTENT_MACRO_F1 overrides). It also prints the weakest intents and how the errors and the
correct predictions spread over confidence, which is what the FallbackClassifier threshold in
bot/config.yml was chosen from. About 10 minutes of CPU per seed (601 s measured on 7,125 examples).

  --seed N          seed of the fold shuffle (default $DEFAULT_SEED)
  --seeds N,M,...   one run per seed, each in $OUT/seed-<N>/; prints min/mean/max
  --gate-only       skip the cross-validation and check the existing reports
  -h, --help        show this help
USAGE
}

die() { echo "error: $*. Run scripts/nlu_crossval.sh --help." >&2; exit 2; }

seeds=$DEFAULT_SEED
several=0
gate_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --gate-only) gate_only=1 ;;
    --seed)
      [ $# -ge 2 ] || die "--seed needs a value"
      seeds=$2; shift ;;
    --seeds)
      [ $# -ge 2 ] || die "--seeds needs a comma-separated list"
      seeds=${2//,/ }; several=1; shift ;;
    *) die "unknown option '$1'" ;;
  esac
  shift
done
for seed in $seeds; do
  [[ "$seed" =~ ^[0-9]+$ ]] || die "a seed must be a non-negative integer, got '$seed'"
done

PYTHON=.venv-rasa/bin/python
if ! [ -x "$PYTHON" ]; then
  echo "error: $PYTHON not found. Run 'make setup' (scripts/setup.sh) to build the Rasa environment." >&2
  exit 2
fi

dirs=()
for seed in $seeds; do
  if [ "$several" = 1 ]; then dir=$OUT/seed-$seed; else dir=$OUT; fi
  dirs+=("$dir")
  if [ "$gate_only" = 0 ]; then
    rm -rf "$dir"
    "$PYTHON" scripts/nlu_crossval.py --nlu data/nlu --config bot/config.yml --domain bot/domain.yml \
      --folds 5 --seed "$seed" --out "$dir"
  fi
done
"$PYTHON" scripts/nlu_crossval_gate.py "$MIN_MACRO_F1" "${dirs[@]}"
