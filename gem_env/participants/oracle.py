"""The oracle agent: privileged, deterministic, no model (the embedded default agent).

`OracleAgent` reads the whole scenario (known_info, goal assertions) and plans with
`gem_env.participants.planner.Planner` on a private compiled copy of the toolkit; it
declares ``privileged = True``, so the env resets it with the scenario, not the public
`AgentView`, and it is named ``oracle`` wherever it appears (CLI ``--model oracle``,
provenance, eval tables). It plays the plan out like a real agent: it asks the user for
the facts the plan needs, makes the calls one per turn (only tools the env offers), and
reports what its writes returned (`gem_env.participants.explain.report`). With no plan
(a request the policy forbids, or none found in the budget) it makes the reads that
show what the request is about and refuses, citing the rule those reads show applies
and the observed values (`explain.refusal`); it never pastes required outputs. It is a
reference for tests and the embedded pipeline, an upper bound, not a baseline to
compare models against.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gem_env.errors import GemEnvError
from gem_env.messages import Message, tool_call
from gem_env.participants._text import humanize, join_words
from gem_env.participants.explain import refusal, report
from gem_env.participants.planner import Plan, PlannedCall, Planner
from gem_env.protocols import AgentView
from gem_env.scenario import Scenario, named_toolkit
from toolkits import CompiledToolkit, compile_toolkit, load_toolkit
from toolkits.spec import ToolkitSpec

__all__ = ["OracleAgent", "OracleAgentError"]


class OracleAgentError(GemEnvError):
    """The oracle agent cannot plan: it was given no toolkit and the scenario names no
    bundled example toolkit."""


class OracleAgent:
    """A privileged agent that solves scenarios by planning (see the module docstring).

    Args:
        toolkit: the toolkit the env runs (spec, dict or path). When None, the toolkit
            named by each scenario's ``toolkit`` (a bundled example) is used.
        max_calls: planning budget, in tool calls on the private toolkit.
    """

    name = "oracle"
    privileged = True  # it is reset with the whole scenario (`gem_env.protocols.reset_agent`)

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
        self, scenario: Scenario | AgentView, tools: list[dict[str, Any]], seed: int | None = None
    ) -> None:
        """Plan the episode (deterministic: the seed is not used).

        Raises:
            OracleAgentError: given an `AgentView` (the oracle needs the scenario), or
                no toolkit for the scenario.
        """
        if not isinstance(scenario, Scenario):
            raise OracleAgentError(
                "OracleAgent plans from the whole scenario and was given a public view: "
                "reset it through gem_env.protocols.reset_agent (it is privileged)"
            )
        spec = self._spec
        if spec is None:
            if scenario.toolkit is None:
                raise OracleAgentError(
                    f"OracleAgent has no toolkit for scenario {scenario.id!r}: pass "
                    "OracleAgent(toolkit=...) (on the command line: --toolkit FILE) or use "
                    "scenarios that name a bundled toolkit"
                )
            cached = self._private.get(scenario.toolkit)
            spec = cached[0] if cached else named_toolkit(scenario.toolkit)
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
            raise GemEnvError("OracleAgent.act before reset(scenario, tools, seed)")
        self._catch_up(messages)
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

    def _catch_up(self, messages: list[Message]) -> None:
        """Continue a conversation this agent did not play so far (a fresh agent behind
        an API answering a later turn): one script item per assistant turn seen."""
        seen = [m for m in messages if m.role == "assistant"]
        if len(seen) <= self._pos or not self._script:
            return
        self._pos = min(len(seen), len(self._script))
        kind, item = self._script[self._pos - 1]
        calls = seen[-1].tool_calls or []
        self._last_call = (calls[0].id, item) if kind == "call" and calls else None

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
        script.append(("say", report(plan) if plan.solved else refusal(plan, scenario)))
        return script
