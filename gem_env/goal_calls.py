"""The `calls` a goal assertion may read: the episode's recorded tool calls.

A goal assertion is a Python expression over the final `state` (DESIGN.md section 3.2);
it may also name `calls`, the calls the agent made, in order, each a dict::

    {"name": "get_order", "arguments": {"order_id": "ORD-1004"}, "ok": True,
     "result": {...the tool's JSON value, or {"error": "..."} ...}, "user_turn": 0}

so that a scenario can ask for evidence a state cannot hold: that the agent read the
record that justifies a refusal, e.g. ``any(c['name'] == 'get_order' and c['ok'] and
any(l['final_sale'] for l in c['result']['lines']) for c in calls)``. An assertion
that does not name `calls` is evaluated as before. `bind_calls` turns an assertion into
an expression over `state` alone (the calls become a literal), so every evaluator
(in-process, in a worker, in a replay batch) runs it unchanged.
"""

from __future__ import annotations

import ast
import functools
import json
import math
from collections.abc import Sequence
from typing import Any

from gem_env.messages import Message, is_user_turn

__all__ = ["CALLS_NAME", "bind_calls", "recorded_calls", "uses_calls"]

CALLS_NAME = "calls"


@functools.lru_cache(maxsize=1024)
def uses_calls(expr: str) -> bool:
    """Whether the expression reads the name `calls` (False when it does not parse: the
    evaluator reports that)."""
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError):
        return False
    return any(isinstance(n, ast.Name) and n.id == CALLS_NAME for n in ast.walk(tree))


def recorded_calls(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """The calls of an episode as an assertion sees them, in order: each assistant tool
    call with its arguments (None when they are not a JSON object), whether it
    succeeded, its result (the tool message's JSON value; None when it has none) and its
    ``user_turn``: how many user messages came before it, less one (the opening is 0; the
    env's feedback messages do not count)."""
    results: dict[str, str | None] = {
        m.tool_call_id: m.content for m in messages if m.role == "tool" and m.tool_call_id
    }
    calls = []
    user_turn = -1  # the user's messages so far, less one: the opening is turn 0
    for message in messages:
        if is_user_turn(message):
            user_turn += 1
        if message.role != "assistant":
            continue
        for call in message.tool_calls or []:
            arguments = _json(call.function.arguments)
            result = _json(results.get(call.id))
            failed = result is None or (isinstance(result, dict) and set(result) == {"error"})
            calls.append(
                {
                    "name": call.function.name,
                    "arguments": arguments if isinstance(arguments, dict) else None,
                    "ok": not failed,
                    "result": result,
                    "user_turn": max(user_turn, 0),
                }
            )
    return calls


def bind_calls(expr: str, calls: Sequence[dict[str, Any]] | None) -> str:
    """`expr` with `calls` bound to a literal of `calls` (an empty list when None), as an
    expression over `state` alone; `expr` itself when it does not read `calls`."""
    if not uses_calls(expr):
        return expr
    return f"(lambda {CALLS_NAME}: ({expr.strip()}))({_literal(list(calls or []))})"


def _json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None


def _literal(value: Any) -> str:
    """A Python literal of a JSON value (a non-finite float becomes None)."""
    if isinstance(value, dict):
        items = ", ".join(f"{_literal(str(k))}: {_literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        return "None"
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    return repr(str(value))
