"""Deterministic heuristic participants: the embedded default (no model, no key).

- `HeuristicUser` plays a scenario's user: its opening message states the goal; it
  reveals a known_info fact only when the agent's question names it (by its key's
  words), says yes to confirmation questions, and stops (``UserReply.stop``, the
  ``###STOP###`` semantics) once the agent says the request is done or refused, or
  after `max_replies` replies. It never says anything outside goal + known_info.
- `HeuristicAgent` is a *privileged* heuristic: it reads the scenario (known_info, goal
  assertions, required outputs) and plans with `gem_env.participants.planner.Planner`
  on a private compiled copy of the toolkit. It then plays the plan out like a real
  agent: it asks the user for the facts the plan needs, makes the calls one per turn
  (only tools the env offers), and reports the outcome including the required outputs.
  With no plan (a request the policy forbids, or none found in the budget) it looks up
  what the request is about and explains the refusal, quoting the policy.
  It is a fixture for tests and the embedded pipeline, not a baseline to compare
  models against.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from gem_env.errors import GemEnvError
from gem_env.messages import Message, tool_call
from gem_env.participants._text import (
    appears,
    humanize,
    join_words,
    key_tokens,
    say,
    sentences,
    stem,
    stems,
    words,
)
from gem_env.participants.planner import Plan, PlannedCall, Planner
from gem_env.protocols import UserReply
from gem_env.scenario import Scenario
from toolkits import CompiledToolkit, compile_toolkit, load_toolkit
from toolkits.examples import load_example
from toolkits.spec import ToolkitSpec

__all__ = ["HeuristicAgent", "HeuristicAgentError", "HeuristicUser"]

_REQUEST = re.compile(
    r"\b(could you|can you|would you|please (provide|tell|share|give|confirm|send)|may i have|"
    r"what is|what's|which|tell me|provide)\b",
    re.I,
)
_CONFIRM = re.compile(
    r"\b(shall i|should i|would you like|do you want|confirm|proceed|go ahead|is that (ok|okay|"
    r"correct|right|fine))\b",
    re.I,
)
_DONE = re.compile(
    r"(anything else|all set|all done|has been (completed|done|processed)|is complete|"
    r"completed|goodbye|\bcan't\b|\bcannot\b|\bunable\b|not able to|could not|couldn't)",
    re.I,
)


class HeuristicUser:
    """A deterministic simulated user (see the module docstring).

    Args:
        max_replies: replies before the user gives up and stops.
    """

    name = "heuristic_user"

    def __init__(self, max_replies: int = 10):
        self.max_replies = max_replies
        self._scenario: Scenario | None = None
        self._replies = 0

    def reset(self, scenario: Scenario, seed: int | None = None) -> str:
        """Start an episode; the opening message states the goal."""
        self._scenario = scenario
        self._replies = 0
        return scenario.user.goal

    def reply(self, messages: list[Message]) -> UserReply:
        """Answer the agent's last message."""
        if self._scenario is None:
            raise GemEnvError("HeuristicUser.reply before reset(scenario, seed)")
        self._replies += 1
        text = _last_assistant_text(messages)
        if self._replies > self.max_replies:
            return UserReply(content="I have to go now. Thanks anyway.", stop=True)
        facts = self.requested_facts(text)
        if facts:
            lines = [f"- {label}: {say(value)}" for label, value in facts]
            return UserReply(content="Sure, here you go:\n" + "\n".join(lines))
        if _DONE.search(text):
            return UserReply(content="Thank you, that's all I needed.", stop=True)
        questions = _questions(text)
        if questions and any(_CONFIRM.search(q) for q in questions):
            return UserReply(content="Yes, please go ahead.")
        if questions:
            return UserReply(content="Sorry, I don't know that.")
        return UserReply(content="Okay, thank you.")

    def requested_facts(self, text: str) -> list[tuple[str, Any]]:
        """The known_info facts (label, value) that the questions in `text` ask for: a
        fact is asked for when its key, said aloud, or all the key's words appear in a
        question (nested keys of an object fact count too)."""
        assert self._scenario is not None
        asked = " ".join(_questions(text)).lower()
        if not asked:
            return []
        asked_stems = {stem(w) for w in words(asked)}

        def named(key: str) -> bool:
            tokens = key_tokens(key)
            return humanize(key) in asked or (
                bool(tokens) and {stem(t) for t in tokens} <= asked_stems
            )

        out: list[tuple[str, Any]] = []
        for key, value in self._scenario.user.known_info.items():
            if named(key):
                out.append((humanize(key), value))
            elif isinstance(value, dict):
                out += [(humanize(k), v) for k, v in value.items() if named(k)]
        return out


