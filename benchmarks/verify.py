"""Benchmark: the cost of verifying trajectories, as ratios measured in one run.

Run: ``python benchmarks/verify.py`` (add ``--json`` for machine-readable output).

The workload is real trajectories: one episode of the heuristic agent and user per
bundled scenario (15) plus ``tests/fixtures/trajectory-library_loans.jsonl``, 1 to 6
calls each; and a long one, 200 calls on ``online_store_returns`` recorded as the env
records them, where the per-call cost dominates. The baseline executes the same calls
as plain Python: the toolkit's source exec'd once, a JSON copy of the initial state,
then per call ``json.loads`` of the arguments, the function, canonical JSON of the
result (or of ``{"error": ...}``) compared with the recorded tool message as text.
Toolkits are compiled once (the verifiers' pool; the plain source exec'd once).

1. ``verify(trajectory, [ReplayCheck()])`` (replay, output comparisons, final state
   hash) vs the plain baseline, on the real trajectories          target <= 3x
   (DESIGN.md section 7)
2. the same on the 200-call trajectory                            target <= 3x
   and, to split that ratio, the replay vs the same calls run on the compiled toolkit
   alone (no pairing, comparison or hashing: the verifier's own cost) (info), with the
   sandboxed calls vs plain as ``sandboxed_calls_vs_plain``
3. ``verify(trajectory)`` (every default check) vs the plain baseline (info; the
   200-call trajectory's ratio as ``ratio_200_calls``)
4. real trajectories verified per second on one core, default checks vs replay
   alone                                                          (info)
5. ``gem-env verify --isolation process`` over 1,000 real trajectories (a JSONL file,
   every default check) vs the same command in-process (``--isolation none``): the
   workers are reused across trajectories of one toolkit and each trajectory is
   replayed in one round trip                                      target <= 1.5x
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ratios import best, interleaved, ratio_main, ratio_row

from gem_env.env import ToolUseEnv
from gem_env.messages import Message, tool_call
from gem_env.participants.heuristic import HeuristicAgent, HeuristicUser
from gem_env.rollouts import run_episode
from gem_env.scenario import Scenario
from gem_env.trajectory import Termination, Trajectory, read_trajectories
from synth.cli import main as gem_env
from toolkits import canonical_json, compile_toolkit, dump_toolkit
from toolkits.examples import load_example
from toolkits.pool import DEFAULT_POOL
from verifiers import ReplayCheck, ToolkitPool, verify

FIXTURE = Path(__file__).resolve().parent.parent / "tests/fixtures/trajectory-library_loans.jsonl"
TOOLKIT = "online_store_returns"
EMAIL = "maya.chen@example.com"
SHIP_FROM = {
    "name": "Maya Chen",
    "street": "42 Harbor Street",
    "city": "Portland",
    "postal_code": "97205",
    "country": "US",
}
REPLAY = [ReplayCheck()]


def real_trajectories() -> list[Trajectory]:
    """One heuristic episode per bundled scenario, and the fixture trajectory."""
    env = ToolUseEnv(user=HeuristicUser())
    episodes = [run_episode(env, HeuristicAgent(), scenario=s.id, seed=0) for s in env.scenarios]
    env.close()
    assert all(e.reward == 1.0 for e in episodes), [e.info for e in episodes]
    fixture = [t for _, t in read_trajectories(FIXTURE)]
    assert all(isinstance(t, Trajectory) for t in fixture), fixture
    return [e.trajectory for e in episodes] + fixture  # type: ignore[operator]


def long_trajectory(cycles: int = 25) -> Trajectory:
    """`cycles` x 8 calls on the store toolkit (look up, open, label and cancel an RMA),
    recorded as the env records them: one assistant tool call, then its tool message."""
    spec = load_example(TOOLKIT)
    toolkit = compile_toolkit(spec)
    scenario = Scenario(
        id="bench-200-calls",
        system_prompt="You are the returns desk of the Northwind store.",
        user={"goal": "Return the headphones of order ORD-1001.", "known_info": {"email": EMAIL}},
        goal_assertions=[{"description": "RMAs opened", "expr": "len(state['rmas']) > 1"}],
        max_turns=1000,
        toolkit=TOOLKIT,
    )
    opening = (
        f"I want to return the headphones of order ORD-1001. My email is {EMAIL}; I ship "
        "from 42 Harbor Street, Portland 97205, US."
    )
    messages = [Message.system(scenario.system_prompt), Message.user(opening)]

    def call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        call_id = f"call_{len(messages) // 2}"
        text = json.dumps(arguments, ensure_ascii=False)
        result = toolkit.call(name, text)
        assert result.ok, result.error
        messages.append(Message.assistant(tool_calls=[tool_call(call_id, name, text)]))
        messages.append(Message.tool(call_id, result.content))
        return json.loads(result.content)

    item = {"line_id": "L2", "quantity": 1, "reason": "defective", "condition": "opened"}
    for _ in range(cycles):
        call("find_orders", {"email": EMAIL})
        call("get_order", {"order_id": "ORD-1001"})
        call("search_products", {"query": "tee"})
        rma = call("create_rma", {"order_id": "ORD-1001", "items": [item], "resolution": "refund"})
        rma_id = rma["rma_id"]
        call("issue_return_label", {"rma_id": rma_id, "carrier": "UPS", "ship_from": SHIP_FROM})
        call("get_rma", {"rma_id": rma_id})
        call("cancel_rma", {"rma_id": rma_id})
        call("get_order", {"order_id": "ORD-1001"})
    messages.append(Message.assistant(f"Done: {cycles} returns opened and cancelled."))
    messages.append(Message.user("Thanks! ###STOP###"))
    return Trajectory(
        id="bench-200-calls-0",
        seed=0,
        toolkit=dump_toolkit(spec),
        scenario=scenario,
        messages=messages,
        termination=Termination.user_stop,
        final_state_hash=toolkit.state_hash(),
    )


class _PlainToolError(Exception):
    pass


def plain_functions(source: str) -> dict[str, Any]:
    """A toolkit's source as plain Python (no sandbox)."""
    namespace: dict[str, Any] = {"ToolError": _PlainToolError}
    exec(compile(source, "<plain>", "exec"), namespace)
    return namespace


