"""Property tests behind `check_toolkit`: per-tool argument fuzzing and the stateful machine.

Both run Hypothesis programmatically (not through pytest). A broken property raises a
private `PropertyViolationError` carrying a finding code and the call sequence of the run that
raised it; Hypothesis shrinks the failing example, replays the minimal one last, and
the `PropertyViolationError` of that final replay is what `run_property` returns.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky, HypothesisException
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from toolkits.canonical import json_copy
from toolkits.result import NONDETERMINISTIC_KINDS, ErrorKind, ToolResult
from toolkits.schema_strategies import (
    UnsupportedSchemaError,
    arguments_strategy,
    known_values_from_state,
)

# (code, tool) pairs a run must not report again.
IgnoreSet = Collection[tuple[str, str | None]]

_KIND_CODES: dict[ErrorKind, str] = {
    ErrorKind.invalid_arguments: "validator_mismatch",
    ErrorKind.malformed_arguments: "validator_mismatch",
    ErrorKind.budget_exceeded: "resource_limit",
    ErrorKind.timeout: "resource_limit",
    ErrorKind.memory_limit: "resource_limit",
    ErrorKind.resource_limit: "resource_limit",
    ErrorKind.output_too_large: "resource_limit",
    ErrorKind.sandbox_violation: "sandbox_violation",
    ErrorKind.invalid_state: "invalid_state",
    ErrorKind.invalid_result: "invalid_result",
    ErrorKind.runtime_error: "uncaught_exception",
    ErrorKind.unknown_tool: "harness_crash",
}
_KIND_HINTS: dict[str, str] = {
    "validator_mismatch": "the arguments are valid against the tool's schema, yet the call "
    "rejected them",
    "resource_limit": "the call hit a resource bound; bound the inputs in the schema "
    "(maximum, maxLength, maxItems) or make the code cheaper",
    "sandbox_violation": "the code uses something the sandbox forbids at run time",
    "invalid_state": "the tool stored a non-JSON value into the state (a tuple, a set, ...)",
    "invalid_result": "the tool returned a value that is not JSON",
    "uncaught_exception": "raise ToolError('...') with a clear message instead",
    "harness_crash": "the runtime failed to run a declared tool",
}


class PropertyViolationError(Exception):
    """A broken property: a finding `code`, its `tool`, a message and the call sequence."""

    def __init__(self, code: str, tool: str | None, message: str, sequence: list[dict[str, Any]]):
        super().__init__(f"{code}: {message}")
        self.code, self.tool, self.message = code, tool, message
        self.sequence = [dict(step) for step in sequence]


@dataclass
class Budget:
    """What one `check_toolkit` run shares: how to compile, how hard to try, counters."""

    compile: Callable[[], Any]
    examples: int
    seed: int
    steps: int = 20
    examples_run: int = 0
    calls: int = 0

    def settings(self) -> settings:
        return settings(
            max_examples=self.examples,
            stateful_step_count=self.steps,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            phases=(Phase.explicit, Phase.generate, Phase.shrink),
            verbosity=Verbosity.quiet,
            report_multiple_bugs=False,
            print_blob=False,
        )


def _short(args: Any, limit: int = 160) -> str:
    text = json.dumps(args, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def classify(result: ToolResult) -> tuple[str, str] | None:
    """Return `(code, explanation)` when a result breaks a property, else None."""
    if result.ok:
        try:
            json.loads(result.content)
        except (TypeError, ValueError):
            return "invalid_result", "an ok result whose content is not JSON"
        return None
    if result.error_kind is None:
        return "harness_crash", "a failed result without an error kind"
    try:
        kind = ErrorKind(result.error_kind)
    except ValueError:
        return "harness_crash", f"a failed result with an unknown error kind {result.error_kind!r}"
    if kind is ErrorKind.tool_error:
        return None
    code = _KIND_CODES.get(kind, "harness_crash")
    return code, _KIND_HINTS[code]


def checked_call(
    budget: Budget,
    toolkit: Any,
    name: str,
    args: dict[str, Any],
    sequence: list[dict[str, Any]],
    ignore: IgnoreSet,
) -> ToolResult:
    """Call a tool, append it to `sequence`; raise `PropertyViolationError` on a broken property."""
    sequence.append({"tool": name, "arguments": json_copy(args)})
    budget.calls += 1

    def fail(code: str, message: str) -> None:
        if (code, name) not in ignore:
            raise PropertyViolationError(code, name, message, sequence)

    before = toolkit.state_hash()
    try:
        result = toolkit.call(name, json_copy(args))
    except Exception as exc:  # the runtime promised never to raise
        raise PropertyViolationError(
            "harness_crash",
            name,
            f"Toolkit.call({name!r}, {_short(args)}) raised {type(exc).__name__}: {exc}",
            sequence,
        ) from None
    verdict = classify(result)
    if verdict is not None:
        code, hint = verdict
        kind = "ok" if result.error_kind is None else str(result.error_kind)
        fail(code, f"{name}({_short(args)}) -> {kind}: {result.error or result.content}; {hint}")
    if not result.ok and toolkit.state_hash() != before:
        fail("not_atomic", f"{name}({_short(args)}) failed ({result.error}) but changed the state")
    if result.ok and result.state_errors:
        fail(
            "state_invalid",
            f"after {name}({_short(args)}) the state breaks state_schema: "
            + "; ".join(result.state_errors),
        )
    if result.ok and result.invariant_violations:
        fail(
            "invariant_violated",
            f"after {name}({_short(args)}) these invariants do not hold: "
            + "; ".join(result.invariant_violations),
        )
    return result


def run_property(test: Callable[[], None]) -> PropertyViolationError | None:
    """Run a Hypothesis test; return the `PropertyViolationError` of its minimal failing example."""
    try:
        test()
    except PropertyViolationError as violation:
        return violation
    except Flaky as exc:  # the failure did not reproduce: the toolkit is not deterministic
        inner = [e for e in getattr(exc, "exceptions", []) if isinstance(e, PropertyViolationError)]
        if inner:
            first = inner[0]
            return PropertyViolationError(
                first.code,
                first.tool,
                first.message + " (did not reproduce on replay)",
                first.sequence,
            )
        return PropertyViolationError(
            "nondeterministic", None, f"results did not reproduce: {exc}", []
        )
    except UnsupportedSchemaError as exc:
        return PropertyViolationError("unsupported_schema", None, str(exc), [])
    except HypothesisException as exc:
        return PropertyViolationError(
            "unsupported_schema", None, f"could not draw enough valid arguments: {exc}", []
        )
    return None


def fuzz_tool(
    budget: Budget,
    toolkit: Any,
    name: str,
    strategy: st.SearchStrategy[dict[str, Any]],
    ignore: IgnoreSet,
) -> PropertyViolationError | None:
    """One property run: from the initial state, call `name` with drawn arguments."""

    @seed(budget.seed)
    @budget.settings()
    @given(args=strategy)
    def fuzz(args: dict[str, Any]) -> None:
        budget.examples_run += 1
        toolkit.reset()
        checked_call(budget, toolkit, name, args, [], ignore)

    violation = run_property(fuzz)
    if violation is not None and violation.tool is None:
        violation.tool = name
    return violation


class _Pool:
    """Known values of the running machine's current state (read at draw time)."""

    def __init__(self) -> None:
        self.values: list[str | int] = []

    def __call__(self) -> list[str | int]:
        return self.values


