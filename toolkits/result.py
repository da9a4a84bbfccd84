"""What one tool call returns: `ToolResult` and the `ErrorKind` of a failure."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from toolkits.canonical import canonical_json


class ErrorKind(str, Enum):
    """Why a call failed. Every failure is an observation, never an exception."""

    unknown_tool = "unknown_tool"
    malformed_arguments = "malformed_arguments"
    invalid_arguments = "invalid_arguments"
    tool_error = "tool_error"
    runtime_error = "runtime_error"
    budget_exceeded = "budget_exceeded"
    sandbox_violation = "sandbox_violation"
    resource_limit = "resource_limit"
    timeout = "timeout"
    memory_limit = "memory_limit"
    output_too_large = "output_too_large"
    invalid_state = "invalid_state"
    invalid_result = "invalid_result"

    def __str__(self) -> str:
        return self.value


#: Kinds that depend on the machine (wall clock, memory), not only on code and state.
NONDETERMINISTIC_KINDS = frozenset({ErrorKind.timeout, ErrorKind.memory_limit})


@dataclass
class ToolResult:
    """The outcome of one call: the tool message `content` and what it means.

    Attributes:
        ok: True when the tool returned a JSON value.
        content: canonical JSON of the value, or of ``{"error": message}``.
        error: the error message when `ok` is False.
        error_kind: why the call failed.
        steps: deterministic steps the call used.
        invariant_violations: descriptions of invariants broken by this call
            (only when compiled with ``check_invariants=True``).
        state_errors: state-schema violations after this call (``check_state=True``).
    """

    ok: bool
    content: str
    error: str | None = None
    error_kind: ErrorKind | None = None
    steps: int = 0
    invariant_violations: list[str] = field(default_factory=list)
    state_errors: list[str] = field(default_factory=list)
    _value: Any = field(default=None, repr=False, compare=False)
    _parsed: bool = field(default=False, repr=False, compare=False)

    @property
    def value(self) -> Any:
        """The returned JSON value (a fresh copy parsed from `content`); None on failure."""
        if not self.ok:
            return None
        if not self._parsed:
            self._value = json.loads(self.content)
            self._parsed = True
        return self._value

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (for logs and reports)."""
        return {
            "ok": self.ok,
            "content": self.content,
            "error": self.error,
            "error_kind": None if self.error_kind is None else self.error_kind.value,
            "steps": self.steps,
            "invariant_violations": list(self.invariant_violations),
            "state_errors": list(self.state_errors),
        }


#: The longest error message a result carries (longer ones are cut, marked "...").
MAX_ERROR_MESSAGE = 2_000


def error_result(kind: ErrorKind, message: str, steps: int = 0) -> ToolResult:
    """The result of a failed call: ``{"error": message}`` as its canonical content."""
    if len(message) > MAX_ERROR_MESSAGE:
        message = message[:MAX_ERROR_MESSAGE] + "..."
    content = canonical_json({"error": message})
    return ToolResult(ok=False, content=content, error=message, error_kind=kind, steps=steps)
