#!/usr/bin/env bash
# 5-fold cross-validation of the NLU model (bot/config.yml on data/nlu), with its reports kept in
# results/nlu-crossval/ as an artifact, then the gate: intent macro-F1 must be at least 0.90.
set -euo pipefail
cd "$(dirname "$0")/.."

MIN_MACRO_F1=${MARQUEE_MIN_INTENT_MACRO_F1:-0.90}
OUT=results/nlu-crossval

usage() {
  cat <<USAGE
usage: scripts/nlu_crossval.sh [--gate-only]

Runs 'rasa test nlu --cross-validation -f 5' on data/nlu with bot/config.yml and writes the reports
(intent_report.json, confusion matrix, histogram, errors and successes) to $OUT/.
Then fails unless the intent macro-F1 is at least $MIN_MACRO_F1 (MARQUEE_MIN_INTENT_MACRO_F1 overrides).
It also prints how the errors and the correct predictions spread over confidence, which is what the
FallbackClassifier threshold in bot/config.yml was chosen from. Takes a few minutes on 2 cores.

  --gate-only  skip the cross-validation and check the existing $OUT/intent_report.json
  -h, --help   show this help
USAGE
}

gate_only=0
for arg in "$@"; do
  case "$arg" in
    -h|--help) usage; exit 0 ;;
    --gate-only) gate_only=1 ;;
    *) echo "error: unknown option '$arg'. Run scripts/nlu_crossval.sh --help." >&2; exit 2 ;;
  esac
done

log() { printf '[crossval] %s\n' "$*" >&2; }
RASA=.venv-rasa/bin/rasa
if ! [ -x "$RASA" ]; then
  echo "error: $RASA not found. Run 'make setup' (scripts/setup.sh) to build the Rasa environment." >&2
  exit 2
fi

if [ "$gate_only" = 0 ]; then
  rm -rf "$OUT"
  mkdir -p "$OUT"
  log "5-fold cross-validation of bot/config.yml on data/nlu (reports in $OUT/)"
  started=$(date +%s)
  "$RASA" test nlu --nlu data/nlu --config bot/config.yml --cross-validation --runs 1 --folds 5 \
    --out "$OUT" --successes
  log "cross-validation took $(( $(date +%s) - started )) s"
fi

if ! [ -f "$OUT/intent_report.json" ]; then
  echo "error: $OUT/intent_report.json not found. Run scripts/nlu_crossval.sh without --gate-only first." >&2
  exit 2
fi
.venv-rasa/bin/python scripts/nlu_crossval_gate.py "$OUT" "$MIN_MACRO_F1"
