"""JSON Schemas in toolkits are safe and faithful (DESIGN.md sections 3.1 and 6).

Every `pattern` runs on a linear-time engine with ECMA-262 meaning; no schema makes
the host fetch a URL or open a file (a listening canary socket and an audit hook watch
every entry point); reference cycles that consume no input are load-time errors while
recursive trees still validate, depth-bounded; schema `default`s are annotations, never
injected; hostile schemas never make a call, reset, check or verification raise.

Toolkits here are small hand-written fixtures; `tests/fixtures/network_inventory.json`
is a hand-written stand-in for model output (a network-device inventory, written the
way a strong LLM writes one), grounded end to end with the heuristic agent.
"""

from __future__ import annotations

import contextlib
import copy
import json
import socket
import sys
import threading
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from gem_env.env import ToolUseEnv
from gem_env.participants import HeuristicAgent
from gem_env.rollouts import run_episode
from gem_env.schema_sampler import SchemaSampler
from gem_env.schema_sampler import UnsupportedSchemaError as SamplerUnsupported
from tests.helpers import recorded_trajectory, toolkit
from toolkits import (
    ErrorKind,
    Limits,
    SpecError,
    StateError,
    Toolkit,
    ToolkitSpec,
    check_toolkit,
    compile_toolkit,
    load_toolkit,
)
from toolkits.schema_regex import pattern_matcher
from toolkits.schema_strategies import UnsupportedSchemaError, arguments_strategy
from toolkits.schema_validation import compile_validator
from verifiers import verify

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NETWORK = FIXTURES / "network_inventory.json"
NETWORK_SCENARIOS = FIXTURES / "network_inventory_scenarios.json"
DRAWS = settings(
    max_examples=30, database=None, deadline=None, suppress_health_check=list(HealthCheck)
)
ARABIC_INDIC_123 = "\u0661\u0662\u0663"


def probe(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict:
    """A toolkit with one tool `probe` that echoes its arguments (hand-written fixture)."""
    required = list(properties) if required is None else required
    params = ", ".join(p if p in required else f"{p}=None" for p in properties)
    echo = ", ".join(f"{p!r}: {p}" for p in properties)
    doc = toolkit(
        f"def probe(state{', ' if params else ''}{params}):\n    return {{{echo}}}\n",
        {"probe": properties},
        required={"probe": required},
    )
    doc["tools"][0]["function"]["parameters"].update(extra)
    return doc


def problems_of(doc: dict[str, Any]) -> list[Any]:
    with pytest.raises(SpecError) as info:
        load_toolkit(doc)
    return info.value.problems


# -- patterns: ECMA-262 on a linear-time engine ---------------------------------------

ORDINARY = [
    (
        "mac",
        "^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$",
        ["3c:22:fb:0a:91:7e", "3C:22:FB:0A:91:7E"],
        ["3c:22:fb:0a:91", "3c-22-fb-0a-91-7e", "3c:22:fb:0a:91:7e\n"],
    ),
    (
        "ipv4",
        r"^(\d{1,3}\.){3}\d{1,3}$",
        ["10.20.0.17", "192.168.1.1"],
        ["10.20.0", "10.20.0.17.", "\u0661.2.3.4", "10.20.0.17\n"],
    ),
    (
        "date_with_optional_time",
        r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?)?$",
        ["2025-03-22", "2025-03-22T22:00", "2025-03-22T22:00:10Z", "2025-03-22T22:00+01:00"],
        ["2025-03-22 22:00", "2025-3-22", "2025-03-22T"],
    ),
    (
        "email",
        r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$",
        ["maya.chen@example.com", "a+b@x.org"],
        ["maya.chen@example", "@example.com", "a b@x.org"],
    ),
    (
        "phone",
        r"^\+?[1-9]\d{0,2}[ -]?\(?\d{3}\)?[ -]?\d{3}[ -]?\d{4}$",
        ["+1 (555) 123-4567", "+44 207 946 0958", "15551234567"],
        ["555-12", "+1 (555) 123-4567 ext 9", "\u0665\u0665\u0665\u0661\u0662\u0663\u0664"],
    ),
    (
        "iso_date",
        r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$",
        ["2025-01-31", "1999-12-01"],
        ["2025-13-01", "2025-00-10", "2025-01-32", "2025-01-31\n"],
    ),
    ("slug", r"^[a-z0-9]+(-[a-z0-9]+)*$", ["core-sw-01", "a"], ["-a", "a--b", "Core", "a_b"]),
    (
        "uuid",
        r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
        ["e3e70682-c209-4cac-a29f-6fbed82c07cd"],
        ["e3e70682-c209-4cac-629f-6fbed82c07cd", "e3e70682c2094caca29f6fbed82c07cd"],
    ),
]


