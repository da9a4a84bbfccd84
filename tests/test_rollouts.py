"""Episodes and the rollout driver: records, seeds, concurrency, resume after a kill.

Participants are the package's scripted ones, and an `LLMAgent` over the stand-in
OpenAI-compatible server with a *seeded* responder (its choices depend on the request's
seed), which is what "(scenario, seed) reproduces an episode" is about.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from gem_env.env import ToolUseEnv
from gem_env.errors import GemEnvError
from gem_env.messages import Message, tool_call
from gem_env.participants import LLMAgent, ScriptedAgent, ScriptedUser
from gem_env.rollout_store import read_rollouts
from gem_env.rollouts import arun_episode, run_episode, run_rollouts, trial_seed
from gem_env.scenario import Scenario
from gem_env.trajectory import Termination, parse_trajectory
from synth.backends import OpenAIChatModel, StandInServer

ROOT = Path(__file__).resolve().parent.parent
EMAILS = ["maya.chen@example.com", "omar.haddad@example.com", "grace.mbeki@example.com"]


def scenario(sid: str, wanted: str = "maya.chen@example.com") -> Scenario:
    return Scenario(
        id=sid,
        system_prompt=f"You are the returns desk of the Northwind store ({sid}).",
        user={"goal": "Which orders do I have?", "known_info": {"email": wanted}},
        required_outputs=[wanted],
        max_turns=6,
        toolkit="online_store_returns",
    )


SCENARIOS = [scenario("s1"), scenario("s2", "omar.haddad@example.com")]


def make_env() -> ToolUseEnv:
    return ToolUseEnv(
        scenarios=SCENARIOS, user=ScriptedUser(["Which orders do I have?", "Thanks! ###STOP###"])
    )


def scripted_agent() -> ScriptedAgent:
    call = tool_call("c1", "find_orders", {"email": "maya.chen@example.com"})
    return ScriptedAgent([Message.assistant(None, [call]), "maya.chen@example.com has orders."])


def seeded_responder(body: dict[str, Any]) -> dict[str, Any]:
    """Look up a seed-chosen email, then report it (success iff it is the user's)."""
    rng = random.Random(body.get("seed"))
    if not any(m["role"] == "assistant" for m in body["messages"]):
        email = rng.choice(EMAILS)
        return {
            "tool_calls": [{"function": {"name": "find_orders", "arguments": {"email": email}}}]
        }
    looked_up = next(m for m in body["messages"] if m.get("tool_calls"))
    email = json.loads(looked_up["tool_calls"][0]["function"]["arguments"])["email"]
    return {"content": f"I found the orders of {email}."}


def test_run_episode_records_the_conversation_and_the_reward() -> None:
    env = make_env()
    result = run_episode(env, scripted_agent(), scenario=SCENARIOS[0], seed=7)
    traj = result.trajectory
    assert [m.role for m in traj.messages] == [
        "system", "user", "assistant", "tool", "assistant", "user",
    ]  # fmt: skip
    assert traj.termination == Termination.user_stop and traj.seed == 7
    assert '"orders"' in traj.messages[3].content
    assert result.reward == 1.0 and result.info["reward_info"]["passed"]
    other = run_episode(env, scripted_agent(), scenario="s2", seed=7)
    assert other.reward == 0.0  # says maya's email, the user is omar
    again = asyncio.run(arun_episode(env, scripted_agent(), scenario=SCENARIOS[0], seed=7))
    assert again.trajectory == traj


def test_run_episode_inside_a_loop_says_to_await() -> None:
    async def inside() -> None:
        run_episode(make_env(), scripted_agent(), scenario="s1", seed=1)

    with pytest.raises(GemEnvError, match="arun_episode"):
        asyncio.run(inside())


def test_trial_seeds_are_stable_and_distinct() -> None:
    assert trial_seed("s1", 0) == trial_seed("s1", 0)
    seeds = {trial_seed(s, t, b) for s in ("s1", "s2") for t in range(50) for b in (0, 1)}
    assert len(seeds) == 200 and all(0 <= x < 2**31 for x in seeds)


def test_rollouts_stream_verifiable_records(tmp_path: Path) -> None:
    out = tmp_path / "rollouts.jsonl"
    run = asyncio.run(
        run_rollouts(make_env, scripted_agent, SCENARIOS, 3, concurrency=3, out_path=out,
                     progress=False)
    )  # fmt: skip
    assert run.complete and run.ran == 6 and run.resumed == 0
    assert run.rewards == {"s1": [1.0, 1.0, 1.0], "s2": [0.0, 0.0, 0.0]}
    records = read_rollouts(out)
    assert len(records) == 6
    keys = {(r["rollout"]["scenario_id"], r["rollout"]["trial"]) for r in records}
    assert keys == {(s, t) for s in ("s1", "s2") for t in range(3)}
    for record in records:
        meta = record["rollout"]
        assert meta["seed"] == trial_seed(meta["scenario_id"], meta["trial"])
        traj = parse_trajectory(json.dumps(record))  # a trajectory@1 record, as is
        assert traj.seed == meta["seed"] and traj.final_state_hash.startswith("sha256:")


def test_seeded_participants_reproduce_an_episode_from_scenario_and_seed(tmp_path: Path) -> None:
    with StandInServer(seeded_responder) as server:
        model = OpenAIChatModel("stand-in", base_url=server.url)
        run = asyncio.run(
            run_rollouts(make_env, lambda: LLMAgent(model), SCENARIOS, 4, concurrency=4,
                         out_path=tmp_path / "r.jsonl", progress=False)
        )  # fmt: skip
        assert run.complete
        records = read_rollouts(tmp_path / "r.jsonl")
        chosen = {r["messages"][2]["tool_calls"][0]["function"]["arguments"] for r in records}
        assert len(chosen) > 1  # the seed matters
        env = make_env()
        for record in records[:4]:
            meta = record["rollout"]
            again = run_episode(
                env, LLMAgent(OpenAIChatModel("stand-in", base_url=server.url)),
                scenario=meta["scenario_id"], seed=meta["seed"],
            )  # fmt: skip
            replayed = again.trajectory.model_dump(mode="json", exclude_none=True)
            assert replayed["messages"] == record["messages"]
            assert replayed["final_state_hash"] == record["final_state_hash"]
            assert again.reward == meta["reward"]


class SlowAgent:
    """Waits `delay` seconds per turn (a model call), then plays the scripted agent. A
    test double that fails on one scenario by id: it declares itself privileged to be
    given the scenario."""

    name = "slow"
    privileged = True

    def __init__(self, delay: float, fail_for: str | None = None):
        self.delay, self.fail_for, self.inner = delay, fail_for, scripted_agent()

    def reset(self, scenario: Scenario, tools: list[dict[str, Any]], seed: int | None) -> None:
        if scenario.id == self.fail_for:
            raise ConnectionError("model server went away")
        self.inner.reset(scenario, tools, seed)

    in_flight = 0  # model calls waiting right now, over all instances
    max_in_flight = 0

    async def act(self, messages: list[Message], tools: list[dict[str, Any]]) -> Any:
        SlowAgent.in_flight += 1
        SlowAgent.max_in_flight = max(SlowAgent.max_in_flight, SlowAgent.in_flight)
        try:
            await asyncio.sleep(self.delay)
        finally:
            SlowAgent.in_flight -= 1
        return await self.inner.act(messages, tools)


def test_model_calls_overlap_under_the_concurrency_bound() -> None:
    scenarios = [scenario(f"c{i}") for i in range(6)]
    warm = []
    for _ in scenarios:  # envs built and their toolkit compiled out of the timing
        env = ToolUseEnv(scenarios=scenarios, user=ScriptedUser(["Hi", "Bye ###STOP###"]))
        env.reset(options={"scenario": "c0"})
        warm.append(env)

    def most_overlapping(concurrency: int) -> int:
        """How many model calls were in flight together (no wall-clock thresholds)."""
        envs = iter(warm)
        SlowAgent.max_in_flight = 0
        asyncio.run(
            run_rollouts(lambda: next(envs), lambda: SlowAgent(0.05), scenarios, 1,
                         concurrency=concurrency, progress=False)
        )  # fmt: skip
        return SlowAgent.max_in_flight

    assert most_overlapping(1) == 1  # one episode at a time
    assert most_overlapping(3) == 3  # calls overlap, never past the bound


def test_failed_episodes_are_not_recorded_and_a_rerun_retries_them(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    run = asyncio.run(
        run_rollouts(make_env, lambda: SlowAgent(0, fail_for="s2"), SCENARIOS, 2,
                     concurrency=2, out_path=out, progress=False)
    )  # fmt: skip
    assert not run.complete and [(f.scenario_id, f.trial) for f in run.failures] == [
        ("s2", 0), ("s2", 1),
    ]  # fmt: skip
    assert "ConnectionError: model server went away" in run.failures[0].error
    assert run.rewards["s2"] == [None, None] and run.outcomes()["s2"] == []
    again = asyncio.run(
        run_rollouts(make_env, scripted_agent, SCENARIOS, 2, concurrency=2, out_path=out,
                     progress=False)
    )  # fmt: skip
    assert again.complete and again.ran == 2 and again.resumed == 2
    assert len(read_rollouts(out)) == 4


def test_max_failures_stops_starting_episodes(tmp_path: Path) -> None:
    scenarios = [scenario(f"f{i}") for i in range(6)]

    def envs() -> ToolUseEnv:
        return ToolUseEnv(scenarios=scenarios, user=ScriptedUser(["Hi", "Bye ###STOP###"]))

    run = asyncio.run(
        run_rollouts(envs, lambda: SlowAgent(0, fail_for="f0"), scenarios[:1] * 1, 4,
                     concurrency=1, max_failures=2, progress=False)
    )  # fmt: skip
    assert len(run.failures) == 2 and run.not_run == 2


def test_resume_repairs_a_truncated_line_and_drops_duplicates(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    asyncio.run(
        run_rollouts(make_env, scripted_agent, SCENARIOS, 3, concurrency=2, out_path=out,
                     progress=False)
    )  # fmt: skip
    lines = out.read_text().splitlines(keepends=True)
    out.write_text("".join([*lines[:3], lines[1], lines[3][: len(lines[3]) // 2]]))
    built: list[int] = []

    def counting_agent() -> ScriptedAgent:
        built.append(1)
        return scripted_agent()

    run = asyncio.run(
        run_rollouts(make_env, counting_agent, SCENARIOS, 3, concurrency=2, out_path=out,
                     progress=False)
    )  # fmt: skip
    assert run.complete and run.resumed == 3 and run.ran == 3 and len(built) == 3
    assert run.repaired_lines == 2
    records = read_rollouts(out)
    keys = [(r["rollout"]["scenario_id"], r["rollout"]["trial"]) for r in records]
    assert len(keys) == len(set(keys)) == 6
    assert all(line.endswith("\n") for line in out.read_text().splitlines(keepends=True))
    more = asyncio.run(
        run_rollouts(make_env, scripted_agent, SCENARIOS, 4, out_path=out, progress=False)
    )  # a larger k runs only the new trials; a smaller one runs nothing
    assert (more.resumed, more.ran) == (6, 2) and len(read_rollouts(out)) == 8
    fewer = asyncio.run(
        run_rollouts(make_env, scripted_agent, SCENARIOS, 1, out_path=out, progress=False)
    )
    assert (fewer.resumed, fewer.ran) == (2, 0) and fewer.rewards == {"s1": [1.0], "s2": [0.0]}
    with pytest.raises(GemEnvError, match="seed"):
        asyncio.run(
            run_rollouts(make_env, scripted_agent, SCENARIOS, 4, out_path=out, base_seed=1,
                         progress=False)
        )  # fmt: skip


KILL_SCRIPT = """
import asyncio, sys
sys.path.insert(0, {root!r}); sys.path.insert(0, {tests!r})
from test_rollouts import SCENARIOS, SlowAgent, make_env
from gem_env.rollouts import run_rollouts
run = asyncio.run(run_rollouts(make_env, lambda: SlowAgent({delay}), SCENARIOS, 6,
                               concurrency=2, out_path={out!r}, progress=False))
print(run.ran, run.resumed, flush=True)
"""


def test_a_killed_run_resumes_without_duplicates(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"

    def script(delay: float) -> list[str]:
        code = KILL_SCRIPT.format(
            root=str(ROOT), tests=str(ROOT / "tests"), delay=delay, out=str(out)
        )
        return [sys.executable, "-c", textwrap.dedent(code)]

    proc = subprocess.Popen(script(0.15), stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if out.exists() and out.read_text().count("\n") >= 3:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(read_rollouts(out))
    assert 3 <= done_before < 12
    finished = subprocess.run(script(0.0), capture_output=True, text=True, timeout=60)
    assert finished.returncode == 0, finished.stderr
    ran, resumed = map(int, finished.stdout.split())
    assert resumed == done_before and ran == 12 - done_before
    keys = [(r["rollout"]["scenario_id"], r["rollout"]["trial"]) for r in read_rollouts(out)]
    assert sorted(keys) == sorted({(s.id, t) for s in SCENARIOS for t in range(6)})
