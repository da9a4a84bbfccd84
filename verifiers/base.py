"""The `Check` base class: one named check of a trajectory, emitting stable codes.

A check's contract: `inspect(context)` yields `Finding`s, each with one of the check's
`codes` (DESIGN.md section 4) and the index of the message at fault; a property of the
trajectory is never an exception. `run(trajectory)` runs the check alone; `verify` runs
several on one shared `TrajectoryContext` (one replay for all of them).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any, ClassVar

from gem_env.errors import TrajectoryFormatError
from gem_env.trajectory import Trajectory, parse_trajectory
from verifiers.context import TrajectoryContext
from verifiers.errors import CheckConfigError, NotATrajectoryError
from verifiers.report import CheckResult, Finding


class CannotCheckError(Exception):
    """Raised by `inspect` when the check cannot run on this trajectory (say why)."""


class Check(ABC):
    """One check of a trajectory.

    Subclasses set `name` and `codes` and implement `inspect`. Set `wants_invariants`
    when the check reads `Replay` invariant results (the shared replay then evaluates
    the toolkit's invariants after each call).
    """

    name: ClassVar[str]
    codes: ClassVar[tuple[str, ...]]
    wants_invariants: ClassVar[bool] = False
    wants_goal_assertions: ClassVar[bool] = False

    @abstractmethod
    def inspect(self, context: TrajectoryContext) -> Iterable[Finding]:
        """Yield the findings of this check (raise `CannotCheckError` when it cannot run)."""

    def run(self, trajectory: Trajectory | dict[str, Any]) -> CheckResult:
        """Run this check alone on `trajectory` (a `Trajectory` or its JSON object)."""
        record = as_trajectory(trajectory)
        with TrajectoryContext(
            record, invariants=self.wants_invariants, goals=self.wants_goal_assertions
        ) as context:
            return self.evaluate(context)

    def evaluate(self, context: TrajectoryContext) -> CheckResult:
        """Run this check on a shared context."""
        try:
            findings = list(self.inspect(context))
        except CannotCheckError as skip:
            return CheckResult(name=self.name, passed=True, skipped=str(skip))
        for finding in findings:
            if finding.code not in self.codes:
                raise CheckConfigError(
                    f"check {self.name!r} emitted {finding.code!r}, not one of its codes "
                    f"{list(self.codes)}: fix the check"
                )
        return CheckResult(name=self.name, passed=not findings, findings=findings)

    def finding(self, code: str, message_index: int | None, detail: str) -> Finding:
        """A finding of this check."""
        return Finding(code=code, message_index=message_index, detail=detail)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def as_trajectory(value: Trajectory | dict[str, Any]) -> Trajectory:
    """`value` as a `Trajectory`; a dict is parsed (raise `NotATrajectoryError` if it is
    not a `gem-env/trajectory@1` record)."""
    if isinstance(value, Trajectory):
        return value
    if isinstance(value, dict):
        try:
            return parse_trajectory(value)
        except TrajectoryFormatError as exc:
            raise NotATrajectoryError(f"not a gem-env/trajectory@1 record: {exc}") from None
    raise NotATrajectoryError(
        f"verify takes a Trajectory or its JSON object, not {type(value).__name__}; read a "
        "JSONL file with gem_env.trajectory.read_trajectories"
    )
