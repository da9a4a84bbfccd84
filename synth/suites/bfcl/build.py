"""`gem-env suite bfcl`: BFCL multi-turn entries as toolkits and scenarios.

Each BFCL class converts once (`synth.import_python`, namespaced by its name); an
entry's toolkit composes its involved classes (state ``{"TicketAPI": {...}, ...}``)
minus its excluded functions, one file per distinct combination. An entry's scenario
has BFCL's per-turn user queries as a script (``user.script``, played by a scripted
user), its ``initial_config`` loaded by each class's own loader as the initial state,
and a goal that is BFCL's check: each involved class's public attributes equal what the
ground truth produces (computed by replaying it through the toolkit), and every result
the ground-truth calls return is among the agent's call results (BFCL's response check,
over the whole episode). ``reference_calls`` (the ground truth, per turn) is what the
oracle plays. Every entry ends with one line in ``entries.jsonl``: built, or not built
and why.
"""

from __future__ import annotations

import ast
import datetime as _dt
import inspect
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synth.import_python.convert import ClassUnit, assemble, class_state, convert_class
from synth.import_python.objects import OBJECTS, state_view
from synth.import_python.problems import ImportPythonError
from synth.outputs import toolkit_file_name
from synth.suites.bfcl import data
from synth.suites.bfcl.overrides import OVERRIDES
from toolkits import compile_toolkit
from toolkits.errors import ToolkitError

__all__ = ["BuiltEntry", "SuiteBuilder", "parse_call"]

LOADER = "_load_scenario"
TURN_BUDGET = 12  # agent turns allowed per user turn, beyond the ground truth's calls
SYSTEM_PROMPT = (
    "You are an assistant that completes the user's requests with the tools you are given. "
    "Each user message is one request: make the tool calls it needs, then answer briefly. "
    "If a request lacks information you need, or no tool can do it, say so instead of "
    "guessing."
)


#: The tree view of `synth.import_python.objects.state_view` as one expression (a goal
#: assertion reads only `state`): a self-applied lambda ``f(f, class_state, value, path)``.
VIEW = (
    "lambda f, s, v, p: ("
    "({'_cycle': s['_objects'][v]['_class']} if v in p else "
    "{'_class': s['_objects'][v]['_class'], **{k: f(f, s, w, p + (v,)) "
    "for k, w in s['_objects'][v].items() if not k.startswith('_')}}) "
    "if isinstance(v, str) and v in s.get('_objects', {}) else "
    "{k: f(f, s, w, p) for k, w in v.items()} if isinstance(v, dict) else "
    "[f(f, s, w, p) for w in v] if isinstance(v, list) else v)"
)


class CallParseError(ValueError):
    """A ground-truth call that is not ``name(arg=literal, ...)``."""


def parse_call(text: str, parameters: dict[str, list[str]]) -> tuple[str, dict[str, Any]]:
    """``"mv(source='a', destination='b')"`` -> ``("mv", {"source": "a", ...})``;
    positional arguments take the method's parameter names (`parameters`)."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise CallParseError(f"not a call: {text!r} ({exc.msg})") from None
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise CallParseError(f"not a call of a function by name: {text!r}")
    name = node.func.id
    if name not in parameters:
        raise CallParseError(f"{name} is no function of the entry's classes")
    try:
        arguments = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
        positional = [ast.literal_eval(a) for a in node.args]
    except ValueError:
        raise CallParseError(f"an argument of {text!r} is not a literal") from None
    names = parameters[name]
    if len(positional) > len(names):
        raise CallParseError(f"{text!r} passes more positional arguments than {name} takes")
    arguments.update(zip(names, positional))
    return name, arguments


@dataclass
class BuiltEntry:
    """One entry's outcome: its scenario (when built) or why it is not built."""

    id: str
    category: str
    scenario: dict[str, Any] | None = None
    reason: str = ""
    toolkit_file: str | None = None
    replay: list[list[dict[str, Any]]] = field(default_factory=list)  # the ground truth's results
    final_state: dict[str, Any] | None = None  # after the ground truth, through gem-env


