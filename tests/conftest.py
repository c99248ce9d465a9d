"""Shared fixtures: one real action server and one real Rasa server per session.

The Rasa server uses the repo's credentials.yml (REST, socket.io, Zalo,
Facebook). Zalo and Facebook point at local fake APIs on the ports in
`ports`; the test modules that need them start the fakes on those ports.
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests import servers

# Test-only secrets for the fake Zalo and Facebook APIs.
TEST_ENV = {
    "ZALO_APP_ID": "test-app-id",
    "ZALO_APP_SECRET": "test-app-secret",
    "ZALO_OA_SECRET_KEY": "test-oa-secret",
    "ZALO_ACCESS_TOKEN": "test-access-token",
    "ZALO_REFRESH_TOKEN": "test-refresh-token",
    "FB_VERIFY_TOKEN": "test-verify-token",
    "FB_APP_SECRET": "test-fb-app-secret",
    "FB_PAGE_ACCESS_TOKEN": "test-page-token",
}


@pytest.fixture(scope="session")
def ports():
    names = ("rasa", "actions", "zalo_api", "graph_api")
    return {name: servers.free_port() for name in names}


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def action_server(ports, log_dir):
    service = servers.action_server(ports["actions"], log_dir)
    yield service
    service.stop()


@pytest.fixture(scope="session")
def rasa_env(ports, tmp_path_factory):
    fake = f"http://127.0.0.1:{ports['zalo_api']}"
    return {
        **TEST_ENV,
        "ZALO_API_URL": fake,
        "ZALO_OAUTH_URL": fake,
        "ZALO_TOKEN_FILE": str(tmp_path_factory.mktemp("zalo") / "tokens.json"),
        "FB_GRAPH_URL": f"http://127.0.0.1:{ports['graph_api']}",
    }


@pytest.fixture(scope="session")
def rasa_server(ports, log_dir, action_server, rasa_env, tmp_path_factory):
    endpoints = servers.write_endpoints(
        tmp_path_factory.mktemp("rasa") / "endpoints.yml", ports["actions"]
    )
    service = servers.rasa_server(ports["rasa"], log_dir, endpoints, env=rasa_env)
    service.url = f"http://127.0.0.1:{ports['rasa']}"
    service.db = endpoints.parent / "rasa.db"
    yield service
    service.stop()


def post_json(url: str, body, timeout: float = 30, headers: dict | None = None):
    """POSTs JSON, returns (status, parsed body or text)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **(headers or {})}
    request = urllib.request.Request(url, data, headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


@pytest.fixture
def rest(rasa_server):
    """Sends one message through the REST channel, returns the bot's replies."""

    def send(sender: str, text: str):
        status, replies = post_json(
            f"{rasa_server.url}/webhooks/rest/webhook", {"sender": sender, "message": text}
        )
        assert status == 200, replies
        return replies

    return send