@pytest.mark.parametrize(("name", "pattern", "good", "bad"), ORDINARY, ids=[c[0] for c in ORDINARY])
def test_ordinary_patterns_load_and_validate_as_ecma(
    name: str, pattern: str, good: list[str], bad: list[str]
) -> None:
    tk = compile_toolkit(probe({"value": {"type": "string", "pattern": pattern}}))
    for value in good:
        result = tk.call("probe", {"value": value})
        assert result.ok, (value, result.error)
    for value in bad:
        result = tk.call("probe", {"value": value})
        assert result.error_kind is ErrorKind.invalid_arguments, value
        assert "does not match" in result.error


def test_digits_are_ascii_and_the_end_is_the_end_of_the_text() -> None:
    schema = {"type": "string", "pattern": r"^\d+$"}
    matches = pattern_matcher(r"^\d+$")
    assert matches("123") and not matches("123\n") and not matches(ARABIC_INDIC_123)
    validator = compile_validator(schema)
    assert validator.is_valid("123")
    assert not validator.is_valid("123\n") and not validator.is_valid(ARABIC_INDIC_123)
    doc = probe({"n": schema})
    doc["state_schema"] = {"type": "object", "properties": {"code": schema}}
    doc["initial_state"] = {"code": "7"}
    tk = compile_toolkit(doc)
    assert tk.call("probe", {"n": "123"}).ok
    assert tk.call("probe", {"n": "123\n"}).error_kind is ErrorKind.invalid_arguments
    assert tk.call("probe", {"n": ARABIC_INDIC_123}).error_kind is ErrorKind.invalid_arguments
    for state in ({"code": "123\n"}, {"code": ARABIC_INDIC_123}):
        with pytest.raises(StateError):
            tk.reset(state)
    doc["initial_state"] = {"code": ARABIC_INDIC_123}
    assert any(p.path == "initial_state.code" for p in problems_of(doc))


BACKTRACKING = [
    (r"^(a)\1$", "backreference '\\\\1'"),
    (r"^(?<w>[a-z]+)-\k<w>$", "backreference '\\\\k<w>'"),
    (r"^(?=.*\d).{8,}$", "lookahead"),
    (r"^(?!admin$)[a-z]+$", "negative lookahead"),
    (r"(?<=@)[a-z]+", "lookbehind"),
    (r"(?<!x)y", "negative lookbehind"),
]


@pytest.mark.parametrize(("pattern", "construct"), BACKTRACKING)
def test_patterns_the_engine_cannot_run_are_spec_errors_with_path_and_fix(
    pattern: str, construct: str
) -> None:
    doc = probe({"value": {"type": "string", "pattern": pattern}})
    doc["state_schema"] = {
        "type": "object",
        "$defs": {"tag": {"type": "object", "patternProperties": {pattern: {"type": "string"}}}},
        "properties": {"tags": {"$ref": "#/$defs/tag"}},
    }
    problems = {p.path: p for p in problems_of(doc)}
    for path in (
        "tools[0].function.parameters.properties.value.pattern",
        "state_schema.$defs.tag.patternProperties",
    ):
        problem = problems[path]
        assert construct in (problem.offending or ""), problem
        assert "instead" in problem.message or "->" in problem.message


