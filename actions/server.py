"""Action server entry point: rasa_sdk's app on loopback, for the bot only.

`rasa run actions` listens on every interface and accepts any caller. This
wrapper binds to ACTION_SERVER_HOST (127.0.0.1 by default) and requires
`Authorization: Bearer $ACTION_SERVER_TOKEN`, which endpoints.yml makes the bot
send. Usage: python -m actions.server [--port 5055]
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import sys

from rasa_sdk.endpoint import create_app
from sanic import response

from privacy import logs

logger = logging.getLogger(__name__)
OPEN_PATHS = {"/health"}


def build_app(token: str):
    app = create_app("actions", cors_origins=None)

    @app.middleware("request")
    async def require_token(request):
        if request.path in OPEN_PATHS:
            return None
        header = request.headers.get("authorization", "")
        given = header.removeprefix("Bearer ").strip().encode("utf-8", "surrogateescape")
        if not header.startswith("Bearer ") or not hmac.compare_digest(given, token.encode()):
            logger.warning("Rejected an action call without the right token from %s", request.ip)
            return response.json({"error": "unauthorized"}, status=401)
        return None

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTION_SERVER_PORT", 5055)))
    args = parser.parse_args()
    token = os.environ.get("ACTION_SERVER_TOKEN", "")
    if not token:
        sys.exit("ACTION_SERVER_TOKEN is not set; the bot must send it (see endpoints.yml).")
    logs.install()  # personal data never reaches a log line in clear
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    host = os.environ.get("ACTION_SERVER_HOST", "127.0.0.1")
    build_app(token).run(host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
