"""Builders of tiny hand-written toolkits for tests (hand-written stand-ins, not LLM output)."""

from __future__ import annotations

import json
from typing import Any


def toolkit(
    source: str,
    tools: dict[str, dict[str, Any]] | None = None,
    *,
    state: dict[str, Any] | None = None,
    state_schema: dict[str, Any] | None = None,
    required: dict[str, list[str]] | None = None,
    invariants: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """A `gem-env/toolkit@1` dict. `tools` maps tool name -> JSON Schema properties."""
    tools = tools if tools is not None else {"run": {}}
    required = required or {}
    return {
        "format": "gem-env/toolkit@1",
        "name": "test_toolkit",
        "description": "hand-written test fixture",
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": name,
                    "description": f"test tool {name}",
                    "parameters": {
                        "type": "object",
                        "properties": props,
                        "required": required.get(name, list(props)),
                    },
                },
            }
            for name, props in tools.items()
        ],
        "state_schema": state_schema or {"type": "object"},
        "initial_state": state if state is not None else {},
        "source": source,
        "invariants": invariants or [],
    }


def recorded_trajectory(
    toolkit_doc: dict[str, Any],
    turns: list[tuple[Any, ...]],
    *,
    scenario: dict[str, Any] | None = None,
    trajectory_id: str = "t-1",
) -> dict[str, Any]:
    """A `gem-env/trajectory@1` dict whose tool outputs come from executing the toolkit,
    as the env records them (hand-written turns, not LLM output).

    `turns`: ``("user", text)``, ``("assistant", text)`` or ``("call", name, args)``
    (one assistant message with that call, followed by its tool message).
    """
    from toolkits import compile_toolkit

    scenario = scenario or {
        "id": "s-1",
        "system_prompt": "You help with the test toolkit.",
        "user": {"goal": "test"},
    }
    live = compile_toolkit(toolkit_doc)
    live.reset(scenario.get("initial_state"))
    messages: list[dict[str, Any]] = [{"role": "system", "content": scenario["system_prompt"]}]
    for number, turn in enumerate(turns):
        if turn[0] == "call":
            _, name, args = turn
            call_id = f"call_{number}"
            text = args if isinstance(args, str) else json.dumps(args)
            messages.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": call_id,
                            "type": "function",
                            "function": {"name": name, "arguments": text},
                        }
                    ],
                }
            )
            result = live.call(name, text)
            messages.append({"role": "tool", "tool_call_id": call_id, "content": result.content})
        else:
            messages.append({"role": turn[0], "content": turn[1]})
    return {
        "format": "gem-env/trajectory@1",
        "id": trajectory_id,
        "seed": 0,
        "toolkit": toolkit_doc,
        "scenario": scenario,
        "messages": messages,
        "termination": "user_stop",
        "final_state_hash": live.state_hash(),
    }
