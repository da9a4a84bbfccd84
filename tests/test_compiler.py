"""The compiler: idiomatic tool code compiles; forbidden constructs and signature
mismatches are CompileErrors with the line and the offending construct."""

from __future__ import annotations

import textwrap

import pytest

from tests.helpers import toolkit
from toolkits import CompileError, compile_toolkit

IDIOMATIC = '''
_LIMIT = 3
_KINDS = ("a", "b")


def _fee(total, rate=0.1):
    """A helper with a default."""
    return round(total * rate, 2)


def run(state):
    state["counter"]["n"] += 1
    state["counter"]["n"] -= 1
    state["items"]["x"] = {"qty": 2, "price": 1.25, "tags": []}
    state["items"]["x"]["tags"] += ["new"]
    state["items"]["x"]["qty"] *= 3
    names = [k for k, v in sorted(state["items"].items(), key=lambda kv: kv[0]) if v["qty"] > 0]
    totals = {k: v["qty"] * v["price"] for k, v in state["items"].items()}
    unique = {t for v in state["items"].values() for t in v["tags"]}
    first, *rest = [1, 2, 3]
    label = f"{len(names)} item(s), fee {_fee(sum(totals.values())):.2f} {names!r:>5}"
    try:
        missing = state["items"]["nope"]
    except KeyError as exc:
        missing = f"missing {exc}"
    finally:
        done = True
    count = 0
    while count < _LIMIT:
        count += 1
        if count == 2:
            continue
    if (n := len(names)) > 0 and any(v["qty"] for v in state["items"].values()):
        pass
    ok = isinstance(names, list) and all(isinstance(t, str) for t in unique)
    del state["items"]["x"]["tags"][0]
    return {"names": names, "totals": totals, "unique": sorted(unique), "label": label,
            "missing": missing, "done": done, "count": count, "n": n, "ok": ok,
            "rest": rest, "first": first, "kinds": list(_KINDS), "max": max(totals.values()),
            "zip": [[a, b] for a, b in zip(names, range(3))], "enum": list(enumerate("ab")),
            "abs": abs(-2), "min": min(1, 2), "divmod": list(divmod(7, 2)), "pct": "%d%%" % 5}
'''


def test_idiomatic_tool_code_compiles_and_runs() -> None:
    tk = compile_toolkit(toolkit(IDIOMATIC, state={"counter": {"n": 0}, "items": {}}))
    result = tk.call("run", {})
    assert result.ok, result.error
    value = result.value
    assert value["names"] == ["x"]
    assert value["totals"] == {"x": 7.5}
    assert value["unique"] == ["new"]
    assert value["label"] == "1 item(s), fee 0.75 ['x']"
    assert value["missing"] == "missing 'nope'"
    assert value["count"] == 3 and value["n"] == 1 and value["ok"] is True
    assert value["enum"] == [[0, "a"], [1, "b"]] and value["pct"] == "5%"
    assert tk.state == {"counter": {"n": 0}, "items": {"x": {"qty": 6, "price": 1.25, "tags": []}}}


REJECTED = [
    ("import os", "Import"),
    ("from os import path", "ImportFrom"),
    ("class A:\n    pass", "ClassDef"),
    ("x = ().__class__", "Attribute"),
    ("x = __builtins__", "Name"),
    ("_getattr_ = None", "Name"),
    ("def f():\n    with x:\n        pass", "With"),
    ("def _f():\n    global y\n    y = 1", "Global"),
    ("def _g():\n    yield 1", "Yield"),
    ("def _h(o):\n    o.attr = 1", "Attribute"),
    ("@_dec\ndef _k():\n    pass", "FunctionDef"),
    ("def _m(x):\n    match x:\n        case 1:\n            pass", "Match"),
    ("def _n():\n    try:\n        pass\n    finally:\n        return 1", "Return"),
    ("x = eval('1')", "Call"),
    ("def _p(x):\n    return f'{x:{x}}'", "FormattedValue"),
    ("def _q(x):\n    return f'{x:>99999999}'", "FormattedValue"),
    ("async def _r():\n    pass", "AsyncFunctionDef"),
]


@pytest.mark.parametrize(("snippet", "construct"), REJECTED, ids=[c for _, c in REJECTED])
def test_forbidden_constructs_fail_with_line_and_construct(snippet: str, construct: str) -> None:
    source = "def run(state):\n    return 1\n\n\n" + snippet + "\n"
    with pytest.raises(CompileError) as info:
        compile_toolkit(toolkit(source))
    problems = info.value.problems
    assert any(p.line is not None and p.line >= 5 for p in problems), problems
    assert any(p.offending == construct for p in problems), [
        (p.offending, p.message) for p in problems
    ]


def test_syntax_error_has_line_and_text() -> None:
    with pytest.raises(CompileError) as info:
        compile_toolkit(toolkit("def run(state):\n    return (1 +\n\n"))
    problem = info.value.problems[0]
    assert "syntax error" in problem.message and problem.line is not None


SIGNATURES = [
    ("def run(state):\n    return 1", {"a": {"type": "string"}}, ["a"], "has no parameter"),
    ("def run(state, a, b):\n    return 1", {"a": {"type": "string"}}, ["a"], "not in the schema"),
    ("def run(state, a='x'):\n    return 1", {"a": {"type": "string"}}, ["a"], "has a default"),
    ("def run(state, a):\n    return 1", {"a": {"type": "string"}}, [], "give it a default"),
    (
        "def run(a):\n    return 1",
        {"a": {"type": "string"}},
        ["a"],
        "first parameter must be 'state'",
    ),
    ("def run(state, *args):\n    return 1", {}, [], "*args"),
    ("def run(state):\n    return 1\n\ndef extra(state):\n    return 2", {}, [], "not a tool"),
    ("def other(state):\n    return 1", {}, [], "no function 'def run"),
    ("def run(state):\n    return 1\n\nprint(1)", {}, [], "only define functions"),
]


@pytest.mark.parametrize(
    ("source", "props", "required", "expected"), SIGNATURES, ids=[s[3] for s in SIGNATURES]
)
def test_signature_must_match_schema(
    source: str, props: dict, required: list, expected: str
) -> None:
    with pytest.raises(CompileError) as info:
        compile_toolkit(toolkit(source, {"run": props}, required={"run": required}))
    assert any(expected in p.message for p in info.value.problems), info.value.problems


def test_all_problems_reported_together() -> None:
    source = textwrap.dedent(
        """
        import os

        def run(state):
            x = ().__class__
            return 1

        class K:
            pass
        """
    )
    with pytest.raises(CompileError) as info:
        compile_toolkit(toolkit(source))
    lines = sorted(p.line for p in info.value.problems if p.line)
    assert lines[0] == 2 and 5 in lines and 8 in lines
    assert "line 2" in str(info.value)


def test_module_level_failure_is_a_compile_error() -> None:
    with pytest.raises(CompileError) as info:
        compile_toolkit(toolkit("_X = 1 // 0\n\ndef run(state):\n    return 1\n"))
    assert "ZeroDivisionError" in str(info.value)
    with pytest.raises(CompileError) as info:
        compile_toolkit(toolkit("_X = 'a' * 10 ** 9\n\ndef run(state):\n    return 1\n"))
    assert "exceeds" in str(info.value)


def test_invalid_invariant_is_a_compile_error() -> None:
    data = toolkit(
        "def run(state):\n    return 1\n",
        invariants=[{"description": "d", "expr": "state.__class__"}],
    )
    with pytest.raises(CompileError) as info:
        compile_toolkit(data)
    assert info.value.problems[0].path == "invariants[0].expr"
