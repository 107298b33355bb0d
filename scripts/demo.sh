#!/usr/bin/env bash
# The README's run command (`make demo`): the product on its embedded default.
# SQLite under var/, the demo world, the Rasa server, the action server and the web app; Ctrl-C stops them all.
# Every step reuses what is already there: venvs, migrations, the seeded world, the trained model.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SCALE=${MARQUEE_DEMO_SCALE:-small}
SEED=${MARQUEE_DEMO_SEED:-42}
WEB_PORT=${MARQUEE_WEB_PORT:-8000}
RASA_PORT=${MARQUEE_RASA_PORT:-5005}
ACTIONS_PORT=${MARQUEE_ACTIONS_PORT:-5055}

log() { printf '[demo] %s\n' "$*"; }

scripts/setup.sh
mkdir -p var/log

# Secrets are made once per checkout and kept out of git (var/ is ignored).
if ! [ -f var/secrets.env ]; then
  log "creating var/secrets.env (token, Rasa API and session secrets)"
  .venv/bin/python - <<'PY' > var/secrets.env
import secrets
for name in ("MARQUEE_TOKEN_SECRET", "MARQUEE_RASA_TOKEN", "MARQUEE_SESSION_SECRET"):
    print(f"{name}={secrets.token_urlsafe(32)}")
PY
  chmod 600 var/secrets.env
fi
set -a; source var/secrets.env; set +a
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export MARQUEE_RASA_URL="http://127.0.0.1:$RASA_PORT"
export MARQUEE_ACTIONS_URL="http://127.0.0.1:$ACTIONS_PORT/webhook"
export MARQUEE_DEMO_SIGNIN=1

MARQUEE=.venv/bin/marquee
$MARQUEE migrate
stamp="var/seeded-$SCALE-$SEED"
if ! [ -f "$stamp" ]; then
  log "seeding the demo world (scale $SCALE, seed $SEED); this happens once"
  $MARQUEE seed --scale "$SCALE" --seed "$SEED" --reset
  touch "$stamp"
else
  log "demo world already seeded ($stamp)"
fi
$MARQUEE staff ensure-demo
# The action server answers with the hybrid's artifact; it is fitted once per catalog (about half a minute
# of CPU at demo scale, less at the default small scale) and item-kNN answers without it.
log "fitting the recommender on the demo world unless its artifact already covers the catalog"
$MARQUEE recommender fit --if-needed

scripts/train_bot.sh

pids=()
stop_all() {
  log "stopping"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all EXIT INT TERM

wait_for() {  # wait_for NAME URL LOGFILE
  local name=$1 url=$2 logfile=$3
  log "waiting for the $name to answer"
  for _ in $(seq 1 180); do
    # Silent: "connection refused" is the expected answer until the server is up.
    if curl -fs -o /dev/null "$url"; then log "$name is up"; return 0; fi
    sleep 1
  done
  log "error: $name did not start within 180 s; see $logfile"; tail -n 30 "$logfile"; exit 1
}

log "starting the action server on :$ACTIONS_PORT (log: var/log/actions.log)"
.venv/bin/python -m rasa_sdk --actions actions --port "$ACTIONS_PORT" > var/log/actions.log 2>&1 &
pids+=($!)

log "starting the Rasa server on :$RASA_PORT (log: var/log/rasa.log)"
(cd "$ROOT" && .venv-rasa/bin/rasa run --model models --endpoints bot/endpoints.yml \
   --credentials bot/credentials.yml --enable-api "--auth-token=$MARQUEE_RASA_TOKEN" \
   --port "$RASA_PORT" --cors "http://127.0.0.1:$WEB_PORT") > var/log/rasa.log 2>&1 &
pids+=($!)

log "starting the web app on :$WEB_PORT (log: var/log/web.log)"
$MARQUEE web --host 127.0.0.1 --port "$WEB_PORT" > var/log/web.log 2>&1 &
pids+=($!)

wait_for "action server" "http://127.0.0.1:$ACTIONS_PORT/health" var/log/actions.log
wait_for "web app" "http://127.0.0.1:$WEB_PORT/healthz" var/log/web.log
wait_for "Rasa server" "http://127.0.0.1:$RASA_PORT/" var/log/rasa.log

cat <<MSG

  Marquee is running.
    Subscriber chat:  http://127.0.0.1:$WEB_PORT/        (demo sign-in: demo@marquee.example)
    Agent console:    http://127.0.0.1:$WEB_PORT/console (see 'marquee staff ensure-demo' output above)
    Marketing API:    http://127.0.0.1:$WEB_PORT/docs
    Terminal chat:    .venv/bin/marquee chat --profile demo@marquee.example
    Logs:             var/log/
  Press Ctrl-C to stop.

MSG
wait -n "${pids[@]}"
log "a server exited; see var/log/"