def plain_replay(trajectory: Trajectory, funcs: dict[str, Any]) -> int:
    """The baseline: the trajectory's calls as plain Python from a JSON copy of the
    initial state, each output compared with the recorded one; return the mismatches."""
    initial = trajectory.scenario.initial_state
    if initial is None:
        initial = trajectory.toolkit["initial_state"]
    state = json.loads(json.dumps(initial))
    messages = trajectory.messages
    recorded = {m.tool_call_id: m.content for m in messages if m.role == "tool"}
    mismatches = 0
    for message in messages:
        for call in message.tool_calls or ():
            args = json.loads(call.function.arguments)
            try:
                content = canonical_json(funcs[call.function.name](state, **args))
            except _PlainToolError as exc:
                content = canonical_json({"error": str(exc)})
            mismatches += content != recorded.get(call.id)
    return mismatches


def verify_command_seconds(path: Path, isolations: list[str], rounds: int = 3) -> list[float]:
    """Best wall time of ``gem-env verify PATH --isolation I`` (output discarded) for
    each isolation, in alternating rounds, each run from an empty pool (the first
    trajectory of a toolkit compiles it; a worker is forked for it)."""
    times = [float("inf")] * len(isolations)
    for _ in range(rounds):
        for i, isolation in enumerate(isolations):
            DEFAULT_POOL.clear()
            started = time.perf_counter()
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = gem_env(["verify", str(path), "--isolation", isolation])
            times[i] = min(times[i], time.perf_counter() - started)
            assert code == 0, f"verify --isolation {isolation} exit {code}"
    return times


