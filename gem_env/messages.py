"""OpenAI chat messages (with tool calls), as pydantic models.

`Message.to_openai()` gives exactly the dict an OpenAI-compatible server takes;
`Message.model_validate(d)` reads one back. Unknown keys are kept (extra="allow").
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["system", "user", "assistant", "tool"]


class FunctionCall(BaseModel):
    """The function part of a tool call: a name and the arguments as JSON text."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(description="Tool name.")
    arguments: str = Field(default="{}", description="Arguments as JSON text (may be malformed).")


class ToolCall(BaseModel):
    """One tool call of an assistant message."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(description="Call id, unique in the trajectory; the tool message echoes it.")
    type: Literal["function"] = "function"
    function: FunctionCall


#: The ``name`` of the user messages the env writes itself (feedback on unreadable turns),
#: so that checks of the simulated user, and turn counts, can skip them.
FEEDBACK_NAME = "gem_env"


def is_user_turn(message: Message) -> bool:
    """Whether `message` is a turn of the user (not the env's feedback, also role user)."""
    return message.role == "user" and (message.model_extra or {}).get("name") != FEEDBACK_NAME


class Message(BaseModel):
    """One chat message: system, user, assistant (content and/or tool calls) or tool."""

    model_config = ConfigDict(extra="allow")

    role: Role
    content: str | None = Field(default=None, description="Text; None for a pure tool-call turn.")
    tool_calls: list[ToolCall] | None = Field(default=None, description="Assistant tool calls.")
    tool_call_id: str | None = Field(default=None, description="Tool messages: the call answered.")

    def to_openai(self) -> dict[str, Any]:
        """The message as an OpenAI chat-completions dict (None fields left out)."""
        data = self.model_dump(exclude_none=True)
        if self.role == "assistant" and "content" not in data:
            data["content"] = None
        return data

    @classmethod
    def system(cls, content: str) -> Message:
        """A system message."""
        return cls(role="system", content=content)

    @classmethod
    def user(cls, content: str) -> Message:
        """A user message."""
        return cls(role="user", content=content)

    @classmethod
    def assistant(
        cls, content: str | None = None, tool_calls: list[ToolCall] | None = None
    ) -> Message:
        """An assistant message with text and/or tool calls."""
        return cls(role="assistant", content=content, tool_calls=tool_calls or None)

    @classmethod
    def tool(cls, tool_call_id: str, content: str) -> Message:
        """A tool result message answering `tool_call_id`."""
        return cls(role="tool", tool_call_id=tool_call_id, content=content)


def tool_call(call_id: str, name: str, arguments: dict[str, Any] | str) -> ToolCall:
    """Build a `ToolCall`; dict arguments are serialized as compact JSON."""
    import json

    text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return ToolCall(id=call_id, function=FunctionCall(name=name, arguments=text))
