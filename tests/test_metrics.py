"""Prometheus metrics of the real bot: scripted REST turns move each counter by
exactly the expected amount, on the metrics port and never on the public one."""

from __future__ import annotations

import functools
import json
import re
import shutil
import socket
import time
import urllib.error
import urllib.request
import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests import servers
from tests.conftest import TEST_ENV, post_json
from tests.fake_zalo import FakeZalo
from tests.test_zalo import event, post_webhook

DASHBOARD = servers.ROOT / "deploy" / "grafana-dashboard.json"
HOW_TO = "doi mat khau vssid"
PLOTTED = (
    "vssid_turns", "vssid_turn_seconds", "vssid_nlu_outcomes", "vssid_action_failures",
    "vssid_store_outages", "vssid_webhook_queue_depth",
)  # fmt: skip


def scrape(port: int) -> tuple[dict, set[str]]:
    """({(sample name, labels): value} of the vssid_* samples, family names)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    samples, names = {}, set()
    for family in text_string_to_metric_families(text):
        if family.name.startswith("vssid_"):
            names.add(family.name)
            for s in family.samples:
                samples[key(s.name, **s.labels)] = s.value
    return samples, names


def key(name: str, **labels: str) -> tuple:
    return name, tuple(sorted(labels.items()))


def moved(before: dict, after: dict, buckets: bool = False) -> dict:
    """The samples that changed; the histogram's buckets and sum only if asked."""
    return {
        k: after[k] - before.get(k, 0)
        for k in after
        if after[k] != before.get(k, 0) and buckets == k[0].endswith(("_bucket", "_sum"))
    }


@pytest.fixture(scope="module")
def bot(rasa_env, tmp_path_factory):
    """A bot with its own action server and a database that can be broken."""
    tmp = tmp_path_factory.mktemp("metrics")
    store = tmp / "store"
    store.mkdir()
    ports = {name: servers.free_port() for name in ("actions", "rasa", "metrics", "zalo")}
    zalo = FakeZalo(
        TEST_ENV["ZALO_APP_ID"], TEST_ENV["ZALO_APP_SECRET"],
        TEST_ENV["ZALO_ACCESS_TOKEN"], TEST_ENV["ZALO_REFRESH_TOKEN"],
    ).start(ports["zalo"])  # fmt: skip
    actions = servers.action_server(ports["actions"], tmp)
    endpoints = servers.harness_write_endpoints(
        tmp / "endpoints.yml", ports["actions"], servers.ACTION_TOKEN, db=store / "rasa.db"
    )
    env = {
        **rasa_env, "METRICS_PORT": str(ports["metrics"]), "ACTION_TIMEOUT_SECONDS": "2",
        "ZALO_API_URL": f"http://127.0.0.1:{ports['zalo']}",
        "ZALO_OAUTH_URL": f"http://127.0.0.1:{ports['zalo']}",
    }  # fmt: skip
    try:
        rasa = servers.rasa_server(ports["rasa"], tmp, endpoints, env=env, name="rasa-metrics")
    except BaseException:
        actions.stop()
        zalo.stop()
        raise
    yield {"ports": ports, "url": f"http://127.0.0.1:{ports['rasa']}", "actions": actions,
           "store": store, "zalo": zalo}  # fmt: skip
    rasa.stop()
    actions.stop()
    zalo.stop()


def rest(bot, sender: str, text: str) -> int:
    body = {"sender": sender, "message": text}
    return post_json(f"{bot['url']}/webhooks/rest/webhook", body)[0]


def break_store(store) -> None:
    """Replaces the database's directory with a file: SQLite can open nothing there."""
    for _ in range(100):  # the webhook worker may write a journal file meanwhile
        shutil.rmtree(store, ignore_errors=True)
        if not store.exists():
            break
        time.sleep(0.05)
    store.write_text("not a directory: the database cannot be opened")


def queue_depth(bot) -> float | None:
    return scrape(bot["ports"]["metrics"])[0].get(key("vssid_webhook_queue_depth", channel="zalo"))


