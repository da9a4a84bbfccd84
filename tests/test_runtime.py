"""The runtime Toolkit: argument handling, atomicity, determinism, state and checks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import toolkit
from toolkits import ErrorKind, Limits, StateError, compile_toolkit, state_hash

STORE = """
def add(state, sku, qty, meta=None):
    if qty > 100:
        raise ToolError("at most 100 per order line")
    state["next"] += 1
    line = {"sku": sku, "qty": qty, "meta": meta or {}}
    state["lines"].append(line)
    state["by_sku"][sku] = state["by_sku"].get(sku, 0) + qty
    return {"line": state["next"], "count": len(state["lines"])}


def remove_then_fail(state, sku):
    del state["by_sku"][sku]
    state["lines"].pop(0)
    state["lines"].insert(0, {"sku": "zz", "qty": 1, "meta": {}})
    state["lines"].sort(key=lambda l: l["sku"])
    state["by_sku"].update({"new": 1})
    state["by_sku"].setdefault("other", 2)
    state["next"] += 10
    state["lines"][0]["meta"]["x"] = [1, 2]
    return 1 // 0


def crash(state, what):
    if what == "key":
        return state["missing"]
    if what == "type":
        return len(5)
    if what == "set":
        return {1, 2}
    if what == "tuple_in_state":
        state["bad"] = (1, 2)
    if what == "nan":
        state["bad"] = float("nan")
    if what == "int_key":
        state["by_sku"][1] = 2
    return "fine"


def tags(state, words):
    return [w for w in {w.lower() for w in words}]
