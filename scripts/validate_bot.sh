#!/usr/bin/env bash
# Check the assistant: `rasa data validate --fail-on-warnings` on bot/ + data/, then the test stories in
# tests/conversation/ against the trained model (NLU and dialogue, failing on any wrong prediction).
# Reports go to results/ (failed_test_stories.yml, story_report.json, ...).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'USAGE'
usage: scripts/validate_bot.sh [--data-only]

1. rasa data validate --fail-on-warnings (domain, NLU data, stories and rules, config)
2. rasa test core --stories tests/conversation --fail-on-prediction-errors against models/marquee.tar.gz
   (trained first by scripts/train_bot.sh when bot/ or data/ changed); reports in results/

  --data-only  run step 1 only
  -h, --help   show this help
USAGE
}

data_only=0
for arg in "$@"; do
  case "$arg" in
    -h|--help) usage; exit 0 ;;
    --data-only) data_only=1 ;;
    *) echo "error: unknown option '$arg'. Run scripts/validate_bot.sh --help." >&2; exit 2 ;;
  esac
done

log() { printf '[validate] %s\n' "$*" >&2; }
RASA=.venv-rasa/bin/rasa
if ! [ -x "$RASA" ]; then
  echo "error: $RASA not found. Run 'make setup' (scripts/setup.sh) to build the Rasa environment." >&2
  exit 2
fi

log "rasa data validate --fail-on-warnings"
"$RASA" data validate --fail-on-warnings --domain bot/domain.yml --data data --config bot/config.yml
log "data, domain and config are valid"
[ "$data_only" = 1 ] && exit 0

scripts/train_bot.sh
mkdir -p results
log "test stories in tests/conversation (fail on any wrong intent, entity or action)"
if ! "$RASA" test core --model models/marquee.tar.gz --stories tests/conversation \
    --fail-on-prediction-errors --out results; then
  log "test stories FAILED; see results/failed_test_stories.yml"
  exit 1
fi
log "all test stories passed; reports in results/"
