#!/usr/bin/env bash
# Prints a command that runs Python 3.10 (Rasa 3.6 supports 3.8-3.10 only).
# Order: $PYTHON310, python3.10 on PATH, pyenv's newest 3.10.x.
set -eu
if [ -n "${PYTHON310:-}" ]; then echo "$PYTHON310"; exit 0; fi
if python3.10 -c 'import venv' >/dev/null 2>&1; then echo python3.10; exit 0; fi
if command -v pyenv >/dev/null 2>&1; then
  v=$(pyenv versions --bare 2>/dev/null | grep -E '^3\.10\.[0-9]+$' | sort -V | tail -n 1 || true)
  if [ -n "$v" ]; then echo "env PYENV_VERSION=$v python3.10"; exit 0; fi
fi
echo "error: Python 3.10 not found. Install it (e.g. 'pyenv install 3.10.13') or set PYTHON310=/path/to/python3.10" >&2
exit 1
