"""Assembling converted classes into one toolkit@1: a class alone, or several composed
(each class's state under its name, its tools calling its functions with that part)."""

from __future__ import annotations

import ast
from typing import Any

from synth.import_python.prelude import helper_source
from synth.import_python.problems import ImportPythonError
from synth.import_python.unit import ClassUnit

_JSON_TYPE = {bool: "boolean", int: "integer", float: "number", str: "string"}


_JSON_TYPE |= {list: "array", dict: "object"}


def assemble(
    units: list[ClassUnit],
    *,
    name: str,
    description: str,
    domain: str = "imported",
    exclude: frozenset[str] | set[str] = frozenset(),
) -> dict[str, Any]:
    """The toolkit@1 of one unit, or the composed toolkit of several (namespaced);
    the tools named in `exclude` are left out (a composed toolkit keeps their code)."""
    if exclude and len(units) == 1 and not units[0].namespace:
        raise ImportPythonError("exclude tools of a composed (namespaced) toolkit only")
    imports: set[str] = set()
    chunks: list[str] = []
    tools: list[dict[str, Any]] = []
    seen: set[str] = set()
    composed = len(units) > 1 or any(u.namespace for u in units)
    for unit in units:
        imports |= unit.imports
        chunks.extend(source for _, source, _ in unit.definitions)
        for tool in unit.tools:
            tool_name = tool["function"]["name"]
            if tool_name in exclude:
                continue
            if tool_name in seen:
                raise ImportPythonError(
                    f"two classes define the tool {tool_name}; compose them separately"
                )
            seen.add(tool_name)
            tools.append(tool)
            if composed:
                params, impl = unit.wrappers[tool_name]
                call = ", ".join([f"state[{unit.class_name!r}]", *_param_names(params)])
                chunks.append(
                    f"def {tool_name}(state{', ' if params else ''}{params}):\n"
                    f"    return {impl}({call})"
                )
    prelude, prelude_imports = helper_source({h for u in units for h in u.prelude})
    imports |= prelude_imports
    source = "\n".join(sorted(imports)) + "\n\n\n" + "\n\n\n".join([*prelude, *chunks]) + "\n"
    if composed:
        state = {u.class_name: u.state for u in units}
        state_schema: dict[str, Any] = {
            "type": "object",
            "properties": {u.class_name: _state_schema(u.state) for u in units},
            "required": [u.class_name for u in units],
        }
    else:
        state, state_schema = units[0].state, _state_schema(units[0].state)
    return {
        "format": "gem-env/toolkit@1",
        "name": name,
        "description": description,
        "domain": domain,
        "tools": tools,
        "state_schema": state_schema,
        "initial_state": state,
        "source": source,
        "provenance": {
            "document_id": "python:" + "+".join(u.class_name for u in units),
            "model": "import-python",
        },
    }


def _param_names(params: str) -> list[str]:
    if not params:
        return []
    args = ast.parse(f"def f({params}): pass").body[0].args  # type: ignore[attr-defined]
    return [f"{a.arg}={a.arg}" for a in [*args.args, *args.kwonlyargs]]


def _state_schema(state: dict[str, Any]) -> dict[str, Any]:
    properties = {
        key: {"type": _JSON_TYPE[type(value)]} if type(value) in _JSON_TYPE else {}
        for key, value in state.items()
    }
    for key, value in state.items():
        if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
            properties[key] = {"type": "number"}
    return {"type": "object", "properties": properties}
