"""Structure and turn order (GEM's rules): who may speak after whom, and call/result pairing.

Rules, with the index of the first message out of place:
- a system message only opens the conversation; the user (not the assistant) speaks first;
- after a user message comes the assistant; after an assistant's text, the user;
- after an assistant's tool calls come their tool results, then the assistant again:
  tool -> user is forbidden (the assistant answers a result before the user speaks);
- the env's own feedback (a ``user`` message named ``gem_env``, see `is_feedback`) may
  follow an assistant turn or its results.
A tool message answering no open call is an `orphan_tool_result`; a call that never gets
a result is an `orphan_tool_call`; a result that comes late (another message in between)
makes that message a `bad_role_order`.
"""

from __future__ import annotations

from collections.abc import Iterator

from gem_env.messages import Message
from verifiers.base import Check
from verifiers.context import TrajectoryContext, is_feedback
from verifiers.report import CODES, Finding

_SPEAKS_AFTER = {
    "user": {None, "system", "assistant_text", "assistant_calls"},
    "feedback": {"assistant_text", "assistant_calls", "tool"},
    "assistant": {"user", "feedback", "tool"},
}


class StructureCheck(Check):
    """Roles in order, tool calls paired with their results by id, no empty messages."""

    name = "structure"
    codes = CODES["structure"]

    def inspect(self, context: TrajectoryContext) -> Iterator[Finding]:
        messages = context.trajectory.messages
        sites = context.call_sites
        orphans = set(context.orphan_results)
        seen_ids: set[str] = set()
        late = [  # results not right after their call's message (or its other results)
            s for s in sites if s.result_index is not None and s.result_index > s.message_index + 1
        ]
        blamed: set[int] = set()
        previous: str | None = None
        for index, message in enumerate(messages):
            if _is_empty(message):
                yield self.finding("empty_message", index, f"the {message.role} message is empty")
            if message.role == "tool":
                if index in orphans:
                    yield self.finding(
                        "orphan_tool_result",
                        index,
                        f"no open tool call has id {message.tool_call_id!r}",
                    )
                previous = "tool"
                continue
            waiting = [
                s
                for s in late
                if s.message_index < index < s.result_index  # type: ignore[operator]
                and s.number not in blamed
            ]
            if waiting:
                blamed.update(s.number for s in waiting)
                yield self.finding(
                    "bad_role_order",
                    index,
                    f"the {message.role} message comes while call {waiting[0].call.id!r} "
                    f"waits for its result (message {waiting[0].result_index})",
                )
            elif problem := _order_problem(index, message, previous):
                yield self.finding("bad_role_order", index, problem)
            if message.role == "assistant":
                for call in message.tool_calls or []:
                    if call.id in seen_ids:
                        yield self.finding(
                            "duplicate_call_id", index, f"call id {call.id!r} is used twice"
                        )
                    seen_ids.add(call.id)
            previous = _kind(message)
        for site in sites:
            if site.result_index is None:
                yield self.finding(
                    "orphan_tool_call",
                    site.message_index,
                    f"call {site.call.id!r} ({site.call.function.name}) gets no tool result",
                )


def _kind(message: Message) -> str:
    if message.role == "assistant":
        return "assistant_calls" if message.tool_calls else "assistant_text"
    if is_feedback(message):
        return "feedback"
    return message.role


def _order_problem(index: int, message: Message, previous: str | None) -> str | None:
    kind = _kind(message)
    if kind == "system":
        return None if index == 0 else "a system message only opens the conversation"
    allowed = _SPEAKS_AFTER["assistant" if kind.startswith("assistant") else kind]
    if previous in allowed:
        return None
    if kind == "user" and previous == "tool":
        return "tool -> user: the assistant must answer a tool result before the user speaks"
    if kind.startswith("assistant") and previous in (None, "system"):
        return "the user speaks first, not the assistant"
    shown = (previous or "start").replace("_calls", " (tool calls)").replace("_text", "")
    return f"{shown} -> {message.role}{' (env feedback)' if kind == 'feedback' else ''}"


def _is_empty(message: Message) -> bool:
    if message.role == "assistant" and message.tool_calls:
        return False
    return not (message.content or "").strip()