"""

TOOLS = {
    "add": {
        "sku": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "qty": {"type": "integer", "minimum": 1},
        "meta": {"type": "object", "properties": {"gift": {"type": "boolean"}}},
    },
    "remove_then_fail": {"sku": {"type": "string"}},
    "crash": {"what": {"type": "string"}},
    "tags": {"words": {"type": "array", "items": {"type": "string"}}},
}
INITIAL = {
    "next": 0,
    "lines": [{"sku": "AAA", "qty": 1, "meta": {}}],
    "by_sku": {"AAA": 1, "BBB": 2, "CCC": 3},
}
SCHEMA = {
    "type": "object",
    "required": ["next", "lines", "by_sku"],
    "properties": {
        "next": {"type": "integer", "maximum": 3},
        "lines": {"type": "array"},
        "by_sku": {"type": "object", "additionalProperties": {"type": "integer"}},
    },
}


def store(**kwargs):
    spec = toolkit(
        STORE, TOOLS, state=INITIAL, state_schema=SCHEMA, required={"add": ["sku", "qty"]}, **kwargs
    )
    return compile_toolkit(spec, check_state=True, check_invariants=True)


def test_arguments_as_dict_or_json_text_give_the_same_result() -> None:
    a, b = store(), store()
    r1 = a.call("add", {"sku": "XYZ", "qty": 2})
    r2 = b.call("add", '{"qty": 2, "sku": "XYZ"}')
    assert r1.ok and r1.content == r2.content == '{"count":2,"line":1}'
    assert a.state_hash() == b.state_hash() == state_hash(a.state)


@pytest.mark.parametrize(
    ("name", "arguments", "kind", "fragment"),
    [
        ("nope", {}, ErrorKind.unknown_tool, "unknown tool"),
        ("ad", {}, ErrorKind.unknown_tool, "did you mean add"),
        ("add", "{not json", ErrorKind.malformed_arguments, "not JSON"),
        ("add", "[1, 2]", ErrorKind.malformed_arguments, "JSON object"),
        ("add", '{"sku": "XYZ", "qty": NaN}', ErrorKind.malformed_arguments, "NaN"),
        ("add", {"sku": "XYZ"}, ErrorKind.invalid_arguments, "qty"),
        ("add", {"sku": "xyz", "qty": 1}, ErrorKind.invalid_arguments, "does not match"),
        ("add", {"sku": "XYZ", "qty": 0}, ErrorKind.invalid_arguments, "minimum"),
        (
            "add",
            {"sku": "XYZ", "qty": 1, "meta": {"gift": "yes"}},
            ErrorKind.invalid_arguments,
            "gift",
        ),
        ("add", {"sku": "XYZ", "qty": 101}, ErrorKind.tool_error, "at most 100"),
        ("crash", {"what": "key"}, ErrorKind.runtime_error, "KeyError: 'missing'"),
        ("crash", {"what": "type"}, ErrorKind.runtime_error, "TypeError"),
        ("crash", {"what": "set"}, ErrorKind.invalid_result, "set"),
        ("crash", {"what": "tuple_in_state"}, ErrorKind.invalid_state, "tuple"),
        ("crash", {"what": "nan"}, ErrorKind.invalid_state, "nan"),
        ("crash", {"what": "int_key"}, ErrorKind.invalid_state, "not a string"),
    ],
)
def test_failures_are_results_and_leave_the_state_unchanged(
    name, arguments, kind, fragment
) -> None:
    tk = store()
    before = tk.state_hash()
    result = tk.call(name, arguments)
    assert not result.ok
    assert result.error_kind == kind
    assert fragment in result.error
    assert json.loads(result.content) == {"error": result.error}
    assert tk.state_hash() == before


def test_rollback_restores_values_and_key_order_exactly() -> None:
    tk = store()
    before, order, lines = tk.state_hash(), list(tk.state["by_sku"]), tk.state["lines"]
    result = tk.call("remove_then_fail", {"sku": "BBB"})
    assert result.error_kind == ErrorKind.runtime_error and "ZeroDivisionError" in result.error
    assert tk.state_hash() == before
    assert list(tk.state["by_sku"]) == order
    assert tk.state["lines"] == lines
    # and the toolkit keeps working
    assert tk.call("add", {"sku": "DDD", "qty": 1}).ok


def test_state_property_is_a_copy_and_reset_restores() -> None:
    tk = store()
    snapshot = tk.state
    snapshot["next"] = 99
    assert tk.state["next"] == 0
    tk.call("add", {"sku": "XYZ", "qty": 1})
    assert tk.state["next"] == 1
    tk.reset()
    assert tk.state == INITIAL
    tk.reset({"next": 2, "lines": [], "by_sku": {}})
    assert tk.state["next"] == 2


@pytest.mark.parametrize(
    "bad",
    [
        {"next": "x", "lines": [], "by_sku": {}},
        {"lines": []},
        [1],
        {"next": 0, "lines": [], "by_sku": {}, "f": float("nan")},
    ],
)
def test_reset_rejects_invalid_state(bad) -> None:
    tk = store()
    with pytest.raises(StateError) as info:
        tk.reset(bad)
    assert info.value.problems


def test_state_schema_and_invariants_are_checked_after_calls() -> None:
    tk = store(
        invariants=[
            {
                "description": "quantities match lines",
                "expr": "sum(state['by_sku'].values()) >= sum(l['qty'] for l in state['lines'])",
            },
            {"description": "fewer than 3 lines", "expr": "len(state['lines']) < 3"},
        ]
    )
    first = tk.call("add", {"sku": "XYZ", "qty": 1})
    assert first.ok and first.invariant_violations == [] and first.state_errors == []
    tk.call("add", {"sku": "XYZ", "qty": 1})
    tk.call("add", {"sku": "XYZ", "qty": 1})
    fourth = tk.call("add", {"sku": "XYZ", "qty": 1})  # next == 4 > maximum 3
    assert fourth.ok  # checked, not enforced
    assert fourth.invariant_violations == ["fewer than 3 lines"]
    assert any("maximum" in e for e in fourth.state_errors)
    assert tk.check_invariants() == ["fewer than 3 lines"]
    assert tk.state_errors()


def test_evaluate_and_holds_are_read_only() -> None:
    tk = store()
    before = tk.state_hash()
    result = tk.evaluate("sorted(state['by_sku'].items())")
    assert result.ok and result.value == [["AAA", 1], ["BBB", 2], ["CCC", 3]]
    assert tk.holds("state['by_sku']['CCC'] == 3") == (True, None)
    assert tk.holds("state['lines'].append(1) or False") == (False, None)
    assert tk.holds("state['missing']")[1].startswith("KeyError")
    assert tk.state_hash() == before


def test_tools_in_openai_format() -> None:
    tk = store()
    assert [t["function"]["name"] for t in tk.tools] == ["add", "remove_then_fail", "crash", "tags"]
    assert (
        tk.tools[0]["type"] == "function"
        and tk.tools[0]["function"]["parameters"]["type"] == "object"
    )


def test_undeclared_extra_arguments_allowed_by_schema_are_not_passed() -> None:
    tk = store()
    assert tk.call("crash", {"what": "other", "extra": 1}).content == '"fine"'


def test_module_state_cannot_leak_between_calls() -> None:
    source = (
        "_SEEN = []\n\n"
        "def run(state, x=[]):\n"
        "    _SEEN.append(1)\n"
        "    x.append(1)\n"
        "    return [len(_SEEN), len(x)]\n"
    )
    tk = compile_toolkit(toolkit(source, {"run": {"x": {"type": "array"}}}, required={"run": []}))
    assert [tk.call("run", {}).value for _ in range(3)] == [[1, 1]] * 3


def test_steps_are_deterministic_and_budget_is_enforced() -> None:
    source = "def run(state, n):\n    t = 0\n    for i in range(n):\n        t += i\n    return t\n"
    spec = toolkit(source, {"run": {"n": {"type": "integer"}}})
    tk = compile_toolkit(spec, limits=Limits(max_steps=1_000))
    a, b = tk.call("run", {"n": 500}), tk.call("run", {"n": 500})
    assert a.ok and a.steps == b.steps and a.steps >= 500
    over = tk.call("run", {"n": 5_000})
    assert over.error_kind == ErrorKind.budget_exceeded
    violation = compile_toolkit(toolkit("def run(state):\n    return 'x'.encode\n"))
    early = violation.call("run", {})
    assert early.error_kind == ErrorKind.sandbox_violation and early.steps <= 2


def test_reset_enforces_state_depth_limit() -> None:
    deep = {"a": {"b": {"c": {"d": {"e": {}}}}}}
    spec = toolkit("def run(state):\n    return 1\n", state={})
    tk = compile_toolkit(spec, limits=Limits(max_state_depth=4))
    with pytest.raises(StateError, match="max_state_depth"):
        tk.reset(deep)
    tk.reset({"a": {"b": {}}})


_SET_ORDER_SCRIPT = """
import json, sys
from toolkits import compile_toolkit
spec = json.loads(sys.stdin.read())
print(compile_toolkit(spec).call("tags", {"words": [f"W{i}" for i in range(40)]}).content)
"""


def test_set_iteration_order_does_not_depend_on_hash_seed() -> None:
    spec = toolkit(STORE, TOOLS, state=INITIAL, required={"add": ["sku", "qty"]})
    outputs = set()
    for seed in ("1", "2", "3"):
        proc = subprocess.run(
            [sys.executable, "-c", _SET_ORDER_SCRIPT],
            input=json.dumps(spec),
            capture_output=True,
            text=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            check=True,
            timeout=60,
        )
        outputs.add(proc.stdout)
    assert len(outputs) == 1
    assert json.loads(outputs.pop()) == [f"w{i}" for i in range(40)]


def test_write_cost_does_not_copy_the_state() -> None:
    """Atomicity is journaled: a write into a large state records only what changed."""
    big = {
        "next": 0,
        "lines": [{"sku": "AAA", "qty": 1, "meta": {}}] * 1,
        "by_sku": {f"K{i}": i for i in range(20_000)},
    }
    tk = compile_toolkit(toolkit(STORE, TOOLS, state=big, required={"add": ["sku", "qty"]}))
    result = tk.call("add", {"sku": "XYZ", "qty": 1})
    assert result.ok and result.steps < 50


def test_recursion_is_an_uncatchable_resource_limit() -> None:
    source = (
        "def run(state, how):\n"
        "    f = lambda n: f(n + 1)\n"
        "    def _g(n):\n"
        "        return _g(n + 1)\n"
        "    try:\n"
        "        return f(0) if how == 'lambda' else _g(0)\n"
        "    except Exception:\n"
        "        state['swallowed'] = True\n"
        "        return 'swallowed'\n"
    )
    tk = compile_toolkit(toolkit(source, {"run": {"how": {"type": "string"}}}))
    for how in ("lambda", "def"):
        result = tk.call("run", {"how": how})
        assert result.error_kind == ErrorKind.resource_limit, result
        assert "recursion" in result.error or "depth" in result.error
        assert tk.state == {}


def test_reference_trajectory_replays_to_its_final_state_hash() -> None:
    """DESIGN.md's example trajectory: every tool output and the final hash reproduce."""
    path = Path(__file__).resolve().parent / "fixtures" / "trajectory-library_loans.jsonl"
    record = json.loads(path.read_text().splitlines()[0])
    tk = compile_toolkit(record["toolkit"])
    calls, compared = {}, 0
    for message in record["messages"]:
        for call in message.get("tool_calls") or []:
            calls[call["id"]] = call["function"]
        if message["role"] == "tool":
            function = calls[message["tool_call_id"]]
            result = tk.call(function["name"], function["arguments"])
            assert json.loads(result.content) == json.loads(message["content"])
            compared += 1
    assert compared >= 2
    assert tk.state_hash() == record["final_state_hash"]


def test_reset_to_the_initial_state_is_a_fresh_copy_in_key_order() -> None:
    doc = toolkit(
        "def put(state, k):\n    state['z'][k] = 1\n    return list(state['z'])\n",
        {"put": {"k": {"type": "string"}}},
        state={"z": {"b": 0, "a": 0}, "c": [1]},
    )
    live = compile_toolkit(doc)
    first = live.call("put", {"k": "x"})
    assert first.value == ["b", "a", "x"]
    for _ in range(2):  # the fast path after the first reset gives the same fresh state
        live.reset()
        assert live.state == {"z": {"b": 0, "a": 0}, "c": [1]}
        assert list(live.state["z"]) == ["b", "a"]
        assert live.call("put", {"k": "y"}).value == ["b", "a", "y"]
