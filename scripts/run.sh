#!/usr/bin/env bash
# Starts the action server and the bot together; Ctrl-C stops both.
#   scripts/run.sh         REST + socket.io on :5005
#   scripts/run.sh shell   rasa shell in this terminal
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
ACTIONS_PORT=${ACTIONS_PORT:-5055}
RASA_PORT=${RASA_PORT:-5005}

$BIN/rasa run actions --port "$ACTIONS_PORT" >logs/actions.log 2>&1 &
actions_pid=$!
trap 'kill $actions_pid 2>/dev/null; wait $actions_pid 2>/dev/null' EXIT INT TERM

if [ "${1:-}" = shell ]; then
  $BIN/rasa shell --model models/vssid.tar.gz
else
  echo "Bot: http://localhost:$RASA_PORT/webhooks/rest/webhook (logs in logs/)"
  $BIN/rasa run --model models/vssid.tar.gz --port "$RASA_PORT" --cors "http://localhost:8080"
fi
