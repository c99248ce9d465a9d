"""The action guard: a failing or slow action server gets the apology, and the
action server's reply is still validated (with a validator built once)."""

import asyncio

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

import addons
from addons import action_guard
from content import load
from tests.servers import free_port


@pytest.fixture(autouse=True, scope="module")
def installed():
    addons.install_all()


def test_reply_validation_is_installed_and_still_strict():
    assert RemoteAction._validate_action_result is action_guard._validate_action_result
    action = RemoteAction("action_show_menu", None)
    assert action._validate_action_result({"events": [], "responses": [{"text": "Chào"}]})
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate"):
        action._validate_action_result({"events": "not a list", "responses": []})
    with pytest.raises(jsonschema.ValidationError):
        action._validate_action_result({"events": [{"no_event_key": 1}], "responses": []})


async def run_action(url: str):
    action = RemoteAction("action_show_menu", EndpointConfig(url))
    tracker = DialogueStateTracker("guard-test", [])
    return await action.run(None, None, tracker, Domain.empty())


async def test_a_dead_action_server_gets_the_apology_not_silence():
    events = await run_action(f"http://127.0.0.1:{free_port()}/webhook")
    assert events == [BotUttered(load().message("service_down"), metadata={"fallback": True})]


async def test_a_stalled_action_server_is_cut_short(monkeypatch):
    monkeypatch.setattr(action_guard, "ACTION_TIMEOUT_SECONDS", 0.5)

    async def stall(reader, writer):
        await asyncio.sleep(10)

    server = await asyncio.start_server(stall, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    started = asyncio.get_running_loop().time()
    try:
        events = await run_action(f"http://127.0.0.1:{port}/webhook")
    finally:
        server.close()
    assert asyncio.get_running_loop().time() - started < 2
    assert isinstance(events[0], BotUttered) and events[0].metadata == {"fallback": True}
