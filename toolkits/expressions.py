"""Read-only expressions over a toolkit's state: `evaluate`, `holds` and invariants.

A mixin of `toolkits.runtime.Toolkit` (it uses the toolkit's compiled module, call
context, state store and lock). An expression runs in the sandbox with the module's
helpers in scope, under the same budget and limits as a call, and whatever it writes
is rolled back: expressions never change the state.
"""

from __future__ import annotations

from typing import Any

from toolkits.compiler import compile_expression, expression_name_problems
from toolkits.errors import CompileError
from toolkits.exception_text import describe
from toolkits.result import ErrorKind, ToolResult, error_result
from toolkits.sandbox.context import SandboxAbort
from toolkits.sandbox.output import to_json_text
from toolkits.sandbox.watchdog import WATCHDOG


class Expressions:
    """`evaluate`, `holds` and the invariants of a `Toolkit` (mixed into it)."""

    _lock: Any
    _module: Any
    _globals: dict[str, Any]
    _ctx: Any
    _store: Any
    _guards: Any
    _invariant_codes: list[tuple[str, Any, str]]
    spec: Any
    limits: Any

    def _load_module(self, first: bool = False) -> ToolResult | None:  # pragma: no cover
        raise NotImplementedError

    def evaluate(self, expr: str) -> ToolResult:
        """Evaluate a Python expression over `state` in the sandbox, read-only.

        The value is returned as JSON (tuples become lists); the state is never changed.
        Raises `CompileError` when the expression does not compile.
        """
        code = compile_expression(expr, "_expr_", path="expr")
        with self._lock:
            return self._run_expression(code, "_expr_", as_json=True)

    def holds(self, expr: str) -> tuple[bool, str | None]:
        """Whether an expression over `state` is true: ``(holds, error message or None)``."""
        code = compile_expression(expr, "_expr_", path="expr")
        with self._lock:
            result = self._run_expression(code, "_expr_", as_json=False)
        return (result.ok and result.content == "true"), result.error

    def check_invariants(self) -> list[str]:
        """Descriptions (or expressions) of the invariants that do not hold now."""
        with self._lock:
            return self._broken_invariants()

    def _compile_invariants(self) -> list[tuple[str, Any, str]]:
        """Compile the invariants; each may read `state`, builtins and the module's names."""
        codes, problems = [], []
        defined = self._module.names | {"state"}
        for i, inv in enumerate(self.spec.invariants):
            fname, path = f"_inv{i}_", f"invariants[{i}].expr"
            try:
                code = compile_expression(inv.expr, fname, path)
                codes.append((inv.description or inv.expr, code, fname))
            except CompileError as exc:
                problems.extend(exc.problems)
                continue
            problems.extend(expression_name_problems(inv.expr, defined, path))
        if problems:
            raise CompileError(problems)
        return codes

    def _run_expression(self, code: Any, name: str, as_json: bool) -> ToolResult:
        if not self._module.reusable:  # fresh module values, as for every tool call
            failed = self._load_module()
            if failed is not None:
                return failed
        g = self._globals
        if code is not None:  # an ad-hoc expression: define it in a copy of the module
            g = dict(g)
            exec(code, g)
        ctx, store = self._ctx, self._store
        ctx.begin()
        WATCHDOG.watch(ctx)
        kind: ErrorKind | None = None
        message, value = "", None
        try:
            value = g[name](store.state)
            if not as_json:
                value = bool(value)
        except SandboxAbort as exc:
            kind, message = exc.kind, exc.message
        except RecursionError:
            kind, message = ErrorKind.resource_limit, "recursion too deep"
        except Exception as exc:
            kind, message = ErrorKind.runtime_error, describe(exc)
        finally:
            WATCHDOG.unwatch(ctx)
            store.rollback()  # expressions never change the state
        abort = ctx.outcome()
        if abort is not None:
            kind, message = abort.kind, abort.message
        if kind is None:
            content, problem = to_json_text(value, self._guards, self.limits.max_output_chars)
            if content is not None:
                return ToolResult(ok=True, content=content, steps=ctx.used())
            kind, message = problem
        return error_result(kind, message, ctx.used())

    def _broken_invariants(self) -> list[str]:
        broken = []
        for label, _code, fname in self._invariant_codes:
            result = self._run_expression(None, fname, as_json=False)
            if not (result.ok and result.content == "true"):
                broken.append(label if result.ok else f"{label} (error: {result.error})")
        return broken