def test_an_invalid_regex_is_a_spec_error_at_its_path() -> None:
    (problem,) = problems_of(probe({"v": {"type": "string", "pattern": "^[a-z"}}))
    assert problem.path == "tools[0].function.parameters.properties.v.pattern"
    assert "regular expression" in problem.message


@pytest.mark.timeout(60)
def test_a_catastrophic_pattern_never_hangs() -> None:
    hostile = "a" * 100_000 + "!"
    schema = {"type": "string", "pattern": "^(a+)+$"}
    doc = probe({"s": schema})
    doc["source"] = "def probe(state, s):\n    state['s'] = s\n    return len(s)\n"
    doc["state_schema"] = {"type": "object", "properties": {"s": schema}}
    doc["initial_state"] = {"s": "a" * 40 + "!"}  # used to hang compile_toolkit
    (problem,) = problems_of(doc)
    assert problem.path == "initial_state.s" and "does not match" in problem.message
    doc["initial_state"] = {"s": "aaa"}
    tk = compile_toolkit(doc, check_state=True)
    assert tk.call("probe", {"s": hostile}).error_kind is ErrorKind.invalid_arguments
    with pytest.raises(StateError):
        tk.reset({"s": hostile})
    loose = copy.deepcopy(doc)  # the argument is free, the state keeps the pattern
    loose["tools"][0]["function"]["parameters"]["properties"]["s"] = {"type": "string"}
    stored = compile_toolkit(loose, check_state=True).call("probe", {"s": hostile})
    assert stored.ok and "does not match" in stored.state_errors[0]
    assert not pattern_matcher("^(a+)+$")(hostile)
    sampler = SchemaSampler(np.random.default_rng(0), {}, known=[hostile, "aaaa"])
    drawn = {sampler.value(schema) for _ in range(20)}
    assert hostile not in drawn
    assert check_toolkit(doc, examples=5).passed


def test_scenarios_and_the_heuristic_agent_match_patterns_linearly_as_ecma() -> None:
    from gem_env.participants.arguments import _string_options
    from gem_env.participants.facts import Fact
    from gem_env.registration import scenario_problems
    from gem_env.scenario import Scenario
    from toolkits import load_toolkit

    schema = {"type": "string", "pattern": "^(a+)+$"}
    doc = probe({"s": schema})
    doc["source"] = "def probe(state, s):\n    return len(s)\n"
    doc["state_schema"] = {"type": "object", "properties": {"s": schema}}
    doc["initial_state"] = {"s": "aaa"}
    scenario = Scenario(
        id="s",
        system_prompt="p",
        user={"goal": "g"},
        initial_state={"s": "a" * 40 + "!"},  # Python's re backtracked for hours here
        goal_assertions=[],
    )
    (problem,) = scenario_problems(scenario, load_toolkit(doc), "scenarios[0]")
    assert problem.path == "scenarios[0].initial_state['s']"
    digits = {"type": "string", "pattern": "^\\d+$"}
    facts = [
        Fact(key="code", value="\u0661\u0662", source="user"),
        Fact(key="code", value="12", source="user"),
    ]
    ctx = types.SimpleNamespace(literals=set(), request_stems=set())
    options = _string_options(("code",), digits, True, facts, ctx)
    assert [o.value for o in options] == ["12"]  # ECMA's \d is ASCII; Python's is not


# -- no I/O ---------------------------------------------------------------------------

_WATCHED: set[str] = set()  # ports and paths whose use is recorded
_SEEN: list[str] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _WATCHED:
        return
    if event == "socket.connect" and isinstance(args[1], tuple) and len(args[1]) >= 2:
        if str(args[1][1]) in _WATCHED:
            _SEEN.append(f"connect {args[1]}")
    elif event == "urllib.Request" and any(w in str(args[0]) for w in _WATCHED):
        _SEEN.append(f"request {args[0]}")
    elif event == "open" and any(w in str(args[0]) for w in _WATCHED):
        _SEEN.append(f"open {args[0]}")


sys.addaudithook(_audit)


