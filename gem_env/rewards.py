"""Rewards of finished episodes (owns `GoalReward`, the env's default, and `replay`).

`GoalReward` checks the scenario: each goal assertion must hold on the final state
(`Toolkit.holds`, in the sandbox) and each required output must appear, case-insensitively,
in some assistant message. The env hands it its live toolkit (``toolkit=``, no replay);
called with a trajectory alone, it replays the trajectory's tool calls on a compiled copy.
"""

from __future__ import annotations

import threading
from typing import Any

from gem_env.goals import AssertionOutcome, OutputOutcome, assertion_outcomes, output_outcomes
from gem_env.protocols import RewardResult
from gem_env.trajectory import Trajectory
from toolkits import Toolkit, ToolResult, compile_toolkit, state_hash

__all__ = ["AssertionOutcome", "GoalReward", "OutputOutcome", "replay"]


class GoalReward:
    """1.0 when every goal assertion holds and every required output was said, else 0.0.

    With ``partial_credit=True`` the reward is the fraction of checks that pass. A scenario
    with no checks scores 1.0. ``info`` has ``assertions`` and ``required_outputs`` (one
    entry per check), ``passed`` and ``score`` (the fraction).

    Args:
        partial_credit: reward the fraction of passed checks instead of all-or-nothing.
    """

    def __init__(self, partial_credit: bool = False):
        self.partial_credit = partial_credit

    def __call__(self, trajectory: Trajectory, *, toolkit: Toolkit | None = None) -> RewardResult:
        """Score `trajectory`; `toolkit` is the live toolkit in the episode's final state."""
        if toolkit is None:
            with _REPLAY_LOCK:
                replayed, _ = replay(trajectory)
                return self._score(trajectory, replayed)
        return self._score(trajectory, toolkit)

    def _score(self, trajectory: Trajectory, toolkit: Toolkit) -> RewardResult:
        scenario = trajectory.scenario
        assertions = assertion_outcomes(toolkit, scenario.goal_assertions)
        outputs = output_outcomes(trajectory.messages, scenario.required_outputs)
        checks = [a.holds for a in assertions] + [o.found for o in outputs]
        score = sum(checks) / len(checks) if checks else 1.0
        passed = all(checks)
        reward = score if self.partial_credit else float(passed)
        info: dict[str, Any] = {
            "passed": passed,
            "score": score,
            "assertions": [a.model_dump() for a in assertions],
            "required_outputs": [o.model_dump() for o in outputs],
        }
        return RewardResult(reward=reward, info=info)


_REPLAY_LOCK = threading.Lock()
_COMPILED: dict[str, Toolkit] = {}
_MAX_COMPILED = 16


def replay(trajectory: Trajectory) -> tuple[Toolkit, list[ToolResult]]:
    """Re-run the tool calls of `trajectory` from the scenario's initial state.

    Returns the toolkit in its final state (compiled once per toolkit and reused: not
    thread-safe, hold the toolkit while you read it) and each call's result, in order.

    Raises:
        SpecError / CompileError: the trajectory's toolkit is invalid.
    """
    key = state_hash(trajectory.toolkit)
    toolkit = _COMPILED.get(key)
    if toolkit is None:
        if len(_COMPILED) >= _MAX_COMPILED:
            _COMPILED.pop(next(iter(_COMPILED)))
        toolkit = _COMPILED[key] = compile_toolkit(trajectory.toolkit)  # type: ignore[assignment]
    toolkit.reset(trajectory.scenario.initial_state)
    results = [
        toolkit.call(call.function.name, call.function.arguments)
        for message in trajectory.messages
        if message.role == "assistant"
        for call in message.tool_calls or []
    ]
    return toolkit, results
