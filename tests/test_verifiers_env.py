"""verifiers on trajectories the env produces: no false positives on good episodes, true
positives on scripted mistakes, and `VerifierReward` as the env's reward.

Agents and users here are package test doubles (`ScriptedAgent`, `ScriptedUser`) and the
deterministic heuristic participants; nothing is LLM output.
"""

from __future__ import annotations

import pytest

from gem_env.env import ToolUseEnv
from gem_env.messages import Message, tool_call
from gem_env.participants import HeuristicAgent, ScriptedAgent, ScriptedUser
from gem_env.rollouts import run_episode
from gem_env.scenario import Scenario
from gem_env.scenarios import bundled_scenarios
from verifiers import OUTCOME_CHECKS, CheckConfigError, VerifierReward, verify

SCENARIOS = bundled_scenarios()


def found(report) -> set[tuple[str, int | None]]:  # type: ignore[no-untyped-def]
    return {(f.code, f.message_index) for _, f in report.findings}


@pytest.fixture(scope="module")
def env() -> ToolUseEnv:
    return ToolUseEnv(scenarios=SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_heuristic_episodes_pass_every_check(env: ToolUseEnv, scenario: Scenario) -> None:
    for seed in (0, 1):
        result = run_episode(env, HeuristicAgent(), scenario=scenario, seed=seed)
        report = verify(result.trajectory)
        assert report.passed, report.findings
        # the JSON round trip (what a rollouts file holds) verifies the same
        again = verify(result.trajectory.model_dump(mode="json", exclude_none=True))
        assert again == report


ORDERS_SCENARIO = Scenario(
    id="orders",
    system_prompt="You are the returns desk of the Northwind store.",
    user={"goal": "Which orders do I have?", "known_info": {"email": "maya.chen@example.com"}},
    required_outputs=["ORD-1001"],
    max_turns=8,
    toolkit="online_store_returns",
)


def scripted_env(**kwargs) -> ToolUseEnv:  # type: ignore[no-untyped-def]
    user = ScriptedUser(["My email is maya.chen@example.com", "Thanks! ###STOP###"])
    return ToolUseEnv(scenarios=[ORDERS_SCENARIO], user=user, **kwargs)


def _find(email: str, call_id: str = "c1") -> Message:
    return Message.assistant(None, [tool_call(call_id, "find_orders", {"email": email})])


def test_a_recovered_mistake_is_a_call_validity_finding_only() -> None:
    agent = ScriptedAgent(
        [
            Message.assistant(None, [tool_call("c0", "find_order", {"email": "x"})]),
            Message.assistant(None, [tool_call("c1", "find_orders", {"mail": "x"})]),
            _find("maya.chen@example.com", "c2"),
            "You have order ORD-1001.",
        ]
    )
    result = run_episode(scripted_env(), agent, scenario="orders", seed=0)
    report = verify(result.trajectory)
    assert found(report) == {("unknown_tool", 2), ("invalid_arguments", 4)}
    for name in ("structure", "replay", "invariants", "goal", "grounding"):
        assert report.check(name).passed, name  # type: ignore[union-attr]


def test_unreadable_turns_answered_by_env_feedback_keep_the_structure_valid() -> None:
    agent = ScriptedAgent(
        [
            '<tool_call>{"name": "find_orders", "arguments": {"email": </tool_call>',
            {"content": "", "tool_calls": []},
            _find("maya.chen@example.com"),
            "You have order ORD-1001.",
        ]
    )
    result = run_episode(scripted_env(), agent, scenario="orders", seed=0)
    trajectory = result.trajectory
    assert trajectory.parse_findings  # type: ignore[attr-defined]
    report = verify(trajectory)
    # the empty turn is a real defect of the record; the order of turns is valid
    assert found(report) == {("empty_message", 4)}


def test_an_invented_id_in_an_env_episode_is_ungrounded() -> None:
    agent = ScriptedAgent([_find("maya.chen@example.com"), "You have ORD-1001."])
    good = run_episode(scripted_env(), agent, scenario="orders", seed=0).trajectory
    assert verify(good).passed
    guesser = ScriptedAgent([_find("maya.chen2@example.com"), "You have ORD-1001."])
    bad = run_episode(scripted_env(), guesser, scenario="orders", seed=0).trajectory
    assert ("ungrounded_argument", 2) in found(verify(bad))


# -- the reward ----------------------------------------------------------------------


def _agent(answer: str) -> ScriptedAgent:
    return ScriptedAgent([_find("maya.chen@example.com"), answer])


def test_verifier_reward_pays_the_env() -> None:
    env = scripted_env(reward=VerifierReward())
    result = run_episode(env, _agent("You have order ORD-1001."), scenario="orders", seed=0)
    assert result.reward == 1.0
    info = result.info["reward_info"]
    assert info["passed"] and info["outcome_passed"] and info["score"] == 1.0
    assert [c["name"] for c in info["checks"]][:2] == ["structure", "call_validity"]
    assert info["verification"]["passed"] is True

    missed = run_episode(env, _agent("You have one order."), scenario="orders", seed=0)
    assert missed.reward == 0.0
    goal = next(c for c in missed.info["reward_info"]["checks"] if c["name"] == "goal")
    assert goal == {"name": "goal", "passed": False, "codes": ["missing_required_output"]}


def test_process_checks_do_not_gate_the_reward_unless_asked() -> None:
    agent = ScriptedAgent(
        [
            Message.assistant(None, [tool_call("c0", "find_order", {"email": "x"})]),
            _find("maya.chen@example.com"),
            "You have order ORD-1001.",
        ]
    )
    trajectory = run_episode(scripted_env(), agent, scenario="orders", seed=0).trajectory
    default = VerifierReward()(trajectory)
    assert default.reward == 1.0 and default.info["passed"] is False
    strict = VerifierReward(outcome=[*OUTCOME_CHECKS, "call_validity"])(trajectory)
    assert strict.reward == 0.0


def test_partial_credit_is_the_fraction_of_goal_items_met() -> None:
    scenario = ORDERS_SCENARIO.model_copy(
        update={"id": "orders2", "required_outputs": ["ORD-1001", "ORD-9999", "Northwind"]}
    )
    user = ScriptedUser(["My email is maya.chen@example.com", "Thanks! ###STOP###"])
    env = ToolUseEnv(scenarios=[scenario], user=user)
    agent = _agent("Northwind has your order ORD-1001.")
    trajectory = run_episode(env, agent, scenario="orders2", seed=0).trajectory
    assert VerifierReward()(trajectory).reward == 0.0
    shaped = VerifierReward(partial_credit=True)(trajectory)
    assert shaped.reward == pytest.approx(2 / 3)
    # a record that does not replay earns nothing, however much of the goal it claims
    broken = trajectory.model_copy(update={"final_state_hash": "sha256:" + "0" * 64})
    assert VerifierReward(partial_credit=True)(broken).reward == 0.0


def test_outcome_checks_must_be_run() -> None:
    with pytest.raises(CheckConfigError, match="not among the checks"):
        VerifierReward(checks=["structure"], outcome=["goal"])
