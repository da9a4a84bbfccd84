"""Dict keys in JSON: what `json.dumps` writes for a key, and keys a state may not hold.

JSON object keys are strings. `json.dumps` silently writes ints, floats, booleans and
None keys as strings (`json_key`), which is how tool *results* are written; a *state*
must hold string keys only, so `non_string_keys` finds the others (with their paths)
and `key_message` says why one cannot be stored.
"""

from __future__ import annotations

import math
from typing import Any


def json_key(key: Any) -> str | None:
    """The string `json.dumps` writes for dict key `key`, or None when it refuses it."""
    t = type(key)
    if t is str:
        return key
    if t is bool:
        return "true" if key else "false"
    if key is None:
        return "null"
    if t is int:
        return int.__repr__(key) if key.bit_length() <= 4000 else None
    if t is float:
        return float.__repr__(key) if math.isfinite(key) else None
    return None


def non_string_keys(value: Any, root: str = "state", limit: int = 20) -> list[tuple[str, Any]]:
    """``(path, key)`` of dict keys in `value` that are not strings (at most `limit`).

    Paths are written as the spec writes them (``state.orders[3]``); the walk is
    iterative and skips containers it has seen (a cycle is reported elsewhere). Paths
    are only spelled out for the keys found, so a clean state costs one cheap walk.
    """
    found: list[tuple[str, Any]] = []
    seen: set[int] = set()
    nested = (dict, list, tuple)
    stack: list[tuple[Any, Any]] = [(value, None)]  # (container, link to its path)
    while stack and len(found) < limit:
        obj, link = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, dict):
            for k, child in obj.items():
                if type(k) is not str:
                    found.append((_spell(root, (link, f"[{short_key(k)}]")), k))
                elif type(child) in nested or isinstance(child, nested):
                    stack.append((child, (link, k)))
        else:
            for i, child in enumerate(obj):
                if type(child) in nested or isinstance(child, nested):
                    stack.append((child, (link, i)))
    return found


def _spell(root: str, link: Any) -> str:
    steps = []
    while link is not None:
        link, step = link
        steps.append(step if type(step) is not int else f"[{step}]")
    return root + "".join(s if s.startswith("[") else f".{s}" for s in reversed(steps))


def short_key(key: Any) -> str:
    """A bounded, deterministic rendering of a dict key for messages."""
    t = type(key)
    if t is int:
        return str(key) if key.bit_length() < 128 else "<a big int>"
    if t in (float, bool) or key is None:
        return repr(key)
    if t is str:
        return repr(key[:50])
    return f"<a {t.__name__}>"


def key_message(key: Any) -> str:
    """Why a non-string dict key cannot be stored, naming the key."""
    as_json = json_key(key)
    hint = f"write it as {as_json!r}" if as_json is not None else "use a string key"
    return (
        f"dict key {short_key(key)} ({type(key).__name__}) is not a string: JSON object "
        f"keys are strings; {hint}"
    )
