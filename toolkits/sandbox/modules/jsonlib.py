"""The sandbox's ``json``: ``dumps`` and ``loads`` of JSON-like values, bounded.

``dumps`` first walks the value (iteratively, stopping as soon as the estimated text
passes the string limit, so a value shared many times cannot make the C encoder build
gigabytes) and then calls CPython's encoder; ``default=`` and ``cls=`` are refused
(they would run arbitrary hooks). ``loads`` parses with CPython's decoder and checks
the result: nesting, container lengths and integer sizes within the sandbox's limits.
"""

from __future__ import annotations

import json as _json
from typing import Any

from toolkits.sandbox.modules.core import PLAIN, Rules, check_text, violation

MAX_INDENT = 16
MAX_DEPTH = 200
_SCALARS = (str, int, float, bool, type(None))


def _text_size(s: str, ensure_ascii: bool) -> int:
    """Upper bound of the JSON text of `s` (exact for printable ASCII)."""
    if s.isascii() and s.isprintable():
        return len(s) + 2 + s.count('"') + s.count("\\")
    if ensure_ascii and not s.isascii():
        return 6 * (len(s.encode("utf-16-le")) // 2) + 2
    if s.isprintable():
        return len(s) + 2 + s.count('"') + s.count("\\")
    return 6 * len(s) + 2


def _estimate(
    guards: Any, value: Any, indent: int, item_sep: int, key_sep: int, ascii_: bool
) -> int:
    """Estimated length of ``dumps(value)``; fails past the string limit or on non-JSON."""
    limit, budget, visits = guards.max_str, guards.max_str, 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        visits += 1
        t = type(item)
        if t is str:
            budget -= _text_size(item, ascii_)
        elif t is int or t is float or t is bool or item is None:
            budget -= 24 + (item.bit_length() // 3 if t is int else 0)
        elif isinstance(item, (dict, list, tuple)):
            if depth >= MAX_DEPTH:
                raise ValueError(f"value nested deeper than {MAX_DEPTH} levels (circular?)")
            n = len(item)
            budget -= 2 + n * (item_sep + (1 + indent * (depth + 1) if indent >= 0 else 0))
            children: Any = item
            if isinstance(item, dict):
                for key in item:
                    if type(key) is str:
                        budget -= _text_size(key, ascii_) + key_sep
                    elif type(key) in _SCALARS:
                        budget -= 26 + key_sep
                    else:
                        raise TypeError(
                            f"keys must be str, int, float, bool or None, not {type(key).__name__}"
                        )
                children = item.values()
            for child in children:
                if type(child) is str:
                    budget -= _text_size(child, ascii_)
                else:
                    stack.append((child, depth + 1))
        else:
            name = "set" if t.__name__ == "OrderedSet" else t.__name__
            raise TypeError(f"Object of type {name} is not JSON serializable")
        if budget < 0:
            guards.too_big(f"json.dumps() would build a string over {limit} characters")
    guards.ctx.charge(visits >> 4)
    return limit - budget


def _separators(value: Any) -> tuple[str, str] | None:
    if value is None:
        return None
    if type(value) not in (tuple, list) or len(value) != 2:
        raise TypeError("separators must be a pair of strings, e.g. (',', ':')")
    if any(type(s) is not str or len(s) > MAX_INDENT for s in value):
        raise ValueError(f"separators must be strings of at most {MAX_INDENT} characters")
    return value[0], value[1]


def _indent(value: Any) -> int:
    if value is None:
        return -1
    if type(value) is int:
        if value > MAX_INDENT:
            raise ValueError(f"indent must be at most {MAX_INDENT}")
        return max(value, 0)
    if type(value) is str and len(value) <= MAX_INDENT:
        return len(value)
    raise TypeError(f"indent must be an int or a string of at most {MAX_INDENT} characters")


def dumps(guards: Any, obj: Any, **options: Any) -> str:
    """``json.dumps`` of a JSON-like value (dict subclasses, tuples as lists)."""
    for hook in ("default", "cls"):
        if options.get(hook) is not None:
            violation(
                guards,
                f"json.dumps({hook}=...) is not available; convert values first "
                "(d.isoformat(), list(s), dict(c))",
            )
    allowed = {"skipkeys", "ensure_ascii", "check_circular", "allow_nan", "indent"}
    allowed |= {"separators", "sort_keys", "default", "cls"}
    unknown = set(options) - allowed
    if unknown:
        raise TypeError(f"dumps() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    indent = _indent(options.get("indent"))
    separators = _separators(options.get("separators"))
    if separators is None:  # CPython's defaults
        separators = (", ", ": ") if indent < 0 else (",", ": ")
    ensure_ascii = bool(options.get("ensure_ascii", True))
    _estimate(guards, obj, indent, len(separators[0]), len(separators[1]), ensure_ascii)
    options["separators"] = separators
    options.pop("cls", None)
    options.pop("default", None)
    return guards.check_size(_json.dumps(obj, **options))


def loads(guards: Any, s: Any, **options: Any) -> Any:
    """``json.loads`` of a str; the result is checked against the sandbox's limits."""
    if options:
        violation(
            guards,
            f"json.loads({sorted(options)[0]}=...) is not available; "
            "parse, then convert the values",
        )
    value = _json.loads(check_text(guards, s, guards.max_str, "JSON text"))
    _check_loaded(guards, value)
    return value


def _check_loaded(guards: Any, value: Any) -> None:
    limit, bits, nodes = guards.max_items, guards.max_bits, 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        t = type(item)
        if t is dict or t is list:
            if depth >= MAX_DEPTH:
                guards.too_big(f"JSON nested deeper than {MAX_DEPTH} levels")
            if len(item) > limit:
                guards.too_big(f"JSON container of {len(item)} items exceeds {limit}")
            nodes += len(item)
            for child in item.values() if t is dict else item:
                c = type(child)
                if c is dict or c is list:
                    stack.append((child, depth + 1))
                elif c is int and child.bit_length() > bits:
                    guards.too_big(f"JSON integer exceeds {bits} bits")
        elif t is int and item.bit_length() > bits:
            guards.too_big(f"JSON integer exceeds {bits} bits")
    guards.ctx.charge(nodes >> 4)


_DECODE_ERROR = Rules(
    "json.JSONDecodeError",
    dict.fromkeys(("msg", "doc", "pos", "lineno", "colno"), PLAIN),
    exposed=True,
)
INSTANCE_RULES: dict[type, Rules] = {_json.JSONDecodeError: _DECODE_ERROR}
CLASS_RULES: dict[type, Rules] = {
    _json.JSONDecodeError: Rules(
        "json.JSONDecodeError", {}, text=lambda g, v, r: "<class 'json.JSONDecodeError'>"
    )
}


def build(guards: Any) -> dict[str, Any]:
    """The names of the ``json`` facade, bound to `guards`."""

    def json_dumps(obj: Any, **options: Any) -> str:
        return dumps(guards, obj, **options)

    def json_loads(s: Any, **options: Any) -> Any:
        return loads(guards, s, **options)

    json_dumps.__name__ = json_dumps.__qualname__ = "dumps"
    json_loads.__name__ = json_loads.__qualname__ = "loads"
    return {"dumps": json_dumps, "loads": json_loads, "JSONDecodeError": _json.JSONDecodeError}
