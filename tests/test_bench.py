"""The pure parts of scripts/bench.py (make bench itself takes minutes)."""

from __future__ import annotations

import asyncio
import json

from scripts import bench, loadgen, turn_profile


def turn(index: int, latency: float, status: int = 200) -> loadgen.Turn:
    t = loadgen.Turn("s", index, "tiếp", "Bước", started=0.0, ended=latency, status=status)
    t.reply = "Bước 2/4"
    return t


def test_splice_replaces_only_its_block():
    doc = "# Bench\n\nintro\n\n<!-- bench:start -->\nold\n<!-- bench:end -->\n\n## Notes\nkept\n"
    out = bench.splice(doc, "bench", "new\n")
    assert "old" not in out and "new" in out
    assert out.startswith("# Bench\n\nintro") and out.endswith("## Notes\nkept\n")
    assert bench.splice(out, "bench", "new\n") == out


def test_splice_appends_missing_markers():
    out = bench.splice("# Bench\n", "profile", "rows\n")
    assert out == "# Bench\n\n<!-- profile:start -->\nrows\n<!-- profile:end -->\n"


def test_window_p50s_compares_first_and_last_turns():
    turns = [turn(i, 0.010 if i < 20 else 0.030) for i in range(200)]
    turns.append(turn(200, 9.0, status=500))  # failed turns are not latencies
    assert bench.window_p50s(turns) == (10.0, 30.0)
    assert bench.window_p50s([turn(0, 0.01), turn(1, 0.02)]) == (10.0, 20.0)


def test_peer_model_is_the_one_make_eval_trains_on_the_current_data(tmp_path):
    from scripts.eval_training import training_hash

    assert bench.peer_model(tmp_path, train=False) is None
    stale = tmp_path / "default-000000000000.tar.gz"  # another version of the data
    stale.write_bytes(b"")
    assert bench.peer_model(tmp_path, train=False) is None
    current = tmp_path / f"default-{training_hash(bench.PEER_CONFIG)}"
    current.with_suffix(".tar.gz").write_bytes(b"")
    current.with_suffix(".json").write_text(json.dumps({"train_seconds": 1.0, "command": "x"}))
    assert bench.peer_model(tmp_path, train=False) == current.with_suffix(".tar.gz")
    assert bench.peer_model(tmp_path) == current.with_suffix(".tar.gz")  # reused, not trained


def figures(rps: float, p95: float, custom: float = 20.0, rss: float = 600.0) -> dict:
    return {
        "sweep": {20: {"rps": rps, "p95": p95}},
        "sequential": {"custom_p50_ms": custom},
        "peak_rss_mib": rss,
        "startup_s": 12.0,
    }


def test_targets_pass_and_fail():
    rows = bench.targets(figures(60, 100), figures(20, 400), {"seconds": 80.0})
    assert all(passed for _, _, passed in rows), rows
    rows = dict(
        (t, p) for t, _, p in bench.targets(figures(30, 300, 40, 1000), figures(20, 400), None)
    )
    assert not rows["20 conversations: throughput >= 2x peer"]
    assert not rows["20 conversations: p95 <= 0.5x peer"]
    assert not rows["one conversation: custom-action p50 <= 25 ms"]
    assert not rows["RSS of the Rasa process (ours) <= 1.0 GB"]  # 1000 MiB > 1e9 bytes
    assert "full training <= 90 s" not in rows  # not measured: no row


def test_timed_adds_up_sync_and_async_calls():
    spent: dict[str, float] = {}

    async def slow():
        await asyncio.sleep(0.02)
        return 1

    assert turn_profile.timed(lambda x: x + 1, "sync", spent)(1) == 2
    assert asyncio.run(turn_profile.timed(slow, "async", spent)()) == 1
    # The event loop may wake a sleeper up to its clock resolution early.
    assert spent["async"] >= 0.015 and "sync" in spent


def test_breakdown_derives_lock_and_uncovered_time():
    per_turn = [
        {"total": 0.010, "processor": 0.008, "NLU parse": 0.003, "policy prediction": 0.001}
    ]
    mean = turn_profile.breakdown(per_turn)
    assert mean["lock store + agent"] == 2.0
    assert mean["other (session check, events, …)"] == 4.0
