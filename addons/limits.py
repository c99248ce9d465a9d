"""Size and depth limits on every request, before anything is parsed or stored.

Sanic's default limit is 100 MB and Rasa keeps it: one 10 MB body cost 40 MB
of rasa.db and 29 MiB of the process, and JSON nested 100,000 levels deep made
`json.loads` raise RecursionError (HTTP 500, on Zalo before the signature
check). Here, for every route of the Rasa app (channels, socket.io polling,
the HTTP API when enabled):

- a body over MAX_BODY_BYTES gets 413 from Sanic itself while it reads the
  request: the Content-Length is checked before a single body byte is read,
  a chunked body is cut at the limit, and no handler ever runs;
- a body nested deeper than MAX_JSON_DEPTH gets 400 from a request middleware
  that counts brackets outside strings without building anything, so it
  cannot recurse (a real message is 3 levels deep);
- websocket frames (socket.io) are cut at the same size by Sanic;
- the listen backlog is raised from Rasa's 100, which made a burst of a few
  hundred web chat connections wait for SYN retransmits (seconds).

connectors/socketio.py gives engine.io the same MAX_BODY_BYTES.
"""

from __future__ import annotations

import functools
import os
import re
from itertools import accumulate

import rasa.core.run
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

# 64 KB: a message is at most 1,000 characters (connectors/inbound.py), a
# Zalo or Messenger delivery of one message a few KB.
MAX_BODY_BYTES = int(os.environ.get("MAX_BODY_BYTES", str(64 * 1024)))
MAX_JSON_DEPTH = 32
LISTEN_BACKLOG = "1024"

_ESCAPE = re.compile(rb"\\.", re.DOTALL)
# After escapes are gone a string is `"` … `"`: linear, no backtracking.
_STRING = re.compile(rb'"[^"]*"')
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_STEP = [0] * 256  # byte -> change of depth
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1
_CHUNK = 4096


def too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True if JSON `body` nests more than `limit` arrays/objects; never parses it.

    Linear and at C speed (a 64 KB body costs at most a few ms): escapes,
    then strings, then everything but brackets are removed, and the running
    depth is summed chunk by chunk, stopping at the first chunk over the
    limit. A stray backslash outside a string may hide a bracket, but JSON
    parsers stop at it, so they never go deeper than counted here.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False  # every real message: no scan at all
    brackets = _STRING.sub(b"", _ESCAPE.sub(b"", body)).translate(None, _NOT_BRACKETS)
    depth = 0
    for start in range(0, len(brackets), _CHUNK):
        steps = map(_STEP.__getitem__, brackets[start : start + _CHUNK])
        running = list(accumulate(steps, initial=depth))
        if max(running) > limit:
            return True
        depth = running[-1]
    return False


async def refuse_deep_json(request: Request) -> HTTPResponse | None:
    body = request.body
    if body and too_deep(body):
        return response.json(
            {"error": f"JSON nested deeper than {MAX_JSON_DEPTH} levels"}, status=400
        )
    return None


def limit(app: Sanic) -> Sanic:
    """Applies the limits to one Sanic app (before it serves)."""
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES
    app.config.WEBSOCKET_MAX_SIZE = MAX_BODY_BYTES
    app.register_middleware(refuse_deep_json, "request")
    app.ctx.vssid_limits = True
    return app


def active() -> bool:
    return getattr(rasa.core.run.configure_app, "_limited", False)


def install() -> None:
    """Wraps the function `rasa run` builds its Sanic app with (API or not)."""
    if active():
        return
    original = rasa.core.run.configure_app

    @functools.wraps(original)
    def configure_app(*args, **kwargs) -> Sanic:
        return limit(original(*args, **kwargs))

    configure_app._limited = True
    rasa.core.run.configure_app = configure_app
    # Read by rasa.core.run.serve_application when it calls app.run().
    os.environ.setdefault("SANIC_BACKLOG", LISTEN_BACKLOG)
