"""make bench: throughput, latency and memory of our bot beside the rasa-init peer.

For each model (ours, models/vssid.tar.gz, and the default-pipeline peer on
the same data: make eval's eval/models/default-<hash>.tar.gz, trained here
first if missing, ~15 min) it starts the
action server and `rasa run` as `make run` does (endpoints.yml, a fresh SQLite
database, free ports; scripts/harness.py) and drives them through REST
with scripts/loadgen.py:

  startup    Rasa process start to the first answer
  sequential one conversation, p50 of the turns that run a custom action
  sweep      1/5/20/50 concurrent conversations, --duration seconds each
  length     one conversation of --length turns: turns 1-20 against the last 20
  memory     peak RSS of the Rasa process

and times a full `rasa train` of config.yml (no training cache) into a
temporary directory. Prints a Markdown table and writes it, with the command,
date, load average and the targets, into docs/bench.md between markers.

Then, unless --no-flood, scripts/flood_bench.py: other users' p95 while one
client floods with 10 MB bodies and while 1,000 idle web chats are held (~2 min).

--profile instead loads our model in this process with the same endpoints and
times where one turn goes (scripts/turn_profile.py).

    .venv/bin/python -m scripts.bench [--quick] [--duration 30] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

from scripts import loadgen
from scripts.harness import MODEL, RASA, ROOT, SingleMachine

DOC = ROOT / "docs" / "bench.md"
PEER_CONFIG = ROOT / "eval" / "configs" / "default.yml"
# Turns of loadgen.SCRIPT answered by a custom action (all but two rules).
UTTER_ONLY = {"cảm ơn", "tạm biệt"}
CUSTOM_ACTION_TEXTS = {text for text, _ in loadgen.SCRIPT} - UTTER_ONLY
GB = 1e9


def peer_model(models_dir: pathlib.Path | None = None, train: bool = True) -> pathlib.Path | None:
    """The `rasa init` peer trained on the current data and domain.

    The same model `make eval` trains (eval/models/default-<hash of config and
    data>.tar.gz): reused if present, else trained here (~15 min) unless
    `train` is false, so the peer always serves the data our model serves.
    """
    from scripts.eval_training import MODELS, train_rasa, training_hash

    models_dir = models_dir or MODELS
    path = models_dir / f"default-{training_hash(PEER_CONFIG)}.tar.gz"
    if not train:
        return path if path.exists() else None
    return train_rasa(PEER_CONFIG, "default", out=models_dir).path


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def p50_ms(values: list[float]) -> float:
    return round(1000 * loadgen.percentile(values, 50), 1)


def window_p50s(turns: list, window: int = 20) -> tuple[float, float]:
    """p50 latency (ms) of the first and of the last `window` turns of a conversation."""
    ordered = sorted((t for t in turns if t.status == 200), key=lambda t: t.index)
    window = min(window, max(1, len(ordered) // 2))
    return p50_ms([t.latency for t in ordered[:window]]), p50_ms(
        [t.latency for t in ordered[-window:]]
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (for 'one core busy' under load)."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def first_answer(url: str) -> float:
    turn = loadgen.Turn("startup", 0, *loadgen.SCRIPT[0], time.monotonic())
    async with loadgen.aiohttp.ClientSession() as session:
        await loadgen.send(session, url + "/webhooks/rest/webhook", turn, 60)
    if not turn.ok:
        raise RuntimeError(f"first answer failed: {turn.status} {turn.error or turn.reply}")
    return turn.ended


def measure(name: str, model: pathlib.Path, args) -> dict:
    """Every figure for one model; the bot runs only inside this function."""
    print(f"[{name}] starting {model.relative_to(ROOT)} (load {load()})", file=sys.stderr)
    bot, started = SingleMachine(ROOT / "logs" / "bench" / name, model), time.monotonic()
    bot.start()
    try:
        pid = bot.rasa.pid
        rasa_age = time.monotonic() - started  # upper bound, refined below
        answered = asyncio.run(first_answer(bot.url))
        # The Rasa process starts after the action server is healthy: take its age.
        with open(f"/proc/{pid}/stat") as stat:
            ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
        uptime = float(pathlib.Path("/proc/uptime").read_text().split()[0])
        rasa_age = uptime - ticks / os.sysconf("SC_CLK_TCK") - (time.monotonic() - answered)
        out = {
            "model": str(model.relative_to(ROOT)),
            "startup_s": round(rasa_age, 1),
            "stack_startup_s": round(answered - started, 1),
            "load_startup": load(),
        }
        _, turns = asyncio.run(loadgen.run(bot.url, 1, args.sequential, prefix=f"{name}-seq"))
        custom = [t.latency for t in turns if t.ok and t.text in CUSTOM_ACTION_TEXTS]
        out["sequential"] = {
            "custom_p50_ms": p50_ms(custom),
            "utter_p50_ms": p50_ms([t.latency for t in turns if t.ok and t.text in UTTER_ONLY]),
            "errors": sum(not t.ok for t in turns),
            "load": load(),
        }
        out["sweep"], peaks = {}, []
        for users in args.concurrency:
            print(f"[{name}] {users} conversations for {args.duration:g} s", file=sys.stderr)
            cpu = cpu_seconds(pid)
            summary, _ = asyncio.run(
                loadgen.run(
                    bot.url, users, duration=args.duration, prefix=f"{name}-c{users}-",
                    pids=[pid], sample_every=1.0, warmup=0.0,
                )
            )  # fmt: skip
            rss = summary["rss"].get(str(pid), {})
            peaks.append(rss.get("peak_mib", 0.0))
            out["sweep"][users] = {
                "rps": summary["throughput_rps"],
                **{k: round(1000 * v, 1) for k, v in summary["latency_s"].items()},
                "errors": summary["errors"] + summary["lost_replies"] + summary["wrong_replies"],
                "requests": summary["requests"],
                "cpu_pct": round(100 * (cpu_seconds(pid) - cpu) / summary["elapsed_s"]),
                "load": load(),
            }
        print(f"[{name}] one conversation of {args.length} turns", file=sys.stderr)
        _, turns = asyncio.run(loadgen.run(bot.url, 1, args.length, prefix=f"{name}-len"))
        first, last = window_p50s(turns)
        out["length"] = {
            "turns": len(turns),
            "first20_p50_ms": first,
            "last20_p50_ms": last,
            "errors": sum(not t.ok for t in turns),
            "load": load(),
        }
        peaks.append((loadgen.rss_kib(pid) or 0) / 1024)
        out["peak_rss_mib"] = round(max(peaks), 1)
        return out
    finally:
        bot.stop()


def time_training() -> dict:
    """Full `rasa train` of our config into a temporary directory, no cache."""
    with tempfile.TemporaryDirectory(prefix="vssid-bench-train-") as tmp:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_MAX_CACHE_SIZE": "0"}
        args = [
            *RASA, "train", "--config", "config.yml", "--domain",
            "domain.yml", "--data", "data", "--out", tmp, "--fixed-model-name", "bench",
        ]  # fmt: skip
        before, started = load(), time.monotonic()
        with open(pathlib.Path(tmp) / "train.log", "wb") as log:
            done = subprocess.run(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        seconds = time.monotonic() - started
        if done.returncode:
            raise RuntimeError((pathlib.Path(tmp) / "train.log").read_text()[-2000:])
    return {"seconds": round(seconds, 1), "load_before": before, "load_after": load()}


def targets(ours: dict, peer: dict | None, train: dict | None) -> list[tuple[str, str, bool]]:
    """(target, measured, passed) for the issue's targets."""
    rows = []
    at20, peer20 = ours["sweep"].get(20), (peer or {}).get("sweep", {}).get(20)
    if at20 and peer20:
        ratio = at20["rps"] / peer20["rps"] if peer20["rps"] else float("inf")
        rows.append(("20 conversations: throughput >= 2x peer", f"{ratio:.1f}x", ratio >= 2))
        ratio = at20["p95"] / peer20["p95"] if peer20["p95"] else float("inf")
        rows.append(("20 conversations: p95 <= 0.5x peer", f"{ratio:.2f}x", ratio <= 0.5))
    p50 = ours["sequential"]["custom_p50_ms"]
    rows.append(("one conversation: custom-action p50 <= 25 ms", f"{p50} ms", p50 <= 25))
    for name, figures in (("ours", ours), ("peer, for reference", peer)):
        if figures:
            mib = figures["peak_rss_mib"]
            text = f"{mib * 2**20 / GB:.2f} GB"
            rows.append((f"RSS of the Rasa process ({name}) <= 1.0 GB", text, mib * 2**20 <= GB))
    if train:
        s = train["seconds"]
        rows.append(("full training <= 90 s", f"{s} s", s <= 90))
    s = ours["startup_s"]
    rows.append(("start to first answer <= 30 s", f"{s} s", s <= 30))
    return rows


