"""`verify`: run checks on one trajectory and return its `VerificationReport`.

`DEFAULT_CHECKS` are the checks that need no model: structure, call validity, replay,
invariants, goal and grounding. The LLM judge (`JudgeCheck`) runs when passed in
`checks`. Checks can be given as instances or by name (`check_names`, `make_checks`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from gem_env.protocols import ChatModel
from gem_env.trajectory import Trajectory
from toolkits import Limits
from verifiers.base import Check, as_trajectory
from verifiers.calls import CallValidityCheck
from verifiers.context import TrajectoryContext
from verifiers.errors import CheckConfigError, UnknownCheckError
from verifiers.goal import GoalCheck
from verifiers.grounding import GroundingCheck
from verifiers.invariants import InvariantCheck
from verifiers.pool import Isolation, ToolkitPool
from verifiers.replay import ReplayCheck
from verifiers.report import VerificationReport
from verifiers.structure import StructureCheck

#: The checks `verify` runs by default, in report order (all but the LLM judge).
DEFAULT_CHECKS: tuple[Check, ...] = (
    StructureCheck(),
    CallValidityCheck(),
    ReplayCheck(),
    InvariantCheck(),
    GoalCheck(),
    GroundingCheck(),
)

_BY_NAME: dict[str, type[Check]] = {type(c).name: type(c) for c in DEFAULT_CHECKS}


def check_names() -> list[str]:
    """Every check name, in report order (``judge`` last: it needs a chat model)."""
    return [*_BY_NAME, "judge"]


def make_checks(names: Iterable[str], *, judge_model: ChatModel | None = None) -> list[Check]:
    """Checks by name, in report order. ``judge`` needs `judge_model`.

    Raises:
        UnknownCheckError: a name that is not a check (close matches in the message).
        CheckConfigError: ``judge`` without a model.
    """
    wanted = list(dict.fromkeys(names))
    for name in wanted:
        if name not in check_names():
            raise UnknownCheckError(name, check_names())
    checks: list[Check] = [cls() for name, cls in _BY_NAME.items() if name in wanted]
    if "judge" in wanted:
        if judge_model is None:
            raise CheckConfigError(
                "the judge check needs a chat model: pass judge_model= (gem-env verify "
                "--judge-model M --judge-base-url URL)"
            )
        from verifiers.judge import JudgeCheck

        checks.append(JudgeCheck(judge_model))
    return checks


def verify(
    trajectory: Trajectory | dict[str, Any],
    checks: Sequence[Check | str] = DEFAULT_CHECKS,
    *,
    limits: Limits | None = None,
    isolation: Isolation = "none",
    pool: ToolkitPool | None = None,
) -> VerificationReport:
    """Verify one trajectory; a failed check is a finding in the report, never an error.

    Args:
        trajectory: a `Trajectory` or its JSON object.
        checks: `Check` instances or check names (default `DEFAULT_CHECKS`).
        limits: limits of the replayed calls (the env's, when it ran with custom ones).
        isolation: ``"process"`` replays in a worker process (untrusted toolkits);
            ``"auto"`` does so for every toolkit but the bundled examples.
        pool: compiled toolkits to reuse (default: a shared pool).

    Raises:
        NotATrajectoryError: `trajectory` is not a trajectory record.
        UnknownCheckError / CheckConfigError: `checks` names no check, or repeats one.
    """
    record = as_trajectory(trajectory)
    resolved = _resolve(checks)
    with TrajectoryContext(
        record,
        invariants=any(c.wants_invariants for c in resolved),
        goals=any(c.wants_goal_assertions for c in resolved),
        limits=limits,
        isolation=isolation,
        pool=pool,
    ) as context:
        return VerificationReport.of([check.evaluate(context) for check in resolved])


def _resolve(checks: Sequence[Check | str]) -> list[Check]:
    if isinstance(checks, (str, Check)):
        raise CheckConfigError("checks is a sequence of checks or names, e.g. ['structure']")
    resolved: list[Check] = []
    for item in checks:
        if isinstance(item, str):
            resolved.extend(make_checks([item]))
        elif isinstance(item, Check):
            resolved.append(item)
        else:
            raise CheckConfigError(f"a check is a Check or a name, not {type(item).__name__}")
    names = [c.name for c in resolved]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise CheckConfigError(f"check(s) {duplicates} given twice; give each once")
    return resolved
