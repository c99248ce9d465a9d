"""The real action server and Rasa server for tests: a thin layer over
scripts/harness.py with the tests' shared token."""

from __future__ import annotations

import pathlib

from scripts.harness import BIN, MODEL, RASA, ROOT, Service, free_port, http_ok, start_action_server
from scripts.harness import rasa_server as harness_rasa_server
from scripts.harness import write_endpoints as harness_write_endpoints

__all__ = [
    "ACTION_TOKEN", "BIN", "MODEL", "RASA", "ROOT", "Service", "action_server", "free_port",
    "harness_rasa_server", "harness_write_endpoints", "http_ok", "rasa_server", "write_endpoints",
]  # fmt: skip

# Shared by the test action servers and the endpoints the test bots use.
ACTION_TOKEN = "test-action-token"


def action_server(port: int, log_dir: pathlib.Path) -> Service:
    return start_action_server(port, ACTION_TOKEN, log_dir)


def rasa_server(
    port: int,
    log_dir: pathlib.Path,
    endpoints: pathlib.Path,
    credentials: pathlib.Path = ROOT / "credentials.yml",
    env: dict | None = None,
    name: str = "rasa",
) -> Service:
    service = harness_rasa_server(name, port, endpoints, log_dir, env, credentials)
    return service.start(f"http://127.0.0.1:{port}/", timeout=180)


def write_endpoints(path: pathlib.Path, actions_port: int) -> pathlib.Path:
    """endpoints.yml for a test server: the repo's, with SQLite next to it."""
    return harness_write_endpoints(path, actions_port, ACTION_TOKEN)