def markdown(results: dict[str, dict], train: dict | None, command: str) -> str:
    names = list(results)
    lines = [
        f"Command: `{command}`  ",
        f"Date: {datetime.datetime.now().isoformat(timespec='minutes')}, "
        f"{os.cpu_count()} cores; load average (1/5/15 min) shown with every figure.",
        "",
        "| figure | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]

    def row(label: str, cell) -> None:
        lines.append(f"| {label} | " + " | ".join(cell(results[n]) for n in names) + " |")

    row(
        "start to first answer (Rasa process)",
        lambda r: f"{r['startup_s']} s ({r['load_startup']})",
    )
    row("  same, incl. action server", lambda r: f"{r['stack_startup_s']} s")
    seq = "sequential"
    row(
        "1 conversation: custom-action turn p50",
        lambda r: f"{r[seq]['custom_p50_ms']} ms ({r[seq]['load']})",
    )
    row("1 conversation: utter-only turn p50", lambda r: f"{r[seq]['utter_p50_ms']} ms")
    for users in results[names[0]]["sweep"]:
        row(
            f"{users} conv.: req/s, p50/p95/p99 ms, errors, CPU",
            lambda r, u=users: (
                "{rps} req/s, {p50}/{p95}/{p99} ms, {errors} err, {cpu_pct}% CPU ({load})".format(
                    **r["sweep"][u]
                )
                if u in r["sweep"]
                else "-"
            ),
        )
    length = "length"
    row(
        "long conversation: p50 turns 1-20 → last 20",
        lambda r: f"{r[length]['first20_p50_ms']} → {r[length]['last20_p50_ms']} ms "
        f"({r[length]['turns']} turns, {r[length]['errors']} err, {r[length]['load']})",
    )
    row("peak RSS of the Rasa process", lambda r: f"{r['peak_rss_mib']} MiB")
    if train:
        lines.append(
            f"| full `rasa train` of config.yml | {train['seconds']} s "
            f"(load {train['load_before']} → {train['load_after']}) |" + " |" * (len(names) - 1)
        )
    lines += ["", "| target | measured | |", "|---|---|---|"]
    ours, peer = results[names[0]], results.get("peer")
    for target, measured, passed in targets(ours, peer, train):
        lines.append(f"| {target} | {measured} | {'pass' if passed else 'FAIL'} |")
    return "\n".join(lines) + "\n"


def splice(doc: str, name: str, block: str) -> str:
    """Replaces the text between <!-- name:start --> and <!-- name:end --> (appends
    the markers if missing), so the hand-written parts of the document stay."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in doc or end not in doc:
        return doc.rstrip("\n") + f"\n\n{start}\n{block}{end}\n"
    head, rest = doc.split(start, 1)
    return f"{head}{start}\n{block}{end}{rest.split(end, 1)[1]}"


def write_doc(name: str, block: str) -> None:
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmark\n"
    DOC.write_text(splice(doc, name, block), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: ours only, short")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per sweep step")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 5, 20, 50])
    parser.add_argument("--sequential", type=int, default=30, help="turns, one conversation")
    parser.add_argument("--length", type=int, default=200, help="turns of the long conversation")
    parser.add_argument("--no-peer", action="store_true", help="skip the default-pipeline peer")
    parser.add_argument("--no-train", action="store_true", help="skip the training time")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/bench.md")
    parser.add_argument("--json", help="also write every figure to this file")
    parser.add_argument("--profile", action="store_true", help="where one turn's time goes")
    parser.add_argument("--no-flood", action="store_true", help="skip scripts/flood_bench.py")
    args = parser.parse_args(argv)
    if args.profile:
        from scripts.turn_profile import profile

        block = asyncio.run(profile(args.length))
        print(block)
        if not args.no_doc:
            write_doc("profile", block)
        return 0
    if args.quick:
        args.duration, args.concurrency, args.sequential, args.length = 5, [1, 5], 10, 40
        args.no_peer = args.no_train = args.no_doc = True

    models = {"ours": MODEL}
    if not args.no_peer:
        models["peer"] = peer_model()
    results = {name: measure(name, model, args) for name, model in models.items()}
    train = None if args.no_train else time_training()
    command = (
        "make bench"
        if argv is None and not sys.argv[1:]
        else "python -m scripts.bench " + " ".join(sys.argv[1:] if argv is None else argv)
    )
    table = markdown(results, train, command)
    print(table)
    if args.json:
        pathlib.Path(args.json).write_text(
            json.dumps({"results": results, "train": train}, indent=2)
        )
    if not args.no_doc:
        write_doc("bench", table)
    if not (args.quick or args.no_flood):
        from scripts import flood_bench

        return flood_bench.main(["--no-doc"] if args.no_doc else [])
    return 0


if __name__ == "__main__":
    sys.exit(main())
