"""LLM participants behind the `ChatModel` protocol (synth's backends implement it).

- `LLMAgent`: sends the conversation and the tools (OpenAI tools API) and returns the
  assistant message dict as the model gave it; whatever is malformed in it is handled
  by `gem_env.parsing.parse_action` in the env (a finding, never an exception).
- `LLMUser`: a simulated user with a hidden goal, a persona and facts it may reveal
  only when asked; it ends the conversation with the stop marker ``###STOP###``
  (reported as ``UserReply.stop``; the marker is removed from the text). Each turn is
  checked by the fidelity guard; findings accumulate in `LLMUser.findings`.

`UserSimulator.reply` is synchronous (the env's `step` is): the model's coroutine runs
with `asyncio.run` when no event loop runs in this thread, else on a worker thread.
A backend whose client is bound to one event loop must tolerate that (one loop per
call).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from gem_env.messages import Message
from gem_env.participants._text import STOP_MARKER, humanize, say
from gem_env.participants.fidelity import FidelityFinding, check_user_turn
from gem_env.protocols import AgentView, ChatModel, UserReply
from gem_env.scenario import Scenario

__all__ = ["USER_GREETING", "LLMAgent", "LLMUser", "run_sync", "user_system_prompt"]

T = TypeVar("T")

USER_GREETING = "Hi! How can I help you today?"

_USER_PROMPT = """You are playing a user who contacts a support agent. Stay in character.

Your goal (what you want; say it in your own words, do not read it out):
{goal}

Persona: {persona}

Facts you know. Reveal a fact only when the agent asks for it, and only that fact:
{facts}

Rules:
- Write only your next message to the agent: one to three short sentences.
- Never invent facts: no ids, numbers, emails, dates or names beyond the facts above and
  what the agent tells you. If asked something you do not know, say you do not know.
- Do not ask the agent to break its rules; accept a clear refusal.
- When your request is fully handled, or the agent has refused it and you accept, write
  {stop} at the end of your message (or alone).
"""


def user_system_prompt(scenario: Scenario) -> str:
    """The system prompt of the simulated user of `scenario`."""
    facts = "\n".join(f"- {humanize(k)}: {say(v)}" for k, v in scenario.user.known_info.items())
    return _USER_PROMPT.format(
        goal=scenario.user.goal,
        persona=scenario.user.persona or "an ordinary customer",
        facts=facts or "- (none)",
        stop=STOP_MARKER,
    )


def run_sync(awaitable: Awaitable[T]) -> T:
    """Run a coroutine to completion from synchronous code, inside an event loop or not."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_wrap(awaitable))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="gem-env-user") as pool:
        return pool.submit(asyncio.run, _wrap(awaitable)).result()


async def _wrap(awaitable: Awaitable[T]) -> T:
    return await awaitable


class LLMAgent:
    """An agent that asks a chat model for each turn (OpenAI tools API).

    Args:
        model: the chat model.
        temperature: sampling temperature (None: the backend's default).
    """

    def __init__(self, model: ChatModel, *, temperature: float | None = None):
        self.model = model
        self.temperature = temperature
        self.name = f"llm:{getattr(model, 'name', 'model')}"
        self._seed: int | None = None
        self._turn = 0

    def reset(
        self, scenario: AgentView | Scenario, tools: list[dict[str, Any]], seed: int | None = None
    ) -> None:
        """Remember the seed (passed to the model, offset by the turn number)."""
        self._seed = seed
        self._turn = 0

    async def act(
        self, messages: list[Message], tools: list[dict[str, Any]]
    ) -> dict[str, Any] | str:
        """The model's next assistant message, as an OpenAI dict (or its raw text)."""
        payload = [m.to_openai() for m in messages]
        seed = None if self._seed is None else self._seed + self._turn
        self._turn += 1
        out = await self.model.complete(
            payload, tools=tools or None, temperature=self.temperature, seed=seed
        )
        if isinstance(out, dict):
            return {**out, "role": "assistant"}
        if isinstance(out, Message):
            return out.to_openai()
        if isinstance(out, str):
            return out
        # anything else is a malformed answer: keep its text for the record
        return {"role": "assistant", "content": "" if out is None else _as_text(out)}


class LLMUser:
    """A simulated user played by a chat model (see the module docstring).

    Args:
        model: the chat model.
        temperature: sampling temperature (None: the backend's default).
        max_replies: replies before the user stops regardless of the model.
        greeting: the agent line shown to the model before the user's opening message.
    """

    def __init__(
        self,
        model: ChatModel,
        *,
        temperature: float | None = None,
        max_replies: int = 30,
        greeting: str = USER_GREETING,
    ):
        self.model = model
        self.temperature = temperature
        self.max_replies = max_replies
        self.greeting = greeting
        self.name = f"llm_user:{getattr(model, 'name', 'model')}"
        self.findings: list[FidelityFinding] = []
        self.malformed = 0
        self._scenario: Scenario | None = None
        self._system = ""
        self._seed: int | None = None
        self._replies = 0

    def reset(self, scenario: Scenario, seed: int | None = None) -> str:
        """Start an episode: the model writes the user's opening message."""
        self._scenario = scenario
        self._system = user_system_prompt(scenario)
        self._seed = seed
        self._replies = 0
        self.findings = []
        self.malformed = 0
        reply = self._ask([{"role": "user", "content": self.greeting}], [])
        return reply.content

    def reply(self, messages: list[Message]) -> UserReply:
        """The model's answer to the agent's last message."""
        if self._scenario is None:
            raise RuntimeError("LLMUser.reply before reset(scenario, seed)")
        self._replies += 1
        if self._replies > self.max_replies:
            return UserReply(content="I have to go now. Thanks anyway.", stop=True)
        convo = [{"role": "user", "content": self.greeting}, *_flip(messages)]
        agent_text = [m.content for m in messages if m.role == "assistant" and m.content]
        return self._ask(convo, agent_text)

    def _ask(self, convo: list[dict[str, Any]], context: list[str]) -> UserReply:
        assert self._scenario is not None
        seed = None if self._seed is None else self._seed + self._replies
        out = run_sync(
            self.model.complete(
                [{"role": "system", "content": self._system}, *convo],
                temperature=self.temperature,
                seed=seed,
            )
        )
        content = out.get("content") if isinstance(out, dict) else out
        text = content if isinstance(content, str) else ""
        stop = STOP_MARKER in text
        text = text.replace(STOP_MARKER, "").strip()
        if not text:
            if not stop:
                self.malformed += 1
            text = "Thank you, goodbye." if stop else "Sorry, could you say that again?"
        self.findings += check_user_turn(text, self._scenario, context=context)
        return UserReply(content=text, stop=stop)


def _flip(messages: list[Message]) -> list[dict[str, Any]]:
    """The conversation from the user's side: its own turns are `assistant`, the agent's
    texts are `user`; system and tool messages and pure tool-call turns are hidden.
    Consecutive turns of one side are merged."""
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "user":
            role = "assistant"
        elif m.role == "assistant" and m.content:
            role = "user"
        else:
            continue
        if out and out[-1]["role"] == role:
            out[-1]["content"] += "\n\n" + (m.content or "")
        else:
            out.append({"role": role, "content": m.content or ""})
    return out


def _as_text(value: Any) -> str:
    try:
        return json.dumps(value, default=str)[:2000]
    except (TypeError, ValueError):
        return str(value)[:2000]
