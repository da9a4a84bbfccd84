"""Tools a scenario offers only from a later user turn (BFCL's ``miss_func`` entries).

A scenario may carry ``tool_reveals``: ``{"<tool>": N}`` withholds the tool from the
tools the agent is offered until the user has sent N + 1 messages (N = 0 is the
opening, so N = 3 reveals it with the fourth). The toolkit is unchanged: as in BFCL, a
call to a withheld tool still runs (the agent was never shown it); only the offer
changes, so replay and verification need nothing new. The env reports the tools on
offer in every step's info (``info["tools"]``).
"""

from __future__ import annotations

from typing import Any

from gem_env.scenario import Scenario

__all__ = ["offered_tools", "tool_reveals"]


def tool_reveals(scenario: Scenario) -> dict[str, int]:
    """The scenario's ``tool_reveals`` (tool name -> user turn), or an empty dict."""
    reveals = (scenario.model_extra or {}).get("tool_reveals") or {}
    if not isinstance(reveals, dict):
        return {}
    return {
        str(name): int(turn)
        for name, turn in reveals.items()
        if isinstance(turn, int) and not isinstance(turn, bool) and turn >= 0
    }


def offered_tools(
    tools: list[dict[str, Any]], reveals: dict[str, int], user_messages: int
) -> list[dict[str, Any]]:
    """The tools on offer once the user has sent `user_messages` messages."""
    if not reveals:
        return tools
    return [t for t in tools if reveals.get(t["function"]["name"], -1) < user_messages]
