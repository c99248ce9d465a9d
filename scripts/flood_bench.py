"""Other users' latency while one client floods, and 1,000 idle web chats held.

Starts the single-machine bot (scripts/harness.py) and measures REST p95 with
--users concurrent conversations (scripts/loadgen.py):

  baseline  nothing else going on
  flood     one client posts --body-mb MB bodies as fast as it can on
            --flooders connections, to REST, Zalo and Messenger in turn
  idle      --idle web chat connections (raw socket.io over websocket, as the
            page connects) opened all at once, then held while REST is measured

The flooder and the web chats run in child processes of this script, so their
client work does not slow the load generator's event loop. Also reports how
many web chats connected and got their session, how long that took, and the
Rasa process's RSS and rasa.db's size before and after. `make bench` runs it
and writes the table into docs/bench.md (section "Floods and idle connections").

    .venv/bin/python -m scripts.flood_bench [--users 5] [--duration 20] [--idle 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

import websockets

from scripts import loadgen
from scripts.harness import PYTHON, ROOT, SingleMachine, raise_open_files_limit

FLOOD_PATHS = ("/webhooks/rest/webhook", "/webhooks/zalo/webhook", "/webhooks/facebook/webhook")


class WebChat:
    """One web chat user: socket.io 5 over a raw websocket (engine.io 4 framing).

    The page's handshake: `session_request {session_id: null}`, answered by
    `session_confirm` (a dict with session_id, or the id itself). Answers the
    server's pings, so it can be held idle for as long as needed.
    """

    def __init__(self, url: str):
        self.url = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.ws = None
        self.session_id: str | None = None
        self.replies: asyncio.Queue = asyncio.Queue()
        self.closed: asyncio.Future | None = None

    async def connect(self, timeout: float = 10.0) -> str:
        self.ws = await websockets.connect(self.url, open_timeout=timeout, ping_interval=None)
        self.closed = asyncio.get_running_loop().create_future()
        confirmed = asyncio.get_running_loop().create_future()
        asyncio.ensure_future(self._read(confirmed))
        await self.ws.send("40")
        await self.ws.send("42" + json.dumps(["session_request", {"session_id": None}]))
        confirm = await asyncio.wait_for(confirmed, timeout)
        self.session_id = confirm["session_id"] if isinstance(confirm, dict) else confirm
        return self.session_id

    async def _read(self, confirmed: asyncio.Future) -> None:
        try:
            async for packet in self.ws:
                if packet == "2":  # the server's ping
                    await self.ws.send("3")
                elif packet.startswith("42"):
                    event, *data = json.loads(packet[2:])
                    if event == "session_confirm" and not confirmed.done():
                        confirmed.set_result(data[0] if data else None)
                    elif event == "bot_uttered":
                        self.replies.put_nowait(data[0] if data else {})
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed.set_result(self.ws.close_code)

    async def say(self, text: str) -> None:
        payload = {"session_id": self.session_id, "message": text}
        await self.ws.send("42" + json.dumps(["user_uttered", payload]))

    async def close(self) -> None:
        await self.ws.close()


def flood(url: str, connections: int, megabytes: float) -> dict:
    """Posts oversized bodies until SIGTERM; returns what the server answered.

    Blocking sockets in threads: after the server's answer and close, the
    answer can still be read (asyncio's transport drops it on the reset).
    """
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    body = b'{"message": "' + b"x" * int(megabytes * 1e6) + b'"}'
    counts: collections.Counter = collections.Counter()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def one(path: str) -> str:
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n"
            try:
                sock.sendall(f"{head}Content-Type: application/json\r\n\r\n".encode())
                sock.sendall(body)
            except OSError:
                pass  # refused mid-body: the answer is already on its way
            try:
                status = sock.recv(64).split(b" ")[1:2]
            except OSError:
                return "reset"
            return status[0].decode() if status else "closed"

    def worker(index: int) -> None:
        while not stop.is_set():
            counts[one(FLOOD_PATHS[index % len(FLOOD_PATHS)])] += 1
            index += 1

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(connections)]
    for thread in threads:
        thread.start()
    while not stop.wait(0.2):
        pass
    for thread in threads:
        thread.join(60)
    return {"requests": sum(counts.values()), "statuses": dict(counts), "mb_each": megabytes}


async def hold(url: str, connections: int) -> dict:
    """Opens `connections` web chats at once, reports, holds them until SIGTERM."""
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    chats = [WebChat(url) for _ in range(connections)]
    started = time.monotonic()
    outcomes = await asyncio.gather(*(c.connect(30) for c in chats), return_exceptions=True)
    confirmed = [c for c, o in zip(chats, outcomes, strict=True) if isinstance(o, str)]
    report = {
        "tried": connections,
        "confirmed": len(confirmed),
        "seconds": round(time.monotonic() - started, 1),
        "errors": sorted({type(o).__name__ for o in outcomes if isinstance(o, BaseException)}),
    }
    print(json.dumps(report), flush=True)
    await stop.wait()
    report["still_open"] = sum(not c.closed.done() for c in confirmed)
    return report


def child(mode: str, url: str, *args: str) -> subprocess.Popen:
    command = [PYTHON, "-m", "scripts.flood_bench", f"--{mode}", url, *args]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> dict:
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=60)
    return json.loads(out.strip().splitlines()[-1])


def rest_load(url: str, users: int, duration: float, name: str) -> dict:
    summary, _ = asyncio.run(loadgen.run(url, users, duration=duration, prefix=f"flood-{name}-"))
    failed = summary["errors"] + summary["lost_replies"] + summary["wrong_replies"]
    latency = {k: round(1000 * v, 1) for k, v in summary["latency_s"].items()}
    return {**latency, "requests": summary["requests"], "failed": failed}


def measure(args) -> dict:
    raise_open_files_limit(args.idle + 1000)
    bot = SingleMachine(ROOT / "logs" / "flood").start()
    db = bot.data / "rasa.db"
    try:
        pid = bot.rasa.pid
        rest_load(bot.url, args.users, 5, "warmup")
        out = {"db_before": os.path.getsize(db), "rss_before": loadgen.rss_kib(pid) // 1024}
        out["baseline"] = rest_load(bot.url, args.users, args.duration, "base")
        flooder = child(
            "flood", bot.url, "--flooders", str(args.flooders), "--body-mb", str(args.body_mb)
        )
        time.sleep(1)
        out["flood"] = rest_load(bot.url, args.users, args.duration, "flood")
        out["flooder"] = finish(flooder)
        out["db_after_flood"] = os.path.getsize(db)
        with sqlite3.connect(db) as connection:
            out["largest_event"] = connection.execute(
                "SELECT max(length(data)) FROM events"
            ).fetchone()[0]
        out["rss_after_flood"] = loadgen.rss_kib(pid) // 1024
        holder = child("hold", bot.url, "--idle", str(args.idle))
        out["connect"] = json.loads(holder.stdout.readline())
        out["idle"] = rest_load(bot.url, args.users, args.duration, "idle")
        out["connect"]["still_open"] = finish(holder)["still_open"]
        out["rss_idle"] = loadgen.rss_kib(pid) // 1024
        return out
    finally:
        bot.stop()


def markdown(r: dict, args, command: str) -> str:
    base = r["baseline"]["p95"]

    def row(label: str, m: dict) -> str:
        ratio = m["p95"] / base if base else float("nan")
        latency = f"{m['p50']} / {m['p95']} / {m['p99']} ms"
        return f"| {label} | {latency} | {ratio:.2f}x | {m['requests']} | {m['failed']} |"

    c, f = r["connect"], r["flooder"]
    ok = all(r[k]["p95"] <= 1.5 * base for k in ("flood", "idle")) and c["still_open"] == c["tried"]
    return "\n".join([
        f"Command: `{command}`  ",
        f"Date: {datetime.datetime.now().isoformat(timespec='minutes')}, {os.cpu_count()} cores, "
        f"load average {'/'.join(f'{x:.2f}' for x in os.getloadavg())} at the end; "
        f"{args.users} REST conversations, {args.duration:g} s per phase.",
        "",
        "| REST while … | p50 / p95 / p99 | p95 vs baseline | requests | failed |",
        "|---|---|---|---|---|",
        row("nothing else (baseline)", r["baseline"]),
        row(f"one client floods {f['mb_each']:g} MB bodies ({args.flooders} conn.)", r["flood"]),
        row(f"{c['tried']} idle web chats are held", r["idle"]),
        "",
        f"Flood: {f['requests']} oversized requests answered {f['statuses']}; rasa.db "
        f"{r['db_before']:,} → {r['db_after_flood']:,} bytes; Rasa RSS {r['rss_before']} → "
        f"{r['rss_after_flood']} MiB; largest event stored {r['largest_event']:,} bytes.  ",
        f"Web chats: {c['confirmed']} of {c['tried']} connected and confirmed in {c['seconds']} s "
        f"(errors: {', '.join(c['errors']) or 'none'}); {c['still_open']} still open at the end; "
        f"Rasa RSS {r['rss_idle']} MiB while held.  ",
        f"Targets (p95 within 1.5x, every connection made and held): {'pass' if ok else 'FAIL'}.",
        "",
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=5, help="concurrent REST conversations")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per phase")
    parser.add_argument("--flooders", type=int, default=4, help="connections of the flooder")
    parser.add_argument("--body-mb", type=float, default=10.0, help="size of each flood body")
    parser.add_argument("--idle", type=int, default=1000, help="idle web chat connections")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/bench.md")
    parser.add_argument("--flood", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--hold", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.flood:
        print(json.dumps(flood(args.flood, args.flooders, args.body_mb)))
        return 0
    if args.hold:
        print(json.dumps(asyncio.run(hold(args.hold, args.idle))))
        return 0
    results = measure(args)
    given = sys.argv[1:] if argv is None else argv
    script = "python -m scripts.flood_bench"
    command = f"{script} " + " ".join(given) if given else f"make bench` or `{script}"
    block = markdown(results, args, command.strip())
    print(block)
    if not args.no_doc:
        from scripts.bench import write_doc

        write_doc("flood", block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
