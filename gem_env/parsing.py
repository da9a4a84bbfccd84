"""Turn model output into an action: tool calls and/or text, never an exception.

Accepted forms, in order: native OpenAI `tool_calls`; Hermes-style
``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` blocks in the text;
a JSON object (or list of objects) with "name" and "arguments" in a ```json code
fence. Output that looks like a tool call but cannot be read becomes a
`ParseFinding` (recorded in the episode) and the agent gets an observation saying
what was wrong; it is never raised.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, Field

from gem_env.messages import FunctionCall, Message, ToolCall

_HERMES = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)
_FENCE = re.compile(r"```(?:json|tool_call|tool)?\s*\n(.*?)```", re.S)


class ParseFinding(BaseModel):
    """A piece of model output that looked like a tool call but could not be read."""

    code: str = Field(description="'unparseable_tool_call' or 'empty_output'.")
    detail: str
    raw: str = Field(description="The raw text, for the record.")


class ParsedAction(BaseModel):
    """The assistant message to record, and what could not be parsed."""

    message: Message
    findings: list[ParseFinding] = Field(default_factory=list)

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The tool calls of the action (empty when it is a message to the user)."""
        return list(self.message.tool_calls or [])


def parse_action(
    output: Message | dict[str, Any] | str | None, *, call_id_prefix: str = "call"
) -> ParsedAction:
    """Parse model output (a message, an OpenAI message dict or raw text) into an action."""
    if output is None:
        return ParsedAction(
            message=Message.assistant(""),
            findings=[
                ParseFinding(code="empty_output", detail="the model returned nothing", raw="")
            ],
        )
    if isinstance(output, str):
        message = Message.assistant(output)
    elif isinstance(output, Message):
        message = output
    else:
        try:
            message = Message.model_validate({**output, "role": "assistant"})
        except Exception as exc:  # a malformed dict from a backend is a finding
            return ParsedAction(
                message=Message.assistant(str(output.get("content") or "")),
                findings=[
                    ParseFinding(
                        code="unparseable_tool_call",
                        detail=f"bad message: {exc}",
                        raw=json.dumps(output, default=str)[:2000],
                    )
                ],
            )
    if message.tool_calls:
        return ParsedAction(message=message)
    text = message.content or ""
    calls, findings = _calls_in_text(text, call_id_prefix)
    if calls:
        remaining = _FENCE.sub("", _HERMES.sub("", text)).strip() or None
        return ParsedAction(message=Message.assistant(remaining, calls), findings=findings)
    if not text.strip():
        findings.append(
            ParseFinding(code="empty_output", detail="empty assistant message", raw=text)
        )
    return ParsedAction(message=Message.assistant(text), findings=findings)


def _calls_in_text(text: str, prefix: str) -> tuple[list[ToolCall], list[ParseFinding]]:
    blocks = [m.group(1) for m in _HERMES.finditer(text)]
    if not blocks:
        blocks = [m.group(1) for m in _FENCE.finditer(text) if '"name"' in m.group(1)]
    calls: list[ToolCall] = []
    findings: list[ParseFinding] = []
    for block in blocks:
        try:
            data = json.loads(block)
        except json.JSONDecodeError as exc:
            findings.append(
                ParseFinding(
                    code="unparseable_tool_call",
                    detail=f"tool call is not JSON: {exc.msg}",
                    raw=block[:2000],
                )
            )
            continue
        for item in data if isinstance(data, list) else [data]:
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str):
                findings.append(
                    ParseFinding(
                        code="unparseable_tool_call",
                        detail="tool call has no string 'name'",
                        raw=block[:2000],
                    )
                )
                continue
            arguments = item.get("arguments", item.get("parameters", {}))
            text_args = (
                arguments
                if isinstance(arguments, str)
                else json.dumps(arguments, ensure_ascii=False)
            )
            calls.append(
                ToolCall(
                    id=f"{prefix}_{len(calls)}",
                    function=FunctionCall(name=name, arguments=text_args),
                )
            )
    return calls, findings