class Canary:
    """A listening socket on 127.0.0.1 and a file nobody should open."""

    def __init__(self, tmp: Path):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.server.settimeout(0.05)
        self.port = self.server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.file = tmp / "canary-schema.json"
        self.file.write_text('{"type": "string"}')
        self.file_url = self.file.as_uri()
        self.connections: list[Any] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(peer)
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.server.close()


@pytest.fixture
def canary(tmp_path: Path) -> Iterator[Canary]:
    watch = Canary(tmp_path)
    _WATCHED.update({str(watch.port), str(watch.file)})
    del _SEEN[:]
    try:
        yield watch
    finally:
        watch.close()
        _WATCHED.clear()
    assert not watch.connections, f"a schema made the host connect: {watch.connections}"
    assert not _SEEN, f"a schema made the host do I/O: {_SEEN}"


def _hostile_params(c: Canary) -> dict[str, dict[str, Any]]:
    """Parameter schemas that each try to make the host fetch something."""
    return {
        "remote_ref": {"type": "object", "properties": {"x": {"$ref": f"{c.url}/x.json"}}},
        "file_ref": {"type": "object", "properties": {"x": {"$ref": c.file_url}}},
        "relative_ref": {"type": "object", "properties": {"x": {"$ref": "x.json#/a"}}},
        "meta_schema": {"$schema": f"{c.url}/meta.json", "type": "object"},
        "nested_id": {
            "type": "object",
            "properties": {
                "x": {"$id": f"{c.url}/nested.json", "type": "string"},
                "y": {"$ref": f"{c.url}/nested.json"},
            },
        },
        "dynamic_ref": {"type": "object", "properties": {"x": {"$dynamicRef": f"{c.url}#m"}}},
        "recursive_ref": {"type": "object", "properties": {"x": {"$recursiveRef": c.url}}},
    }


def _with_params(params: dict[str, Any]) -> dict[str, Any]:
    """A toolkit whose one tool `probe` has `params` and returns 1."""
    doc = probe({})
    doc["tools"][0]["function"]["parameters"] = params
    names = "".join(f", {p}=None" for p in params.get("properties", {}))
    doc["source"] = f"def probe(state{names}):\n    return 1\n"
    return doc


def test_no_schema_fetches_anything_at_any_entry_point(canary: Canary) -> None:
    good = recorded_trajectory(probe({}), [("user", "hi"), ("call", "probe", {})])
    for name, params in _hostile_params(canary).items():
        doc = _with_params(params)
        problems = problems_of(doc)
        assert all(p.path.startswith("tools[0].function.parameters") for p in problems), name
        with pytest.raises(SpecError):
            compile_toolkit(doc)
        with pytest.raises(SpecError):  # a spec that skipped load_toolkit's checks
            Toolkit(ToolkitSpec.model_validate(doc))
        report = check_toolkit(doc, examples=3)
        assert not report.passed and report.findings[0].code == "spec_error", name
        with pytest.raises(UnsupportedSchemaError):
            arguments_strategy(params)
        sampler = SchemaSampler(np.random.default_rng(0), params)
        for _ in range(10):  # draws may skip the optional property, never fetch it
            with contextlib.suppress(SamplerUnsupported):
                sampler.value(params)
        bad = copy.deepcopy(good)
        bad["toolkit"] = doc
        codes = {f.code for _, f in verify(bad).findings}
        assert "toolkit_error" in codes, name
    state_doc = probe({})
    state_doc["state_schema"] = {"type": "object", "properties": {"s": {"$ref": canary.url}}}
    assert problems_of(state_doc)[0].path == "state_schema.properties.s.$ref"


