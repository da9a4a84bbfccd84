"""Participants for scenarios that carry a script: an external suite's user turns
(``user.script``) and its reference solution (``reference_calls``).

`ScriptFollowingUser` plays ``user.script`` (one message per turn, then stops) when the
scenario has one, and defers to another user otherwise. `ReferenceAgent` is the oracle
of such scenarios: privileged like `OracleAgent`, it makes each user turn's reference
calls one per step, then answers, and defers to the planning oracle for scenarios with
no reference. Both read only fields a scenario may carry (section 3.2 allows extra
fields); an agent that is not privileged never sees them.
"""

from __future__ import annotations

from typing import Any

from gem_env.messages import Message, is_user_turn, tool_call
from gem_env.participants.scripted import ScriptedUser
from gem_env.protocols import AgentView
from gem_env.scenario import Scenario

__all__ = ["ReferenceAgent", "ScriptFollowingUser", "reference_calls", "user_script"]


def user_script(scenario: Scenario) -> list[str] | None:
    """The scenario's ``user.script`` (a non-empty list of texts), or None."""
    script = (scenario.user.model_extra or {}).get("script")
    if isinstance(script, list) and script and all(isinstance(t, str) for t in script):
        return script
    return None


def reference_calls(scenario: Scenario | AgentView) -> list[list[dict[str, Any]]] | None:
    """The scenario's ``reference_calls``: per user turn, ``{"name", "arguments"}`` calls."""
    if not isinstance(scenario, Scenario):
        return None
    calls = (scenario.model_extra or {}).get("reference_calls")
    return calls if isinstance(calls, list) else None


class ScriptFollowingUser:
    """Plays a scenario's ``user.script``; any other scenario goes to `fallback`."""

    def __init__(self, fallback: Any):
        self.fallback = fallback
        self._active: Any = fallback

    @property
    def name(self) -> str:
        """``scripted_user`` while a script plays, else the fallback's name."""
        return str(getattr(self._active, "name", "user"))

    def reset(self, scenario: Scenario, seed: int | None = None) -> str:
        """The opening message: the script's first turn, or the fallback's opening."""
        script = user_script(scenario)
        self._active = ScriptedUser(script) if script else self.fallback
        return str(self._active.reset(scenario, seed))

    def reply(self, messages: list[Message]) -> Any:
        """The next turn (awaited by the env when the fallback is asynchronous)."""
        return self._active.reply(messages)


class ReferenceAgent:
    """The oracle for scenarios with ``reference_calls`` (see the module docstring).

    Args:
        fallback: the agent for scenarios without them (the planning `OracleAgent`).
    """

    name = "oracle"
    privileged = True

    def __init__(self, fallback: Any):
        self.fallback = fallback
        self._calls: list[list[dict[str, Any]]] | None = None
        self._issued = 0

    def reset(
        self, scenario: Scenario | AgentView, tools: list[dict[str, Any]], seed: int | None = None
    ) -> None:
        """Take the scenario's reference calls, or reset the fallback."""
        self._calls = reference_calls(scenario)
        self._issued = 0
        if self._calls is None:
            self.fallback.reset(scenario, tools, seed)

    async def act(self, messages: list[Message], tools: list[dict[str, Any]]) -> Any:
        """The next reference call of the current user turn, or the turn's answer."""
        if self._calls is None:
            return await self.fallback.act(messages, tools)
        users = [i for i, m in enumerate(messages) if is_user_turn(m)]
        turn = len(users) - 1
        made = (
            sum(len(m.tool_calls or []) for m in messages[users[-1] + 1 :] if m.role == "assistant")
            if users
            else 0
        )
        planned = self._calls[turn] if 0 <= turn < len(self._calls) else []
        if made < len(planned):
            call = planned[made]
            self._issued += 1
            return Message.assistant(
                None, [tool_call(f"ref_{self._issued}", call["name"], call["arguments"])]
            )
        return Message.assistant("Done." if planned else "I cannot do that with these tools.")