class HeuristicAgentError(GemEnvError):
    """The heuristic agent cannot plan: it was given no toolkit and the scenario names no
    bundled example toolkit."""


class HeuristicAgent:
    """A deterministic agent that solves scenarios by planning (see the module docstring).

    Args:
        toolkit: the toolkit the env runs (spec, dict or path). When None, the toolkit
            named by each scenario's ``toolkit`` (a bundled example) is used.
        max_calls: planning budget, in tool calls on the private toolkit.
    """

    name = "heuristic"

    def __init__(
        self,
        toolkit: ToolkitSpec | dict[str, Any] | str | Path | None = None,
        *,
        max_calls: int = 20_000,
    ):
        self._spec = load_toolkit(toolkit) if toolkit is not None else None
        self.max_calls = max_calls
        self._private: dict[str, tuple[ToolkitSpec, CompiledToolkit]] = {}  # copies by name
        self.plan: Plan | None = None
        self._scenario: Scenario | None = None
        self._script: list[tuple[str, Any]] = []
        self._pos = 0
        self._last_call: tuple[str, PlannedCall] | None = None

    def reset(
        self, scenario: Scenario, tools: list[dict[str, Any]], seed: int | None = None
    ) -> None:
        """Plan the episode (deterministic: the seed is not used)."""
        spec = self._spec
        if spec is None:
            if scenario.toolkit is None:
                raise HeuristicAgentError(
                    f"HeuristicAgent has no toolkit for scenario {scenario.id!r}: pass "
                    "HeuristicAgent(toolkit=...) or use scenarios that name a bundled toolkit"
                )
            cached = self._private.get(scenario.toolkit)
            spec = cached[0] if cached else load_example(scenario.toolkit)
        names = [t.get("function", {}).get("name") for t in tools or [] if isinstance(t, dict)]
        self._scenario = scenario
        cached = self._private.get(spec.name)
        if cached is None or cached[0] is not spec:
            private = compile_toolkit(spec, isolation="auto")  # a worker if model-written
            cached = self._private[spec.name] = (spec, private)
        offered = [n for n in names if n] or None
        self.plan = Planner(cached[1], scenario, offered, max_calls=self.max_calls).plan()
        self._script = self._build_script(self.plan, scenario)
        self._pos = 0
        self._last_call = None

    async def act(self, messages: list[Message], tools: list[dict[str, Any]]) -> Message:
        """The next turn of the plan."""
        return self.next_message(messages)

    def next_message(self, messages: list[Message]) -> Message:
        """The next turn of the plan (synchronous form of `act`)."""
        if self._scenario is None:
            raise GemEnvError("HeuristicAgent.act before reset(scenario, tools, seed)")
        problem = self._check_last_result(messages)
        if problem is not None:
            self._pos = len(self._script)
            return Message.assistant(
                f"I'm sorry, something went wrong: {problem}. I could not complete your request."
            )
        if self._pos >= len(self._script):
            return Message.assistant("You're welcome. Goodbye!")
        kind, item = self._script[self._pos]
        self._pos += 1
        if kind == "call":
            call_id = f"call_{self._pos}"
            self._last_call = (call_id, item)
            return Message.assistant(None, [tool_call(call_id, item.name, item.args)])
        return Message.assistant(item)

    # -- internals -------------------------------------------------------------------

    def _check_last_result(self, messages: list[Message]) -> str | None:
        """The problem with the result of the last call, if it differs from the plan."""
        if self._last_call is None:
            return None
        call_id, planned = self._last_call
        self._last_call = None
        tool_messages = [m for m in messages if m.role == "tool"]
        answering = [m for m in tool_messages if m.tool_call_id == call_id]
        # the env may rename a call id; then the latest tool message answers it
        answer = (answering or tool_messages or [None])[-1]
        if answer is None:
            return f"{planned.name} gave no result"
        try:
            got = json.loads(answer.content or "")
        except json.JSONDecodeError:
            return f"{planned.name} returned unreadable output"
        if got == planned.value:
            return None
        error = got.get("error") if isinstance(got, dict) else None
        return (
            f"{planned.name} said: {error}"
            if error
            else f"{planned.name} gave an unexpected result"
        )

    def _build_script(self, plan: Plan, scenario: Scenario) -> list[tuple[str, Any]]:
        script: list[tuple[str, Any]] = []
        if plan.ask:
            script.append(
                (
                    "say",
                    "I can help with that. First, could you please tell me your "
                    f"{join_words(humanize(k) for k in plan.ask)}?",
                )
            )
        script += [("call", c) for c in plan.calls]
        if plan.solved:
            script.append(("say", _report(plan, scenario)))
        else:
            script.append(("say", _refusal(plan, scenario)))
        return script


