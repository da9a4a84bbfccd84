"""Builders of tiny hand-written toolkits for tests (hand-written stand-ins, not LLM output)."""

from __future__ import annotations

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
