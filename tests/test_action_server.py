"""The action server answers only the bot: loopback, bearer token."""

import json
import subprocess
import urllib.request

from tests import servers

CALL = {
    "next_action": "action_show_menu",
    "tracker": {"sender_id": "t", "slots": {}, "latest_message": {}, "events": []},
    "domain": {},
}


def call(url, headers):
    request = urllib.request.Request(url, json.dumps(CALL).encode(), headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


def test_calls_need_the_token(action_server, ports):
    url = f"http://127.0.0.1:{ports['actions']}/webhook"
    assert call(url, {})[0] == 401
    assert call(url, {"Authorization": "Bearer wrong"})[0] == 401
    status, body = call(url, {"Authorization": f"Bearer {servers.ACTION_TOKEN}"})
    assert status == 200 and body["responses"][0]["buttons"]


def test_listens_on_loopback_only(action_server, ports):
    listening = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
    sockets = [line.split()[3] for line in listening.splitlines()]
    assert f"127.0.0.1:{ports['actions']}" in sockets
    assert f"0.0.0.0:{ports['actions']}" not in sockets and f"*:{ports['actions']}" not in sockets