def _report(plan: Plan, scenario: Scenario) -> str:
    lines = ["All done. Here is what I did:"]
    for call in plan.calls:
        if call.kind == "write":
            lines.append(f"- {humanize(call.name).capitalize()}: {_summary(call.value)}.")
    text = "\n".join(lines)
    return _with_required(text, scenario) + "\nIs there anything else I can help you with?"


def _refusal(plan: Plan, scenario: Scenario) -> str:
    context = scenario.user.goal + " " + " ".join(c.content for c in plan.calls)
    rule = _policy_rule(scenario.system_prompt, context, scenario.required_outputs)
    text = "I'm sorry, but I can't help with that."
    if rule:
        text += f" Our policy says: {rule}"
    return _with_required(text, scenario) + "\nIs there anything else I can help you with?"


def _with_required(text: str, scenario: Scenario) -> str:
    missing = [r for r in scenario.required_outputs if r.lower() not in text.lower()]
    if missing:
        text += "\nPlease note: " + "; ".join(missing) + "."
    return text


def _policy_rule(system_prompt: str, context: str, required: list[str]) -> str | None:
    """The rule of the policy that best explains a refusal: most words in common with the
    request and what the lookups showed, and any required output it says."""
    rules = []
    for line in system_prompt.splitlines():
        line = line.strip()
        if line.startswith(("- ", "* ")):
            rules.append(line[2:].strip())
        elif line and not line.endswith(":"):
            rules.extend(sentences(line))
    if not rules:
        return None
    want = stems(context)

    def score(rule: str) -> int:
        said = sum(3 for r in required if appears(r.lower(), rule.lower()))
        return len(stems(rule) & want) + said

    best = max(rules, key=score)  # first of the best
    return best if score(best) > 0 else None


def _summary(value: Any) -> str:
    if not isinstance(value, dict):
        return _fmt("", value)
    parts = []
    for key, v in value.items():
        if isinstance(v, list):
            items = [_summary(x) for x in v]
            parts.append(f"{humanize(key)}: " + ("; ".join(items) if items else "none"))
        elif isinstance(v, dict):
            parts.append(f"{humanize(key)}: ({_summary(v)})")
        elif v is not None:
            label = key[: -len("_cents")] if key.endswith("_cents") and isinstance(v, int) else key
            parts.append(f"{humanize(label)} {_fmt(key, v)}")
    return ", ".join(parts)


def _fmt(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key.endswith("_cents") and isinstance(value, int):
        return f"${value / 100:,.2f}"
    if isinstance(value, str) and "_" in value and not any(ch.isdigit() for ch in value):
        return value.replace("_", " ")
    return str(value)


def _last_assistant_text(messages: list[Message]) -> str:
    for m in reversed(messages):
        if m.role == "assistant" and m.content:
            return m.content
        if m.role == "user":
            break
    return ""


def _questions(text: str) -> list[str]:
    return [s for s in sentences(text) if s.endswith("?") or _REQUEST.search(s)]
