"""`IsolatedToolkit`: a toolkit running in a worker process, for code you do not trust.

The in-process sandbox bounds everything tool code does between two steps, but a
single C-level operation it cannot see (comparing two huge structures that share
sub-structure, hashing a 200,000-deep tuple) can still run for hours or crash the
interpreter. An `IsolatedToolkit` runs the same `Toolkit` in a worker process with
an address-space limit and kills the worker when a call outlives its time limit. The
parent keeps the committed state as a base state plus the log of successful calls
since then; after a kill it starts a new worker and replays the log (calls are
deterministic), so the failed call leaves the state exactly as before, like any
failed call. Results are the same as in-process; a call costs one round trip to the
worker (tens of microseconds) more.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import sys
import threading
import weakref
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from toolkits.canonical import canonical_json, json_copy
from toolkits.compiler import compile_module
from toolkits.errors import CompileError, Problem, SpecError, StateError
from toolkits.limits import Limits
from toolkits.result import ErrorKind, ToolResult
from toolkits.spec import ToolkitSpec, dump_toolkit

_GRACE_SECONDS = 1.0  # on top of timeout_seconds: the worker's own watchdog acts first
_START_SECONDS = 60.0
_SNAPSHOT_EVERY = 64  # successful calls between base-state snapshots
_ERRORS = {"CompileError": CompileError, "StateError": StateError, "SpecError": SpecError}


class _WorkerLostError(Exception):
    def __init__(self, kind: ErrorKind, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


def _result(data: dict[str, Any]) -> ToolResult:
    kind = data.get("error_kind")
    return ToolResult(
        ok=data["ok"],
        content=data["content"],
        error=data.get("error"),
        error_kind=None if kind is None else ErrorKind(kind),
        steps=data.get("steps", 0),
        invariant_violations=list(data.get("invariant_violations") or []),
        state_errors=list(data.get("state_errors") or []),
    )


def _stop(process: Any, send: Any, recv: Any) -> None:
    for conn in (send, recv):
        with contextlib.suppress(OSError):
            conn.close()
    if process.poll() is None:
        process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


class IsolatedToolkit:
    """The `Toolkit` API, served by a worker process that is killed and rebuilt on a hang.

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
        compile_module(spec)  # policy and signatures, checked here without running code
        self._flags = {"check_state": check_state, "check_invariants": check_invariants}
        self._address_space_mb = (
            address_space_mb if address_space_mb is not None else 2 * self.limits.max_memory_mb
        )
        self._spec_data = dump_toolkit(spec)
        self._base_state: dict[str, Any] = json_copy(spec.initial_state)
        self._log: list[tuple[str, str]] = []
        self._lock = threading.RLock()
        self._process: Any = None
        self._send: Any = None
        self._recv: Any = None
        self._finalizer: Any = None
        self.restarts = 0
        self._start()

    # -- Toolkit API -----------------------------------------------------------------

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
            source = self.spec.initial_state if state is None else state
            try:
                copy = json_copy(source)
            except (TypeError, ValueError, RecursionError) as exc:
                raise StateError([Problem(path="state", message=f"not JSON: {exc}")]) from None
            self._ask("reset", copy)
            self._base_state, self._log = copy, []

    def call(self, name: str, arguments: dict[str, Any] | str | None = None) -> ToolResult:
        """Run a tool in the worker; a hang or crash of the worker is an error result."""
        if isinstance(arguments, dict):
            try:
                arguments = json.dumps(arguments, ensure_ascii=False, allow_nan=False)
            except (TypeError, ValueError, RecursionError) as exc:
                return _error(ErrorKind.malformed_arguments, f"arguments are not JSON: {exc}")
        with self._lock:
            try:
                data = self._request(
                    "call", (name, arguments), self.limits.timeout_seconds + _GRACE_SECONDS
                )
            except _WorkerLostError as lost:
                self._restart()
                return _error(lost.kind, lost.message)
            result = _result(data)
            if result.ok:
                self._log.append((name, arguments if isinstance(arguments, str) else "{}"))
                if len(self._log) >= _SNAPSHOT_EVERY:
                    self._base_state, self._log = self._ask("state"), []
            return result

    def evaluate(self, expr: str) -> ToolResult:
        """Evaluate a read-only expression over `state` in the worker."""
        with self._lock:
            try:
                return _result(
                    self._request("evaluate", (expr,), self.limits.timeout_seconds + _GRACE_SECONDS)
                )
            except _WorkerLostError as lost:
                self._restart()
                return _error(lost.kind, lost.message)

    def holds(self, expr: str) -> tuple[bool, str | None]:
        """Whether an expression over `state` is true: ``(holds, error message or None)``."""
        result = self.evaluate(f"bool({expr})")
        return (result.ok and result.content == "true"), result.error

    def check_invariants(self) -> list[str]:
        """Descriptions of the invariants that do not hold now."""
        return self._ask("check_invariants")

    def state_errors(self) -> list[str]:
        """State-schema violations of the current state."""
        return self._ask("state_errors")

    def close(self) -> None:
        """Stop the worker process."""
        with self._lock:
            if self._finalizer is not None:
                self._finalizer()

    def __enter__(self) -> IsolatedToolkit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- worker management -----------------------------------------------------------

    def _start(self) -> None:
        package_root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        process = subprocess.Popen(
            [sys.executable, "-m", "toolkits.isolation_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
        send = Connection(os.dup(process.stdin.fileno()), readable=False)
        recv = Connection(os.dup(process.stdout.fileno()), writable=False)
        process.stdin.close()
        process.stdout.close()
        self._process, self._send, self._recv = process, send, recv
        self._finalizer = weakref.finalize(self, _stop, process, send, recv)
        init = (self._spec_data, self.limits.model_dump(), self._flags, self._address_space_mb)
        try:
            send.send(init)
            if not _readable(recv, _START_SECONDS):
                raise OSError("no answer")
            status = recv.recv()
        except (OSError, EOFError):
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
        if self._base_state != self.spec.initial_state or self._log:
            self._request("restore", (self._base_state, self._log), _START_SECONDS)

    def _request(self, op: str, args: tuple, timeout: float) -> Any:
        try:
            self._send.send((op, args))
            if not _readable(self._recv, timeout):
                raise _WorkerLostError(
                    ErrorKind.timeout,
                    f"call ran longer than {timeout:.1f} s; its worker was stopped",
                )
            reply = self._recv.recv()
        except (EOFError, OSError):
            try:
                code = self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                code = None
            raise _WorkerLostError(
                ErrorKind.resource_limit, f"the call crashed its worker process (exit code {code})"
            ) from None
        if reply[0] == "error":
            raise _ERRORS[reply[1]]([Problem(**p) for p in reply[2]])
        return reply[1]

    def _ask(self, op: str, *args: Any) -> Any:
        with self._lock:
            try:
                return self._request(op, args, _START_SECONDS)
            except _WorkerLostError:
                self._restart()
                return self._request(op, args, _START_SECONDS)


def _readable(conn: Connection, timeout: float) -> bool:
    ready, _, _ = select.select([conn.fileno()], [], [], timeout)
    return bool(ready)


def _error(kind: ErrorKind, message: str) -> ToolResult:
    return ToolResult(
        ok=False, content=canonical_json({"error": message}), error=message, error_kind=kind
    )
