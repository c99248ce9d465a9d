#!/usr/bin/env bash
# Scale-out profile on this machine (make cluster): PostgreSQL, Redis, the
# action server, two Rasa replicas on endpoints-cluster.yml and nginx as a
# round-robin load balancer, all on 127.0.0.1. Prints the URL; Ctrl-C stops
# everything. Needs Debian's redis-server, postgresql and nginx:
#   apt-get install -y redis-server postgresql nginx
# Options: --port N (nginx, default 5080), --logs DIR (default logs/cluster).
# The pieces live in scripts/cluster_stack.py, which the tests reuse.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m scripts.cluster_stack "$@"
