"""make eval's end-to-end run: every how-to message over REST to the real bot."""

from __future__ import annotations

import json
import pathlib
import urllib.request
import uuid
from collections.abc import Sequence

from scripts import eval_metrics as em
from scripts.harness import ROOT, free_port, rasa_server, start_action_server, write_endpoints


def post_json(url: str, body: dict, timeout: float = 60):
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def end_to_end(
    models: dict[str, pathlib.Path], messages: Sequence[em.Message], log_dir: pathlib.Path
) -> dict[str, list[tuple[em.Message, bool, set[str]]]]:
    """Sends every how-to message, from a new user each, to each served model."""
    import secrets

    from content import load

    matcher = em.GuideMatcher.from_content(load())
    howto = [m for m in messages if m.guide]
    credentials = log_dir / "credentials.yml"
    credentials.write_text("rest:\n", encoding="utf-8")
    actions_port, token = free_port(), secrets.token_urlsafe(16)
    actions = start_action_server(actions_port, token, log_dir)
    results = {}
    try:
        for name, model in models.items():
            (log_dir / name).mkdir()
            endpoints = write_endpoints(log_dir / name / "endpoints.yml", actions_port, token)
            port = free_port()
            print(f"end-to-end: serving {name} on port {port}", flush=True)
            bot = rasa_server(
                f"rasa-{name}", port, endpoints, log_dir, {"PYTHONPATH": str(ROOT)},
                credentials=credentials, model=model,
            )  # fmt: skip
            bot.start(f"http://127.0.0.1:{port}/", timeout=300)
            try:
                url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
                rows = []
                for m in howto:
                    sender = f"eval-{name}-{uuid.uuid4().hex[:8]}"
                    replies = post_json(url, {"sender": sender, "message": m.text}) or []
                    found = matcher.detect(replies)
                    rows.append((m, found == {m.guide}, found))
                results[name] = rows
            finally:
                bot.stop()
    finally:
        actions.stop()
    return results
