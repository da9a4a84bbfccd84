"""Whether a scenario's goal is met (owns the evaluation shared by rewards and verifiers).

A goal is met when every goal assertion holds on the final state (evaluated read-only
in the sandbox by `CompiledToolkit.holds`; an assertion may also read the episode's
`calls`, see `gem_env.goal_calls`) and every required output is `said` in some
assistant message (word-bounded, case-insensitive, numbers compared as numbers). This module is
data-level: it needs a toolkit in its final state and the messages, never the env.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from gem_env.goal_calls import bind_calls, recorded_calls, uses_calls
from gem_env.messages import Message
from gem_env.scenario import Assertion
from toolkits import CompiledToolkit, CompileError

__all__ = [
    "AssertionOutcome",
    "OutputOutcome",
    "assertion_outcomes",
    "checked_exprs",
    "output_outcomes",
    "said",
]


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
    calls: Sequence[dict[str, Any]] | None = None,
) -> list[AssertionOutcome]:
    """Evaluate each assertion on `toolkit`'s current state (an expression that does not
    compile is an outcome that does not hold, with the compiler's message as `error`).

    `calls` are the episode's `recorded_calls`, which an assertion may read as `calls`
    (none when None). `verdicts` are the ``(holds, error)`` pairs already computed for
    the assertions, in order (`toolkits.CallReplay.final_checks` of `checked_exprs`);
    `toolkit` is not used then."""
    outcomes = []
    for i, assertion in enumerate(assertions):
        if verdicts is not None:
            holds, error = verdicts[i]
        else:
            assert toolkit is not None, "assertion_outcomes needs a toolkit or verdicts"
            try:
                holds, error = toolkit.holds(bind_calls(assertion.expr, calls))
            except CompileError as exc:
                holds, error = False, str(exc)
        outcomes.append(
            AssertionOutcome(
                description=assertion.description, expr=assertion.expr, holds=holds, error=error
            )
        )
    return outcomes


def checked_exprs(assertions: Sequence[Assertion], messages: Sequence[Message]) -> list[str]:
    """The expressions to evaluate on the final state for `assertions`, with the calls
    of `messages` bound where an assertion reads `calls`."""
    calls = recorded_calls(messages) if any(uses_calls(a.expr) for a in assertions) else None
    return [bind_calls(a.expr, calls) for a in assertions]


def output_outcomes(messages: Sequence[Message], required: Sequence[str]) -> list[OutputOutcome]:
    """Whether each required text is `said` in some assistant message."""
    spoken = [m.content or "" for m in messages if m.role == "assistant"]
    return [OutputOutcome(text=text, found=any(said(text, s) for s in spoken)) for text in required]


# A number in a required text: an optional "$", digits (optionally grouped by thousands
# with commas) and an optional decimal part, standing alone: not glued to a word, a
# hyphen, a slash, a colon or another number ("RMA-5", "WL-42", "09:30", "2024-05-01"
# and "UPS48214" are codes, matched literally).
_NUMBER = re.compile(r"(?<![\w\-/:.,])\$?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?![\w\-/:]|[.,]\d)")


# Where a said text may start: after a non-word character or at the start of the
# message, or right after the "T" of an ISO 8601 date-time ("2025-03-21T09:30" says
# "09:30": the T separates the date from the time, it does not continue a word).
_START = r"(?:(?<!\w)|(?<=\d{4}-\d{2}-\d{2}t))"


def said(text: str, message: str) -> bool:
    """Whether `message` says the required `text`.

    The rule: `text` is said when it appears in `message` bounded on each side by a
    non-word character or an end of the message, case-insensitively, with any run of
    whitespace equivalent to any other. A number in `text` (``45``, ``$45.00``,
    ``1,000``) matches the same value written another usual way: with or without a
    leading ``$``, with or without thousands commas, with or without trailing decimal
    zeros. So ``$45.00`` is said by "45" and "$45", ``45`` by "45.00" and "$45.00",
    ``1,000`` by "1000"; ``$50`` is not said by "$500" or "50.5" (another number), and
    ``RMA-5`` is not said by "RMA-5002" nor "RMA-5.2" (digits continue the code). The
    "T" of an ISO 8601 date-time is a boundary: "2025-03-21T09:30" says ``09:30``. A
    number glued to a word, a hyphen, a slash or a colon is part of a code and matched
    literally, and leading zeros are kept ("007" is not "7"). A blank `text` is said by
    every message (it asks for nothing).
    """
    if not text.strip():
        return True
    return _pattern(text).search(message.casefold()) is not None


@functools.lru_cache(maxsize=1024)
def _pattern(text: str) -> re.Pattern[str]:
    """The regular expression of `said` for one required text (cached: texts repeat)."""
    text = text.strip().casefold()
    parts: list[str] = []
    done = 0
    for number in _NUMBER.finditer(text):
        parts.append(_literal(text[done : number.start()]))
        parts.append(_number(number.group(1).replace(",", ""), number.group(2) or ""))
        done = number.end()
    parts.append(_literal(text[done:]))
    start = _START + (r"(?<!\d[.,])" if text[0].isdigit() else "")
    end = r"(?!\w)" + (r"(?![.,]\d)" if text[-1].isdigit() else "")  # "WL-42" is not "WL-42.5"
    return re.compile(start + "".join(parts) + end)


def _literal(text: str) -> str:
    return r"\s+".join(re.escape(word) for word in re.split(r"\s+", text))


def _number(integer: str, fraction: str) -> str:
    """Any usual writing of the value integer.fraction, not part of a longer number."""
    if len(integer) > 1 and integer.startswith("0"):  # "007": a code, its zeros matter
        digits = re.escape(integer)
    else:
        head = len(integer) % 3 or 3
        groups = [integer[:head]] + [integer[i : i + 3] for i in range(head, len(integer), 3)]
        grouped = ",".join(groups)
        digits = integer if grouped == integer else f"(?:{integer}|{grouped})"
    fraction = fraction.rstrip("0")
    decimals = rf"\.{fraction}0*" if fraction else r"(?:\.0+)?"
    return rf"(?<!\d)(?<!\d[.,])\$?{digits}{decimals}(?![.,]?\d)"
