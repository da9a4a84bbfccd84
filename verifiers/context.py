"""What the checks of one trajectory share: call sites, their pairing, and one replay.

`TrajectoryContext` computes each fact once, lazily: the tool calls in order with the
tool message that answers each (`CallSite`), the replay of every call on a freshly reset
toolkit (`Replay`), and the call-validity problems. A context leases a compiled toolkit
from a `ToolkitPool` for its replay; use it as a context manager (or call `close`) so
the toolkit goes back.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from typing import NamedTuple

from gem_env.goals import checked_exprs
from gem_env.messages import Message, ToolCall
from gem_env.trajectory import Trajectory
from toolkits import (
    CompiledToolkit,
    CompileError,
    ErrorKind,
    Limits,
    SpecError,
    StateError,
    ToolResult,
    load_toolkit,
)
from toolkits.arguments import compile_validator, validate_call
from verifiers.pool import DEFAULT_POOL, Isolation, Key, ToolkitPool

#: Runtime error kinds that are call-validity findings (the call never ran).
CALL_VALIDITY_KINDS = {
    ErrorKind.unknown_tool: "unknown_tool",
    ErrorKind.malformed_arguments: "malformed_arguments",
    ErrorKind.invalid_arguments: "invalid_arguments",
}

#: The name of the env's own feedback messages (``role: user``); they are not the user.
FEEDBACK_NAME = "gem_env"


def is_feedback(message: Message) -> bool:
    """True for a message the env wrote to the agent about an unreadable turn."""
    return message.role == "user" and getattr(message, "name", None) == FEEDBACK_NAME


class CallSite(NamedTuple):
    """One tool call: its order, the assistant message holding it, the tool message
    answering it (the first later tool message with its id; None when there is none)."""

    number: int
    message_index: int
    call: ToolCall
    result_index: int | None


class CallProblem(NamedTuple):
    """A call-validity problem: the finding code and what is wrong."""

    code: str
    detail: str


class ReplayedCall(NamedTuple):
    """The replayed result of one call and the invariants broken after it."""

    site: CallSite
    result: ToolResult
    broken_invariants: list[str]


@dataclass
class Replay:
    """Every call re-executed in order from the scenario's initial state."""

    calls: list[ReplayedCall]
    final_state_hash: str
    initial_broken_invariants: list[str]
    toolkit: CompiledToolkit | None = field(repr=False)
    goal_verdicts: list[tuple[bool, str | None]] | None = None


