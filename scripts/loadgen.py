"""Load driver for the bot's REST channel (soak tests, benchmarks, cluster tests).

N virtual users talk to the bot at the same time. Each runs a conversation of
--turns turns that alternates how-to, step-by-step and small-talk messages;
every reply is checked for the fragment that turn must show (the step numbers
make a reply out of order or from a forgotten state visible). A failed turn
ends its conversation, so one error is not counted again on every following
turn. With --duration, users keep starting new conversations (fresh sender
ids, as real users do) until the time is up.

Reports throughput, p50/p95/p99 latency, errors (HTTP status other than 200,
timeouts, refused connections), lost replies (200 with no message), wrong
replies, and with --pid the RSS of those processes (start, after warm-up,
peak, end, growth).

    .venv/bin/python -m scripts.loadgen --url http://127.0.0.1:5005 \
        --concurrency 20 --duration 600 --pid <rasa pid>

With --spawn it starts the single-machine bot itself (endpoints.yml: SQLite,
on free ports, database in a temporary directory), samples its Rasa process
and stops it afterwards: the soak run of docs/soak.md.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import pathlib
import sys
import time
import uuid

import aiohttp

# (message, fragment the reply must contain). One cycle goes through small
# talk, a how-to answer and a step-by-step guide whose step numbers show the
# order; cycles repeat when --turns is longer ("đổi mật khẩu" restarts steps).
SCRIPT: list[tuple[str, str]] = [
    ("xin chào", "Xin chào"),
    ("đổi mật khẩu vssid", "Đổi mật khẩu VssID"),
    ("từng bước", "Bước 1/4"),
    ("tiếp", "Bước 2/4"),
    ("cảm ơn", "Không có gì"),
    ("tiếp", "Bước 3/4"),
    ("nhắc lại", "Bước 3/4"),
    ("tiếp", "Bước 4/4"),
    ("cài vssid cho iphone", "App Store"),
    ("tạm biệt", "Chào bạn"),
]


@dataclasses.dataclass
class Turn:
    """One request and what came back."""

    sender: str
    index: int  # position in the conversation, 0-based
    text: str
    expected: str
    started: float  # time.monotonic()
    ended: float = 0.0
    status: int | None = None  # None: no HTTP answer (refused, reset, timeout)
    reply: str = ""
    error: str = ""

    @property
    def latency(self) -> float:
        return self.ended - self.started

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.expected in self.reply

    @property
    def lost(self) -> bool:
        return self.status == 200 and not self.reply


def joined(replies: object) -> str:
    if not isinstance(replies, list):
        return ""
    return "\n".join(r.get("text") or "" for r in replies if isinstance(r, dict))


async def send(session: aiohttp.ClientSession, webhook: str, turn: Turn, timeout: float) -> Turn:
    try:
        async with session.post(
            webhook,
            json={"sender": turn.sender, "message": turn.text},
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as response:
            turn.status = response.status
            body = await response.text()
            turn.reply = joined(json.loads(body)) if response.status == 200 else ""
            if response.status != 200:
                turn.error = body[:200]
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
        turn.error = f"{type(error).__name__}: {error}"
    turn.ended = time.monotonic()
    return turn


async def user(
    session: aiohttp.ClientSession,
    webhook: str,
    name: str,
    turns: int,
    deadline: float | None,
    timeout: float,
    results: list[Turn],
) -> None:
    """One virtual user: one conversation, or new ones until the deadline."""
    while True:
        sender = f"{name}-{uuid.uuid4().hex[:8]}"
        for index in range(turns):
            if deadline is not None and time.monotonic() >= deadline:
                return
            text, expected = SCRIPT[index % len(SCRIPT)]
            turn = Turn(sender, index, text, expected, time.monotonic())
            results.append(await send(session, webhook, turn, timeout))
            if not turn.ok:
                break  # the state is unknown now: start a fresh conversation
        if deadline is None:
            return


def rss_kib(pid: int) -> int | None:
    """Resident memory of one process in KiB (psutil if installed, else /proc)."""
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss // 1024
    except ImportError:
        pass
    except Exception:  # noqa: BLE001 - the process is gone
        return None
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


async def sample_rss(pids: list[int], every: float, samples: dict[int, list]) -> None:
    started = time.monotonic()
    while True:
        for pid in pids:
            value = rss_kib(pid)
            if value is not None:
                samples[pid].append((time.monotonic() - started, value))
        await asyncio.sleep(every)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def memory_report(samples: list[tuple[float, int]], warmup: float) -> dict:
    """RSS figures in MiB; growth is measured from the first sample after warm-up,
    since the first predictions load lazily and are not a leak."""
    if not samples:
        return {}
    warm = next((v for t, v in samples if t >= warmup), samples[-1][1])
    start, end, peak = samples[0][1], samples[-1][1], max(v for _, v in samples)
    return {
        "start_mib": round(start / 1024, 1),
        "after_warmup_mib": round(warm / 1024, 1),
        "peak_mib": round(peak / 1024, 1),
        "end_mib": round(end / 1024, 1),
        "growth_since_start_pct": round(100 * (end - start) / start, 2),
        "growth_after_warmup_pct": round(100 * (end - warm) / warm, 2),
        "samples": len(samples),
    }


def summarise(results: list[Turn], elapsed: float, rss: dict, warmup: float) -> dict:
    answered = [t for t in results if t.status == 200]
    latencies = [t.latency for t in answered]
    return {
        "requests": len(results),
        "ok": sum(t.ok for t in results),
        "errors": sum(t.status != 200 for t in results),
        "lost_replies": sum(t.lost for t in results),
        "wrong_replies": sum(t.status == 200 and bool(t.reply) and not t.ok for t in results),
        "conversations": len({t.sender for t in results}),
        "elapsed_s": round(elapsed, 1),
        "throughput_rps": round(len(answered) / elapsed, 2) if elapsed else 0.0,
        "latency_s": {
            "p50": round(percentile(latencies, 50), 3),
            "p95": round(percentile(latencies, 95), 3),
            "p99": round(percentile(latencies, 99), 3),
            "max": round(max(latencies), 3) if latencies else float("nan"),
        },
        "rss": {str(pid): memory_report(s, warmup) for pid, s in rss.items()},
    }


async def run(
    url: str,
    concurrency: int = 10,
    turns: int = len(SCRIPT),
    duration: float | None = None,
    timeout: float = 30.0,
    prefix: str = "load",
    pids: tuple[int, ...] | list[int] = (),
    sample_every: float = 5.0,
    warmup: float = 60.0,
    results: list[Turn] | None = None,
    token: str | None = None,
) -> tuple[dict, list[Turn]]:
    """Runs the load; returns (summary, every Turn). `results` may be passed in
    to watch the turns while the load runs (the cluster tests do); `token` is
    the REST_TOKEN a bot behind a proxy requires (connectors/rest.py)."""
    webhook = url.rstrip("/") + "/webhooks/rest/webhook"
    results = [] if results is None else results
    rss: dict[int, list] = {pid: [] for pid in pids}
    deadline = time.monotonic() + duration if duration else None
    sampler = asyncio.create_task(sample_rss(list(pids), sample_every, rss)) if pids else None
    started = time.monotonic()
    connector = aiohttp.TCPConnector(limit=concurrency)
    headers = {"Authorization": f"Bearer {token}"} if token else None
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        await asyncio.gather(
            *(
                user(session, webhook, f"{prefix}{i}", turns, deadline, timeout, results)
                for i in range(concurrency)
            )
        )
    elapsed = time.monotonic() - started
    if sampler:
        for pid in pids:  # one last sample at the very end
            value = rss_kib(pid)
            if value is not None:
                rss[pid].append((elapsed, value))
        sampler.cancel()
    return summarise(results, elapsed, rss, warmup), results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005", help="bot or load balancer")
    parser.add_argument("--concurrency", type=int, default=10, help="simultaneous users")
    parser.add_argument("--turns", type=int, default=len(SCRIPT), help="turns per conversation")
    parser.add_argument(
        "--duration", type=float, help="seconds; users start new conversations until then"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument("--pid", type=int, action="append", default=[], help="sample RSS")
    parser.add_argument("--sample-every", type=float, default=5.0, help="seconds")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds before growth")
    parser.add_argument("--json", help="also write the summary to this file")
    parser.add_argument(
        "--spawn", action="store_true", help="start the single-machine bot and load it"
    )
    parser.add_argument("--logs", default="logs/soak", help="its logs, with --spawn")
    parser.add_argument(
        "--token", default=os.environ.get("REST_TOKEN"), help="REST_TOKEN (default: from env)"
    )
    args = parser.parse_args(argv)

    bot = None
    if args.spawn:
        from scripts.harness import SingleMachine

        bot = SingleMachine(pathlib.Path(args.logs)).start()
        args.url, args.pid = bot.url, [*args.pid, bot.rasa.pid]
        print(f"Bot at {bot.url}, Rasa pid {bot.rasa.pid}, logs in {args.logs}", file=sys.stderr)
    try:
        summary, results = asyncio.run(
            run(
                args.url,
                args.concurrency,
                args.turns,
                args.duration,
                args.timeout,
                pids=args.pid,
                sample_every=args.sample_every,
                warmup=args.warmup,
                token=args.token,
            )
        )
    finally:
        if bot:
            bot.stop()
    for turn in [t for t in results if not t.ok][:10]:
        print(
            f"FAILED {turn.sender} #{turn.index} {turn.text!r}: status={turn.status} "
            f"want {turn.expected!r} got {turn.reply[:80]!r} {turn.error}",
            file=sys.stderr,
        )
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    if args.json:
        pathlib.Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(summary, out, ensure_ascii=False, indent=2)
    failed = summary["errors"] or summary["lost_replies"] or summary["wrong_replies"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
