"""Turn a tool's return value into its canonical JSON text, within the output bound.

The value is walked first (iteratively, stopping as soon as the estimated text is
over the limit), so a value shared many times (`x = [x, x]` in a loop) or nested
absurdly deep cannot make serialization hang or exhaust memory.
"""

from __future__ import annotations

import math
from typing import Any

from toolkits.canonical import canonical_json
from toolkits.result import ErrorKind

_MAX_DEPTH = 200


def to_json_text(
    value: Any, guards: Any, max_chars: int
) -> tuple[str | None, tuple[ErrorKind, str]]:
    """Return ``(canonical JSON, _)`` or ``(None, (kind, message))`` when not allowed."""
    problem = _check(value, max_chars)
    if problem is not None:
        return None, problem
    try:
        text = canonical_json(value)
        if not text.isascii():
            text.encode("utf-8")
    except UnicodeEncodeError:
        return None, (ErrorKind.invalid_result, "result holds a lone surrogate: not valid UTF-8")
    except (TypeError, ValueError, RecursionError) as exc:
        return None, (ErrorKind.invalid_result, f"result is not JSON: {exc}")
    if len(text) > max_chars:
        return None, (
            ErrorKind.output_too_large,
            f"result of {len(text)} characters exceeds {max_chars}",
        )
    return text, (ErrorKind.invalid_result, "")


def _check(value: Any, max_chars: int) -> tuple[ErrorKind, str] | None:
    """The first reason `value` is not allowed as a result, else None. Scalars inside a
    container are checked in place (only containers go on the stack): this walk runs
    on every call, so it is kept tight."""
    budget = max_chars
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        t = type(item)
        if t is dict or t is list or t is tuple:
            if depth >= _MAX_DEPTH:
                return ErrorKind.invalid_result, f"result nested deeper than {_MAX_DEPTH} levels"
            budget -= 2 + len(item)
            if t is dict:
                for k in item:
                    if type(k) is not str:
                        return (
                            ErrorKind.invalid_result,
                            f"result has a non-string key {_short(k)}; JSON keys are strings",
                        )
                    budget -= len(k) + 3
                children: Any = item.values()
            else:
                children = item
            for child in children:
                c = type(child)
                if c is str:
                    budget -= len(child) + 2
                elif c is dict or c is list or c is tuple:
                    stack.append((child, depth + 1))
                else:
                    cost = _scalar_cost(child)
                    if type(cost) is tuple:
                        return cost  # type: ignore[return-value]
                    budget -= cost  # type: ignore[operator]
        elif t is str:
            budget -= len(item) + 2
        else:
            cost = _scalar_cost(item)
            if type(cost) is tuple:
                return cost  # type: ignore[return-value]
            budget -= cost  # type: ignore[operator]
        if budget < 0:
            return ErrorKind.output_too_large, f"result exceeds {max_chars} characters"
    return None


def _scalar_cost(item: Any) -> int | tuple[ErrorKind, str]:
    """The JSON size estimate of a non-string scalar, or why it is not JSON."""
    t = type(item)
    if t is bool or item is None:
        return 4
    if t is int:
        if item.bit_length() > 4000:
            return ErrorKind.invalid_result, "result holds an integer too large for JSON"
        return 1 + item.bit_length() // 3
    if t is float:
        if not math.isfinite(item):
            return ErrorKind.invalid_result, f"result holds {item}, which is not a JSON number"
        return 3
    from toolkits.sandbox import modules  # lazy: modules imports the sandbox's guards

    hint_of_module = modules.json_hint(item)
    if hint_of_module is not None:
        what = f"result holds a {t.__name__}, which is not JSON; {hint_of_module}"
        return ErrorKind.invalid_result, what
    name = "set" if t.__name__ == "OrderedSet" else t.__name__
    hint = "; return sorted(list(...))" if name in ("set", "frozenset") else ""
    return ErrorKind.invalid_result, f"result holds a {name}, which is not JSON{hint}"


def _short(key: Any) -> str:
    if type(key) in (int, float, bool) or key is None:
        return repr(key)[:50]
    return f"of type {type(key).__name__}"
