"""Benchmark: the cost of the env and of the rollout driver, as ratios measured in one run.

Run: ``python benchmarks/env.py`` (add ``--json`` for machine-readable output).

1. ``env.step`` with one tool call (an OpenAI assistant dict, as a model backend returns
   it) vs a direct ``Toolkit.call`` of the same call on the same toolkit   target <= 1.5x
   (DESIGN.md section 7). Both timed over 10-call episodes, resets untimed (a reset
   leaves the first calls after it slower, for both); the ratio to calls never
   interrupted by a reset is also reported (``ratio_vs_warm_call``).
2. episodes per second with scripted participants (3 agent turns: two tool calls and an
   answer; the user opens and stops; goal reward at the end) through ``run_episode``,
   and the ratio to running the same tool calls directly                    (info)
3. the rollout driver against an agent of fixed latency L at concurrency C: achieved
   episodes per second vs the ideal C / (L x turns)                          (info; the
   pipeline's target for its requests is >= 0.9)
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import timeit
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ratios import ratio_main

from gem_env.env import ToolUseEnv
from gem_env.messages import Message, tool_call
from gem_env.participants import ScriptedAgent, ScriptedUser
from gem_env.rollouts import run_episode, run_rollouts
from gem_env.scenario import Scenario
from toolkits import compile_toolkit
from toolkits.examples import load_example

TOOLKIT = "online_store_returns"
ARGS = '{"order_id": "ORD-1001"}'
EMAIL = "maya.chen@example.com"


def _scenario(sid: str = "bench", max_turns: int = 1000) -> Scenario:
    return Scenario(
        id=sid,
        system_prompt="You are the returns desk of the Northwind store.",
        user={"goal": "What is in my order ORD-1001?", "known_info": {"email": EMAIL}},
        goal_assertions=[{"description": "no RMA opened", "expr": "len(state['rmas']) == 1"}],
        required_outputs=["ORD-1001"],
        max_turns=max_turns,
        toolkit=TOOLKIT,
    )


def _user() -> ScriptedUser:
    return ScriptedUser(["What is in my order ORD-1001?", "Thanks! ###STOP###"])


def _agent() -> ScriptedAgent:
    return ScriptedAgent(
        [
            {"tool_calls": [_call("c1", "find_orders", {"email": EMAIL})]},
            {"tool_calls": [_call("c2", "get_order", {"order_id": "ORD-1001"})]},
            "Order ORD-1001 holds two tees.",
        ]
    )


def _call(call_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return tool_call(call_id, name, arguments).model_dump()


def step_vs_call(steps_per_episode: int = 10, episodes: int = 300) -> dict[str, Any]:
    """Per-step time of env.step with a tool call vs Toolkit.call, best of 5 rounds."""
    env = ToolUseEnv(scenarios=[_scenario()], user=_user())
    actions = [  # what a backend returns: an assistant dict, a fresh call id per turn
        {"role": "assistant", "content": None, "tool_calls": [_call(f"c{i}", "get_order", {})]}
        for i in range(steps_per_episode)
    ]
    for action in actions:
        action["tool_calls"][0]["function"]["arguments"] = ARGS
    toolkit = compile_toolkit(load_example(TOOLKIT))
    assert env.reset(seed=0)[1]["tools"]
    _, _, _, _, info = env.step(actions[0])
    assert info["tool_results"][0]["ok"], info
    assert toolkit.call("get_order", ARGS).ok

    def one_round(reset: Any, step: Any) -> float:
        total = 0.0
        for _ in range(episodes):
            reset()
            start = time.perf_counter()
            for action in actions:
                step(action)
            total += time.perf_counter() - start
        return total / (episodes * steps_per_episode)

    def env_reset() -> None:
        env.reset(seed=0)

    def call(action: dict[str, Any]) -> None:
        toolkit.call("get_order", ARGS)

    # the same lifecycle for both: a reset (untimed) every `steps_per_episode` calls
    t_step = min(one_round(env_reset, env.step) for _ in range(5))
    t_call = min(one_round(toolkit.reset, call) for _ in range(5))
    n = episodes * steps_per_episode
    t_warm = min(timeit.repeat(lambda: toolkit.call("get_order", ARGS), number=n, repeat=5)) / n
    return {
        "ratio": round(t_step / t_call, 2),
        "target": 1.5,
        "us": [round(t_step * 1e6, 1), round(t_call * 1e6, 1)],
        "ratio_vs_warm_call": round(t_step / t_warm, 2),  # calls never interrupted by resets
    }


def episodes_per_second(episodes: int = 200) -> dict[str, Any]:
    """Scripted episodes through run_episode vs the same tool calls made directly."""
    env = ToolUseEnv(scenarios=[_scenario(max_turns=10)], user=_user())
    result = run_episode(env, _agent(), scenario="bench", seed=0)
    assert result.reward == 1.0, result.info
    toolkit = compile_toolkit(load_example(TOOLKIT))

    def direct() -> None:
        toolkit.reset()
        toolkit.call("find_orders", json.dumps({"email": EMAIL}))
        toolkit.call("get_order", ARGS)

    def episode() -> None:
        run_episode(env, _agent(), scenario="bench", seed=0)

    t_episode = min(timeit.repeat(episode, number=episodes, repeat=3)) / episodes
    t_direct = min(timeit.repeat(direct, number=episodes, repeat=3)) / episodes
    return {
        "ratio": round(t_episode / t_direct, 2),
        "target": None,
        "episodes_per_s": [round(1 / t_episode, 1), round(1 / t_direct, 1)],
    }


class _LatencyAgent:
    """The scripted agent behind a model call of fixed latency."""

    name = "latency"

    def __init__(self, latency: float):
        self.latency, self.inner = latency, _agent()

    def reset(self, scenario: Scenario, tools: list[dict[str, Any]], seed: int | None) -> None:
        self.inner.reset(scenario, tools, seed)

    async def act(self, messages: list[Message], tools: list[dict[str, Any]]) -> Any:
        await asyncio.sleep(self.latency)
        return await self.inner.act(messages, tools)


def driver_overlap(latency: float = 0.1, concurrency: int = 16, k: int = 8) -> dict[str, Any]:
    """Episodes per second of run_rollouts vs the ideal C / (L x turns)."""
    scenarios = [_scenario(f"s{i}", max_turns=10) for i in range(8)]
    envs = []
    for _ in range(concurrency):  # built (and their toolkit compiled) outside the timing
        env = ToolUseEnv(scenarios=scenarios, user=_user())
        env.reset(seed=0)
        envs.append(env)
    pool = iter(envs)
    start = time.perf_counter()
    run = asyncio.run(
        run_rollouts(
            lambda: next(pool),
            lambda: _LatencyAgent(latency),
            scenarios,
            k,
            concurrency=concurrency,
            progress=False,
        )
    )
    elapsed = time.perf_counter() - start
    assert run.complete and all(r == 1.0 for rows in run.rewards.values() for r in rows)
    achieved = len(scenarios) * k / elapsed
    ideal = concurrency / (latency * 3)  # three agent turns per episode
    return {
        "ratio": round(achieved / ideal, 2),
        "target": None,
        "episodes_per_s": [round(achieved, 1), round(ideal, 1)],
    }


def run() -> dict[str, Any]:
    """Measure every ratio."""
    return {
        "env_step_vs_toolkit_call": step_vs_call(),
        "scripted_episode_vs_its_calls": episodes_per_second(),
        "driver_vs_ideal_overlap": driver_overlap(),
    }


def main(argv: list[str] | None = None) -> int:
    """Print the ratios (or JSON with --json); exit 0."""
    return ratio_main(run, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
