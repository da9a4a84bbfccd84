"""Python values of the user's class as JSON state, and module constants as source.

A state is JSON (DESIGN.md section 3.1). `state_value` turns an attribute's value into
its JSON form: tuples become lists, a `random.Random` becomes its `getstate()` list (so
the toolkit draws what CPython draws), a dict with int keys gets string keys (and the
attribute is reported, so the rewrite converts the keys where the code indexes it).
`literal_source` writes a module or class constant as Python source.
"""

from __future__ import annotations

import datetime as _dt
import enum
import math
import random
from collections.abc import Callable
from typing import Any

from toolkits.sandbox.modules.randomness import json_state as random_state

__all__ = ["NotJSONError", "literal_source", "random_state", "state_value"]

MAX_LITERAL_CHARS = 5_000_000


class NotJSONError(ValueError):
    """A value with no JSON form: the message names its type and where it is."""


def state_value(
    value: Any,
    where: str,
    int_keyed: set[str] | None = None,
    sets: set[str] | None = None,
    objects: Callable[[Any, str], str | None] | None = None,
) -> Any:
    """The JSON form of `value` (see the module docstring).

    Args:
        where: the attribute's name, for messages and for `int_keyed`.
        int_keyed: collects the paths of dicts whose keys were ints.
        sets: collects the paths of sets (stored as sorted lists).
        objects: the reference of an object kept elsewhere (a heap, see
            `synth.import_python.objects`), or None when `value` is not one of those.

    Raises:
        NotJSONError: the value holds an object with no JSON form (a class instance, a set
            of mixed types, a datetime, a NaN).
    """

    def walk(value: Any, where: str) -> Any:
        ref = objects(value, where) if objects is not None else None
        if ref is not None:
            return ref
        if isinstance(value, random.Random):
            return random_state(value)
        if isinstance(value, enum.Enum):  # a member is its value (see the rewrite)
            return walk(value.value, where)
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise NotJSONError(f"{where} is {value!r}, which JSON cannot hold")
            return value
        if isinstance(value, (list, tuple)):
            return [walk(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, (set, frozenset)) and sets is not None:
            sets.add(where)
            try:
                ordered = sorted(value)
            except TypeError:
                raise NotJSONError(
                    f"{where} is a set of values with no order; keep it as a list"
                ) from None
            return [walk(v, f"{where}[{i}]") for i, v in enumerate(ordered)]
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if isinstance(key, bool) or not isinstance(key, (str, int)):
                    raise NotJSONError(
                        f"{where} has a {type(key).__name__} key {key!r}; keys are strings"
                    )
                if isinstance(key, int) and int_keyed is not None:
                    int_keyed.add(where)
                out[str(key)] = walk(item, f"{where}[{key!r}]")
            return out
        return _not_json(value, where)

    return walk(value, where)


def _not_json(value: Any, where: str) -> Any:
    """Raise the NotJSONError of `value`, with a hint of what to keep instead."""
    kind = type(value)
    hint = ""
    if isinstance(value, (_dt.date, _dt.time, _dt.timedelta)):
        hint = "; keep it as an ISO string (d.isoformat()) and parse it where it is used"
    elif isinstance(value, (set, frozenset)):
        hint = "; keep it as a sorted list"
    raise NotJSONError(f"{where} holds a {kind.__module__}.{kind.__qualname__}, not JSON{hint}")


def literal_source(value: Any, where: str) -> tuple[str, set[str]]:
    """Python source for constant `value`, and the imports it needs (``datetime``).

    Raises:
        NotJSONError: the value is no literal the sandbox can rebuild.
    """
    imports: set[str] = set()
    text = _literal(value, where, imports)
    if len(text) > MAX_LITERAL_CHARS:
        raise NotJSONError(f"{where} is {len(text):,} characters of source; keep it in the state")
    return text, imports


def _literal(value: Any, where: str, imports: set[str]) -> str:
    if value is None or isinstance(value, (bool, str, int)):
        return repr(value)
    if isinstance(value, enum.Enum):
        return _literal(value.value, where, imports)
    if value is Ellipsis:
        return "'...'"  # BFCL's data has literal `...` in lists; the text stands in for it
    if isinstance(value, float):
        if not math.isfinite(value):
            return f"float({str(value)!r})"
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v, where, imports) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(_literal(v, where, imports) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, (set, frozenset)):
        if not value:
            return "set()"
        items = sorted(_literal(v, where, imports) for v in value)
        return "{" + ", ".join(items) + "}"
    if isinstance(value, dict):
        pairs = (
            f"{_literal(k, where, imports)}: {_literal(v, where, imports)}"
            for k, v in value.items()
        )
        return "{" + ", ".join(pairs) + "}"
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time, _dt.timedelta)):
        if getattr(value, "tzinfo", None) is not None:
            raise NotJSONError(f"{where} is a datetime with a time zone; give it as UTC text")
        imports.add("import datetime as _datetime")
        return "_datetime." + repr(value).removeprefix("datetime.")
    kind = type(value)
    raise NotJSONError(f"{where} is a {kind.__module__}.{kind.__qualname__}, not a literal")
