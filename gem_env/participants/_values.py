"""JSON-value helpers of the planner: leaves, containment, goal literals, state diffs."""

from __future__ import annotations

import ast
import json
from typing import Any

from gem_env.participants._text import appears, is_id_like
from toolkits import CompileError, compile_expression


def compiles(expr: str) -> bool:
    """Whether a goal assertion compiles under the sandbox policy."""
    try:
        compile_expression(expr, "_goal_", path="goal_assertions")
    except CompileError:
        return False
    return True


def literals(exprs: list[str]) -> set[str]:
    """The string constants of the goal assertions (ids, statuses, keys they name)."""
    out: set[str] = set()
    for expr in exprs:
        try:
            tree = ast.parse(expr, mode="eval")
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value:
                out.add(node.value)
    return out


def touches(before: Any, after: Any, literals: set[str]) -> bool:
    """Whether the change from `before` to `after` involves an id-like literal of the goal
    (in a changed path or a new value)."""
    ids = {lit for lit in literals if is_id_like(lit) or "-" in lit}
    if not ids:
        return True
    found = False

    def walk(a: Any, b: Any, path: tuple[str, ...]) -> None:
        nonlocal found
        if found or a == b:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for k in set(a) | set(b):
                walk(a.get(k), b.get(k), (*path, str(k)))
            return
        if any(p in ids for p in path) or any(v in ids for v in leaves(b) if isinstance(v, str)):
            found = True

    walk(before, after, ())
    return found


def leaves(value: Any) -> list[Any]:
    """The scalar leaves of a JSON value, depth first."""
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in leaves(v)]
    return [value]


def contains(container: Any, value: Any) -> bool:
    """Whether `value` is a leaf of `container` or appears word-bounded in a string leaf."""
    text = as_text(value)
    for leaf in leaves(container):
        if leaf == value and type(leaf) is type(value):
            return True
        if isinstance(leaf, str) and appears(text, leaf):
            return True
    return False


def as_text(value: Any) -> str:
    """A value as it would be written in a message (strings as is, others as JSON)."""
    return value if isinstance(value, str) else json.dumps(value)


def strings(value: Any) -> list[str]:
    """The string leaves of a JSON value."""
    return [leaf for leaf in leaves(value) if isinstance(leaf, str)]


def call_key(name: str, args: dict[str, Any]) -> str:
    """A key identifying a call (name and canonical arguments)."""
    return name + json.dumps(args, sort_keys=True)
