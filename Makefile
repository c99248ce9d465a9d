# VssID assistant. `make run` sets everything up and starts the bot;
# `make test` sets everything up and runs every test.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# The rasa CLI with the project's add-ons switched on (addons/__main__.py).
RASA := $(BIN)/python -m addons
MODEL := models/vssid.tar.gz
WEB_VENDOR := web/static/vendor/socket.io.min.js
TRAINING_INPUTS := config.yml domain.yml $(wildcard data/*.yml data/nlu/*.yml components/*.py)

.PHONY: install train web run shell test validate lint format eval bench cluster soak audit purge review clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt
	test -x $(BIN)/python || $$(scripts/python310.sh) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip<24.1"
	$(BIN)/pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

# Retrains only when the data, config, domain or NLU components changed.
train: $(MODEL)

$(MODEL): $(VENV)/.installed $(TRAINING_INPUTS)
	$(RASA) train --fixed-model-name vssid --out models
	touch $@

# The chat page's only dependency, socket.io-client, comes from npm.
web: $(WEB_VENDOR)

$(WEB_VENDOR): web/package.json web/package-lock.json
	scripts/web-build.sh

run: install train web
	$(BIN)/python -m scripts.run

shell: install train
	$(BIN)/python -m scripts.run shell

validate: install
	$(RASA) data validate --fail-on-warnings

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install train web validate lint
	$(BIN)/python -m pytest -q tests
	ACTION_SERVER_TOKEN=unused $(RASA) test core --e2e --model $(MODEL) --stories tests --fail-on-prediction-errors --out results

# Held-out evaluation beside two peers (docs/eval/report.md); trains the peers once.
eval: install train
	$(BIN)/python -m scripts.evaluate

# Throughput, latency and memory beside the rasa-init peer (docs/bench.md); ~7 min.
bench: install train
	$(BIN)/python -m scripts.bench

# Scale-out profile on this machine (docs/deployment.md); needs redis-server postgresql nginx.
cluster: install train
	scripts/cluster.sh

# 20 conversations for 10 minutes against the single-machine bot (docs/soak.md).
soak: install train
	$(BIN)/python -m scripts.loadgen --spawn --concurrency 20 --duration 600 --json results/soak.json

# Known vulnerabilities in the pinned dependencies (needs PyPI and the advisory database).
audit: install
	$(BIN)/pip install --quiet pip-audit==2.7.3
	$(BIN)/pip-audit -r requirements.txt

# Deletes conversations idle for more than RETENTION_DAYS (default 30) from
# endpoints.yml's rasa.db, then VACUUMs it (scripts/purge.py; cron line there).
purge: install
	$(BIN)/python -m scripts.purge

# Report on the stored conversations (scripts/review.py): docs/review/ by default.
# REVIEW_ARGS="--since 2026-11-01 --db postgresql://…" for a period or the cluster's store.
review: install
	$(BIN)/python -m scripts.review $(REVIEW_ARGS)

clean:
	rm -rf models results .pytest_cache web/node_modules web/static/vendor