def stateful_machine(
    budget: Budget,
    tools: dict[str, dict[str, Any]],
    initial_known: list[str | int],
    ignore: IgnoreSet,
) -> type[RuleBasedStateMachine]:
    """Build a machine with one rule per tool (name -> parameters schema)."""
    pool = _Pool()
    primary, second = budget.compile(), budget.compile()  # reset, not recompiled, per example

    def init(self: Any) -> None:
        RuleBasedStateMachine.__init__(self)
        budget.examples_run += 1
        self.toolkit = primary
        self.toolkit.reset()
        self.sequence, self.results = [], []
        self.failed = False
        pool.values = list(initial_known)

    def step(self: Any, name: str, args: dict[str, Any]) -> None:
        try:
            result = checked_call(budget, self.toolkit, name, args, self.sequence, ignore)
        except PropertyViolationError:
            self.failed = True
            raise
        self.results.append(result)
        if result.ok:
            found = known_values_from_state(self.toolkit.state)
            found += known_values_from_state(result.value)
            pool.values = list(dict.fromkeys(found))

    def teardown(self: Any) -> None:
        if self.failed or not self.sequence or any(c == "nondeterministic" for c, _ in ignore):
            return
        final = self.toolkit.state_hash()
        _replay(budget, second, self, final, "on a separately compiled toolkit")
        _replay(budget, self.toolkit, self, final, "after reset() on the same toolkit")

    namespace: dict[str, Any] = {"__init__": init, "teardown": teardown}
    for name, schema in tools.items():
        strategy = arguments_strategy(schema, known_values=pool)

        def call(self: Any, args: dict[str, Any], _name: str = name) -> None:
            step(self, _name, args)

        call.__name__ = f"call_{name}"
        namespace[call.__name__] = rule(args=strategy)(call)
    return type("ToolkitMachine", (RuleBasedStateMachine,), namespace)


def _replay(budget: Budget, toolkit: Any, machine: Any, final: str, how: str) -> None:
    """Replay the machine's calls on `toolkit` from the initial state; compare everything."""
    toolkit.reset()
    for i, (step, first) in enumerate(zip(machine.sequence, machine.results)):
        budget.calls += 1
        again = toolkit.call(step["tool"], json_copy(step["arguments"]))
        if first.error_kind in NONDETERMINISTIC_KINDS or again.error_kind in NONDETERMINISTIC_KINDS:
            return  # wall-clock limits may legitimately differ between runs
        if again.content != first.content:
            raise PropertyViolationError(
                "nondeterministic",
                step["tool"],
                f"replaying call {i + 1} ({step['tool']}) {how} gave {again.content[:200]} "
                f"instead of {first.content[:200]}",
                machine.sequence[: i + 1],
            )
    if toolkit.state_hash() != final:
        raise PropertyViolationError(
            "nondeterministic",
            machine.sequence[-1]["tool"],
            f"replaying the sequence {how} gave the same outputs but a different final state",
            machine.sequence,
        )


def run_stateful(
    budget: Budget,
    tools: dict[str, dict[str, Any]],
    initial_known: list[str | int],
    ignore: IgnoreSet,
) -> PropertyViolationError | None:
    """Run the stateful machine once; return the minimal `PropertyViolationError`, if any."""
    machine = seed(budget.seed)(stateful_machine(budget, tools, initial_known, ignore))
    return run_property(lambda: run_state_machine_as_test(machine, settings=budget.settings()))