def run() -> dict[str, Any]:
    """Measure every ratio."""
    real, long = real_trajectories(), long_trajectory()
    pool = ToolkitPool()
    plain: dict[str, dict[str, Any]] = {}  # the source exec'd once per toolkit, as compiled
    for trajectory in [*real, long]:  # warm the pool; sanity: everything verifies
        source = trajectory.toolkit["source"]
        funcs = plain.get(source) or plain.setdefault(source, plain_functions(source))
        assert plain_replay(trajectory, funcs) == 0, trajectory.id
        report = verify(trajectory, pool=pool)
        assert report.passed, (trajectory.id, report.codes())
    pairs = [(t, plain[t.toolkit["source"]]) for t in real]
    long_funcs = plain[long.toolkit["source"]]

    def replay_all() -> None:
        for trajectory in real:
            verify(trajectory, REPLAY, pool=pool)

    def default_all() -> None:
        for trajectory in real:
            verify(trajectory, pool=pool)

    def plain_all() -> None:
        for trajectory, funcs in pairs:
            plain_replay(trajectory, funcs)

    n = len(real)
    sandboxed = compile_toolkit(long.toolkit)
    long_calls = [
        (c.function.name, c.function.arguments)
        for m in long.messages
        if m.role == "assistant"
        for c in m.tool_calls or []
    ]

    def sandboxed_calls() -> None:  # the calls alone: no pairing, comparison or hashing
        sandboxed.reset(long.scenario.initial_state)
        for name, arguments in long_calls:
            sandboxed.call(name, arguments)

    gc.collect()
    gc.freeze()  # the benchmark's own setup objects are no work for the collector
    short = interleaved({"replay": (replay_all, 4), "plain": (plain_all, 4)}, rounds=15)
    default = interleaved({"default": (default_all, 4), "plain": (plain_all, 4)}, rounds=9)
    lengthy = interleaved(
        {
            "replay_long": (lambda: verify(long, REPLAY, pool=pool), 2),
            "plain_long": (lambda: plain_replay(long, long_funcs), 2),
            "sandbox_long": (sandboxed_calls, 2),
        },
        rounds=15,
    )
    t_default_long = best(lambda: verify(long, pool=pool), 1, repeat=9)
    times = {**short, **lengthy, "default": default["default"]}
    gc.unfreeze()
    t_replay, t_default, t_plain = (times[k] / n for k in ("replay", "default", "plain"))
    t_replay_long = times["replay_long"]
    t_plain_long, t_sandbox_long = times["plain_long"], times["sandbox_long"]
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "trajectories.jsonl"
        lines = [t.to_json_line() for t in real]
        file.write_text("\n".join(lines[i % len(lines)] for i in range(1000)) + "\n")
        t_verify_none, t_verify_process = verify_command_seconds(file, ["none", "process"])
    return {
        "replay_vs_plain": {
            "ratio": round(t_replay / t_plain, 2),
            "target": 3.0,
            "us": [round(t_replay * 1e6, 1), round(t_plain * 1e6, 1)],
        },
        "replay_vs_plain_200_calls": {
            "ratio": round(t_replay_long / t_plain_long, 2),
            "target": 3.0,
            "ms": [round(t_replay_long * 1e3, 2), round(t_plain_long * 1e3, 2)],
        },
        "replay_vs_sandboxed_calls_200_calls": {
            "ratio": round(t_replay_long / t_sandbox_long, 2),
            "target": None,
            "ms": [round(t_replay_long * 1e3, 2), round(t_sandbox_long * 1e3, 2)],
            "sandboxed_calls_vs_plain": round(t_sandbox_long / t_plain_long, 2),
        },
        "default_checks_vs_plain": {
            "ratio": round(t_default / t_plain, 2),
            "target": None,
            "us": [round(t_default * 1e6, 1), round(t_plain * 1e6, 1)],
            "ratio_200_calls": round(t_default_long / t_plain_long, 2),
        },
        "verify_1000_isolated_vs_in_process": ratio_row(
            t_verify_process, t_verify_none, 1.5, "s", 1.0
        ),
        "default_checks_vs_replay_alone": {
            "ratio": round(t_default / t_replay, 2),
            "target": None,
            "trajectories_per_s": [round(1 / t_default, 1), round(1 / t_replay, 1)],
        },
    }


def main(argv: list[str] | None = None) -> int:
    """Print the ratios (or JSON with --json); exit 0."""
    return ratio_main(run, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
