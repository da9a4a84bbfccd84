"""The verification report of DESIGN.md section 4: findings, check results, the report.

``{"passed": bool, "checks": [{"name", "passed", "findings": [{"code", "message_index",
"detail"}]}]}``. A trajectory passes when no check has a finding. A check that could not
run (e.g. the goal assertions of a toolkit that does not compile, already reported by
replay as ``toolkit_error``) says why in the optional ``skipped`` key, an extension.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel, Field

#: The stable finding codes of each check (DESIGN.md section 4; `judge_error` extends it).
CODES: dict[str, tuple[str, ...]] = {
    "structure": (
        "bad_role_order",
        "orphan_tool_call",
        "orphan_tool_result",
        "duplicate_call_id",
        "empty_message",
    ),
    "call_validity": ("unknown_tool", "malformed_arguments", "invalid_arguments"),
    "replay": ("toolkit_error", "observation_mismatch", "final_state_mismatch"),
    "invariants": ("invariant_violated",),
    "goal": ("goal_unmet", "missing_required_output"),
    "grounding": ("ungrounded_argument",),
    "judge": (
        "judge_tool_call_hallucination",
        "judge_capability_hallucination",
        "judge_context_hallucination",
        "judge_error",
    ),
}


class Finding(BaseModel):
    """One problem: a stable code, the 0-based index of the message at fault (None for
    whole-trajectory codes) and a human-readable detail."""

    code: str = Field(description="A stable code of DESIGN.md section 4.")
    message_index: int | None = Field(description="0-based index into `messages`, or None.")
    detail: str = Field(default="", description="What is wrong, for a human.")


class CheckResult(BaseModel):
    """What one check found in one trajectory."""

    name: str
    passed: bool
    findings: list[Finding] = Field(default_factory=list)
    skipped: str | None = Field(default=None, description="Why the check could not run.")

    def to_dict(self) -> dict[str, Any]:
        """The section-4 JSON form (``skipped`` only when set)."""
        data: dict[str, Any] = {
            "name": self.name,
            "passed": self.passed,
            "findings": [f.model_dump() for f in self.findings],
        }
        if self.skipped is not None:
            data["skipped"] = self.skipped
        return data


class VerificationReport(BaseModel):
    """The report of one trajectory: passed when no check has a finding."""

    passed: bool
    checks: list[CheckResult]

    @classmethod
    def of(cls, results: list[CheckResult]) -> VerificationReport:
        """The report of these check results."""
        return cls(passed=all(not r.findings for r in results), checks=results)

    @property
    def findings(self) -> list[tuple[str, Finding]]:
        """Every finding with the name of its check, in check order."""
        return [(r.name, f) for r in self.checks for f in r.findings]

    def codes(self) -> Counter[str]:
        """How many findings of each code."""
        return Counter(f.code for _, f in self.findings)

    def check(self, name: str) -> CheckResult | None:
        """The result of the check called `name` (None when it did not run)."""
        return next((r for r in self.checks if r.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """The section-4 JSON form: ``{"passed", "checks": [...]}``."""
        return {"passed": self.passed, "checks": [r.to_dict() for r in self.checks]}
