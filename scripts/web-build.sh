#!/usr/bin/env bash
# Builds the chat page's only third-party file: installs socket.io-client at the
# version pinned in web/package-lock.json and copies its browser bundle into
# web/static/vendor/ (git-ignored), so the page loads nothing from a CDN.
set -euo pipefail
cd "$(dirname "$0")/../web"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
mkdir -p static/vendor
cp node_modules/socket.io-client/dist/socket.io.min.js static/vendor/
echo "web: static/vendor/socket.io.min.js (socket.io-client $(node -p 'require("socket.io-client/package.json").version'))"
