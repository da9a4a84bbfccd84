"""Replay: recompile the embedded toolkit, reset it to the scenario's initial state,
re-execute every call in order and compare each recorded tool output (as parsed JSON)
and the final state hash with what the execution gives."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from toolkits import NONDETERMINISTIC_KINDS
from verifiers.base import Check
from verifiers.context import TrajectoryContext
from verifiers.report import CODES, Finding

_SHOWN = 120


class ReplayCheck(Check):
    """`toolkit_error`, `observation_mismatch` (at the tool message), `final_state_mismatch`.

    Calls with a call-validity finding are not compared (that finding says enough); a
    trajectory without a ``final_state_hash`` has nothing to compare the final state with.
    """

    name = "replay"
    codes = CODES["replay"]

    def inspect(self, context: TrajectoryContext) -> Iterator[Finding]:
        replay = context.replay()
        if replay is None:
            yield self.finding("toolkit_error", None, context.toolkit_error or "")
            return
        problems = context.call_problems() or {}
        messages = context.trajectory.messages
        for replayed in replay.calls:
            site, result = replayed.site, replayed.result
            if site.result_index is None or site.number in problems:
                continue
            recorded = messages[site.result_index].content
            if recorded == result.content:
                continue
            problem = _difference(recorded, result.content)
            if problem is None:
                continue
            if result.error_kind in NONDETERMINISTIC_KINDS:
                problem += f" (the replay hit a machine-dependent limit: {result.error_kind})"
            yield self.finding(
                "observation_mismatch",
                site.result_index,
                f"call {site.call.id!r} ({site.call.function.name}): {problem}",
            )
        expected = context.trajectory.final_state_hash
        if expected is not None and expected != replay.final_state_hash:
            yield self.finding(
                "final_state_mismatch",
                None,
                f"the recorded final state hash is {expected}, replay gives "
                f"{replay.final_state_hash}",
            )


def _difference(recorded: str | None, replayed: str) -> str | None:
    """Why the recorded output differs from the replayed one as JSON (None: it does not)."""
    try:
        recorded_value = json.loads(recorded or "")
    except ValueError:
        return f"the recorded output is not JSON: {_short(recorded or '')!r}"
    if same_json(recorded_value, json.loads(replayed)):
        return None
    return f"recorded {_short(recorded or '')} but the toolkit returns {_short(replayed)}"


def same_json(a: Any, b: Any) -> bool:
    """Equality of parsed JSON values that keeps booleans apart from numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict):
        return (
            isinstance(b, dict) and a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
        )
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(same_json, a, b))
    if isinstance(a, (int, float)):
        return isinstance(b, (int, float)) and a == b
    return type(a) is type(b) and a == b


def _short(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."
