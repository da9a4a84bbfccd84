"""Turn a tool's return value into its canonical JSON text, within the output bound.

The value is walked first (iteratively, stopping as soon as the estimated text is
over the limit), so a value shared many times (`x = [x, x]` in a loop) or nested
absurdly deep cannot make serialization hang or exhaust memory.

A result serializes as `json.dumps` would write it: tuples (and list, tuple or dict
subclasses) as arrays and objects, and keys that are ints, floats, booleans or None
coerced to strings (``{1: "a"}`` -> ``{"1":"a"}``, ``True`` -> ``"true"``); a key
that is none of these, or two keys that coerce to the same string, are refused.

`to_json_text` runs only once a call succeeded, so it first settles the moves of
containers in the state (`StateStore.settle`): a refusal there is the call's error.
"""

from __future__ import annotations

import math
from typing import Any

from toolkits.canonical import canonical_json
from toolkits.result import ErrorKind
from toolkits.sandbox.keys import json_key

_MAX_DEPTH = 200


class _KeyClash(Exception):  # noqa: N818 - internal signal
    pass


def to_json_text(
    value: Any, guards: Any, max_chars: int
) -> tuple[str | None, tuple[ErrorKind, str]]:
    """Return ``(canonical JSON, _)`` or ``(None, (kind, message))`` when not allowed.

    `guards` is the toolkit's `Guards`: the moves of the call are settled first.
    """
    refused = guards.store.settle()
    if refused is not None:
        return None, (refused.kind, refused.message)
    problem = _check(value, max_chars)
    if problem is _COERCE:
        try:
            value = _plain(value)
        except _KeyClash as clash:
            return None, (ErrorKind.invalid_result, str(clash))
        problem = None
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


_COERCE: Any = (ErrorKind.invalid_result, "keys to coerce")  # a sentinel "problem"
_SUBCLASS: Any = (ErrorKind.invalid_result, "a subclass")  # a sentinel cost: walk it
_NESTED = (dict, list, tuple)


def _check(value: Any, max_chars: int) -> tuple[ErrorKind, str] | None:
    """The first reason `value` is not allowed as a result, else None (or `_COERCE`
    when it is allowed once its keys are coerced). Scalars inside a container are
    checked in place (only containers go on the stack): this walk runs on every call,
    so it is kept tight."""
    budget = max_chars
    coerce = False
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        t = type(item)
        if t is dict or t is list or t is tuple or isinstance(item, _NESTED):
            if depth >= _MAX_DEPTH:
                return ErrorKind.invalid_result, f"result nested deeper than {_MAX_DEPTH} levels"
            budget -= 2 + len(item)
            if t is dict or isinstance(item, dict):
                for k in item:
                    if type(k) is not str:
                        as_json = json_key(k)
                        if as_json is None:
                            return (
                                ErrorKind.invalid_result,
                                f"result has a key {_short(k)}; JSON keys are strings "
                                "(json.dumps also takes int, float, bool and None keys)",
                            )
                        coerce = True
                        k = as_json
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
                    if cost is _SUBCLASS:
                        stack.append((child, depth + 1))
                    elif type(cost) is tuple:
                        return cost  # type: ignore[return-value]
                    else:
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
    return _COERCE if coerce else None


def _plain(value: Any) -> Any:
    """`value` with its dict keys coerced as `json.dumps` coerces them (checked first)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        original: dict[str, Any] = {}
        for k, v in value.items():
            key = k if type(k) is str else json_key(k)
            if key in out:
                raise _KeyClash(
                    f"result has the keys {_short(original[key])} and {_short(k)}, which "
                    f"are both {key!r} in JSON; keep one of them"
                )
            out[key] = _plain(v)  # type: ignore[index]
            original[key] = k  # type: ignore[index]
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


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
    if isinstance(item, _NESTED):
        return _SUBCLASS  # a dict, list or tuple subclass: json.dumps writes it as one
    from toolkits.sandbox import modules  # lazy: modules imports the sandbox's guards

    hint_of_module = modules.json_hint(item)
    if hint_of_module is not None:
        what = f"result holds a {t.__name__}, which is not JSON; {hint_of_module}"
        return ErrorKind.invalid_result, what
    name = "set" if t.__name__ == "OrderedSet" else t.__name__
    hint = "; return sorted(list(...))" if name in ("set", "frozenset") else ""
    return ErrorKind.invalid_result, f"result holds a {name}, which is not JSON{hint}"


def _short(key: Any) -> str:
    if type(key) is str:
        return repr(key[:50])
    if type(key) is int and key.bit_length() > 4000:
        return "<a big int>"
    if type(key) in (int, float, bool) or key is None:
        return repr(key)[:50]
    return f"of type {type(key).__name__}"
