"""The runtime `Toolkit`: validated, sandboxed, atomic, deterministic tool calls.

`compile_toolkit(spec)` loads and compiles a toolkit; `Toolkit.call(name, arguments)`
validates the arguments against the tool's JSON Schema with a compiled validator
before any code runs, executes the tool function on the live state under the step
budget and size guards, and returns a `ToolResult`. A call never raises for anything
the arguments or the tool code do; on any failure the state is rolled back through
the undo journal (never by copying the whole state).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from toolkits.arguments import compile_validator, validate_call
from toolkits.canonical import json_copy, state_hash
from toolkits.compiler import (
    CompiledModule,
    compile_module,
)
from toolkits.errors import CompileError, Problem
from toolkits.exception_text import describe, exception_text
from toolkits.expressions import Expressions
from toolkits.limits import Limits
from toolkits.protocol import Call, CallReplay, CompiledToolkit, replay_calls
from toolkits.result import ErrorKind, ToolResult, error_result
from toolkits.sandbox.builtins import ToolError, make_builtins
from toolkits.sandbox.context import CallContext, SandboxAbort
from toolkits.sandbox.guards import Guards
from toolkits.sandbox.journal import StateStore, index_containers
from toolkits.sandbox.output import to_json_text
from toolkits.sandbox.watchdog import WATCHDOG
from toolkits.spec import ToolkitSpec, load_toolkit
from toolkits.state_copy import validated_copy
from toolkits.trust import Isolation, document_key, resolve_isolation


def compile_toolkit(
    source: ToolkitSpec | dict[str, Any] | str | Path,
    *,
    limits: Limits | None = None,
    check_state: bool = False,
    check_invariants: bool = False,
    isolation: Isolation = "none",
    trusted: Iterable[str | Path] = (),
) -> CompiledToolkit:
    """Load, validate and compile a toolkit, reset to its initial state.

    Args:
        source: a `ToolkitSpec`, a dict, JSON text or a path to a toolkit file.
        limits: resource limits of every call (defaults to `Limits()`).
        check_state: validate the state against `state_schema` after each successful
            call and report problems in `ToolResult.state_errors`.
        check_invariants: evaluate the toolkit's invariants after each successful call
            and report broken ones in `ToolResult.invariant_violations`.
        isolation: ``"none"`` runs calls in this process (fast: the default);
            ``"process"`` returns an `IsolatedToolkit` whose calls run in a worker
            process that is killed and rebuilt when tool code hangs or crashes inside
            a single C-level operation (use it for toolkits from unknown sources);
            ``"auto"`` runs the bundled examples and files under a `trusted` path
            in-process and everything else in a worker (see `toolkits.trust`).
        trusted: directories or files whose toolkits ``"auto"`` runs in-process.

    Raises:
        SpecError: the document is not a valid toolkit (every problem listed).
        CompileError: the source breaks the sandbox policy or a tool's signature
            does not match its schema (every problem listed, with line numbers).
    """
    spec = load_toolkit(source)
    text = isinstance(source, str) and source.lstrip().startswith("{")
    isolation = resolve_isolation(spec if text else source, isolation, trusted=trusted)
    if isolation == "process":
        from toolkits.isolation import IsolatedToolkit

        return IsolatedToolkit(
            spec, limits=limits, check_state=check_state, check_invariants=check_invariants
        )
    return Toolkit(spec, limits=limits, check_state=check_state, check_invariants=check_invariants)


class Toolkit(Expressions):
    """A compiled toolkit with its live state. Build it with `compile_toolkit`.

    Calls are serialized by a lock: one toolkit runs one call at a time.
    """

    def __init__(
        self,
        spec: ToolkitSpec,
        *,
        limits: Limits | None = None,
        check_state: bool = False,
        check_invariants: bool = False,
    ):
        self.spec = spec
        self.limits = limits or Limits()
        self.check_state = check_state
        self.check_invariants_after_call = check_invariants
        self._module: CompiledModule = compile_module(spec)
        self._invariant_codes = self._compile_invariants()
        self._ctx = CallContext(self.limits)
        self._store = StateStore(self._ctx)
        guards = Guards(self._ctx, self._store)
        self._guards = guards
        self._base_globals: dict[str, Any] = {
            "__builtins__": make_builtins(guards),
            **guards.names(),
        }
        self._base_globals["__name__"] = "toolkit"
        self._globals: dict[str, Any] = {}
        self._lock = threading.RLock()
        depth = self.limits.max_state_depth  # bounds the values of recursive schemas
        self._validators = {
            t.function.name: compile_validator(t.function.parameters, max_depth=depth)
            for t in spec.tools
        }
        self._params = {
            t.function.name: frozenset(t.function.parameters.get("properties") or {})
            for t in spec.tools
        }
        self._state_validator = compile_validator(spec.state_schema, max_depth=depth)
        self._state_is_valid = self._state_validator.is_valid
        self._load_module(first=True)
        self._initial_text: str | None = None  # the valid initial state, for fast resets
        self._loaded: bytes | None = None  # identity of the state last loaded (see reset)
        self._loaded_hash: str | None = None  # its hash, while no call changed it
        self.reset()

    # -- public API ------------------------------------------------------------------

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
        with self._lock:
            return json_copy(self._store.state)

    def state_hash(self) -> str:
        """``"sha256:" + sha256(canonical JSON of the state)`` (DESIGN.md section 3)."""
        with self._lock:
            if not self._store.unchanged():
                return state_hash(self._store.state)
            if self._loaded_hash is None:  # once per loaded state, not per trajectory
                self._loaded_hash = state_hash(self._store.state)
            return self._loaded_hash

    def reset(self, state: dict[str, Any] | None = None) -> None:
        """Set the state to a deep copy of `state` (default: the initial state).

        Raises:
            StateError: `state` is not JSON, not an object, has a dict key that is not
                a string (JSON would turn it into one silently; a write with one is
                refused too), or is not valid against `state_schema` (every problem
                listed with its path).
        """
        if state is None and self._initial_text is not None:  # checked on the first reset
            with self._lock:
                if self._loaded == _INITIAL and self._store.rewind():
                    return  # undo what the calls since changed: no copy of the state
                copy = json.loads(self._initial_text)
                self._load(copy, index_containers(copy), _INITIAL)
            return
        source = self.spec.initial_state if state is None else state
        identity = _INITIAL if state is None else _identity(state)
        if identity is not None and identity == self._loaded:
            with self._lock:  # the state loaded last (validated then): undo the calls
                if self._store.rewind():
                    return
        root = "initial_state" if state is None else "state"
        limit = self.limits.max_state_depth
        copy, index = validated_copy(source, root, self._schema_problems, limit)
        if state is None:
            self._initial_text = json.dumps(copy, ensure_ascii=False)
        with self._lock:
            self._load(copy, index, identity)

    def _load(self, copy: dict[str, Any], index: Any, identity: bytes | None) -> None:
        """Adopt a validated copy as the live state; `identity` names where it came from."""
        self._store.load(copy, index)
        if identity != self._loaded:
            self._loaded_hash = None
        self._loaded = identity

    def call(self, name: str, arguments: dict[str, Any] | str | None = None) -> ToolResult:
        """Run tool `name` with `arguments` (a dict or JSON text); never raises.

        Arguments are validated against the tool's schema before any code runs. On
        any failure the result has ``ok=False`` and the state is unchanged.
        """
        args, rejected = validate_call(name, arguments, self._validators)
        if rejected is not None:
            return error_result(*rejected)
        declared = self._params[name]
        if len(args) != len(declared) or any(k not in declared for k in args):
            args = {k: v for k, v in args.items() if k in declared}
        with self._lock:
            return self._run_tool(name, args)

    def state_errors(self) -> list[str]:
        """State-schema violations of the current state (empty when valid)."""
        with self._lock:
            return [str(p) for p in self._schema_problems(self._store.state)]

    def replay(
        self,
        calls: Sequence[Call],
        *,
        state: dict[str, Any] | None = None,
        invariants: bool = False,
        checks: Sequence[str] = (),
    ) -> CallReplay:
        """Reset to `state` (default: the initial state), run `calls` in order, then test
        each expression of `checks` on the final state (see `CallReplay`).

        Raises:
            StateError: `state` is not a valid state (see `reset`).
        """
        with self._lock:
            return replay_calls(self, calls, state=state, invariants=invariants, checks=checks)

    def close(self) -> None:
        """Nothing to release in-process (the `CompiledToolkit` protocol's `close`)."""

    def __enter__(self) -> Toolkit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals -------------------------------------------------------------------

    def _load_module(self, first: bool = False) -> ToolResult | None:
        """Execute the module code into fresh globals; an error result if it fails.

        At compile time (`first`) a failure is a `CompileError` instead.
        """
        g = dict(self._base_globals)
        ctx = self._ctx
        ctx.begin()
        WATCHDOG.watch(ctx)
        failure: tuple[ErrorKind, str] | None = None
        try:
            exec(self._module.code, g)
            for _label, code, _fname in self._invariant_codes:
                exec(code, g)
        except SandboxAbort as exc:
            failure = (exc.kind, exc.message)
        except Exception as exc:
            failure = (ErrorKind.runtime_error, f"module level raised {describe(exc)}")
        finally:
            WATCHDOG.unwatch(ctx)
        abort = ctx.outcome()
        if abort is not None:
            failure = (abort.kind, f"module level: {abort.message}")
        if failure is None:
            self._globals = g
            return None
        if first:
            raise CompileError([Problem(path="source", message=failure[1])])
        return error_result(failure[0], failure[1], ctx.used())

    def _run_tool(self, name: str, args: dict[str, Any]) -> ToolResult:
        ctx, store = self._ctx, self._store
        if not self._module.reusable:
            failed = self._load_module()
            if failed is not None:
                return failed
        func = self._globals[name]
        ctx.begin()
        WATCHDOG.watch(ctx)
        kind: ErrorKind | None = None
        message = ""
        value: Any = None
        try:
            value = func(store.state, **args)
        except SandboxAbort as exc:
            kind, message = exc.kind, exc.message
        except ToolError as exc:
            kind, message = ErrorKind.tool_error, exception_text(exc)
        except RecursionError:
            kind, message = ErrorKind.resource_limit, "recursion too deep"
        except MemoryError:
            kind, message = ErrorKind.memory_limit, "out of memory"
        except Exception as exc:  # any other error in tool code is an observation
            kind, message = ErrorKind.runtime_error, describe(exc)
        finally:
            WATCHDOG.unwatch(ctx)
        abort = ctx.outcome()
        if abort is not None:
            kind, message = abort.kind, abort.message
        content = None
        if kind is None:
            content, problem = to_json_text(value, self._guards, self.limits.max_output_chars)
            if content is None:
                kind, message = problem
        steps = ctx.used()
        if kind is not None:
            store.rollback()
            return error_result(kind, message, steps)
        store.commit()
        result = ToolResult(ok=True, content=content, steps=steps)  # type: ignore[arg-type]
        if self.check_state:
            result.state_errors = [str(p) for p in self._schema_problems(store.state)]
        if self.check_invariants_after_call:
            result.invariant_violations = self._broken_invariants()
        return result

    def _schema_problems(self, state: Any) -> list[Problem]:
        if self._state_is_valid(state):  # compiled fast path
            return []
        return [
            Problem(path="state" + "".join(f"[{p!r}]" for p in where), message=message)
            for where, message in self._state_validator.problems(state)
        ]


_INITIAL = b"initial_state"


def _identity(state: Any) -> bytes | None:
    """The exact identity of a state given to `reset` (None: it cannot be told)."""
    try:
        return document_key(state)
    except ValueError:
        return None
