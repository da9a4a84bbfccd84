"""`check_toolkit`: the conformance checker of a toolkit, and its report models.

Steps, each a source of findings: load the document (`spec_error`), compile it
(`compile_error`), check the initial state (`initial_state_invalid`,
`invariant_violated`), fuzz every tool with schema-valid arguments from the initial
state, then run a stateful machine whose rules are the tools (see
`toolkits.check_machine`). Finding codes:

| code | severity | meaning |
| --- | --- | --- |
| `spec_error` | error | the document is not a valid toolkit |
| `compile_error` | error | the source does not compile in the sandbox (one per problem) |
| `initial_state_invalid` | error | `initial_state` is rejected by the runtime |
| `invariant_violated` | error | an invariant is false (initially or after a call) |
| `harness_crash` | error | `Toolkit.call` raised, or returned a malformed result |
| `validator_mismatch` | error | schema-valid arguments were rejected as invalid |
| `resource_limit` | error | a call with valid arguments hit a step/size/time/memory bound |
| `sandbox_violation` | error | a call did something the sandbox forbids at run time |
| `invalid_state` | error | a tool stored a non-JSON value into the state |
| `invalid_result` | error | a tool returned a non-JSON value |
| `state_invalid` | error | after a call the state breaks `state_schema` |
| `not_atomic` | error | a failed call changed the state |
| `nondeterministic` | error | replaying a call sequence gave other outputs or another state |
| `uncaught_exception` | warning | a tool raised something other than `ToolError` (e.g. KeyError) |
| `unsupported_schema` | warning | no arguments can be drawn for a tool's schema: not fuzzed |

The same `(toolkit, examples, seed)` gives the same findings.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from toolkits.check_machine import Budget, PropertyViolationError, fuzz_tool, run_stateful
from toolkits.errors import CompileError, SpecError, StateError
from toolkits.limits import Limits
from toolkits.schema_strategies import (
    UnsupportedSchemaError,
    arguments_strategy,
    known_values_from_state,
)
from toolkits.spec import ToolkitSpec, load_toolkit

__all__ = ["WARNING_CODES", "CheckFinding", "CheckReport", "check_toolkit"]

WARNING_CODES = frozenset({"uncaught_exception", "unsupported_schema"})
"""Finding codes that do not make a toolkit fail."""

_ROUNDS_PER_TOOL = 3  # property runs per tool; each run skips the findings already made
_STATEFUL_ROUNDS = 4


class CheckFinding(BaseModel):
    """One broken property, with the shortest call sequence that shows it."""

    code: str = Field(description="Stable finding code, e.g. 'not_atomic' (see toolkits.check).")
    severity: Literal["error", "warning"] = Field(description="Errors make the check fail.")
    tool: str | None = Field(default=None, description="The tool at fault, when there is one.")
    message: str = Field(description="What is wrong and what to do.")
    sequence: list[dict[str, Any]] = Field(
        default_factory=list,
        description='Minimal failing calls from the initial state: [{"tool", "arguments"}].',
    )


class CheckReport(BaseModel):
    """The outcome of `check_toolkit` on one toolkit."""

    toolkit: str = Field(description="The toolkit's name.")
    passed: bool = Field(description="True when no finding has severity 'error'.")
    findings: list[CheckFinding] = Field(default_factory=list)
    stats: dict[str, Any] = Field(
        default_factory=dict,
        description="tools, examples (property-test cases run), calls (tool calls made), seconds.",
    )


def check_toolkit(
    toolkit: ToolkitSpec | dict[str, Any] | str | Path,
    *,
    examples: int = 50,
    seed: int = 0,
    limits: Limits | None = None,
) -> CheckReport:
    """Compile a toolkit and property-test it; return every finding (never raises for them).

    Args:
        toolkit: a `ToolkitSpec`, a dict, JSON text or a path to a toolkit file.
        examples: Hypothesis examples per property run (per tool, and for the machine).
        seed: the seed of every property run; same inputs give the same report.
        limits: resource limits of the calls (default `Limits()`).

    Raises:
        FileNotFoundError: `toolkit` names a file that does not exist.
    """
    from toolkits.runtime import Toolkit  # lazy: toolkits/__init__ imports this module lazily

    started = time.perf_counter()
    name = _guess_name(toolkit)
    findings: list[CheckFinding] = []

    def report(stats: dict[str, Any]) -> CheckReport:
        stats["seconds"] = round(time.perf_counter() - started, 3)
        passed = all(f.severity == "warning" for f in findings)
        return CheckReport(toolkit=name, passed=passed, findings=findings, stats=stats)

    try:
        spec = load_toolkit(toolkit)
    except SpecError as exc:
        findings.append(_finding("spec_error", None, "; ".join(str(p) for p in exc.problems)))
        return report({"tools": 0, "examples": 0, "calls": 0})
    name = spec.name

    def compile_() -> Any:  # `spec` is validated: skip compile_toolkit's second load
        return Toolkit(spec, limits=limits, check_state=True, check_invariants=True)

    stats: dict[str, Any] = {"tools": len(spec.tools), "examples": 0, "calls": 0}
    try:
        tk = compile_()
    except CompileError as exc:
        findings.extend(_finding("compile_error", None, _located(p)) for p in exc.problems)
        return report(stats)
    except StateError as exc:
        findings.append(_finding("initial_state_invalid", None, _problems(exc)))
        return report(stats)
    findings.extend(_initial_state_findings(tk))
    if findings:
        return report(stats)

    budget = Budget(compile=compile_, examples=examples, seed=seed)
    known = known_values_from_state(spec.initial_state)
    fuzzable: dict[str, dict[str, Any]] = {}
    for tool in spec.tools:
        tool_name, schema = tool.function.name, tool.function.parameters
        try:
            strategy = arguments_strategy(schema, known_values=known)
        except UnsupportedSchemaError as exc:
            findings.append(_finding("unsupported_schema", tool_name, str(exc)))
            continue
        fuzzable[tool_name] = schema
        for _ in range(_ROUNDS_PER_TOOL):
            violation = fuzz_tool(budget, tk, tool_name, strategy, _ignored(findings))
            if violation is None:
                break
            findings.append(_from_violation(violation))
            if violation.code == "unsupported_schema":
                fuzzable.pop(tool_name, None)
                break

    for _ in range(_STATEFUL_ROUNDS if fuzzable else 0):
        violation = run_stateful(budget, fuzzable, known, _ignored(findings))
        if violation is None or (violation.code, violation.tool) in _ignored(findings):
            break
        findings.append(_from_violation(violation))

    stats.update(examples=budget.examples_run, calls=budget.calls)
    return report(stats)


def _initial_state_findings(tk: Any) -> list[CheckFinding]:
    try:
        tk.reset()
    except StateError as exc:
        return [_finding("initial_state_invalid", None, _problems(exc))]
    out = [
        _finding("initial_state_invalid", None, f"initial_state breaks state_schema: {err}")
        for err in tk.state_errors()
    ]
    out += [
        _finding("invariant_violated", None, f"the initial state breaks the invariant: {d}")
        for d in tk.check_invariants()
    ]
    return out


def _finding(
    code: str, tool: str | None, message: str, sequence: list[dict[str, Any]] | None = None
) -> CheckFinding:
    severity: Literal["error", "warning"] = "warning" if code in WARNING_CODES else "error"
    return CheckFinding(
        code=code, severity=severity, tool=tool, message=message, sequence=sequence or []
    )


def _from_violation(v: PropertyViolationError) -> CheckFinding:
    return _finding(v.code, v.tool, v.message, v.sequence)


def _ignored(findings: list[CheckFinding]) -> set[tuple[str, str | None]]:
    return {(f.code, f.tool) for f in findings}


def _located(problem: Any) -> str:
    where = f"line {problem.line}: " if problem.line is not None else ""
    what = f" [{problem.offending}]" if problem.offending else ""
    return f"{where}{problem.message}{what}"


def _problems(exc: StateError) -> str:
    return "; ".join(str(p) for p in exc.problems)


def _guess_name(toolkit: Any) -> str:
    if isinstance(toolkit, ToolkitSpec):
        return toolkit.name
    if isinstance(toolkit, dict) and isinstance(toolkit.get("name"), str):
        return toolkit["name"]
    if isinstance(toolkit, Path) or (
        isinstance(toolkit, str) and not toolkit.lstrip().startswith("{")
    ):
        return Path(toolkit).stem
    return "<toolkit>"
