"""The words of JSON Schema errors (owns how an engine error reads).

jsonschema-rs reports an error with JSON-quoted values (``"x" is not of type
"integer"``); the project's messages, and the tests and tools that read them, use the
wording of Python's jsonschema with Python reprs: ``'x' is not of type 'integer'``.
`render` rebuilds that text from the error's kind and value, falling back to the
engine's own message for kinds it does not know. Values are shortened to 80 characters.
"""

from __future__ import annotations

from typing import Any

__all__ = ["render"]

_MAX_REPR = 80


def render(error: Any) -> str:
    """A jsonschema-rs error in the words of Python's jsonschema (``'x' is not ...``)."""
    try:
        renderer = _MESSAGES.get(error.kind.name)
        if renderer is not None:
            return renderer(_short(error.instance), error.kind.as_dict())
    except Exception:  # an unexpected shape: the engine's own words
        pass
    return str(getattr(error, "message", error))


def _types(fields: dict[str, Any]) -> str:
    types = fields.get("types")
    if types is None:
        types = [fields.get("type")] if "type" in fields else []
    if isinstance(types, str):
        types = [types]
    return ", ".join(repr(t) for t in types) or "the declared type"


_MESSAGES: dict[str, Any] = {
    "type": lambda v, f: f"{v} is not of type {_types(f)}",
    "required": lambda v, f: f"{f['property']!r} is a required property",
    "pattern": lambda v, f: f"{v} does not match {f['pattern']!r}",
    "enum": lambda v, f: f"{v} is not one of {_short(f['options'])}",
    "const": lambda v, f: f"{_short(f['expected_value'])} was expected",
    "minimum": lambda v, f: f"{v} is less than the minimum of {f['limit']!r}",
    "maximum": lambda v, f: f"{v} is greater than the maximum of {f['limit']!r}",
    "exclusiveMinimum": lambda v, f: f"{v} is less than or equal to the minimum of {f['limit']!r}",
    "exclusiveMaximum": lambda v, f: (
        f"{v} is greater than or equal to the maximum of {f['limit']!r}"
    ),
    "multipleOf": lambda v, f: f"{v} is not a multiple of {f['multiple_of']!r}",
    "minLength": lambda v, f: f"{v} is shorter than {f['limit']} characters",
    "maxLength": lambda v, f: f"{v} is longer than {f['limit']} characters",
    "minItems": lambda v, f: f"{v} has fewer than {f['limit']} items",
    "maxItems": lambda v, f: f"{v} has more than {f['limit']} items",
    "minProperties": lambda v, f: f"{v} has fewer than {f['limit']} properties",
    "maxProperties": lambda v, f: f"{v} has more than {f['limit']} properties",
    "uniqueItems": lambda v, f: f"{v} has non-unique elements",
    "format": lambda v, f: f"{v} is not a {f['format']!r}",
    "anyOf": lambda v, f: f"{v} is not valid under any of the given schemas",
    "oneOf": lambda v, f: (
        f"{v} is valid under more than one of the given schemas"
        if any(not branch for branch in f.get("context", []))
        else f"{v} is not valid under any of the given schemas"
    ),
    "not": lambda v, f: f"{v} should not be valid under {_short(f['schema'])}",
    "falseSchema": lambda v, f: f"False schema does not allow {v}",
    "additionalProperties": lambda v, f: (
        "Additional properties are not allowed ("
        + ", ".join(repr(k) for k in f["unexpected"])
        + (" was" if len(f["unexpected"]) == 1 else " were")
        + " unexpected)"
    ),
}


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:  # e.g. too deep to print
        return f"<{type(value).__name__}>"
    return text if len(text) <= _MAX_REPR else text[: _MAX_REPR - 3] + "..."