def test_a_root_id_and_local_refs_resolve_locally(canary: Canary) -> None:
    """The tempting legal case: a root $id naming the canary, refs inside the document."""
    params = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{canary.url}/params.json",
        "$comment": f"see {canary.url}/docs",
        "type": "object",
        "$defs": {"mac": {"type": "string", "pattern": "^([0-9a-f]{2}:){5}[0-9a-f]{2}$"}},
        "properties": {
            "mac": {"$ref": "#/$defs/mac"},
            "link": {"type": "string", "format": "uri", "default": f"{canary.url}/x"},
        },
        "required": ["mac"],
        "additionalProperties": False,
    }
    doc = _with_params(params)
    doc["source"] = "def probe(state, mac, link=None):\n    state['mac'] = mac\n    return mac\n"
    doc["state_schema"] = {
        "$id": f"{canary.url}/state.json",
        "type": "object",
        "properties": {"mac": {"$ref": f"{canary.url}/state.json#/$defs/m"}},
    }
    assert problems_of(doc)[0].path == "state_schema.properties.mac.$ref"  # not '#...'
    doc["state_schema"]["properties"]["mac"] = {"$ref": "#/$defs/m"}
    doc["state_schema"]["$defs"] = {"m": {"type": "string", "pattern": "^[0-9a-f:]+$"}}
    doc["initial_state"] = {"mac": "00:00:00:00:00:01"}
    tk = compile_toolkit(doc, check_state=True)
    assert tk.call("probe", {"mac": "3c:22:fb:0a:91:7e", "link": f"{canary.url}/y"}).ok
    assert tk.call("probe", {"mac": "nope"}).error_kind is ErrorKind.invalid_arguments
    tk.reset({"mac": "aa:bb"})
    with pytest.raises(StateError):
        tk.reset({"mac": "not hex"})
    assert check_toolkit(doc, examples=5).passed

    @DRAWS
    @given(arguments_strategy(params))
    def drawn(args: dict[str, Any]) -> None:
        assert tk.call("probe", args).ok

    drawn()
    sampler = SchemaSampler(np.random.default_rng(0), params)
    assert compile_validator(params).is_valid(sampler.value(params))
    trajectory = recorded_trajectory(
        doc, [("user", "set 3c:22:fb:0a:91:7e"), ("call", "probe", {"mac": "3c:22:fb:0a:91:7e"})]
    )
    assert verify(trajectory).passed


# -- cycles and recursion -------------------------------------------------------------

CYCLES = {
    "self_allof": ({"allOf": [{"$ref": "#"}]}, "tools[0].function.parameters.allOf[0].$ref"),
    "a_b_a": (
        {
            "$defs": {"a": {"anyOf": [{"$ref": "#/$defs/b"}]}, "b": {"not": {"$ref": "#/$defs/a"}}},
            "properties": {"x": {"$ref": "#/$defs/a"}},
        },
        "tools[0].function.parameters.$defs.",
    ),
    "if_then_else": (
        {"$defs": {"c": {"if": {"$ref": "#/$defs/c"}, "then": True}}, "$ref": "#/$defs/c"},
        "tools[0].function.parameters.$defs.c.if.$ref",
    ),
    "ref_chain": (
        {
            "$defs": {
                "a": {"$ref": "#/$defs/b"},
                "b": {"oneOf": [{"$ref": "#/$defs/c"}]},
                "c": {"$ref": "#/$defs/a"},
            },
            "properties": {"x": {"$ref": "#/$defs/a"}},
        },
        "tools[0].function.parameters.$defs.",
    ),
}


@pytest.mark.parametrize("name", sorted(CYCLES))
def test_cycles_that_consume_no_input_are_spec_errors(name: str) -> None:
    extra, path = CYCLES[name]
    doc = _with_params({"type": "object", **extra})
    problems = problems_of(doc)
    assert any(p.path.startswith(path) and "consumes no input" in p.message for p in problems)
    with pytest.raises(SpecError):  # never a RecursionError out of a Toolkit
        Toolkit(ToolkitSpec.model_validate(doc))


TREE_DEFS = {
    "node": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "pattern": "^[a-z]+$"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
        },
        "required": ["name"],
        "additionalProperties": False,
    }
}


def _tree(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"name": "leaf"}
    for _ in range(depth - 1):
        node = {"name": "inner", "children": [node]}
    return node