class SuiteBuilder:
    """Builds entries, converting each class once and each toolkit once per combination.

    Args:
        out: the suite's directory (toolkits are written under ``out/toolkits``).
        now: the time converted clock reads give (BFCL's TravelAPI reads the clock).
    """

    def __init__(self, out: Path, now: _dt.datetime | None = None):
        self.out = out
        self.now = now or _dt.datetime.now().replace(microsecond=0)
        self._units: dict[str, ClassUnit | str] = {}
        self._classes: dict[str, type] = {}
        self._signatures: dict[str, dict[str, list[str]]] = {}
        self._toolkits: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[str, Any, dict]] = {}

    def unit(self, name: str) -> ClassUnit | str:
        """The converted class, or the reason it does not convert."""
        if name not in self._units:
            try:
                cls = data.load_class(name)
                self._classes[name] = cls
                self._units[name] = convert_class(
                    cls,
                    docs=data.function_docs(name),
                    loader=_loader(name),
                    config={},
                    namespace=name,
                    now=self.now,
                    overrides=OVERRIDES.get(name),
                )
            except (data.SuiteError, ImportPythonError) as exc:
                self._units[name] = f"{name} does not convert: {exc}"
        return self._units[name]

    def build(self, entry: dict[str, Any], category: str) -> BuiltEntry:
        """The scenario of one entry (never raises: a failure is a reason)."""
        built = BuiltEntry(id=str(entry.get("id")), category=category)
        try:
            self._build(entry, category, built)
        except (
            data.SuiteError,
            ImportPythonError,
            CallParseError,
            ToolkitError,
            KeyError,
            TypeError,
            ValueError,
        ) as exc:
            built.scenario, built.reason = None, f"{type(exc).__name__}: {exc}"
        return built

    def _build(self, entry: dict[str, Any], category: str, built: BuiltEntry) -> None:
        classes = tuple(entry["involved_classes"])
        units: list[ClassUnit] = []
        for name in classes:
            unit = self.unit(name)
            if isinstance(unit, str):
                raise ValueError(unit)
            units.append(unit)
        excluded = tuple(sorted(entry.get("excluded_function") or []))
        file, compiled, spec = self._toolkit(classes, excluded, units)
        parameters = self._parameters(classes)
        turns = [[parse_call(c, parameters) for c in turn] for turn in entry["ground_truth"]]
        available = {t["function"]["name"] for t in spec["tools"]}
        for turn in turns:
            for name, _ in turn:
                if name not in available:
                    left_out = next((u.class_name for u in units if name in u.left_out), None)
                    why = f"{left_out} does not convert {name}" if left_out else "excluded"
                    raise ValueError(
                        f"the ground truth calls {name}, which the toolkit lacks "
                        f"({why}; see import-python's report)"
                    )
        long_context = "long_context" in category
        state = {
            name: class_state(
                self._classes[name],
                unit,
                loader=_loader(name),
                config=entry["initial_config"].get(name, {}),
                loader_kwargs={"long_context": long_context} if _loader(name) else None,
            )
            for name, unit in zip(classes, units)
        }
        compiled.reset(state)
        replay: list[list[dict[str, Any]]] = []
        for turn in turns:
            results = []
            for name, arguments in turn:
                result = compiled.call(name, arguments)
                results.append(
                    {
                        "name": name,
                        "arguments": arguments,
                        "ok": result.ok,
                        "result": result.value if result.ok else None,
                        "error": result.error,
                        "error_kind": result.error_kind.value if result.error_kind else None,
                    }
                )
            replay.append(results)
        final = compiled.state
        built.replay, built.final_state, built.toolkit_file = replay, final, file
        built.scenario = _scenario(entry, category, file, state, final, replay, classes)

    def _toolkit(
        self, classes: tuple[str, ...], excluded: tuple[str, ...], units: list[ClassUnit]
    ) -> tuple[str, Any, dict[str, Any]]:
        key = (classes, excluded)
        if key not in self._toolkits:
            name = "bfcl_" + "_".join(u.class_name.lower() for u in units)
            spec = assemble(
                units,
                exclude=set(excluded),
                name=name,
                domain="bfcl",
                description="BFCL multi-turn: " + " ".join(u.description for u in units),
            )
            file = toolkit_file_name(spec)  # toolkits/<name>-<hash8>.json, as a run's
            path = self.out / file
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                path.write_text(json.dumps(spec, indent=1, ensure_ascii=False) + "\n", "utf-8")
            self._toolkits[key] = (file, compile_toolkit(spec), spec)
        return self._toolkits[key]

    def _parameters(self, classes: tuple[str, ...]) -> dict[str, list[str]]:
        """Each public method of `classes` -> its parameter names (after self)."""
        parameters: dict[str, list[str]] = {}
        for name in classes:
            if name not in self._signatures:
                self._signatures[name] = {
                    method_name: list(inspect.signature(method).parameters)[1:]
                    for method_name, method in inspect.getmembers(
                        self._classes[name], inspect.isfunction
                    )
                    if not method_name.startswith("_")
                }
            parameters.update(self._signatures[name])
        return parameters


