"""The action guard: a failing or slow action server gets the apology, a loop
stalled by other work does not count against an action's time, and the
action server's reply is still validated (with a validator built once)."""

import asyncio
import time

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

import addons
from addons import action_guard
from content import load
from tests.servers import ACTION_TOKEN, free_port


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


async def test_a_loop_stall_elsewhere_does_not_time_out_a_fast_action(
    action_server, ports, monkeypatch
):
    """Another request freezing the loop (here 2 s of blocking work) while a
    call to the healthy action server is in flight: the answer, not the apology."""
    monkeypatch.setattr(action_guard, "ACTION_TIMEOUT_SECONDS", 1.0)
    endpoint = EndpointConfig(
        f"http://127.0.0.1:{ports['actions']}/webhook",
        headers={"Authorization": f"Bearer {ACTION_TOKEN}"},
    )
    action = RemoteAction("action_show_menu", endpoint)
    tracker = DialogueStateTracker("stall", [])
    for _ in range(2):  # warm up: the first call of a fresh action server is slow
        started = time.monotonic()
        await action.run(CollectingOutputChannel(), None, tracker, Domain.empty())
    assert time.monotonic() - started < 0.25  # so only the stall can exhaust the budget
    call = asyncio.ensure_future(
        action.run(
            CollectingOutputChannel(), None, DialogueStateTracker("stall", []), Domain.empty()
        )
    )
    await asyncio.sleep(0)  # the call starts: its timer is armed, the request not yet answered
    time.sleep(2.0)  # noqa: ASYNC101 - the stall: blocking work of another request
    events = await call
    assert events and all(not (e.metadata or {}).get("fallback") for e in events), events
    assert any(isinstance(e, BotUttered) and e.text for e in events), events
