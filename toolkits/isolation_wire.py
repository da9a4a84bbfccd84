"""What both ends of process isolation share: time limits, result rows, lost workers.

The parent (`toolkits.isolation`) and the worker (`toolkits.isolation_worker`) speak
in pickled tuples; a `ToolResult` crosses as a compact row (`result_row`,
`result_of`). Arguments cross as JSON text (`arguments_text`), states as JSON copies
(`json_state`).
"""

from __future__ import annotations

import json
from typing import Any

from toolkits.canonical import json_copy
from toolkits.errors import Problem, StateError, ToolkitError
from toolkits.result import ErrorKind, ToolResult, error_result

GRACE_SECONDS = 1.0  # on top of timeout_seconds: the worker's own watchdog acts first
START_SECONDS = 60.0


class WorkerLostError(ToolkitError):
    """A request other than a call (state, hash, invariants) lost its worker twice.

    Calls never raise it: a call that loses its worker is an error result. The
    toolkit is usable afterwards (a new worker holds the committed state).
    """


class WorkerLost(Exception):  # noqa: N818 (a signal between the parent's methods)
    """The parent lost a worker during a request: why (`kind`) and what to report."""

    def __init__(self, kind: ErrorKind, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


def result_of(row: tuple[Any, ...]) -> ToolResult:
    """A `ToolResult` from the worker's compact row (see `result_row`)."""
    ok, content, error, kind, steps, broken, state_errors = row
    return ToolResult(
        ok=ok,
        content=content,
        error=error,
        error_kind=None if kind is None else ErrorKind(kind),
        steps=steps,
        invariant_violations=broken,
        state_errors=state_errors,
    )


def result_row(result: ToolResult) -> tuple[Any, ...]:
    """The compact, picklable form of a `ToolResult` the worker sends."""
    kind = result.error_kind
    return (
        result.ok,
        result.content,
        result.error,
        None if kind is None else kind.value,
        result.steps,
        result.invariant_violations,
        result.state_errors,
    )


def arguments_text(
    arguments: dict[str, Any] | str | None,
) -> tuple[str | None, ToolResult | None]:
    """Arguments as JSON text for the worker, or the error result of unencodable ones."""
    if not isinstance(arguments, dict):
        return arguments, None
    try:
        return json.dumps(arguments, ensure_ascii=False, allow_nan=False), None
    except (TypeError, ValueError, RecursionError) as exc:
        return None, error_result(ErrorKind.malformed_arguments, f"arguments are not JSON: {exc}")


def json_state(state: Any) -> dict[str, Any]:
    try:
        return json_copy(state)
    except (TypeError, ValueError, RecursionError) as exc:
        raise StateError([Problem(path="state", message=f"not JSON: {exc}")]) from None
