"""Prometheus metrics of the Rasa process, on a port of their own.

`install()` (addons.install_all) only wraps functions; the metrics HTTP server
is started by the Sanic server of `rasa run` / `rasa shell`, so `rasa train`
or `rasa data validate` through `python -m addons` open no port.

- METRICS_PORT: the port (default 9464); `0` or `off` serves nothing.
- METRICS_HOST: the address to bind (default 127.0.0.1: loopback only, never
  the public port; set 0.0.0.0 inside a container that Prometheus reaches).

Every label comes from a bounded set (channel names, domain intents and
actions, failure kinds); user text and sender ids never become labels.
docs/deployment.md lists the metrics; deploy/grafana-dashboard.json plots them.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import time

import rasa.core.run
from prometheus_client import (
    REGISTRY,
    Counter,
    Histogram,
    disable_created_metrics,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily
from rasa.core.processor import MessageProcessor

from connectors import inbound

logger = logging.getLogger(__name__)

DEFAULT_PORT = 9464  # the port OpenTelemetry's Prometheus exporter uses
DEFAULT_HOST = "127.0.0.1"

# A *_created series per label set doubles the scrape and no panel reads it.
disable_created_metrics()

TURNS = Counter(
    "vssid_turns",
    "Incoming messages by channel and outcome (answered, refused, outage, error).",
    ["channel", "outcome"],
)
TURN_SECONDS = Histogram(
    "vssid_turn_seconds",
    "Time from a channel handing a message in to the bot's replies being ready.",
    ["channel"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
STORE_OUTAGES = Counter(
    "vssid_store_outages",
    "Turns refused because the tracker store or the lock store was down.",
    ["channel"],
)
NLU = Counter(
    "vssid_nlu_outcomes",
    "Parsed messages by intent (domain intents, else 'other') and outcome "
    "(intent, fallback, out_of_scope).",
    ["intent", "outcome"],
)
ACTION_FAILURES = Counter(
    "vssid_action_failures",
    "Custom-action calls answered with the apology, by action and reason (error, timeout).",
    ["action", "reason"],
)

FALLBACK_INTENT = "nlu_fallback"
OUT_OF_SCOPE_INTENT = "out_of_scope"
_CHANNEL = re.compile(r"[a-z][a-z0-9_]{0,31}")


def channel_label(channel: object) -> str:
    """Channel names come from code, but a label must never be free text."""
    return channel if isinstance(channel, str) and _CHANNEL.fullmatch(channel) else "other"


def nlu_labels(intent: object, known: set[str]) -> tuple[str, str]:
    """(intent label, outcome): '/anything' payloads must not mint labels."""
    if intent == FALLBACK_INTENT:
        return intent, "fallback"
    if intent == OUT_OF_SCOPE_INTENT:
        return intent, "out_of_scope"
    return (intent if intent in known else "other"), "intent"


def action_failed(action: str, reason: str) -> None:
    """Called by addons/action_guard.py; `action` is a domain action name."""
    ACTION_FAILURES.labels(action=action, reason=reason).inc()


class WebhookQueueDepth:
    """vssid_webhook_queue_depth{channel}: read at scrape time from
    connectors.webhook_queue.depth(), when that module exists."""

    def describe(self):
        return []  # keeps the registry from calling collect() at registration

    def collect(self):
        family = GaugeMetricFamily(
            "vssid_webhook_queue_depth",
            "Webhook events accepted but not yet processed, by channel.",
            labels=["channel"],
        )
        try:
            from connectors import webhook_queue
        except ImportError:
            return [family]
        try:
            depths = webhook_queue.depth()
        except Exception as error:  # noqa: BLE001 - a scrape must not fail on it
            logger.warning("Webhook queue depth unreadable: %r", error)
            return [family]
        for channel, pending in sorted(depths.items()):
            family.add_metric([channel_label(channel)], float(pending))
        return [family]


_QUEUE_COLLECTOR = WebhookQueueDepth()
REGISTRY.register(_QUEUE_COLLECTOR)


def settings() -> tuple[str, int | None]:
    """(host, port) from METRICS_HOST / METRICS_PORT; port None = not served."""
    host = os.environ.get("METRICS_HOST") or DEFAULT_HOST
    raw = (os.environ.get("METRICS_PORT") or "").strip().lower()
    if not raw:
        return host, DEFAULT_PORT
    if raw in ("0", "off"):
        return host, None
    return host, int(raw)


_server = None


def start_server(_app=None, _loop=None) -> None:
    """Sanic listener: serve /metrics beside this Rasa server."""
    global _server
    host, port = settings()
    if port is None or _server is not None:
        return
    try:
        _server, _ = start_http_server(port, addr=host)
    except OSError as error:
        # A second Sanic worker, or another bot on this machine: the turns
        # must still be answered; the log says why nothing is scraped here.
        logger.warning("Metrics not served on %s:%s (METRICS_PORT): %s", host, port, error)
        return
    logger.info("Prometheus metrics on http://%s:%s/metrics", host, port)


def stop_server(_app=None, _loop=None) -> None:
    global _server
    if _server is not None:
        _server.shutdown()
        _server.server_close()
        _server = None


def _metered_handle(original):
    @functools.wraps(original)
    async def handle(on_new_message, output, channel, *args, **kwargs):
        label = channel_label(channel)
        started = time.perf_counter()
        kind = "error"  # an exception escaped: the channel answers 500
        try:
            outcome = await original(on_new_message, output, channel, *args, **kwargs)
            kind = outcome.kind
            return outcome
        finally:
            TURN_SECONDS.labels(channel=label).observe(time.perf_counter() - started)
            TURNS.labels(channel=label, outcome=kind).inc()
            if kind == "outage":
                STORE_OUTAGES.labels(channel=label).inc()

    handle._metered = True
    return handle


def _metered_parse(original):
    @functools.wraps(original)
    async def parse_message(self, message, tracker=None, only_output_properties=True):
        parsed = await original(self, message, tracker, only_output_properties)
        intent = (parsed.get("intent") or {}).get("name")
        known = set(self.domain.intents) if self.domain else set()
        name, outcome = nlu_labels(intent, known)
        NLU.labels(intent=name, outcome=outcome).inc()
        return parsed

    parse_message._metered = True
    return parse_message


def _serving_app(original):
    @functools.wraps(original)
    def configure_app(*args, **kwargs):
        app = original(*args, **kwargs)
        app.register_listener(start_server, "before_server_start")
        app.register_listener(stop_server, "after_server_stop")
        return app

    configure_app._metered = True
    return configure_app


_TARGETS = (
    (inbound, "handle", _metered_handle),
    (MessageProcessor, "parse_message", _metered_parse),
    (rasa.core.run, "configure_app", _serving_app),
)


def active() -> bool:
    return all(getattr(getattr(owner, name), "_metered", False) for owner, name, _ in _TARGETS)


def install() -> None:
    for owner, name, wrap in _TARGETS:
        if not getattr(getattr(owner, name), "_metered", False):
            setattr(owner, name, wrap(getattr(owner, name)))
