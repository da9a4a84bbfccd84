"""import-python: a stateful Python class as a toolkit@1 (tests/import_python_classes.py
holds the hand-written classes converted here)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
from pathlib import Path

import pytest

from gem_env.env import ToolUseEnv
from gem_env.participants.heuristic import HeuristicUser
from gem_env.participants.oracle import OracleAgent
from gem_env.participants.reference import ReferenceAgent, ScriptFollowingUser
from gem_env.participants.scripted import ScriptedAgent
from gem_env.rollouts import run_episode
from gem_env.scenario import load_scenarios
from synth.cli import main
from synth.import_python import ImportPythonError, assemble, convert_class
from synth.import_python.agreement import check_agreement
from synth.import_python.convert import class_state
from synth.import_python.schemas import json_schema, signature_tool
from tests import import_python_classes as fixtures
from toolkits import compile_toolkit

NOW = dt.datetime(2025, 3, 4, 12, 0)


def _toolkit(cls: type, **kwargs):
    unit = convert_class(cls, now=NOW, **kwargs)
    return unit, assemble([unit], name="t", description=unit.description)


def test_converted_class_compiles_with_tools_helpers_and_constants():
    unit, spec = _toolkit(fixtures.Inventory)
    names = [t["function"]["name"] for t in spec["tools"]]
    assert names == ["add_item", "order", "cancel", "order_ids", "stamp"]  # public methods
    assert "def _check_item(state, item)" in spec["source"]  # helper, not a tool
    assert "_C_MAX_ORDER = 5" in spec["source"] and "LOW_STOCK = 1" in spec["source"]
    assert unit.left_out == []
    toolkit = compile_toolkit(spec)
    assert json.loads(toolkit.call("add_item", {"item": "kiwi"}).content) == {"kiwi": 1}
    assert toolkit.state["tags"] == ["k"]  # a set, kept as a sorted list
    over = toolkit.call("order", {"item": "apple", "count": 6})
    assert not over.ok and "at most 5 per order" in over.error  # class constant, raise
    assert toolkit.call("order", {"item": "plum"}).value == {"error": "no item plum"}


def test_random_draws_and_int_keys_match_the_original_class():
    _, spec = _toolkit(fixtures.Inventory)
    toolkit = compile_toolkit(spec)
    original = fixtures.Inventory()
    for _ in range(2):
        ours = toolkit.call("order", {"item": "apple"}).value
        assert ours == original.order("apple")
    assert toolkit.state["orders"]["1"]["code"] == original.orders[1]["code"]  # same draws
    assert toolkit.call("order_ids", {}).value == [1, 2]  # int keys come back as ints
    assert toolkit.call("cancel", {"order_id": 1}).value == {"cancelled": 1}
    assert toolkit.call("cancel", {"order_id": 1}).value == {"error": "no order 1"}


def test_clock_is_frozen_in_the_state_and_reported():
    unit, spec = _toolkit(fixtures.Inventory)
    assert spec["initial_state"]["_now"] == NOW.isoformat()
    assert compile_toolkit(spec).call("stamp", {}).value == "2025-03-04"
    clock = [p for p in unit.problems if "clock" in p.message]
    assert clock and clock[0].severity == "warning" and clock[0].member == "stamp"


def test_agreement_on_random_sequences_is_total():
    unit = convert_class(fixtures.Inventory)  # the clock frozen now: the same day as the class
    spec = assemble([unit], name="t", description="d")
    report = check_agreement(fixtures.Inventory, compile_toolkit(spec), sequences=20, length=6)
    assert report.calls == 120 and report.calls_agree == 120, report.disagreements
    assert report.states_agree == report.states == 20


def test_agreement_reports_a_real_difference():
    spec = copy.deepcopy(assemble([convert_class(fixtures.Inventory)], name="t", description="d"))
    changed = spec["source"].replace(
        "state['stock'].get(item, 0) + count", "state['stock'].get(item, 0) + count + 1"
    )
    assert changed != spec["source"]
    spec["source"] = changed
    report = check_agreement(fixtures.Inventory, compile_toolkit(spec), sequences=20, length=6)
    assert report.calls_agree < report.calls and report.disagreements
    assert report.disagreements[0].tool == "add_item"


def test_loader_gives_the_initial_state():
    _, spec = _toolkit(fixtures.Inventory, loader="_load", config={"stock": {"fig": 2}, "seed": 3})
    assert spec["initial_state"]["stock"] == {"fig": 2}
    expected = random.Random(3)
    toolkit = compile_toolkit(spec)
    toolkit.call("order", {"item": "fig"})
    assert toolkit.state["orders"]["1"]["code"] == expected.randint(1000, 9999)


def test_refused_constructs_are_reported_with_lines_and_left_out():
    unit, spec = _toolkit(fixtures.Refusals)
    assert [t["function"]["name"] for t in spec["tools"]] == ["fine"]
    assert sorted(unit.left_out) == [
        "calls_bad",
        "computed_spec",
        "star",
        "uses_handle",
        "uses_os",
        "uses_self",
        "uses_super",
    ]
    found = {p.member: p for p in unit.problems if p.severity == "error"}
    assert "super()" in found["uses_super"].found
    assert "self as a value" in found["uses_self"].found
    assert "import os" in found["uses_os"].found and "sandbox offers" in found["uses_os"].message
    assert "_thread.lock" in found["handle"].message and found["handle"].line is not None
    assert found["star"].found == "*names"
    assert found["computed_spec"].found == "the sandbox's compiler"
    assert "format spec" in found["computed_spec"].message
    source = Path(fixtures.__file__).read_text().splitlines()
    assert "super()" in source[found["uses_super"].line - 1]  # the line is the user's
    assert compile_toolkit(spec).call("fine", {"n": 2}).value == 2


def test_objects_of_helper_classes_live_in_a_heap_and_agree():
    unit, spec = _toolkit(fixtures.Folders)
    assert unit.left_out == [] and set(unit.helper_classes) == {"Node"}
    state = spec["initial_state"]
    assert state["root"] == state["_cwd"] and state["root"] in state["_objects"]  # shared
    assert "_created" not in state["_objects"][state["root"]]  # private, never read
    assert any("never read" in p.found for p in unit.problems)
    toolkit = compile_toolkit(spec)
    assert toolkit.call("mkdir", {"name": "a"}).value == {"created": "a"}
    assert toolkit.call("cd", {"name": "a"}).value == {"cwd": "a"}
    assert toolkit.call("pwd", {}).value == "/a"
    assert toolkit.call("cd", {"name": ".."}).value == {"cwd": "/"}  # through parent
    assert toolkit.call("cd", {"name": "zz"}).value == {"error": "no folder zz"}  # isinstance
    report = check_agreement(
        fixtures.Folders,
        compile_toolkit(spec),
        sequences=30,
        length=8,
        unit=unit,
    )
    assert report.calls_agree == report.calls == 240, report.disagreements
    assert report.states_agree == report.states == 30


def test_overrides_replace_methods_that_do_not_convert():
    source = (
        "def uses_os(self):\n    return '/'\n\n\n"
        "def computed_spec(self, x, digits):\n    return self._fmt(x, digits)\n\n\n"
        "def _fmt(self, x, digits):\n    return str(round(x, digits))\n"
    )
    unit, spec = _toolkit(fixtures.Refusals, overrides=source)
    assert "uses_os" not in unit.left_out and "computed_spec" not in unit.left_out
    assert any(p.found == "override" and p.member == "uses_os" for p in unit.problems)
    toolkit = compile_toolkit(spec)
    assert toolkit.call("uses_os", {}).value == "/"
    assert toolkit.call("computed_spec", {"x": 2.345, "digits": 1}).value == "2.3"
    with pytest.raises(ImportPythonError, match="unknown: nope"):
        convert_class(fixtures.Refusals, overrides="def nope(self):\n    return 1\n")


def test_bfcl_function_doc_types_map_to_json_schema():
    doc = {
        "type": "dict",
        "properties": {
            "price": {"type": "float"},
            "when": {"type": "tuple", "items": {"type": "string"}},
            "meta": {"type": "dict", "properties": {"x": {"type": "any"}}},
        },
    }
    assert json_schema(doc) == {
        "type": "object",
        "properties": {
            "price": {"type": "number"},
            "when": {"type": "array", "items": {"type": "string"}},
            "meta": {"type": "object", "properties": {"x": {}}},
        },
    }


def test_signature_schema_from_hints_defaults_and_docstring():
    tool = signature_tool("add_item", fixtures.Inventory.add_item)["function"]
    assert tool["description"] == "Add units of an item to the stock."
    params = tool["parameters"]
    assert params["required"] == ["item"]
    assert params["properties"]["count"] == {
        "type": "integer",
        "default": 1,
        "description": "How many units. Defaults to 1.",
    }


def test_composed_toolkit_namespaces_state_and_names():
    a = convert_class(fixtures.Inventory, namespace="Inventory", now=NOW)
    b = convert_class(fixtures.Refusals, namespace="Refusals", now=NOW)
    spec = assemble([a, b], name="both", description="d")
    toolkit = compile_toolkit(spec)
    assert set(toolkit.state) == {"Inventory", "Refusals"}
    assert toolkit.call("fine", {"n": 3}).value == 3
    assert toolkit.call("add_item", {"item": "fig", "count": 2}).value == {"fig": 2}
    assert (
        toolkit.state["Refusals"]["count"] == 3 and toolkit.state["Inventory"]["stock"]["fig"] == 2
    )


def test_cli_writes_the_toolkit_and_checks_it(tmp_path, capsys):
    out = tmp_path / "inv.json"
    code = main(
        [
            "import-python",
            "tests.import_python_classes:Inventory",
            "--out",
            str(out),
            "--check",
            "5",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert json.loads(out.read_text())["format"] == "gem-env/toolkit@1"
    assert "calls 40/40 agree" in printed and "final states 5/5 agree" in printed
    assert (
        main(
            [
                "import-python",
                "tests.import_python_classes:Refusals",
                "--out",
                str(tmp_path / "r.json"),
            ]
        )
        == 1
    )  # some tools left out
    assert main(["import-python", "tests.import_python_classes", "--out", str(out)]) == 2
    assert main(["import-python", "no_such_module_x:Y", "--out", str(out)]) == 2
    assert "cannot import no_such_module_x" in capsys.readouterr().err


def test_suite_without_bfcl_installed_says_how_to_install(monkeypatch, tmp_path, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "bfcl_eval", None)  # import fails as if not installed
    assert main(["suite", "bfcl", "--out", str(tmp_path)]) == 2
    assert "pip install --no-deps bfcl-eval" in capsys.readouterr().err


def _scripted_scenario(tmp_path):
    _, spec = _toolkit(fixtures.Inventory)
    (tmp_path / "inv.json").write_text(json.dumps(spec))
    scenario = {
        "id": "s1",
        "system_prompt": "Help.",
        "toolkit": "inv.json",
        "user": {"goal": "order", "script": ["Order one apple.", "Now cancel it."]},
        "goal_assertions": [
            {"expr": "state['stock']['apple'] == 3 and state['orders'] == {}"},
            {"expr": "any(c['name'] == 'cancel' and c['ok'] for c in calls)"},
        ],
        "reference_calls": [
            [{"name": "order", "arguments": {"item": "apple"}}],
            [{"name": "cancel", "arguments": {"order_id": 1}}],
        ],
        "max_turns": 10,
    }
    (tmp_path / "s.json").write_text(json.dumps([scenario]))
    return load_scenarios(tmp_path / "s.json")[0]


@pytest.mark.parametrize("agent_kind", ["reference", "lazy"])
def test_script_user_and_reference_oracle(tmp_path, agent_kind):
    scenario = _scripted_scenario(tmp_path)
    user = ScriptFollowingUser(HeuristicUser())
    env = ToolUseEnv(scenarios=[scenario], user=user)
    agent = (
        ReferenceAgent(OracleAgent()) if agent_kind == "reference" else ScriptedAgent(["ok"] * 5)
    )
    result = run_episode(env, agent, scenario="s1", seed=0)
    users = [m.content for m in result.trajectory.messages if m.role == "user"]
    assert users[:2] == ["Order one apple.", "Now cancel it."]  # the script, in order
    assert (result.reward == 1.0) is (agent_kind == "reference")


def test_class_defaults_static_class_methods_properties_and_own_exceptions():
    unit, spec = _toolkit(fixtures.Shop)
    assert unit.left_out == [], unit.problems
    assert spec["initial_state"]["sold"] == 0  # a class-level default self changes
    assert "_C_TAX = 0.2" in spec["source"]  # a class constant stays one
    toolkit = compile_toolkit(spec)
    sold = toolkit.call("sell", {"item": "pen", "price": 10.0}).value
    assert sold == {"charged": 12.0, "label": "pen@0.2", "left": 1, "sold": 1}
    toolkit.call("sell", {"item": "pen", "price": 1.0})
    assert toolkit.call("sell", {"item": "pen", "price": 1.0}).value == {"error": "no pen left"}
    assert toolkit.call("opened_at", {}).value == 0
    found = {p.found for p in unit.problems}
    assert "exception class OutOfStockError" in found and "time.time()" in found
    assert class_state(fixtures.Shop, unit, loader=None, config=None) == spec["initial_state"]
    report = check_agreement(fixtures.Shop, compile_toolkit(spec), sequences=20, length=6)
    assert report.calls_agree == report.calls and report.states_agree == report.states


def test_dataclass_helpers_enums_and_name_mangling():
    unit, spec = _toolkit(fixtures.Board)
    assert unit.left_out == [], unit.problems
    state = spec["initial_state"]
    assert state["_Board__secret"] == 3  # self.__secret, mangled as Python does
    first = state["_objects"][state["tasks"]["t1"]]
    assert first == {"_class": "Task", "title": "write", "status": "open", "tags": ["doc"]}
    toolkit = compile_toolkit(spec)
    added = toolkit.call("add", {"key": "t2", "title": "ship"}).value
    assert added == {"title": "ship", "status": "open", "tags": []}  # asdict, factory
    done = toolkit.call("finish", {"key": "t2"}).value
    assert done == {"status": "done", "done": True, "known": ["open", "done"], "secret": 4}
    bad = toolkit.call("finish", {"key": "t2", "status": "lost"})
    assert not bad.ok and "'lost' is not a valid Status" in bad.error
    assert any(p.found == "enum Status" for p in unit.problems)
    report = check_agreement(
        fixtures.Board,
        compile_toolkit(spec),
        sequences=20,
        length=6,
        unit=unit,
    )
    assert report.calls_agree == report.calls, report.disagreements
