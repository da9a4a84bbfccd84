"""verifiers: checks, reports and reward over gem-env trajectories.

Imports `toolkits` and gem_env's data modules only (DESIGN.md section 2), so it checks
any `gem-env/trajectory@1` record: one grounded by the env, or one a model wrote in one
pass. Public API::

    report = verify(trajectory)                 # VerificationReport (section 4)
    report.passed, report.codes(), report.to_dict()
    verify(trajectory, ["structure", "replay"])  # a subset, by name
    reward = VerifierReward()(trajectory)        # gem_env RewardResult
"""

from verifiers.base import CannotCheckError, Check
from verifiers.calls import CallValidityCheck
from verifiers.context import CallSite, Replay, TrajectoryContext
from verifiers.errors import CheckConfigError, NotATrajectoryError, UnknownCheckError, VerifierError
from verifiers.goal import GoalCheck
from verifiers.grounding import GroundingCheck
from verifiers.invariants import InvariantCheck
from verifiers.pool import ToolkitPool
from verifiers.replay import ReplayCheck
from verifiers.report import CODES, CheckResult, Finding, VerificationReport
from verifiers.reward import OUTCOME_CHECKS, VerifierReward
from verifiers.structure import StructureCheck
from verifiers.verify import DEFAULT_CHECKS, check_names, make_checks, verify


def __getattr__(name: str):  # lazy: the judge is optional
    if name == "JudgeCheck":
        from verifiers.judge import JudgeCheck

        return JudgeCheck
    raise AttributeError(f"module 'verifiers' has no attribute {name!r}")


__all__ = [
    "CODES",
    "DEFAULT_CHECKS",
    "OUTCOME_CHECKS",
    "CallSite",
    "CallValidityCheck",
    "CannotCheckError",
    "Check",
    "CheckConfigError",
    "CheckResult",
    "Finding",
    "GoalCheck",
    "GroundingCheck",
    "InvariantCheck",
    "JudgeCheck",
    "NotATrajectoryError",
    "Replay",
    "ReplayCheck",
    "StructureCheck",
    "ToolkitPool",
    "TrajectoryContext",
    "UnknownCheckError",
    "VerificationReport",
    "VerifierError",
    "VerifierReward",
    "check_names",
    "make_checks",
    "verify",
]
