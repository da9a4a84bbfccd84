"""Whether a scenario's goal is met (owns the evaluation shared by rewards and verifiers).

A goal is met when every goal assertion holds on the final state (evaluated read-only
in the sandbox by `CompiledToolkit.holds`) and every required output appears, case-insensitively,
in some assistant message. This module is data-level: it needs a toolkit in its final
state and the messages, never the env.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from gem_env.messages import Message
from gem_env.scenario import Assertion
from toolkits import CompiledToolkit, CompileError

__all__ = ["AssertionOutcome", "OutputOutcome", "assertion_outcomes", "output_outcomes"]


class AssertionOutcome(BaseModel):
    """Whether one goal assertion holds on the final state."""

    description: str
    expr: str
    holds: bool
    error: str | None = Field(default=None, description="Why it could not be evaluated.")


class OutputOutcome(BaseModel):
    """Whether one required output was said by the agent."""

    text: str
    found: bool


def assertion_outcomes(
    toolkit: CompiledToolkit | None,
    assertions: Sequence[Assertion],
    verdicts: Sequence[tuple[bool, str | None]] | None = None,
) -> list[AssertionOutcome]:
    """Evaluate each assertion on `toolkit`'s current state (an expression that does not
    compile is an outcome that does not hold, with the compiler's message as `error`).

    `verdicts` are the ``(holds, error)`` pairs already computed for the assertions, in
    order (`toolkits.CallReplay.final_checks`); `toolkit` is not used then."""
    outcomes = []
    for i, assertion in enumerate(assertions):
        if verdicts is not None:
            holds, error = verdicts[i]
        else:
            assert toolkit is not None, "assertion_outcomes needs a toolkit or verdicts"
            try:
                holds, error = toolkit.holds(assertion.expr)
            except CompileError as exc:
                holds, error = False, str(exc)
        outcomes.append(
            AssertionOutcome(
                description=assertion.description, expr=assertion.expr, holds=holds, error=error
            )
        )
    return outcomes


def output_outcomes(messages: Sequence[Message], required: Sequence[str]) -> list[OutputOutcome]:
    """Whether each required text appears, case-insensitively, in an assistant message."""
    said = [(m.content or "").casefold() for m in messages if m.role == "assistant"]
    return [
        OutputOutcome(text=text, found=any(text.casefold() in s for s in said)) for text in required
    ]
