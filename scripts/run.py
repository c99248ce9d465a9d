"""`make run` and `make shell`: the action server (restarted if it dies), the
bot and the web chat page on this machine; Ctrl-C stops them all.

    python -m scripts.run          REST + socket.io on :5005, web page on :8080
    python -m scripts.run shell    rasa shell in this terminal

Ports: RASA_PORT (5005), WEB_PORT (8080); the action server listens on
127.0.0.1:5055, where endpoints.yml expects it. Logs go to logs/.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time

from scripts.harness import MODEL, PYTHON, RASA, ROOT, Service, http_ok

ACTIONS_PORT = 5055
LOGS = ROOT / "logs"


def watch_actions(actions: Service, stop_at: float = float("inf")) -> None:
    """Restarts the action server whenever it exits, until `stop_at`."""
    while time.monotonic() < stop_at:
        if not actions.alive():
            with open(actions.log, "a") as log:
                log.write(f"{time.strftime('%FT%T')} action server exited; restarting\n")
            actions.launch()
        time.sleep(1)


def main(argv: list[str]) -> int:
    rasa_port = int(os.environ.get("RASA_PORT", "5005"))
    web_port = int(os.environ.get("WEB_PORT", "8080"))
    # The bot authenticates to the action server with this token (endpoints.yml).
    token = os.environ.get("ACTION_SERVER_TOKEN") or secrets.token_urlsafe(24)
    env = {"ACTION_SERVER_TOKEN": token}
    actions = Service(
        "actions", [PYTHON, "-m", "actions.server", "--port", str(ACTIONS_PORT)], LOGS, env
    )
    services = [actions]

    def stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        actions.start(f"http://127.0.0.1:{ACTIONS_PORT}/health", timeout=60)
        if argv[:1] == ["shell"]:
            shell = [*RASA, "shell", "--model", str(MODEL)]
            return subprocess.call(shell, cwd=ROOT, env={**os.environ, **env})

        web = Service("web", [PYTHON, "scripts/serve-web.py", "--port", str(web_port)], LOGS)
        origins = [f"http://localhost:{web_port}", f"http://127.0.0.1:{web_port}"]
        bot = Service(
            "rasa",
            [*RASA, "run", "--model", str(MODEL), "--port", str(rasa_port), "--cors", *origins],
            LOGS,
            env,
        )
        services += [web.launch(), bot.launch()]
        print("Starting the bot (about 10 s)…", flush=True)
        rest = f"http://localhost:{rasa_port}/webhooks/rest/webhook"
        bot.wait(lambda: http_ok(f"http://127.0.0.1:{rasa_port}/webhooks/rest/"), timeout=300)
        web.wait(f"http://127.0.0.1:{web_port}/", timeout=30)
        print(
            f"Bot ready. Chat page: http://localhost:{web_port}/   REST: {rest}\n"
            f"Logs in {LOGS.relative_to(ROOT)}/. Ctrl-C stops everything.",
            flush=True,
        )
        while bot.alive() and web.alive():
            watch_actions(actions, time.monotonic() + 5)
        print("The bot stopped; see logs/rasa.log", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for service in reversed(services):
            service.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
