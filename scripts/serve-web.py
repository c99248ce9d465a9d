#!/usr/bin/env python3
"""Serves the chat page in web/ for local use and tests (stdlib only).

    scripts/serve-web.py [--host 127.0.0.1] [--port 8080]

Only the page's own files are served (index.html, config.js, static/), not
web/node_modules or the npm manifests. Listens on loopback unless --host says
otherwise; in production put web/ behind the site's web server instead.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import pathlib
import posixpath
import sys
import urllib.parse

WEB = pathlib.Path(__file__).resolve().parent.parent / "web"
PUBLIC = ("/", "/index.html", "/config.js")
# index.html's own <meta> policy, plus what only a header can say: no framing
# (clickjacking of the erase button).
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self' http: https: ws: wss:; base-uri 'none'; form-action 'none'; "
    "object-src 'none'; frame-ancestors 'none'"
)


class Handler(http.server.SimpleHTTPRequestHandler):
    # A client that stops sending mid-request frees its thread after this.
    timeout = 10

    def send_head(self):
        # Normalised first, so "/static/../node_modules/…" is not let through.
        path = posixpath.normpath(urllib.parse.unquote(urllib.parse.urlsplit(self.path).path))
        if "\x00" in path:  # os.stat would raise on it
            self.send_error(400)
            return None
        if path not in PUBLIC and not path.startswith("/static/"):
            self.send_error(404)
            return None
        return super().send_head()

    def list_directory(self, path):
        self.send_error(404)
        return None

    def end_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Frame-Options", "DENY")
        # The page is tiny; always fresh files beat stale config.js after an edit.
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="port (0 picks a free one)")
    args = parser.parse_args()

    if not (WEB / "static" / "vendor" / "socket.io.min.js").exists():
        sys.exit("web/static/vendor/socket.io.min.js is missing: run scripts/web-build.sh")

    handler = functools.partial(Handler, directory=str(WEB))
    with http.server.ThreadingHTTPServer((args.host, args.port), handler) as server:
        host, port = server.server_address[:2]
        print(f"Web chat: http://{host}:{port}/ (bot: same host, port 5005; see web/config.js)")
        sys.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
