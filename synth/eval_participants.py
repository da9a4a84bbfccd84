"""What every `gem-env eval` episode is built from, here or on a Ray worker
(`synth.executors.ray_episodes`): the agent's chat model and the env/agent factories."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["ORACLE", "chat_model", "participants"]

ORACLE = "oracle"  # --model oracle: the embedded privileged agent


def chat_model(args: argparse.Namespace) -> Any:
    """The agent's (and LLM user's) chat model the arguments name (not contacted)."""
    from synth.backends import OpenAIChatModel

    return OpenAIChatModel(
        args.model,
        base_url=args.base_url,
        api_key=args.api_key,
        temperature=args.temperature,
        max_tokens=args.max_tokens,
        max_concurrency=args.concurrency * 2,
    )


def participants(args: argparse.Namespace, plan: dict[str, Any], model: Any) -> tuple[Any, Any]:
    """``(make_env, make_agent)`` for the arguments and the checked plan: the factories
    every episode is built from, here or on a Ray worker."""
    from gem_env.env import ToolUseEnv
    from gem_env.participants.heuristic import HeuristicUser
    from gem_env.participants.oracle import OracleAgent
    from gem_env.participants.reference import ReferenceAgent, ScriptFollowingUser

    scenarios, toolkit = plan["scenarios"], plan["toolkit"]
    if model is None:  # the oracle plans on the toolkit it is given, or each scenario's

        def make_agent() -> Any:  # a scenario's reference solution first (external suites)
            return ReferenceAgent(OracleAgent(toolkit) if toolkit is not None else OracleAgent())

    else:
        from gem_env.participants.llm import LLMAgent

        def make_agent() -> Any:
            return LLMAgent(model)

    def make_user() -> Any:  # a scenario's script is played as written (external suites)
        if args.user == "llm":
            from gem_env.participants.llm import LLMUser

            return ScriptFollowingUser(LLMUser(model))
        return ScriptFollowingUser(HeuristicUser())

    def make_reward() -> Any:
        if args.reward == "goal":
            from gem_env.rewards import GoalReward

            return GoalReward()
        from verifiers import VerifierReward

        return VerifierReward()

    def make_env() -> Any:
        return ToolUseEnv(
            toolkit=toolkit, scenarios=scenarios, user=make_user(), reward=make_reward()
        )

    return make_env, make_agent
