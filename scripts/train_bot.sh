#!/usr/bin/env bash
# Train the Rasa model only when the assistant changed: bot/ (config, domain, custom components), data/,
# text_embedding/ (the NLU features' encoder) or the Rasa version. The hash of those inputs is stamped next
# to the model; a matching stamp reuses it.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'USAGE'
usage: scripts/train_bot.sh [--force]

Trains models/marquee.tar.gz with .venv-rasa/bin/rasa from bot/config.yml, bot/domain.yml and data/,
but only when bot/, data/, text_embedding/ or requirements/rasa.txt changed since the model was trained
(stamp: models/marquee.inputs-sha256). Otherwise the existing model is reused.

  --force    train even when nothing changed
  -h, --help show this help
USAGE
}

force=0
for arg in "$@"; do
  case "$arg" in
    -h|--help) usage; exit 0 ;;
    --force) force=1 ;;
    *) echo "error: unknown option '$arg'. Run scripts/train_bot.sh --help." >&2; exit 2 ;;
  esac
done

log() { printf '[train] %s\n' "$*" >&2; }

RASA=.venv-rasa/bin/rasa
MODEL=models/marquee.tar.gz
STAMP=models/marquee.inputs-sha256
if ! [ -x "$RASA" ]; then
  echo "error: $RASA not found. Run 'make setup' (scripts/setup.sh) to build the Rasa environment." >&2
  exit 2
fi

# Sorted file list + contents, so renames and edits both change the hash; caches are not inputs, and
# neither are the run-time files (bot/channels.py, bot/rasa_runtime.py, endpoints.yml, credentials.yml) that the server loads.
inputs_hash() {
  find bot data text_embedding requirements/rasa.txt -type f ! -path '*/__pycache__/*' ! -name '*.pyc' ! -path bot/channels.py ! -path bot/rasa_runtime.py ! -path bot/endpoints.yml ! -path bot/credentials.yml -print0 \
    | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}

mkdir -p models
# One training at a time: a second caller waits, then finds the stamp matching and reuses the model.
exec 9>models/.train.lock
flock 9

hash=$(inputs_hash)
if [ "$force" = 0 ] && [ -f "$MODEL" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$hash" ]; then
  log "bot/ and data/ unchanged since the last training (${hash:0:12}); reusing $MODEL"
  exit 0
fi

log "training $MODEL (inputs ${hash:0:12}); this takes a few minutes on 2 cores"
started=$(date +%s)
# Rasa puts the working directory on sys.path, which is how it finds bot.components.
# Trained into a scratch folder and moved into place, so a reader never sees a half-written model.
scratch=$(mktemp -d models/.training.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
"$RASA" train --config bot/config.yml --domain bot/domain.yml --data data --out "$scratch" \
  --fixed-model-name marquee --force
mv -f "$scratch/marquee.tar.gz" "$MODEL"
echo "$hash" > "$STAMP"
log "trained $MODEL in $(( $(date +%s) - started )) s"
