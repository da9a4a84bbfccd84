"""The one toolkit protocol: what every compiled toolkit offers, in-process or isolated.

`Toolkit` (in-process) and `IsolatedToolkit` (a worker process) both implement
`CompiledToolkit`; the env, the rewards, the planner and the verifiers depend on this
protocol only. `replay_calls` is the batch operation both share: reset to a state,
run a list of calls, report each result (and, when asked, the invariants broken after
each successful call) and the final state hash, in one step: one round trip for an
isolated toolkit instead of one per call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from toolkits.errors import CompileError
from toolkits.limits import Limits
from toolkits.result import ToolResult
from toolkits.spec import ToolkitSpec

#: One call of a batch: the tool name and its arguments (JSON text, a dict or None).
Call = tuple[str, "dict[str, Any] | str | None"]


@dataclass
class CallReplay:
    """The outcome of `CompiledToolkit.replay`: every call's result, in order.

    Attributes:
        results: one `ToolResult` per call.
        broken_invariants: per call, the invariants that do not hold after it (empty
            for failed calls and when invariants were not asked for).
        initial_broken_invariants: invariants that do not hold in the reset state.
        final_state_hash: the state hash after the last call.
        final_checks: per expression asked for, ``holds`` on the final state:
            ``(holds, error or None)``; an expression that does not compile is
            ``(False, the compiler's message)``.
    """

    results: list[ToolResult]
    broken_invariants: list[list[str]]
    initial_broken_invariants: list[str] = field(default_factory=list)
    final_state_hash: str = ""
    final_checks: list[tuple[bool, str | None]] = field(default_factory=list)


@runtime_checkable
class CompiledToolkit(Protocol):
    """A compiled toolkit with its live state (see `toolkits.compile_toolkit`).

    Calls never raise for anything the arguments or the tool code do: a failure is a
    `ToolResult` with ``ok=False`` and the state is unchanged. `reset` raises
    `StateError` for an invalid state; `evaluate`/`holds` raise `CompileError` for an
    expression that does not compile.
    """

    spec: ToolkitSpec
    limits: Limits

    @property
    def tools(self) -> list[dict[str, Any]]:
        """The tools in OpenAI format, exactly as sent to a model."""
        ...

    @property
    def tool_names(self) -> list[str]:
        """Names of the tools, in order."""
        ...

    @property
    def state(self) -> dict[str, Any]:
        """A deep copy of the current state."""
        ...

    def state_hash(self) -> str:
        """``"sha256:" + sha256(canonical JSON of the state)``."""
        ...

    def reset(self, state: dict[str, Any] | None = None) -> None:
        """Set the state (default: the initial state)."""
        ...

    def call(self, name: str, arguments: dict[str, Any] | str | None = None) -> ToolResult:
        """Run one tool; never raises."""
        ...

    def replay(
        self,
        calls: Sequence[Call],
        *,
        state: dict[str, Any] | None = None,
        invariants: bool = False,
        checks: Sequence[str] = (),
    ) -> CallReplay:
        """Reset to `state` (default: the initial state), run `calls` in order, then
        test each expression of `checks` on the final state."""
        ...

    def evaluate(self, expr: str) -> ToolResult:
        """Evaluate a read-only expression over `state`."""
        ...

    def holds(self, expr: str) -> tuple[bool, str | None]:
        """Whether an expression over `state` is true: ``(holds, error or None)``."""
        ...

    def check_invariants(self) -> list[str]:
        """Descriptions of the invariants that do not hold now."""
        ...

    def state_errors(self) -> list[str]:
        """State-schema violations of the current state."""
        ...

    def close(self) -> None:
        """Release what the toolkit holds (a worker process); idempotent."""
        ...


def replay_calls(
    toolkit: CompiledToolkit,
    calls: Sequence[Call],
    *,
    state: dict[str, Any] | None = None,
    invariants: bool = False,
    checks: Sequence[str] = (),
) -> CallReplay:
    """`CompiledToolkit.replay` as a loop of single calls on `toolkit`.

    Raises:
        StateError: `state` is not a valid state of the toolkit.
    """
    toolkit.reset(state)
    initial = toolkit.check_invariants() if invariants else []
    results: list[ToolResult] = []
    broken: list[list[str]] = []
    for name, arguments in calls:
        result = toolkit.call(name, arguments)
        results.append(result)
        broken.append(toolkit.check_invariants() if invariants and result.ok else [])
    final = [final_check(toolkit, expr) for expr in checks]
    return CallReplay(results, broken, initial, toolkit.state_hash(), final)


def final_check(toolkit: CompiledToolkit, expr: str) -> tuple[bool, str | None]:
    """`holds(expr)`, with an expression that does not compile as ``(False, why)``."""
    try:
        return toolkit.holds(expr)
    except CompileError as exc:
        return False, str(exc)