def _loader(name: str) -> str | None:
    """The method that loads a config into BFCL's class `name` (None: it has no state)."""
    return None if data.stateless(name) else LOADER


def response_assertion(replay: list[list[dict[str, Any]]]) -> dict[str, str] | None:
    """BFCL's response check as a goal assertion over `calls` (None: nothing to check):
    by the end of each user turn, the agent's calls so far returned every result that
    turn's ground truth returns, as often."""
    expected = _turn_results(replay)
    if not expected:
        return None
    return {
        "description": "by the end of each user turn, the agent's calls so far returned "
        "every result that turn's ground truth returns, as often (BFCL's response check)",
        "expr": "all(sum(1 for c in calls if c['user_turn'] <= t and c['result'] == r) "
        f">= n for t, r, n in {expected!r})",
    }


def _turn_results(replay: list[list[dict[str, Any]]]) -> list[tuple[int, Any, int]]:
    """``(turn, result, count)`` of the results each turn's ground-truth calls return."""
    out: list[tuple[int, Any, int]] = []
    for turn, calls in enumerate(replay):
        results: list[Any] = []
        for call in calls:
            if call["ok"]:
                results.append(call["result"])
        for result in [r for i, r in enumerate(results) if r not in results[:i]]:
            out.append((turn, result, results.count(result)))
    return out


def public_view(state: dict[str, Any]) -> dict[str, Any]:
    """A class's public attributes in a converted state, objects as their tree view."""
    return {k: state_view(state, v) for k, v in state.items() if not k.startswith("_")}


def _has_objects(state: dict[str, Any]) -> bool:
    return bool(state.get(OBJECTS))


def _scenario(
    entry: dict[str, Any],
    category: str,
    toolkit_file: str,
    state: dict[str, Any],
    final: dict[str, Any],
    replay: list[list[dict[str, Any]]],
    classes: tuple[str, ...],
) -> dict[str, Any]:
    script = [
        "\n".join(str(m.get("content", "")) for m in turn) or data.REVEAL_PROMPT
        for turn in entry["question"]
    ]
    assertions = []
    for name in classes:
        expected = public_view(final[name])
        if not expected:
            continue  # a stateless class (MathAPI): BFCL checks nothing of it
        keys = sorted(expected)
        part = f"state[{name!r}]"
        if _has_objects(final[name]):  # compare trees, as BFCL's __eq__ does
            actual = f"(lambda f: {{k: f(f, {part}, {part}.get(k), ()) for k in {keys!r}}})({VIEW})"
        else:
            actual = f"{{k: {part}.get(k) for k in {keys!r}}}"
        assertions.append(
            {
                "description": f"{name}'s state equals the state BFCL's ground truth produces",
                "expr": f"{actual} == {expected!r}",
            }
        )
    response = response_assertion(replay)
    if response is not None:
        assertions.append(response)
    return {
        "id": entry["id"],
        "system_prompt": SYSTEM_PROMPT,
        "user": {
            "goal": " Then: ".join(script),
            "persona": "BFCL's scripted user: one request per turn, as BFCL wrote them.",
            "known_info": {},
            "script": script,
        },
        "initial_state": state,
        "goal_assertions": assertions,
        "required_outputs": [],
        "max_turns": TURN_BUDGET * max(1, len(script)) + sum(len(t) for t in replay),
        "toolkit": toolkit_file,
        "reference_calls": [
            [{"name": c["name"], "arguments": c["arguments"]} for c in turn] for turn in replay
        ],
        "tool_reveals": {
            name: int(turn)
            for turn, names in (entry.get("missed_function") or {}).items()
            for name in names
        },
        "bfcl": {
            "category": category,
            "involved_classes": list(classes),
            "excluded_function": entry.get("excluded_function") or [],
        },
    }
