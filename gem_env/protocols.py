"""What gem_env needs from outside, declared as protocols (implemented elsewhere).

- `ChatModel`: an LLM behind an OpenAI-compatible chat API (synth's backends implement
  it; tests use the scripted and heuristic participants).
- `Agent`: produces the next assistant message from the conversation so far; it starts
  an episode from an `AgentView` (public) unless it is privileged (`reset_agent`).
- `UserSimulator`: plays the user of a scenario inside the env.
- `RewardFunction`: scores a finished episode (verifiers' reward implements it).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from gem_env.messages import Message
from gem_env.scenario import Scenario
from gem_env.trajectory import Trajectory


@runtime_checkable
class ChatModel(Protocol):
    """An OpenAI-compatible chat model. `complete` returns an assistant message dict.

    The dict has the OpenAI shape: ``{"role": "assistant", "content": ..., "tool_calls":
    [...]}``; anything malformed is handled by `gem_env.parsing.parse_action`.
    """

    name: str

    async def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]] | None = None,
        temperature: float | None = None,
        seed: int | None = None,
    ) -> dict[str, Any]:
        """Return the next assistant message for `messages`."""
        ...


class AgentView(BaseModel):
    """What a deployed agent sees when an episode starts: the system prompt, the tools
    and the user's first message. Never the user's goal, persona or facts, the goal
    assertions, the required outputs nor the scenario's id (which may name the answer)."""

    system_prompt: str = Field(description="The scenario's policy and instructions.")
    first_user_message: str = Field(description="The user's opening message.")
    tools: list[dict[str, Any]] = Field(
        default_factory=list, description="The OpenAI tools offered."
    )


@runtime_checkable
class Agent(Protocol):
    """Chooses the next assistant message. `reset` is called at the start of each episode.

    `reset` gets an `AgentView` (what a deployed agent sees), unless the agent declares
    ``privileged = True`` (an oracle, e.g. the embedded `OracleAgent`): then it gets the
    full `Scenario`, answer key included. Rewards and reports name privileged agents so.
    """

    name: str

    def reset(
        self, scenario: AgentView | Scenario, tools: list[dict[str, Any]], seed: int | None
    ) -> None:
        """Prepare for a new episode: `scenario` is an `AgentView`, or the `Scenario` for
        a privileged agent."""
        ...

    async def act(
        self, messages: list[Message], tools: list[dict[str, Any]]
    ) -> Message | dict[str, Any] | str:
        """Return the next assistant turn (tool calls and/or text)."""
        ...


def is_privileged(agent: Any) -> bool:
    """Whether `agent` declares itself privileged (``privileged = True``): it may see
    the whole scenario."""
    return getattr(agent, "privileged", False) is True


def agent_view(
    scenario: Scenario, tools: list[dict[str, Any]], first_user_message: str
) -> AgentView:
    """The public view of an episode of `scenario` for a non-privileged agent."""
    return AgentView(
        system_prompt=scenario.system_prompt,
        first_user_message=first_user_message,
        tools=list(tools),
    )


def reset_agent(
    agent: Agent,
    scenario: Scenario,
    tools: list[dict[str, Any]],
    first_user_message: str,
    seed: int | None,
) -> None:
    """Reset `agent` for an episode: the full scenario only when it is privileged, else
    the `AgentView`."""
    seen = scenario if is_privileged(agent) else agent_view(scenario, tools, first_user_message)
    agent.reset(seen, tools, seed)


class UserReply(BaseModel):
    """A user turn: the text, and whether the user ends the conversation."""

    content: str
    stop: bool = Field(default=False, description="True when the user is done (user_stop).")


@runtime_checkable
class UserSimulator(Protocol):
    """Plays the user of a scenario: opens the conversation and answers the agent."""

    name: str

    def reset(self, scenario: Scenario, seed: int | None) -> str:
        """Start an episode; return the user's opening message."""
        ...

    def reply(self, messages: list[Message]) -> UserReply:
        """Answer the agent's last message (`messages` is the whole conversation)."""
        ...


class RewardResult(BaseModel):
    """A reward with its per-check breakdown."""

    reward: float
    info: dict[str, Any] = Field(default_factory=dict)


@runtime_checkable
class RewardFunction(Protocol):
    """Scores a finished episode."""

    def __call__(self, trajectory: Trajectory) -> RewardResult:
        """Return the reward of `trajectory`."""
        ...
