"""`check_toolkit`: a clean toolkit passes; each finding code fires on a small buggy toolkit.

Every buggy toolkit below is a hand-written stand-in (not model output), as small as
the bug it shows. A few codes can only come from a broken runtime (`harness_crash`,
`validator_mismatch`, `not_atomic`, `nondeterministic`, `initial_state_invalid` past
spec validation); those tests swap in a hand-written faulty runtime method with
monkeypatch, which is the only way to exercise the checker's detection.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import toolkit
from toolkits import Limits, StateError, Toolkit, ToolResult, check_toolkit
from toolkits.check import WARNING_CODES, CheckReport

FIXTURE = Path(__file__).parent / "fixtures" / "toolkit-library_loans.json"
EXAMPLES = 15

COUNTER = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}


def check(doc: Any, **kw: Any) -> CheckReport:
    return check_toolkit(doc, examples=kw.pop("examples", EXAMPLES), **kw)


def codes(report: CheckReport) -> set[str]:
    return {f.code for f in report.findings}


def finding(report: CheckReport, code: str):
    matches = [f for f in report.findings if f.code == code]
    assert matches, f"no {code} finding in {report.model_dump_json(indent=1)}"
    return matches[0]


# -- clean toolkits --------------------------------------------------------------------


def test_clean_toolkit_passes_with_stats() -> None:
    report = check(FIXTURE)
    assert report.passed, report.model_dump_json(indent=1)
    assert report.findings == []
    assert report.toolkit == "library_loans"
    assert report.stats["tools"] == 2
    assert report.stats["calls"] > report.stats["examples"] > 0
    assert report.stats["seconds"] >= 0


def test_same_seed_gives_the_same_report_and_warnings_do_not_fail() -> None:
    # hand-written stand-in: KeyError for unknown ids is an uncaught (non-ToolError) exception
    doc = toolkit(
        'def get(state, key):\n    return state["items"][key]\n',
        {"get": {"key": {"type": "string"}}},
        state={"items": {"A-1": 1}},
    )
    first, second = check(doc, seed=3), check(doc, seed=3)
    assert first.findings == second.findings
    assert {k: v for k, v in first.stats.items() if k != "seconds"} == {
        k: v for k, v in second.stats.items() if k != "seconds"
    }
    f = finding(first, "uncaught_exception")
    assert f.severity == "warning" and f.tool == "get" and "KeyError" in f.message
    assert len(f.sequence) == 1 and f.sequence[0]["tool"] == "get"
    assert first.passed  # warnings only


# -- document and compile problems -------------------------------------------------------


def test_spec_error() -> None:
    report = check({"name": "Not Snake", "tools": []})
    assert not report.passed
    assert codes(report) == {"spec_error"}
    assert "state_schema" in finding(report, "spec_error").message


def test_compile_error_lists_lines() -> None:
    doc = toolkit("def run(state):\n    return 1\n\nimport os\n")
    report = check(doc)
    assert codes(report) == {"compile_error"}
    assert any("line 4" in f.message for f in report.findings)


def test_initial_state_invalid(monkeypatch: pytest.MonkeyPatch) -> None:
    # hand-written faulty runtime: reset() rejects the state (spec validation already
    # rejects schema-invalid initial states, so only the runtime can raise here)
    def reset(self: Toolkit, state: Any = None) -> None:
        raise StateError([])

    doc = toolkit("def run(state):\n    return 1\n")
    monkeypatch.setattr(Toolkit, "__init__", _init_then(monkeypatch, "reset", reset))
    report = check(doc)
    assert codes(report) == {"initial_state_invalid"} and not report.passed


def _init_then(monkeypatch: pytest.MonkeyPatch, name: str, method: Any) -> Any:
    """Toolkit.__init__ that patches `name` only after construction (which calls reset)."""
    original = Toolkit.__init__

    def init(self: Toolkit, *args: Any, **kw: Any) -> None:
        original(self, *args, **kw)
        monkeypatch.setattr(Toolkit, name, method)

    return init


def test_invariant_violated_on_the_initial_state() -> None:
    doc = toolkit(
        "def run(state):\n    return 1\n",
        state={"n": -1},
        invariants=[{"description": "n is never negative", "expr": "state['n'] >= 0"}],
    )
    report = check(doc)
    f = finding(report, "invariant_violated")
    assert "n is never negative" in f.message and f.sequence == []


# -- per-call properties ---------------------------------------------------------------


def test_invariant_violated_after_a_call_with_minimal_sequence() -> None:
    # hand-written stand-in: withdraw forgets to check the balance
    doc = toolkit(
        'def withdraw(state, amount):\n    state["n"] -= amount\n    return state["n"]\n',
        {"withdraw": {"amount": {"type": "integer", "minimum": 1, "maximum": 100}}},
        state={"n": 50},
        state_schema=COUNTER,
        invariants=[{"description": "balance never negative", "expr": "state['n'] >= 0"}],
    )
    report = check(doc)
    f = finding(report, "invariant_violated")
    assert not report.passed and f.tool == "withdraw" and f.severity == "error"
    assert len(f.sequence) == 1 and f.sequence[0]["arguments"]["amount"] == 51  # shrunk


def test_state_invalid() -> None:
    # hand-written stand-in: stores a string where the state schema wants an integer
    doc = toolkit(
        'def label(state, text):\n    state["n"] = text\n    return "ok"\n',
        {"label": {"text": {"type": "string"}}},
        state={"n": 0},
        state_schema=COUNTER,
    )
    f = finding(check(doc), "state_invalid")
    assert f.tool == "label" and len(f.sequence) == 1


@pytest.mark.parametrize(
    ("code", "source", "params"),
    [
        (
            "resource_limit",
            'def run(state, n):\n    return "x" * n\n',
            {"n": {"type": "integer", "minimum": 0}},
        ),
        (
            "sandbox_violation",
            'def run(state, s):\n    return "hi {0.__class__}".format(s)\n',
            {"s": {"type": "string"}},
        ),
        (
            "invalid_state",
            'def run(state, s):\n    state["tags"] = (s, s)\n    return 1\n',
            {"s": {"type": "string"}},
        ),
        ("invalid_result", "def run(state, s):\n    return {s}\n", {"s": {"type": "string"}}),
    ],
)
def test_error_kinds_become_findings(code: str, source: str, params: dict) -> None:
    # hand-written stand-ins, one bug each
    report = check(toolkit(source, {"run": params}))
    f = finding(report, code)
    assert f.severity == "error" and f.tool == "run" and not report.passed
    assert [s["tool"] for s in f.sequence] == ["run"]


def test_resource_limit_sequence_is_shrunk_to_the_smallest_failing_value() -> None:
    doc = toolkit(
        'def run(state, n):\n    return "x" * n\n',
        {"run": {"n": {"type": "integer", "minimum": 0}}},
    )
    f = finding(check(doc), "resource_limit")
    # the smallest n whose output, '"' + n * "x" + '"', exceeds max_output_chars
    assert f.sequence[0]["arguments"]["n"] == Limits().max_output_chars - 1


def test_unsupported_schema_is_a_warning_and_other_tools_still_run() -> None:
    doc = toolkit(
        "def week(state, w):\n    return w\n\ndef boom(state):\n    return {1}\n",
        {"week": {"w": {"type": "string", "format": "iso-week"}}, "boom": {}},
    )
    report = check(doc)
    f = finding(report, "unsupported_schema")
    assert f.severity == "warning" and f.tool == "week" and "iso-week" in f.message
    assert finding(report, "invalid_result").tool == "boom"


def test_harness_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    # hand-written faulty runtime: call() raises instead of returning an error result
    def call(self: Toolkit, name: str, arguments: Any = None) -> ToolResult:
        raise RuntimeError("runtime bug")

    monkeypatch.setattr(Toolkit, "call", call)
    report = check(toolkit("def run(state):\n    return 1\n"))
    f = finding(report, "harness_crash")
    assert "RuntimeError: runtime bug" in f.message and f.sequence == [
        {"tool": "run", "arguments": {}}
    ]


def test_validator_mismatch(monkeypatch: pytest.MonkeyPatch) -> None:
    # hand-written faulty runtime: its validator rejects valid values above 3
    original = Toolkit.call

    def call(self: Toolkit, name: str, arguments: Any = None) -> ToolResult:
        if isinstance(arguments, dict) and arguments.get("n", 0) > 3:
            return ToolResult(ok=False, content='{"error":"bad"}', error="bad",
                              error_kind="invalid_arguments")  # type: ignore[arg-type]  # fmt: skip
        return original(self, name, arguments)

    monkeypatch.setattr(Toolkit, "call", call)
    doc = toolkit("def run(state, n):\n    return n\n", {"run": {"n": {"type": "integer"}}})
    f = finding(check(doc), "validator_mismatch")
    assert f.sequence == [{"tool": "run", "arguments": {"n": 4}}]


def test_not_atomic(monkeypatch: pytest.MonkeyPatch) -> None:
    # hand-written faulty runtime: a failed call leaks a state change (no rollback)
    original = Toolkit.call

    def call(self: Toolkit, name: str, arguments: Any = None) -> ToolResult:
        result = original(self, name, arguments)
        if not result.ok:
            self.reset({**self.state, "n": self.state["n"] + 1})
        return result

    monkeypatch.setattr(Toolkit, "call", call)
    doc = toolkit(
        'def take(state, k):\n    if k > 2:\n        raise ToolError("too many")\n'
        '    state["n"] += k\n    return state["n"]\n',
        {"take": {"k": {"type": "integer", "minimum": 0, "maximum": 9}}},
        state={"n": 0},
        state_schema=COUNTER,
    )
    f = finding(check(doc), "not_atomic")
    assert f.sequence == [{"tool": "take", "arguments": {"k": 3}}]


def test_nondeterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    # hand-written faulty runtime: every call's output carries a process-wide counter
    ticks = itertools.count()

    def call(self: Toolkit, name: str, arguments: Any = None) -> ToolResult:
        return ToolResult(ok=True, content=str(next(ticks)))

    monkeypatch.setattr(Toolkit, "call", call)
    report = check(toolkit("def run(state):\n    return 1\n"))
    f = finding(report, "nondeterministic")
    assert f.severity == "error" and 1 <= len(f.sequence) <= 2
    assert "replaying call 1" in f.message


def test_stateful_sequence_finds_a_bug_reachable_only_after_other_calls() -> None:
    # hand-written stand-in: close() of an opened ticket forgets to keep `open` a list
    doc = toolkit(
        'def open_ticket(state, title):\n    state["next"] += 1\n    tid = f"T-{state[\'next\']}"\n'
        '    state["tickets"][tid] = {"title": title, "open": True}\n    return {"id": tid}\n\n'
        "def close_ticket(state, ticket_id):\n"
        '    if ticket_id not in state["tickets"]:\n        raise ToolError("no such ticket")\n'
        '    state["tickets"][ticket_id]["open"] = "no"\n    return "closed"\n',
        {
            "open_ticket": {"title": {"type": "string"}},
            "close_ticket": {"ticket_id": {"type": "string"}},
        },
        state={"next": 0, "tickets": {}},
        state_schema={
            "type": "object",
            "properties": {
                "next": {"type": "integer"},
                "tickets": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "properties": {"open": {"type": "boolean"}},
                    },
                },
            },
        },
    )
    report = check(doc, examples=20)
    f = finding(report, "state_invalid")
    assert f.tool == "close_ticket"
    assert [s["tool"] for s in f.sequence] == ["open_ticket", "close_ticket"]
    assert f.sequence[1]["arguments"]["ticket_id"] == "T-1"  # a value from the grown state


def test_every_code_has_a_severity() -> None:
    assert {"uncaught_exception", "unsupported_schema"} == WARNING_CODES