def test_recursive_schemas_that_consume_input_validate_with_bounded_depth() -> None:
    doc = _with_params(
        {"type": "object", "$defs": TREE_DEFS, "properties": {"tree": {"$ref": "#/$defs/node"}}}
    )
    doc["source"] = "def probe(state, tree=None):\n    return 1\n"
    doc["state_schema"] = {
        "type": "object",
        "$defs": TREE_DEFS,
        "properties": {"tree": {"$ref": "#/$defs/node"}},
    }
    doc["initial_state"] = {"tree": _tree(3)}
    tk = compile_toolkit(doc, limits=Limits(max_state_depth=16))
    assert tk.call("probe", {"tree": _tree(5)}).ok
    bad = tk.call("probe", {"tree": {"name": "x", "children": [{"name": "Bad"}]}})
    assert "['tree']['children'][0]['name']" in bad.error
    deep = tk.call("probe", {"tree": _tree(40)})  # 80 levels of containers > 16
    assert deep.error_kind is ErrorKind.invalid_arguments and "levels deep" in deep.error
    with pytest.raises(StateError):
        tk.reset({"tree": _tree(40)})
    tk.reset({"tree": _tree(4)})
    assert check_toolkit(doc, examples=5).passed  # unsupported_schema is a warning


# -- hostile schemas never raise out of the runtime -----------------------------------


def _deep_schema(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "object", "properties": {"a": schema}}
    return schema


def test_hostile_schemas_fail_at_load_or_are_contained() -> None:
    deep = _with_params({"type": "object", "properties": {"x": _deep_schema(200)}})
    (problem,) = problems_of(deep)
    assert problem.path == "tools[0].function.parameters" and "nested more than" in problem.message
    with pytest.raises(SpecError):
        Toolkit(ToolkitSpec.model_validate(deep))
    assert check_toolkit(deep, examples=3).findings[0].code == "spec_error"
    missing = _with_params({"type": "object", "properties": {"x": {"$ref": "#/$defs/gone"}}})
    assert "points at nothing" in problems_of(missing)[0].message
    for huge in (10**12, 10**30):
        doc = _with_params(
            {
                "type": "object",
                "properties": {
                    "xs": {"type": "array", "minItems": huge},
                    "s": {"type": "string", "minLength": huge},
                },
            }
        )
        tk = compile_toolkit(doc)
        result = tk.call("probe", {"xs": [], "s": ""})
        assert result.error_kind is ErrorKind.invalid_arguments and "fewer than" in result.error
        assert tk.call("probe", {}).ok
        report = check_toolkit(doc, examples=3)
        assert report.passed and {f.code for f in report.findings} <= {"unsupported_schema"}
        with pytest.raises(SamplerUnsupported):
            SchemaSampler(np.random.default_rng(0), {}).value({"type": "array", "minItems": huge})
        trajectory = recorded_trajectory(doc, [("user", "hi"), ("call", "probe", {"xs": []})])
        assert {f.code for _, f in verify(trajectory).findings} == {"invalid_arguments"}


# -- defaults are annotations ---------------------------------------------------------


def test_schema_defaults_are_never_injected() -> None:
    doc = probe({"note": {"type": "string", "default": "None"}, "n": {"type": "integer"}}, [])
    doc["tools"][0]["function"]["parameters"]["properties"]["n"]["default"] = 5
    tk = compile_toolkit(doc)
    assert json.loads(tk.call("probe", {}).content) == {"note": None, "n": None}
    assert json.loads(tk.call("probe", "{}").content) == {"note": None, "n": None}
    args: dict[str, Any] = {}
    assert compile_validator(doc["tools"][0]["function"]["parameters"])(args) is None
    assert args == {}


# -- readable errors ------------------------------------------------------------------


