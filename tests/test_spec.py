"""The toolkit document: loading from every source, dumping, and SpecError paths."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from toolkits import SpecError, ToolkitSpec, dump_toolkit, load_toolkit

# copied from ../shared/examples (DESIGN.md's reference example of the format)
EXAMPLE = Path(__file__).resolve().parent / "fixtures" / "toolkit-library_loans.json"


def minimal() -> dict:
    """A tiny valid toolkit (hand-written fixture)."""
    return {
        "format": "gem-env/toolkit@1",
        "name": "counter",
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "bump",
                    "description": "add one",
                    "parameters": {"type": "object", "properties": {"by": {"type": "integer"}}},
                },
            }
        ],
        "state_schema": {
            "type": "object",
            "properties": {"n": {"type": "integer"}},
            "required": ["n"],
        },
        "initial_state": {"n": 0},
        "source": "def bump(state, by=1):\n    state['n'] += by\n    return state['n']\n",
    }


def test_loads_from_dict_text_path_and_spec(tmp_path: Path) -> None:
    data = minimal()
    path = tmp_path / "t.json"
    path.write_text(json.dumps(data))
    specs = [
        load_toolkit(data),
        load_toolkit(json.dumps(data)),
        load_toolkit(path),
        load_toolkit(str(path)),
    ]
    specs.append(load_toolkit(specs[0]))
    assert all(isinstance(s, ToolkitSpec) for s in specs)
    assert {json.dumps(dump_toolkit(s), sort_keys=True) for s in specs} == {
        json.dumps(dump_toolkit(specs[0]), sort_keys=True)
    }
    assert dump_toolkit(specs[0])["tools"] == data["tools"]


def test_shared_example_round_trips() -> None:
    spec = load_toolkit(EXAMPLE)
    again = load_toolkit(dump_toolkit(spec))
    assert again == spec
    assert spec.openai_tools()[0]["function"]["name"] == "find_book"


def _problems(data: dict) -> list:
    with pytest.raises(SpecError) as info:
        load_toolkit(data)
    return info.value.problems


def test_every_problem_is_listed_with_its_path() -> None:
    data = minimal()
    data["name"] = "Not Snake"
    data["tools"].append(copy.deepcopy(data["tools"][0]))  # duplicate name
    data["tools"].append(
        {"type": "function", "function": {"name": "2bad", "parameters": {"type": "object"}}}
    )
    data["tools"].append(
        {
            "type": "function",
            "function": {
                "name": "schema_bad",
                "parameters": {"type": "object", "properties": {"x": {"type": "strin"}}},
            },
        }
    )
    data["initial_state"] = {"n": "zero"}
    paths = {p.path for p in _problems(data)}
    assert "name" in paths
    assert "tools[1].function.name" in paths  # duplicate
    assert "tools[2].function.name" in paths  # not an identifier
    assert any(p.startswith("tools[3].function.parameters") for p in paths)  # bad JSON Schema
    assert "initial_state.n" in paths  # not valid against state_schema


def test_structural_problems_are_spec_errors() -> None:
    data = minimal()
    del data["source"]
    data["tools"][0]["function"]["parameters"] = {"type": "array"}
    problems = _problems(data)
    assert [p.path for p in problems] == ["source"]
    data = minimal()
    data["tools"][0]["function"]["parameters"] = {"type": "array"}
    data["tools"][0]["function"]["parameters"]["required"] = ["missing"]
    paths = {p.path for p in _problems(data)}
    assert "tools[0].function.parameters.type" in paths
    data = minimal()
    data["tools"][0]["function"]["parameters"]["properties"]["state"] = {"type": "string"}
    assert any("state" in p.message for p in _problems(data))


def test_bad_json_text_reports_line() -> None:
    with pytest.raises(SpecError) as info:
        load_toolkit('{"format": "gem-env/toolkit@1",\n "name": }')
    assert info.value.problems[0].line == 2


def test_missing_file_and_wrong_type() -> None:
    with pytest.raises(FileNotFoundError):
        load_toolkit("/nonexistent/toolkit.json")
    with pytest.raises(TypeError):
        load_toolkit(42)  # type: ignore[arg-type]
    with pytest.raises(SpecError):
        load_toolkit("[1, 2]")


def test_invariant_must_parse() -> None:
    data = minimal()
    data["invariants"] = [{"description": "d", "expr": "state['n'] >="}]
    assert [p.path for p in _problems(data)] == ["invariants[0].expr"]


def test_schema_patterns_are_ecma_262_not_python() -> None:
    data = minimal()
    props = data["tools"][0]["function"]["parameters"]["properties"]
    props["when"] = {"type": "string", "pattern": r"^(?<year>\d{4})-(?<month>\d{2})$"}
    props["mac"] = {"type": "string", "pattern": "^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$"}
    data["source"] = "def bump(state, by=1, when=None, mac=None):\n    return by\n"
    load_toolkit(data)  # Python's re rejects (?<name>...); ECMA-262 names groups so
    props["when"]["pattern"] = r"^(\d)\1$"
    (problem,) = _problems(data)
    assert problem.path == "tools[0].function.parameters.properties.when.pattern"
    assert problem.offending == "backreference '\\\\1'"
