"""Where one turn's time goes: our model loaded in this process with the
endpoints of `make run` (a fresh SQLite database, the real action server),
each component timed per turn, then the same with an in-memory tracker
store, and cProfile. `python -m scripts.bench --profile` runs it.
"""

from __future__ import annotations

import asyncio
import logging
import pathlib
import tempfile
import time

from scripts import loadgen
from scripts.bench import load
from scripts.harness import MODEL, ROOT, free_port, start_action_server, write_endpoints

# Where one turn goes: (label, owner, attribute). Owners are resolved on the
# loaded agent ("agent", "processor", "store") or are classes; nested timers
# overlap on purpose (the processor contains the rest), see breakdown().
TIMERS = [
    ("total", "agent", "handle_message"),
    ("processor", "processor", "handle_message"),
    ("tracker store retrieve", "store", "retrieve"),
    ("tracker store save", "store", "save"),
    ("NLU parse", "processor", "parse_message"),
    ("slot extraction", "processor", "run_action_extract_slots"),
    ("policy prediction", "processor", "_predict_next_with_tracker"),
    ("  RulePolicy", "RulePolicy", "predict_action_probabilities"),
    ("  MemoizationPolicy", "MemoizationPolicy", "predict_action_probabilities"),
    ("actions (all)", "processor", "_run_action"),
    ("  action server call", "RemoteAction", "run"),
    ("    response schema check", "RemoteAction", "_validate_action_result"),
]


def timed(function, label: str, spent: dict[str, float]):
    """`function` (sync or async) adding its wall time to spent[label]."""
    if asyncio.iscoroutinefunction(function):

        async def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - started
    else:

        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - started

    return wrapper


def instrument(owners: dict, spent: dict[str, float]) -> None:
    """Wraps the TIMERS whose owner is among `owners` (name -> class or object)."""
    for label, owner, attribute in TIMERS:
        if owner in owners:
            target = owners[owner]
            setattr(target, attribute, timed(getattr(target, attribute), label, spent))


def breakdown(per_turn: list[dict[str, float]]) -> dict[str, float]:
    """Mean ms per turn of each timer, plus the lock (agent minus processor) and
    what no timer covers inside the processor."""
    labels = {label for turn in per_turn for label in turn}
    mean = {k: 1000 * sum(t.get(k, 0.0) for t in per_turn) / len(per_turn) for k in labels}
    mean["lock store + agent"] = mean.get("total", 0.0) - mean.get("processor", 0.0)
    parts = ("tracker store retrieve", "tracker store save", "NLU parse", "slot extraction")
    covered = sum(mean.get(k, 0.0) for k in (*parts, "policy prediction", "actions (all)"))
    mean["other (session check, events, …)"] = mean.get("processor", 0.0) - covered
    return {k: round(v, 2) for k, v in mean.items()}


async def conversation(agent, sender: str, turns: int, spent: dict) -> list[dict]:
    per_turn = []
    for index in range(turns):
        text, expected = loadgen.SCRIPT[index % len(loadgen.SCRIPT)]
        spent.clear()
        replies = await agent.handle_text(text, sender_id=sender)
        if expected not in loadgen.joined(replies):
            raise RuntimeError(f"turn {index} {text!r}: {replies}")
        per_turn.append(dict(spent))
    return per_turn


async def profile(turns: int) -> str:
    """Our model in this process, endpoints.yml with a fresh SQLite database and the
    real action server: mean time per component for the first and last 20 turns of
    one conversation, then the same with an in-memory tracker store, and cProfile."""
    import cProfile
    import io
    import pstats
    import secrets

    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import load_agent
    from rasa.core.policies.memoization import MemoizationPolicy
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.log_utils import configure_structlog

    import addons

    addons.install_all()  # as `python -m addons run` does

    # `rasa run`'s log level: debug logging prints the whole tracker every turn.
    logging.basicConfig(level=logging.INFO)
    configure_structlog(logging.INFO)

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="vssid-bench-profile-"))
    port, token = free_port(), secrets.token_urlsafe(16)
    actions = start_action_server(port, token, ROOT / "logs" / "bench")
    try:
        write_endpoints(tmp / "endpoints.yml", port, token)
        spent: dict[str, float] = {}
        classes = {"RulePolicy": RulePolicy, "MemoizationPolicy": MemoizationPolicy}
        instrument({**classes, "RemoteAction": RemoteAction}, spent)  # the graph binds on load
        agent = await load_agent(
            model_path=str(MODEL),
            endpoints=AvailableEndpoints.read_endpoints(str(tmp / "endpoints.yml")),
        )
        instrument(
            {"agent": agent, "processor": agent.processor, "store": agent.tracker_store}, spent
        )
        await conversation(agent, "warm-up", 10, spent)
        started = time.monotonic()
        sql = await conversation(agent, "profile-sql", turns, spent)
        sql_seconds = time.monotonic() - started
        memory = InMemoryTrackerStore(agent.domain)
        agent.processor.tracker_store = agent.tracker_store = memory
        memory.retrieve = timed(memory.retrieve, "tracker store retrieve", spent)
        memory.save = timed(memory.save, "tracker store save", spent)
        in_memory = await conversation(agent, "profile-memory", turns, spent)
        profiler = cProfile.Profile()
        profiler.enable()
        await conversation(agent, "profile-cprofile", 50, spent)
        profiler.disable()
    finally:
        actions.stop()
    window = min(20, turns // 2)
    columns = {
        f"SQLite, turns 1-{window}": breakdown(sql[:window]),
        f"SQLite, turns {turns - window + 1}-{turns}": breakdown(sql[-window:]),
        f"in-memory, turns 1-{window}": breakdown(in_memory[:window]),
        f"in-memory, turns {turns - window + 1}-{turns}": breakdown(in_memory[-window:]),
    }
    labels = [label for label, _, _ in TIMERS] + list(breakdown([{}]))[-2:]
    lines = [
        f"In-process `Agent.handle_text`, one conversation of {turns} turns ({sql_seconds:.1f} s "
        f"on SQLite), mean ms per turn; load average {load()}.",
        "",
        "| component | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for label in labels:
        cells = " | ".join(str(c.get(label, 0.0)) for c in columns.values())
        lines.append(f"| {label} | {cells} |")
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(15)
    top = "\n".join(line[:150] for line in stream.getvalue().splitlines() if line.strip())
    lines += [
        "",
        "cProfile, 50 turns (in-memory store), top 15 by own time:",
        "",
        "```",
        top,
        "```",
    ]
    return "\n".join(lines) + "\n"
