"""`IsolatedToolkit`: a toolkit running in a worker process, for code you do not trust.

The in-process sandbox bounds everything tool code does between two steps, but a
single C-level operation it cannot see (comparing two huge structures that share
sub-structure, hashing a 200,000-deep tuple) can still run for hours or crash the
interpreter. An `IsolatedToolkit` runs the same `Toolkit` in a worker process with
an address-space limit. The worker arms a kernel timer around every call, so a call
stuck in C past ``timeout_seconds`` (plus a grace period) ends the worker; the parent
also gives up on a worker that does not answer in time. The parent keeps the
committed state as a base state plus the log of successful calls since then; after a
lost worker it starts a new one and replays the log (calls are deterministic), so the
failed call leaves the state exactly as before, like any failed call.

Messages cross the process boundary through `toolkits.isolation_channel` (shared
memory first, the pipe when the peer sleeps), and `replay` runs a whole batch of calls
in one round trip: what `gem-env verify --isolation process` uses per trajectory.
Workers are forked by a zygote that has imported the runtime
(`toolkits.isolation_zygote`), so starting one costs milliseconds.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
import weakref
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

from toolkits.errors import CompileError, Problem, SpecError, StateError
from toolkits.isolation_channel import Channel, PeerLostError, shared_memory
from toolkits.isolation_wire import (
    GRACE_SECONDS,
    START_SECONDS,
    WorkerLost,
    WorkerLostError,
    arguments_text,
    json_state,
    result_of,
    result_row,
)
from toolkits.isolation_zygote import ZygoteError, zygote
from toolkits.limits import Limits
from toolkits.protocol import Call, CallReplay, replay_calls
from toolkits.result import ErrorKind, ToolResult, error_result
from toolkits.spec import ToolkitSpec, dump_toolkit

_SNAPSHOT_EVERY = 64  # successful calls between base-state snapshots
_ERRORS = {"CompileError": CompileError, "StateError": StateError, "SpecError": SpecError}


def _stop(pid: int, channel: Channel) -> None:
    channel.close()
    zygote().kill(pid)


class IsolatedToolkit:
    """The `CompiledToolkit` protocol, served by a worker process rebuilt on a hang.

    Build it with ``compile_toolkit(..., isolation="process")``. Close it with
    `close()` (or use it as a context manager); the worker also ends with the parent.
    """

    def __init__(
        self,
        spec: ToolkitSpec,
        *,
        limits: Limits | None = None,
        check_state: bool = False,
        check_invariants: bool = False,
        address_space_mb: int | None = None,
    ):
        self.spec = spec
        self.limits = limits or Limits()
        self._flags = {"check_state": check_state, "check_invariants": check_invariants}
        self._address_space_mb = (
            address_space_mb if address_space_mb is not None else 2 * self.limits.max_memory_mb
        )
        self._spec_data = dump_toolkit(spec)
        self._base_state: dict[str, Any] | None = None  # None: the initial state
        self._log: list[tuple[str, str | None]] = []
        self._lock = threading.RLock()
        self._pid = 0
        self._channel: Channel | None = None
        self._finalizer: Any = None
        self._call_seconds = self.limits.timeout_seconds + GRACE_SECONDS
        self.restarts = 0
        self._start()

    # -- the CompiledToolkit protocol --------------------------------------------------

    @property
    def tools(self) -> list[dict[str, Any]]:
        """The tools in OpenAI format, exactly as sent to a model."""
        return self.spec.openai_tools()

    @property
    def tool_names(self) -> list[str]:
        """Names of the tools, in order."""
        return self.spec.tool_names

    @property
    def state(self) -> dict[str, Any]:
        """A deep copy of the current state."""
        return self._ask("state")

    def state_hash(self) -> str:
        """``"sha256:" + sha256(canonical JSON of the state)``."""
        return self._ask("state_hash")

    def reset(self, state: dict[str, Any] | None = None) -> None:
        """Set the state (default: the initial state); raises `StateError` when invalid."""
        with self._lock:
            copy = None if state is None else json_state(state)
            self._ask("reset", copy)
            self._base_state, self._log = copy, []

    def call(self, name: str, arguments: dict[str, Any] | str | None = None) -> ToolResult:
        """Run a tool in the worker; a hang or crash of the worker is an error result."""
        text, problem = arguments_text(arguments)
        if problem is not None:
            return problem
        with self._lock:
            try:
                row = self._request("call", (name, text), self._call_seconds)
            except WorkerLost as lost:
                self._restart()
                return error_result(lost.kind, lost.message)
            result = result_of(row)
            if result.ok:
                self._log.append((name, text))
                if len(self._log) >= _SNAPSHOT_EVERY:
                    self._base_state, self._log = self._ask("state"), []
            return result

    def replay(
        self,
        calls: Sequence[Call],
        *,
        state: dict[str, Any] | None = None,
        invariants: bool = False,
        checks: Sequence[str] = (),
    ) -> CallReplay:
        """Reset to `state`, run `calls` and test `checks` in the worker, in one round trip.

        When a call loses the worker (it hung in C or crashed it), that call gets the
        error result it would get alone, the calls before it are run again on a new
        worker and the batch goes on after it: one lost call costs one timeout.

        Raises:
            StateError: `state` is not a valid state.
        """
        rows: list[tuple[str, str | None] | ToolResult] = []
        for name, arguments in calls:
            text, problem = arguments_text(arguments)
            rows.append(problem if problem is not None else (name, text))
        batch = [r for r in rows if not isinstance(r, ToolResult)]
        with self._lock:
            copy = None if state is None else json_state(state)
            done = self._run_batch(copy, batch, invariants, checks)
            if done is None:  # lost twice over the same calls: one at a time
                # the protocol's loop of single calls, each contained on its own
                return replay_calls(self, calls, state=copy, invariants=invariants, checks=checks)
            done_rows, broken_rows, final_hash, final, initial = done
        answers = iter(zip(done_rows, broken_rows))
        results, broken = [], []
        for row in rows:
            if isinstance(row, ToolResult):
                results.append(row)
                broken.append([])
            else:
                done_row, broken_after = next(answers)
                results.append(result_of(done_row))
                broken.append(broken_after)
        return CallReplay(results, broken, initial, final_hash, final)

    def _run_batch(
        self,
        state: dict[str, Any] | None,
        batch: list[tuple[str, str | None]],
        invariants: bool,
        checks: Sequence[str],
    ) -> tuple[list[Any], list[list[str]], str, list[Any], list[str]] | None:
        """The worker's answer for `batch` from `state`, resuming after each call that
        loses the worker; None when a resumed part is lost again at no known call."""
        done_rows: list[Any] = []
        broken_rows: list[list[str]] = []
        initial: list[str] = []
        pending, first = batch, True
        while True:
            op, args = ("replay", (state, pending)) if first else ("calls", (pending,))
            deadline = START_SECONDS + len(pending) * self._call_seconds
            try:
                reply = self._request(op, (*args, invariants, checks), deadline)
            except WorkerLost as lost:
                progress = self._channel.peer_progress() if self._channel else 0
                self._restart()
                if progress % 2 == 0:  # lost outside a call (reset, invariants, hash)
                    return None
                hung = progress // 2
                before = pending[:hung]
                try:  # the calls before it ran once already: they run the same again
                    part = self._request(op, (*args[:-1], before, invariants, ()), deadline)
                except WorkerLost:
                    self._restart()
                    return None
                if first:
                    initial = part[4]
                    self._base_state, self._log = state, []  # what a restart restores
                self._commit_part(before, part, done_rows, broken_rows)
                done_rows.append(result_row(error_result(lost.kind, lost.message)))
                broken_rows.append([])
                pending, first = pending[hung + 1 :], False
                continue
            if first:
                initial = reply[4]
                self._base_state, self._log = state, []
            self._commit_part(pending, reply, done_rows, broken_rows)
            return done_rows, broken_rows, reply[2], reply[3], initial

    def _commit_part(
        self,
        calls: list[tuple[str, str | None]],
        reply: tuple[Any, ...],
        done_rows: list[Any],
        broken_rows: list[list[str]],
    ) -> None:
        rows, broken = reply[0], reply[1]
        done_rows.extend(rows)
        broken_rows.extend(broken)
        self._log.extend(call for call, row in zip(calls, rows) if row[0])

    def evaluate(self, expr: str) -> ToolResult:
        """Evaluate a read-only expression over `state` in the worker."""
        with self._lock:
            try:
                return result_of(self._request("evaluate", (expr,), self._call_seconds))
            except WorkerLost as lost:
                self._restart()
                return error_result(lost.kind, lost.message)

    def holds(self, expr: str) -> tuple[bool, str | None]:
        """Whether an expression over `state` is true: ``(holds, error message or None)``."""
        result = self.evaluate(f"bool({expr})")
        return (result.ok and result.content == "true"), result.error

    def check_invariants(self) -> list[str]:
        """Descriptions of the invariants that do not hold now (an evaluation that loses
        the worker twice is reported as one broken entry, never raised)."""
        # each invariant runs under a call's limits: a worker stuck in one (in C, where
        # the worker's own timer cannot reach) is stopped after a call's time per invariant
        seconds = self._call_seconds * max(1, len(self.spec.invariants))
        try:
            return self._ask("check_invariants", seconds=seconds)
        except WorkerLostError as exc:
            return [f"the invariants could not be evaluated: {exc}"]

    def state_errors(self) -> list[str]:
        """State-schema violations of the current state (a check that loses the worker
        twice is reported as one entry, never raised)."""
        try:
            return self._ask("state_errors")
        except WorkerLostError as exc:
            return [f"the state could not be checked: {exc}"]

    def close(self) -> None:
        """Stop the worker process (idempotent)."""
        with self._lock:
            if self._finalizer is not None:
                self._finalizer()

    def __enter__(self) -> IsolatedToolkit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- worker management -----------------------------------------------------------

    def _start(self) -> None:
        to_worker, from_parent = os.pipe()
        from_worker, to_parent = os.pipe()
        memory_fd, memory = shared_memory()
        worker_fds = (memory_fd, to_worker, to_parent)
        try:
            pid = zygote().spawn(worker_fds)
        except ZygoteError as exc:
            for fd in (*worker_fds, from_parent, from_worker):
                os.close(fd)
            raise RuntimeError(f"the toolkit worker process did not start: {exc}") from None
        for fd in worker_fds:
            os.close(fd)
        send = Connection(from_parent, readable=False)
        recv = Connection(from_worker, writable=False)
        channel = Channel(memory, 0, 1, send_pipe=send, recv_pipe=recv)
        self._pid, self._channel = pid, channel
        self._finalizer = weakref.finalize(self, _stop, pid, channel)
        init = (self._spec_data, self.limits.model_dump(), self._flags, self._address_space_mb)
        try:
            channel.send(pickle.dumps(init, protocol=pickle.HIGHEST_PROTOCOL))
            answer = channel.recv(START_SECONDS)
            if answer is None:
                raise PeerLostError("no answer")
            status = pickle.loads(answer)
        except (OSError, PeerLostError):
            self._finalizer()
            raise RuntimeError(
                "the toolkit worker process did not start (see its stderr above)"
            ) from None
        if status[0] == "error":
            self._finalizer()
            raise _ERRORS[status[1]]([Problem(**p) for p in status[2]])

    def _restart(self) -> None:
        self._finalizer()
        self.restarts += 1
        self._start()
        if self._base_state is not None or self._log:
            self._request("restore", (self._base_state, self._log), START_SECONDS)

    def _request(self, op: str, args: tuple, timeout: float) -> Any:
        channel = self._channel
        assert channel is not None
        try:
            channel.send(pickle.dumps((op, args), protocol=pickle.HIGHEST_PROTOCOL))
            answer = channel.recv(timeout)
        except (PeerLostError, OSError):
            raise self._lost() from None
        if answer is None:
            raise WorkerLost(
                ErrorKind.timeout, f"call ran longer than {timeout:.1f} s; its worker was stopped"
            )
        reply = pickle.loads(answer)
        if reply[0] == "error":
            raise _ERRORS[reply[1]]([Problem(**p) for p in reply[2]])
        return reply[1]

    def _lost(self) -> WorkerLost:
        """Why the worker ended: its kernel timer (a call stuck in C) or a crash."""
        code = zygote().exit_code(self._pid)
        if code == -signal.SIGALRM:
            return WorkerLost(
                ErrorKind.timeout,
                f"call ran longer than {self._call_seconds:.1f} s; its worker was stopped",
            )
        return WorkerLost(
            ErrorKind.resource_limit, f"the call crashed its worker process (exit code {code})"
        )

    def _ask(self, op: str, *args: Any, seconds: float = START_SECONDS) -> Any:
        """A request that is retried once on a new worker; each try may take `seconds`.

        Raises:
            WorkerLostError: the retry lost its worker too.
        """
        with self._lock:
            try:
                return self._request(op, args, seconds)
            except WorkerLost:
                self._restart()
            try:
                return self._request(op, args, seconds)
            except WorkerLost as lost:
                self._restart()
                raise WorkerLostError(f"{op}: {lost.message} (twice)") from None
