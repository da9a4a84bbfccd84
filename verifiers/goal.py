"""Goal: the scenario's assertions hold on the replayed final state, and the agent said
every required output (the same evaluation as gem_env's `GoalReward`)."""

from __future__ import annotations

from collections.abc import Iterator

from gem_env.goals import assertion_outcomes, output_outcomes
from verifiers.base import Check
from verifiers.context import TrajectoryContext
from verifiers.report import CODES, Finding


class GoalCheck(Check):
    """`goal_unmet` per assertion that does not hold, `missing_required_output` per text
    the assistant never said (both whole-trajectory: no message index)."""

    name = "goal"
    codes = CODES["goal"]
    wants_goal_assertions = True

    def inspect(self, context: TrajectoryContext) -> Iterator[Finding]:
        scenario = context.trajectory.scenario
        if scenario.goal_assertions:
            replay = context.replay()
            if replay is None:
                for assertion in scenario.goal_assertions:
                    yield self.finding(
                        "goal_unmet",
                        None,
                        f"{_name(assertion.description, assertion.expr)}: not evaluated, "
                        f"{context.toolkit_error}",
                    )
            else:
                verdicts = replay.goal_verdicts
                outcomes = assertion_outcomes(replay.toolkit, scenario.goal_assertions, verdicts)
                for outcome in outcomes:
                    if not outcome.holds:
                        why = f" ({outcome.error})" if outcome.error else ""
                        yield self.finding(
                            "goal_unmet",
                            None,
                            f"{_name(outcome.description, outcome.expr)}: does not hold{why}",
                        )
        for output in output_outcomes(context.trajectory.messages, scenario.required_outputs):
            if not output.found:
                yield self.finding(
                    "missing_required_output", None, f"the agent never says {output.text!r}"
                )


def _name(description: str, expr: str) -> str:
    return description or expr
