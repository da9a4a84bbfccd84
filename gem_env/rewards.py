"""Rewards of finished episodes (owns `GoalReward`, the env's default, and `replay`).

`GoalReward` checks the scenario: each goal assertion must hold on the final state
(`Toolkit.holds`, in the sandbox) and each required output must appear, case-insensitively,
in some assistant message. The env hands it its live toolkit (``toolkit=``, no replay);
called with a trajectory alone, it replays the trajectory's tool calls on a toolkit leased
from the pool the verifiers share.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from gem_env.goal_calls import recorded_calls
from gem_env.goals import AssertionOutcome, OutputOutcome, assertion_outcomes, output_outcomes
from gem_env.protocols import RewardResult
from gem_env.trajectory import Trajectory
from toolkits import CompiledToolkit, ToolResult
from toolkits.pool import DEFAULT_POOL

__all__ = ["AssertionOutcome", "GoalReward", "OutputOutcome", "replay", "replayed"]


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

    def __call__(
        self, trajectory: Trajectory, *, toolkit: CompiledToolkit | None = None
    ) -> RewardResult:
        """Score `trajectory`; `toolkit` is the live toolkit in the episode's final state."""
        if toolkit is None:
            with replayed(trajectory) as (final, _):
                return self._score(trajectory, final)
        return self._score(trajectory, toolkit)

    def _score(self, trajectory: Trajectory, toolkit: CompiledToolkit) -> RewardResult:
        scenario = trajectory.scenario
        calls = recorded_calls(trajectory.messages)
        assertions = assertion_outcomes(toolkit, scenario.goal_assertions, calls=calls)
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


@contextlib.contextmanager
def replayed(trajectory: Trajectory) -> Iterator[tuple[CompiledToolkit, list[ToolResult]]]:
    """Re-run the tool calls of `trajectory` from the scenario's initial state.

    Yields the toolkit in its final state and each call's result, in order. The toolkit
    is leased from the pool the verifiers use (`toolkits.pool.DEFAULT_POOL`: compiled
    once per distinct toolkit; a model-written one runs in a worker process) and goes
    back when the block ends.

    Raises:
        SpecError / CompileError: the trajectory's toolkit is invalid.
    """
    with DEFAULT_POOL.leased(trajectory.toolkit, isolation="auto") as toolkit:
        done = toolkit.replay(_calls(trajectory), state=trajectory.scenario.initial_state)
        yield toolkit, done.results


def replay(trajectory: Trajectory) -> tuple[CompiledToolkit, list[ToolResult]]:
    """`replayed` for callers that keep the toolkit: it is theirs (not given back).

    Raises:
        SpecError / CompileError: the trajectory's toolkit is invalid.
    """
    _, toolkit = DEFAULT_POOL.lease(trajectory.toolkit, isolation="auto")
    done = toolkit.replay(_calls(trajectory), state=trajectory.scenario.initial_state)
    return toolkit, done.results


def _calls(trajectory: Trajectory) -> list[tuple[str, str | None]]:
    return [
        (call.function.name, call.function.arguments)
        for message in trajectory.messages
        if message.role == "assistant"
        for call in message.tool_calls or []
    ]
