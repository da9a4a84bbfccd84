"""Tool arguments: parsing JSON text or dicts, and checking a call before code runs.

Arguments are checked before any tool code runs: they must be a JSON object (no NaN,
no lone surrogates) valid against the tool's `parameters` schema. Validation runs on
the compiled validators of `toolkits.schema_validation` (jsonschema-rs: linear-time
patterns, no I/O, schema defaults never injected into the arguments); `compile_validator`
is re-exported here for the callers that check calls.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from typing import Any

from toolkits.result import ErrorKind
from toolkits.schema_validation import SchemaValidator, compile_validator

__all__ = [
    "SchemaValidator",
    "compile_validator",
    "parse_arguments",
    "unknown_tool_message",
    "validate_call",
]


def parse_arguments(arguments: dict[str, Any] | str | None) -> tuple[dict[str, Any], str | None]:
    """Return ``(arguments as a fresh dict, None)`` or ``({}, what is wrong)``."""
    if arguments is None or arguments == "":
        return {}, None
    try:
        if isinstance(arguments, str):
            parsed = _DECODER.decode(arguments)
            if "\\u" in arguments:  # escapes may hide lone surrogates
                json.dumps(parsed, ensure_ascii=False).encode("utf-8")
        else:
            text = json.dumps(arguments, ensure_ascii=False, allow_nan=False)
            text.encode("utf-8")
            parsed = json.loads(text)
    except UnicodeEncodeError:
        return {}, "arguments hold a lone surrogate (\\ud800-\\udfff): not valid UTF-8 JSON"
    except (ValueError, TypeError, RecursionError) as exc:
        return {}, f"arguments are not JSON: {exc}"
    if not isinstance(parsed, dict):
        return {}, f"arguments must be a JSON object, not {type(parsed).__name__}"
    return parsed, None


def validate_call(
    name: str,
    arguments: dict[str, Any] | str | None,
    validators: dict[str, Callable[[Any], str | None]],
) -> tuple[dict[str, Any], None] | tuple[None, tuple[ErrorKind, str]]:
    """Check a call before any code runs: ``(arguments, None)``, or ``(None, (kind,
    message))`` with kind `ErrorKind.unknown_tool`, ``malformed_arguments`` or
    ``invalid_arguments``. `validators` maps each tool name, in the toolkit's order, to
    its `compile_validator` function."""
    validator = validators.get(name)
    if validator is None:
        return None, (ErrorKind.unknown_tool, unknown_tool_message(name, list(validators)))
    args, problem = parse_arguments(arguments)
    if problem is not None:
        return None, (ErrorKind.malformed_arguments, problem)
    invalid = validator(args)
    if invalid is not None:
        return None, (ErrorKind.invalid_arguments, f"invalid arguments for {name}: {invalid}")
    return args, None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# one decoder for every call (json.loads with options builds a new one each time)
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def unknown_tool_message(name: str, names: list[str]) -> str:
    """The error for an unknown tool name, with close matches or the available names."""
    close = difflib.get_close_matches(str(name), names, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; available: {', '.join(names)}"
    return f"unknown tool {str(name)[:100]!r}{hint}"