def test_invalid_argument_messages_name_the_path_and_the_rule() -> None:
    doc = probe(
        {
            "n": {"type": "integer"},
            "mac": {"type": "string", "pattern": "^[0-9a-f]{2}$"},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"qty": {"type": "integer", "minimum": 1}},
                    "required": ["qty"],
                },
            },
            "mode": {"enum": ["a", "b"]},
        },
        ["n"],
        additionalProperties=False,
    )
    tk = compile_toolkit(doc)
    expected = {
        '{"n": "x"}': "invalid arguments for probe: ['n']: 'x' is not of type 'integer'",
        "{}": "invalid arguments for probe: 'n' is a required property",
        '{"n": 1, "mac": "zz"}': "invalid arguments for probe: ['mac']: 'zz' does not match "
        "'^[0-9a-f]{2}$'",
        '{"n": 1, "items": [{"qty": 0}]}': "invalid arguments for probe: ['items'][0]['qty']: "
        "0 is less than the minimum of 1",
        '{"n": 1, "mode": "c"}': "invalid arguments for probe: ['mode']: 'c' is not one of "
        "['a', 'b']",
        '{"n": 1, "zz": 2}': "invalid arguments for probe: Additional properties are not "
        "allowed ('zz' was unexpected)",
    }
    for arguments, message in expected.items():
        assert tk.call("probe", arguments).error == message


# -- property-test strategies and the sampler match on the linear engine ---------------


def test_drawn_strings_are_valid_under_ecma_semantics() -> None:
    params = {
        "type": "object",
        "properties": {
            "digits": {"type": "string", "pattern": r"^\d{3}$"},
            "either": {"oneOf": [{"type": "string", "pattern": "^a+$"}, {"pattern": "^b+$"}]},
            "not_admin": {"type": "string", "pattern": "^[a-z]{1,8}$", "not": {"pattern": "^x"}},
        },
        "required": ["digits", "either", "not_admin"],
    }
    valid = compile_validator(params)

    @DRAWS
    @given(arguments_strategy(params, known_values=["123\n", ARABIC_INDIC_123, "456"]))
    def drawn(args: dict[str, Any]) -> None:
        assert valid(args) is None
        assert args["digits"].isascii() and "\n" not in args["digits"]

    drawn()
    sampler = SchemaSampler(np.random.default_rng(1), params, ["123\n", ARABIC_INDIC_123, "456"])
    picks = {sampler.value(params["properties"]["digits"]) for _ in range(40)}
    assert "456" in picks and "123\n" not in picks and ARABIC_INDIC_123 not in picks


# -- a realistic toolkit, end to end --------------------------------------------------


def test_network_inventory_loads_checks_and_grounds_an_episode() -> None:
    spec = load_toolkit(NETWORK)  # MAC, IPv4, ISO date/date-time patterns everywhere
    assert spec.provenance is not None and "stand-in" in (spec.provenance.model or "")
    report = check_toolkit(spec, examples=10, seed=0)
    assert report.passed, report.findings
    assert not report.findings
    env = ToolUseEnv(toolkit=NETWORK, scenarios=NETWORK_SCENARIOS)
    result = run_episode(
        env, HeuristicAgent(toolkit=NETWORK), scenario="netops_readdress_and_book_window", seed=0
    )
    trajectory = result.trajectory
    assert trajectory.termination == "user_stop"
    assert result.reward == 1.0
    calls = [c.function.name for m in trajectory.messages for c in (m.tool_calls or [])]
    assert calls == ["find_device_by_mac", "assign_ip", "schedule_maintenance"]
    assert verify(trajectory).passed


def test_network_inventory_keeps_python_defaults_and_rejects_bad_addresses() -> None:
    tk = compile_toolkit(NETWORK, check_state=True, check_invariants=True)
    booked = tk.call("schedule_maintenance", {"device_id": "DEV-1003", "start": "2025-04-01"})
    assert booked.ok and json.loads(booked.content)["duration_minutes"] == 60
    assert tk.state["maintenance"]["MW-7001"]["reason"] == ""  # not the schema's "None"
    assert not booked.state_errors and not booked.invariant_violations
    for ip in ("10.20.0.256", "10.20.0.1\n", "10.20.0.\u0661"):
        result = tk.call("assign_ip", {"device_id": "DEV-1003", "ip": ip})
        assert not result.ok, ip
    mac = tk.call("find_device_by_mac", {"mac": "3C:22:FB:0A:91:7E"})
    assert json.loads(mac.content)["device_id"] == "DEV-1003"
