"""Grounding of arguments: the agent may only use ids and numbers it was given.

Every id-like argument value (a string holding a digit or an ``@``: ids, codes, emails,
phone numbers, dates; not an ``enum``/``const`` member of its schema) and every number
other than 0 and 1 must appear verbatim, word-bounded, in an earlier system, user or
tool message. The assistant's own messages never ground a value, nor does the env's
feedback. Plain words (search terms, names the agent composes) are not checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from toolkits.arguments import parse_arguments
from verifiers.base import Check
from verifiers.context import TrajectoryContext, is_feedback
from verifiers.report import CODES, Finding

_ID_LIKE = re.compile(r"[\d@]")


class GroundingCheck(Check):
    """`ungrounded_argument` at the assistant message whose call uses the value."""

    name = "grounding"
    codes = CODES["grounding"]

    def inspect(self, context: TrajectoryContext) -> Iterator[Finding]:
        schemas = _parameter_schemas(context.trajectory.toolkit)
        corpus = ""  # what earlier system, user and tool messages said, grown as we go
        for index, message in enumerate(context.trajectory.messages):
            if message.role == "assistant" and message.tool_calls:
                for call in message.tool_calls:
                    args, problem = parse_arguments(call.function.arguments)
                    if problem is not None:
                        continue  # call validity reports it
                    schema = schemas.get(call.function.name, {})
                    for path, value in checked_values(args, schema):
                        if not appears(value, corpus):
                            yield self.finding(
                                "ungrounded_argument",
                                index,
                                f"call {call.id!r} ({call.function.name}): {path} = "
                                f"{json.dumps(value, ensure_ascii=False)} appears in no earlier "
                                "system, user or tool message",
                            )
            elif message.role in ("system", "user", "tool") and not is_feedback(message):
                texts = _texts(message.content or "", message.role == "tool")
                corpus = "\n".join([corpus, *texts])


def checked_values(args: dict[str, Any], schema: Any) -> Iterator[tuple[str, Any]]:
    """``(path, value)`` of each argument value grounding applies to."""
    for key, value in args.items():
        yield from _walk(value, _child(schema, "properties", key), key)


def _walk(value: Any, schema: Any, path: str) -> Iterator[tuple[str, Any]]:
    if value is None or isinstance(value, bool) or _is_enum_member(value, schema):
        return
    if isinstance(value, str):
        if _ID_LIKE.search(value):
            yield path, value
    elif isinstance(value, (int, float)):
        if value not in (0, 1):
            yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, _child(schema, "properties", key), f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, _item_schema(schema, i), f"{path}[{i}]")


def appears(value: str | int | float, text: str) -> bool:
    """Whether `value` appears verbatim and word-bounded in `text` (numbers in any of
    their usual spellings: ``20``, ``20.0``, ``20.00``, ``1,000``)."""
    if isinstance(value, str):
        return _bounded(value, text, _WORD_BEFORE, _WORD_AFTER)
    return any(
        _bounded(spelling, text, _NUMBER_BEFORE, _NUMBER_AFTER) for spelling in _spellings(value)
    )


def _bounded(needle: str, text: str, before: re.Pattern[str], after: re.Pattern[str]) -> bool:
    """`needle` occurs in `text` with neither `before` matching the character ahead of it
    nor `after` matching what follows (a literal search: linear, no regex backtracking)."""
    if not needle:
        return False
    start = text.find(needle)
    while start != -1:
        end = start + len(needle)
        if not (start and before.match(text, start - 1)) and not after.match(text, end):
            return True
        start = text.find(needle, start + 1)
    return False


_WORD_BEFORE = _WORD_AFTER = re.compile(r"\w")
_NUMBER_BEFORE = re.compile(r"[\w.]")
_NUMBER_AFTER = re.compile(r"\w|\.\d")


def _spellings(number: int | float) -> set[str]:
    if isinstance(number, float):
        spellings = {repr(number), f"{number:.2f}"}
        if number.is_integer():
            number = int(number)
        else:
            return spellings
    else:
        spellings = set()
    return spellings | {str(number), f"{number:,}"}


def _texts(content: str, is_tool: bool) -> list[str]:
    """The text a message grounds; a tool's JSON output also by its decoded strings (a
    value with a quote or backslash is escaped in the JSON text)."""
    if not (is_tool and "\\" in content):
        return [content]
    try:
        decoded = json.loads(content)
    except ValueError:
        return [content]
    return [content, *_strings(decoded)]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _parameter_schemas(toolkit: dict[str, Any]) -> dict[str, Any]:
    """Tool name -> parameters schema, read leniently (a broken toolkit has no enums)."""
    schemas: dict[str, Any] = {}
    tools = toolkit.get("tools")
    for tool in tools if isinstance(tools, list) else []:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            schemas[function["name"]] = function.get("parameters") or {}
    return schemas


def _child(schema: Any, keyword: str, key: str) -> Any:
    if not isinstance(schema, dict):
        return {}
    found = schema.get(keyword, {}).get(key) if isinstance(schema.get(keyword), dict) else None
    if found is None and isinstance(schema.get("additionalProperties"), dict):
        found = schema["additionalProperties"]
    branches = [_child(b, keyword, key) for b in _branches(schema) if isinstance(b, dict)]
    if branches:
        return {"anyOf": [found or {}, *branches]}
    return found or {}


def _item_schema(schema: Any, index: int) -> Any:
    if not isinstance(schema, dict):
        return {}
    prefix = schema.get("prefixItems")
    if isinstance(prefix, list) and index < len(prefix):
        found = prefix[index]
    else:
        found = schema.get("items") if isinstance(schema.get("items"), dict) else {}
    branches = [_item_schema(b, index) for b in _branches(schema)]
    return {"anyOf": [found, *branches]} if branches else found


def _branches(schema: dict[str, Any]) -> list[Any]:
    return [
        b
        for k in ("anyOf", "oneOf", "allOf")
        for b in schema.get(k) or []
        if isinstance(schema.get(k), list)
    ]


def _is_enum_member(value: Any, schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    if "const" in schema and schema["const"] == value and type(schema["const"]) is type(value):
        return True
    enum = schema.get("enum")
    if isinstance(enum, list) and any(m == value and type(m) is type(value) for m in enum):
        return True
    return any(_is_enum_member(value, b) for b in _branches(schema))
