#!/usr/bin/env bash
# Starts the action server (restarted if it dies), the bot and the web chat
# page; Ctrl-C stops them all.
#   scripts/run.sh         REST + socket.io on :5005, web page on :8080
#   scripts/run.sh shell   rasa shell in this terminal
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
RASA_PORT=${RASA_PORT:-5005}
WEB_PORT=${WEB_PORT:-8080}
mkdir -p logs
# The bot authenticates to the action server with this token (endpoints.yml).
ACTION_SERVER_TOKEN=${ACTION_SERVER_TOKEN:-$($BIN/python -c 'import secrets; print(secrets.token_urlsafe(24))')}
export ACTION_SERVER_TOKEN

pids=()
cleanup() {
  for pid in "${pids[@]}"; do pkill -TERM -P "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Endpoints.yml expects the action server on 127.0.0.1:5055.
(
  while true; do
    $BIN/python -m actions.server --port 5055 >>logs/actions.log 2>&1 || true
    echo "$(date -Is) action server exited; restarting" >>logs/actions.log
    sleep 1
  done
) &
pids+=($!)

if [ "${1:-}" = shell ]; then
  $BIN/rasa shell --model models/vssid.tar.gz
  exit
fi

if [ -f web/index.html ]; then
  $BIN/python scripts/serve-web.py --port "$WEB_PORT" >>logs/web.log 2>&1 &
  pids+=($!)
  echo "Web chat: http://localhost:$WEB_PORT/"
fi
echo "REST:     http://localhost:$RASA_PORT/webhooks/rest/webhook   (logs in logs/)"
$BIN/rasa run --model models/vssid.tar.gz --port "$RASA_PORT" \
  --cors "http://localhost:$WEB_PORT" "http://127.0.0.1:$WEB_PORT" &
pids+=($!)
wait "${pids[-1]}"