class TrajectoryContext:
    """Facts about one trajectory, computed once and shared by the checks.

    Args:
        trajectory: the record to verify.
        invariants: evaluate the toolkit's invariants after each replayed call.
        goals: evaluate the scenario's goal assertions on the final state in the same
            batch as the calls (`Replay.goal_verdicts`).
        limits: limits of the replayed calls (default `Limits()`, as the env's default).
        isolation: ``"process"`` replays in a worker process (for untrusted toolkits);
            ``"auto"`` does so for every toolkit but the bundled examples.
        pool: where compiled toolkits are leased from.
    """

    def __init__(
        self,
        trajectory: Trajectory,
        *,
        invariants: bool = False,
        goals: bool = False,
        limits: Limits | None = None,
        isolation: Isolation = "none",
        pool: ToolkitPool | None = None,
    ):
        self.trajectory = trajectory
        self.invariants = invariants
        self.goals = goals
        self.limits = limits
        self.isolation: Isolation = isolation
        self._pool = pool or DEFAULT_POOL
        self._sites: list[CallSite] | None = None
        self._orphan_results: list[int] = []
        self._replay: Replay | None = None
        self._replayed = False
        self._toolkit_error: str | None = None
        self._lease: tuple[Key, CompiledToolkit] | None = None
        self._problems: dict[int, CallProblem] | None = None

    # -- calls -----------------------------------------------------------------------

    @property
    def call_sites(self) -> list[CallSite]:
        """Every tool call in message order, paired with its tool message by id."""
        if self._sites is None:
            self._pair()
        return self._sites  # type: ignore[return-value]

    @property
    def orphan_results(self) -> list[int]:
        """Indexes of tool messages that answer no open call of an earlier message."""
        if self._sites is None:
            self._pair()
        return self._orphan_results

    def _pair(self) -> None:
        pending: dict[str, collections.deque[int]] = collections.defaultdict(collections.deque)
        calls: list[tuple[int, ToolCall]] = []
        results: dict[int, int] = {}
        for index, message in enumerate(self.trajectory.messages):
            if message.role == "assistant":
                for call in message.tool_calls or []:
                    pending[call.id].append(len(calls))
                    calls.append((index, call))
            elif message.role == "tool":
                waiting = pending.get(message.tool_call_id or "")
                if waiting:
                    results[waiting.popleft()] = index
                else:
                    self._orphan_results.append(index)
        self._sites = [CallSite(n, i, c, results.get(n)) for n, (i, c) in enumerate(calls)]

    # -- replay ----------------------------------------------------------------------

    @property
    def toolkit_error(self) -> str | None:
        """Why the toolkit could not be replayed (None when it could)."""
        self.replay()
        return self._toolkit_error

    def replay(self) -> Replay | None:
        """Re-execute every call in order on the trajectory's toolkit reset to the
        scenario's initial state; None when the toolkit does not compile or the initial
        state is invalid (`toolkit_error` says why)."""
        if self._replayed:
            return self._replay
        self._replayed = True
        try:
            key, toolkit = self._pool.lease(self.trajectory.toolkit, self.limits, self.isolation)
        except (SpecError, CompileError) as exc:
            self._toolkit_error = f"the toolkit does not compile: {exc}"
            return None
        except (ValueError, TypeError, RecursionError) as exc:
            self._toolkit_error = f"the toolkit is not a JSON document: {exc}"
            return None
        self._lease = (key, toolkit)
        sites = self.call_sites
        calls = [(site.call.function.name, site.call.function.arguments) for site in sites]
        scenario = self.trajectory.scenario
        messages = self.trajectory.messages
        checks = checked_exprs(scenario.goal_assertions, messages) if self.goals else []
        try:  # one batch: a single round trip when the toolkit runs in a worker
            done = toolkit.replay(
                calls, state=scenario.initial_state, invariants=self.invariants, checks=checks
            )
        except StateError as exc:
            self._toolkit_error = f"the scenario's initial state is invalid: {exc}"
            return None
        self._replay = Replay(
            calls=[ReplayedCall(*row) for row in zip(sites, done.results, done.broken_invariants)],
            final_state_hash=done.final_state_hash,
            initial_broken_invariants=done.initial_broken_invariants,
            toolkit=toolkit,
            goal_verdicts=done.final_checks if self.goals else None,
        )
        return self._replay

    # -- call validity ---------------------------------------------------------------

    def call_problems(self) -> dict[int, CallProblem] | None:
        """Call number -> its call-validity problem; None when the toolkit cannot say
        (its document is not a valid toolkit). Uses the replay's own argument checks
        when there is a replay, else validates against the tool schemas directly."""
        if self._problems is not None:
            return self._problems
        replay = self.replay()
        if replay is not None:
            self._problems = {
                c.site.number: CallProblem(
                    CALL_VALIDITY_KINDS[c.result.error_kind], c.result.error or ""
                )
                for c in replay.calls
                if c.result.error_kind in CALL_VALIDITY_KINDS
            }
            return self._problems
        try:
            spec = load_toolkit(self.trajectory.toolkit)
        except (SpecError, ValueError, TypeError):
            return None
        validators = {t.function.name: compile_validator(t.function.parameters) for t in spec.tools}
        problems: dict[int, CallProblem] = {}
        for site in self.call_sites:
            function = site.call.function
            _, rejected = validate_call(function.name, function.arguments, validators)
            if rejected is not None:
                problems[site.number] = CallProblem(CALL_VALIDITY_KINDS[rejected[0]], rejected[1])
        self._problems = problems
        return problems

    # -- lifetime --------------------------------------------------------------------

    def close(self) -> None:
        """Give the leased toolkit back to the pool (the replay's toolkit is then gone)."""
        if self._lease is not None:
            key, toolkit = self._lease
            self._lease = None
            if self._replay is not None:
                self._replay.toolkit = None
            self._pool.release(key, toolkit)

    def __enter__(self) -> TrajectoryContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
