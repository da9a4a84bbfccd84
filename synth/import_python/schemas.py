"""Tool schemas for the converted methods: from a function-doc file, or from the code.

A function-doc file (BFCL's ``multi_turn_func_doc/*.json``: one JSON object per line, or
a JSON list) gives each function's ``name``, ``description`` and ``parameters`` in
BFCL's dialect of JSON Schema, whose ``dict``, ``float``, ``tuple`` and ``any`` types
`json_schema` maps to ``object``, ``number``, ``array`` and no type. Without one, a
method's schema comes from its signature (defaults make a parameter optional), its type
hints and its docstring (the first paragraph, and Google-style ``Args:`` lines).
"""

from __future__ import annotations

import inspect
import json
import re
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

from synth.import_python.problems import ImportPythonError
from synth.inputs import json_records

__all__ = ["function_docs", "json_schema", "signature_tool", "tool_from_doc"]

_TYPE_NAMES = {"dict": "object", "float": "number", "tuple": "array", "list": "array"}
_TYPE_NAMES |= {"int": "integer", "str": "string", "bool": "boolean"}
_JSON_TYPES = {"object", "array", "string", "integer", "number", "boolean", "null"}
_ARG_LINE = re.compile(r"^\s*\**(\w+)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$")
_SECTION = re.compile(r"^\s*(Args|Arguments|Parameters|Returns|Raises|Yields|Examples?)\s*:\s*$")


def function_docs(path: Path) -> dict[str, dict[str, Any]]:
    """The function docs of a file by name (JSONL or a JSON list of objects).

    Raises:
        ImportPythonError: the file is missing or no function doc, saying where.
    """
    try:
        items = json_records(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportPythonError(f"cannot read the function-doc file {path}: {exc}") from None
    except ValueError as exc:
        raise ImportPythonError(str(exc)) from None
    docs: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ImportPythonError(f"{path}: item {i} is no function doc (an object with a name)")
        docs[item["name"]] = item
    return docs


def json_schema(schema: Any) -> Any:
    """BFCL's dialect of JSON Schema as JSON Schema (``dict`` -> ``object``, ...)."""
    if isinstance(schema, list):
        return [json_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type":
            mapped = _mapped_type(value)
            if mapped is not None:
                out["type"] = mapped
        elif key == "properties" and isinstance(value, dict):
            out["properties"] = {k: json_schema(v) for k, v in value.items()}
        elif key in ("items", "additionalProperties", "anyOf", "oneOf", "allOf", "not"):
            out[key] = json_schema(value)
        else:
            out[key] = value
    if out.get("type") == "array" and isinstance(out.get("items"), dict) and not out["items"]:
        out.pop("items")
    return out


def _mapped_type(value: Any) -> Any:
    if isinstance(value, list):
        mapped = [_mapped_type(v) for v in value]
        return [m for m in mapped if m is not None] or None
    if not isinstance(value, str) or value == "any":
        return None
    name = _TYPE_NAMES.get(value, value)
    return name if name in _JSON_TYPES else None


def tool_from_doc(doc: dict[str, Any]) -> dict[str, Any]:
    """The OpenAI function tool of one function doc."""
    parameters = json_schema(doc.get("parameters") or {"type": "object", "properties": {}})
    parameters.setdefault("type", "object")
    parameters.setdefault("properties", {})
    return {
        "type": "function",
        "function": {
            "name": doc["name"],
            "description": str(doc.get("description", "")),
            "parameters": parameters,
        },
    }


def signature_tool(name: str, method: Callable[..., Any]) -> dict[str, Any]:
    """The OpenAI function tool of a method, from its signature, type hints and docstring."""
    signature = inspect.signature(method)
    try:
        hints = typing.get_type_hints(method)
    except Exception:  # an annotation that does not evaluate: fall back to none
        hints = {}
    summary, arg_docs = _docstring(inspect.getdoc(method) or "")
    properties: dict[str, Any] = {}
    required: list[str] = []
    for param in list(signature.parameters.values())[1:]:  # after self
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        schema = _hint_schema(hints.get(param.name, Any))
        if param.name in arg_docs:
            schema["description"] = arg_docs[param.name]
        if param.default is param.empty:
            required.append(param.name)
        elif _is_json(param.default):
            schema["default"] = param.default
        properties[param.name] = schema
    parameters: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        parameters["required"] = required
    return {
        "type": "function",
        "function": {"name": name, "description": summary, "parameters": parameters},
    }


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def _hint_schema(hint: Any) -> dict[str, Any]:
    """JSON Schema of a type hint (``Optional[X]`` is X: the parameter is optional)."""
    origin = typing.get_origin(hint)
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if hint is Any or hint is inspect.Parameter.empty:
        return {}
    if origin in (typing.Union, types.UnionType):
        schemas = [_hint_schema(a) for a in args]
        return schemas[0] if len(schemas) == 1 else {"anyOf": schemas}
    if origin is typing.Literal:
        return {"enum": list(typing.get_args(hint))}
    if hint in (bool,):
        return {"type": "boolean"}
    if hint is int:
        return {"type": "integer"}
    if hint is float:
        return {"type": "number"}
    if hint is str:
        return {"type": "string"}
    if hint in (list, tuple, set) or origin in (list, tuple, set, frozenset):
        schema: dict[str, Any] = {"type": "array"}
        if args and origin is not tuple:
            item = _hint_schema(args[0])
            if item:
                schema["items"] = item
        return schema
    if hint is dict or origin is dict:
        return {"type": "object"}
    return {}


def _docstring(text: str) -> tuple[str, dict[str, str]]:
    """The first paragraph of a docstring, and the description of each ``Args:`` line."""
    paragraphs = text.strip().split("\n\n")
    summary = " ".join(paragraphs[0].split()) if paragraphs and paragraphs[0] else ""
    if _SECTION.match(paragraphs[0].splitlines()[0] if summary else ""):
        summary = ""
    arg_docs: dict[str, str] = {}
    section = current = None
    arg_indent = -1  # the indentation of the Args lines themselves
    for line in text.splitlines():
        header = _SECTION.match(line)
        if header:
            section, current, arg_indent = header.group(1), None, -1
            continue
        if section not in ("Args", "Arguments", "Parameters"):
            continue
        found = _ARG_LINE.match(line)
        indent = len(line) - len(line.lstrip())
        if found and (arg_indent < 0 or indent <= arg_indent):
            current, arg_indent = found.group(1), indent
            arg_docs[current] = found.group(3).strip()
        elif current and line.strip():
            arg_docs[current] = f"{arg_docs[current]} {line.strip()}".strip()
    return summary, arg_docs
