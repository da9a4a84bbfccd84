"""Scripted participants: test doubles that replay fixed turns (real package code).

    call = tool_call("c1", "find_orders", {"email": "a@b.c"})
    agent = ScriptedAgent([Message.assistant(None, [call]), "Your order ORD-1001 is on its way."])
    user = ScriptedUser(["Where is my order?", "My email is a@b.c", "Thanks! ###STOP###"])

They record what they were shown (`seen`), so tests can assert on the conversation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gem_env.messages import Message
from gem_env.participants._text import STOP_MARKER
from gem_env.protocols import AgentView, UserReply
from gem_env.scenario import Scenario

__all__ = ["ScriptedAgent", "ScriptedUser"]


class ScriptedAgent:
    """Replays assistant turns in order, whatever the conversation says.

    Args:
        turns: each a `Message`, an OpenAI assistant dict (``content`` and/or
            ``tool_calls``; any shape, malformed ones included, to test parsing) or a
            text.
        when_done: the text sent once the turns are used up.
    """

    name = "scripted"

    def __init__(
        self, turns: Sequence[Message | dict[str, Any] | str], *, when_done: str = "Goodbye."
    ):
        self.turns = list(turns)
        self.when_done = when_done
        self.seen: list[list[Message]] = []
        self._i = 0

    def reset(
        self, scenario: AgentView | Scenario, tools: list[dict[str, Any]], seed: int | None = None
    ) -> None:
        """Start again from the first turn."""
        self._i = 0
        self.seen = []

    async def act(
        self, messages: list[Message], tools: list[dict[str, Any]]
    ) -> Message | dict[str, Any] | str:
        """The next scripted turn (dicts are returned as given, with role assistant)."""
        self.seen.append(list(messages))
        if self._i >= len(self.turns):
            return Message.assistant(self.when_done)
        turn = self.turns[self._i]
        self._i += 1
        if isinstance(turn, dict):
            return {"role": "assistant", **turn}
        return turn


class ScriptedUser:
    """Replays user turns: the first is the opening message, the rest answer the agent.

    A turn is a text or a `UserReply`; a text holding ``###STOP###`` ends the
    conversation (the marker is removed from the text). When the turns are used up the
    user stops.
    """

    name = "scripted_user"

    def __init__(self, turns: Sequence[str | UserReply], *, when_done: str = "Thanks, bye."):
        if not turns:
            raise ValueError("ScriptedUser needs at least the opening message")
        self.turns = list(turns)
        self.when_done = when_done
        self.seen: list[list[Message]] = []
        self._i = 0

    def reset(self, scenario: Scenario, seed: int | None = None) -> str:
        """Return the opening turn."""
        self._i = 1
        self.seen = []
        first = self.turns[0]
        return (
            first.content
            if isinstance(first, UserReply)
            else first.replace(STOP_MARKER, "").strip()
        )

    def reply(self, messages: list[Message]) -> UserReply:
        """The next scripted reply."""
        self.seen.append(list(messages))
        if self._i >= len(self.turns):
            return UserReply(content=self.when_done, stop=True)
        turn = self.turns[self._i]
        self._i += 1
        if isinstance(turn, UserReply):
            return turn
        stop = STOP_MARKER in turn
        text = turn.replace(STOP_MARKER, "").strip() or self.when_done
        return UserReply(content=text, stop=stop)
