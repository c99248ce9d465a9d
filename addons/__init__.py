"""Server-side hardening of Rasa 3.6 that its configuration cannot express.

Switched on in one place: `install_all()`, which the project's entry point
(`python -m addons`, used by every Makefile target instead of the bare `rasa`
command) calls before Rasa starts. Each patch reports whether it is active,
and the REST channel's health check lists them, so a test can check the
running bot.
- limits: bodies over 64 KB get 413 and JSON nested over 32 levels 400, on
  every route, before anything is parsed or stored;
- tracker_store: no silent in-memory fallback when the tracker database is
  down; the channels answer with the apology or 503 instead;
- action_guard: custom actions bounded by a short timeout, with the apology
  instead of silence when the action server is down or slow;
- choices: a typed option number ("2", "số 2") picks that button, on every
  channel;
- log_masking: personal data in any log line is masked (privacy/logs.py);
- erasure: a conversation the user asked to delete is deleted from the store;
- metrics: Prometheus counters on a port of their own (addons/metrics.py).
"""

from __future__ import annotations

from collections.abc import Callable

from addons import action_guard, choices, erasure, limits, metrics, tracker_store
from privacy import logs

PATCHES: dict[str, tuple[Callable[[], None], Callable[[], bool]]] = {
    "limits": (limits.install, limits.active),
    "strict_tracker_store": (tracker_store.install, tracker_store.active),
    "action_guard": (action_guard.install, action_guard.active),
    "choices": (choices.install, choices.active),
    "log_masking": (logs.install, logs.active),
    "erasure": (erasure.install, erasure.active),
    "metrics": (metrics.install, metrics.active),
}


def install_all() -> None:
    for install, _ in PATCHES.values():
        install()


def active() -> dict[str, bool]:
    return {name: is_active() for name, (_, is_active) in PATCHES.items()}
