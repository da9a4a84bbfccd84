"""`VerifierReward`: gem_env's reward protocol, paid by the verifiers' checks.

The reward is 1.0 when every *outcome* check passes (by default: replay, invariants and
goal: the recorded outputs are what the toolkit returns, no call broke the toolkit's
rules, and the goal is met), else 0.0. Process checks (structure, call validity,
grounding, the judge) run and are reported in ``info`` but do not gate the reward unless
listed in `outcome`: an agent that recovers from a rejected call, or from an empty turn
the env answered with feedback, still reached the goal. With
``partial_credit=True`` a valid episode earns the fraction of goal items met (goal
assertions and required outputs), for shaped RL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from gem_env.protocols import RewardResult
from gem_env.trajectory import Trajectory
from toolkits import Limits
from verifiers.base import Check
from verifiers.errors import CheckConfigError
from verifiers.pool import Isolation
from verifiers.verify import DEFAULT_CHECKS, verify

#: Checks whose findings set the reward to 0 by default.
OUTCOME_CHECKS = ("replay", "invariants", "goal")


class VerifierReward:
    """Reward of a finished episode from `verify` (implements `gem_env`'s `RewardFunction`).

    ``info`` holds ``passed`` (every check), ``outcome_passed``, ``score`` (the fraction
    of goal items met), ``checks`` (the per-check breakdown: name, passed, finding codes)
    and ``verification`` (the full section-4 report).

    Args:
        checks: the checks to run (default `DEFAULT_CHECKS`; add a `JudgeCheck` here).
        outcome: names of the checks that gate the reward (default `OUTCOME_CHECKS`).
        partial_credit: pay the fraction of goal items met instead of all-or-nothing.
        limits / isolation: as for `verify` (the env's limits, when custom); the default
            ``"auto"`` replays every toolkit but the bundled examples in a worker process.
    """

    def __init__(
        self,
        checks: Sequence[Check | str] = DEFAULT_CHECKS,
        *,
        outcome: Iterable[str] = OUTCOME_CHECKS,
        partial_credit: bool = False,
        limits: Limits | None = None,
        isolation: Isolation = "auto",
    ):
        self.checks = list(checks)
        names = [c if isinstance(c, str) else c.name for c in self.checks]
        self.outcome = tuple(outcome)
        missing = [n for n in self.outcome if n not in names]
        if missing:
            raise CheckConfigError(
                f"outcome check(s) {missing} are not among the checks {names}; add them "
                "to checks or drop them from outcome"
            )
        self.partial_credit = partial_credit
        self.limits, self.isolation = limits, isolation

    def __call__(self, trajectory: Trajectory) -> RewardResult:
        """Verify `trajectory` and pay for it."""
        report = verify(trajectory, self.checks, limits=self.limits, isolation=self.isolation)
        outcome_passed = all(not r.findings for r in report.checks if r.name in self.outcome)
        scenario = trajectory.scenario
        items = len(scenario.goal_assertions) + len(scenario.required_outputs)
        goal = report.check("goal")
        unmet = len(goal.findings) if goal is not None else 0
        score = (items - unmet) / items if items else 1.0
        if self.partial_credit:
            valid = all(
                not r.findings for r in report.checks if r.name in self.outcome and r.name != "goal"
            )
            reward = score if valid else 0.0
        else:
            reward = float(outcome_passed)
        info: dict[str, Any] = {
            "passed": report.passed,
            "outcome_passed": outcome_passed,
            "score": score,
            "checks": [
                {"name": r.name, "passed": r.passed, "codes": [f.code for f in r.findings]}
                for r in report.checks
            ],
            "verification": report.to_dict(),
        }
        return RewardResult(reward=reward, info=info)