def test_webhook_queue_depth_rises_while_events_wait_then_falls(bot):
    before, _ = scrape(bot["ports"]["metrics"])
    assert queue_depth(bot) == 0
    bot["zalo"].delay = 1.0  # each reply takes 1 s to send: one user's events queue up
    user = f"mq{uuid.uuid4().hex[:8]}"
    for _ in range(3):
        assert (
            post_webhook(f"{bot['url']}/webhooks/zalo/webhook", event(user, text=HOW_TO))[0] == 200
        )
    assert queue_depth(bot) >= 1
    deadline = time.monotonic() + 60
    while queue_depth(bot) and time.monotonic() < deadline:
        time.sleep(0.2)
    bot["zalo"].delay = 0
    assert queue_depth(bot) == 0
    after, _ = scrape(bot["ports"]["metrics"])
    assert moved(before, after)[key("vssid_turns_total", channel="zalo", outcome="answered")] == 3


def test_scripted_turns_move_each_counter_by_exactly_their_count(bot):
    before, _ = scrape(bot["ports"]["metrics"])
    assert rest(bot, "m-1", HOW_TO) == 200
    assert rest(bot, "m-1", "lương hưu của tôi được bao nhiêu") == 200
    assert rest(bot, "m-1", "qwxz plmk vbnr") == 200
    assert rest(bot, "m-1", "") == 200  # refused before NLU
    bot["actions"].stop()
    assert rest(bot, "m-2", HOW_TO) == 200  # connection refused: the apology
    # Something on the action port that never answers: the guard's timeout.
    with socket.socket() as stall:
        stall.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        stall.bind(("127.0.0.1", bot["ports"]["actions"]))
        stall.listen(8)
        assert rest(bot, "m-3", HOW_TO) == 200
    break_store(bot["store"])
    assert rest(bot, "m-4", HOW_TO) == 503
    after, _ = scrape(bot["ports"]["metrics"])

    assert moved(before, after) == {
        key("vssid_turns_total", channel="rest", outcome="answered"): 5,
        key("vssid_turns_total", channel="rest", outcome="refused"): 1,
        key("vssid_turns_total", channel="rest", outcome="outage"): 1,
        key("vssid_turn_seconds_count", channel="rest"): 7,
        key("vssid_store_outages_total", channel="rest"): 1,
        key("vssid_nlu_outcomes_total", intent="ask_change_password", outcome="intent"): 3,
        key("vssid_nlu_outcomes_total", intent="out_of_scope", outcome="out_of_scope"): 1,
        key("vssid_nlu_outcomes_total", intent="nlu_fallback", outcome="fallback"): 1,
        key("vssid_action_failures_total", action="action_show_guide", reason="error"): 1,
        key("vssid_action_failures_total", action="action_show_guide", reason="timeout"): 1,
    }
    # The histogram holds the real durations: the timed-out turn took over 2 s.
    bucket = functools.partial(key, "vssid_turn_seconds_bucket", channel="rest")
    assert moved(before, after, buckets=True)[bucket(le="+Inf")] == 7
    assert moved(before, after, buckets=True).get(bucket(le="0.5"), 0) <= 6


def test_metrics_are_not_served_on_the_public_port(bot):
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{bot['url']}/metrics", timeout=10)
    assert error.value.code == 404
    assert scrape(bot["ports"]["metrics"])[1]  # while the metrics port serves them


def test_the_dashboard_plots_only_metrics_the_bot_serves(bot):
    _, families = scrape(bot["ports"]["metrics"])
    served = set()
    for family in families:  # the sample names PromQL uses
        served |= {family, f"{family}_total", f"{family}_bucket", f"{family}_count"}
    exprs = [
        target["expr"]
        for panel in json.loads(DASHBOARD.read_text())["panels"]
        for target in panel.get("targets", [])
    ]
    used = {name for expr in exprs for name in re.findall(r"\bvssid_\w+", expr)}
    assert used and used <= served, used - served
    for family in PLOTTED:
        assert any(name.startswith(family) for name in used), family
