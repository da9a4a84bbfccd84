"""Agents see what an agent may see; the oracle is named and justified; assertions may
read the recorded calls (`gem_env.goal_calls`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gem_env.env import ToolUseEnv
from gem_env.goal_calls import bind_calls, recorded_calls, uses_calls
from gem_env.messages import Message, tool_call
from gem_env.participants import (
    HeuristicAgent,
    HeuristicUser,
    OracleAgent,
    OracleAgentError,
    ScriptedAgent,
)
from gem_env.participants.explain import rule_evidence
from gem_env.protocols import AgentView, agent_view
from gem_env.rewards import GoalReward
from gem_env.rollouts import run_episode
from gem_env.scenario import Scenario
from gem_env.scenarios import bundled_scenario, bundled_scenarios
from synth.cli import main
from toolkits.examples import load_example
from verifiers import VerifierReward, verify

SCENARIOS = bundled_scenarios()
REFUSALS = [s for s in SCENARIOS if "refuse" in s.id]


class Recorder:
    """Records what `reset` is given; makes no call."""

    name = "recorder"

    def __init__(self) -> None:
        self.seen: list[Any] = []

    def reset(self, view: Any, tools: list[dict[str, Any]], seed: int | None) -> None:
        self.seen.append(view)

    async def act(self, messages: list[Message], tools: list[dict[str, Any]]) -> Message:
        return Message.assistant("###STOP###")


class PrivilegedRecorder(Recorder):
    privileged = True


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_an_agent_without_privilege_never_receives_the_answer_key(scenario: Scenario) -> None:
    agent = Recorder()
    run_episode(ToolUseEnv(scenarios=[scenario]), agent, scenario=scenario, seed=0)
    (view,) = agent.seen
    assert isinstance(view, AgentView) and not isinstance(view, Scenario)
    assert set(AgentView.model_fields) == {"system_prompt", "first_user_message", "tools"}
    assert view.system_prompt == scenario.system_prompt
    assert view.first_user_message == scenario.user.goal  # what the user said first
    assert view.tools == load_example(scenario.toolkit or "").openai_tools()  # as offered
    public = view.system_prompt + "\n" + view.first_user_message + json.dumps(view.tools)
    text = view.model_dump_json()
    for assertion in scenario.goal_assertions:
        assert assertion.expr not in text and (assertion.description or "\0") not in text
    for output in scenario.required_outputs:  # the check also keeps them out of the prompt
        assert output not in view.system_prompt + view.first_user_message
    for value in scenario.user.known_info.values():
        assert json.dumps(value) not in text or json.dumps(value) in public
    assert scenario.id not in text and scenario.user.persona not in text


def test_a_privileged_agent_receives_the_whole_scenario() -> None:
    scenario = SCENARIOS[0]
    agent = PrivilegedRecorder()
    run_episode(ToolUseEnv(scenarios=[scenario]), agent, scenario=scenario, seed=0)
    assert agent.seen == [scenario]


def test_the_oracle_is_privileged_named_and_refuses_a_public_view() -> None:
    assert HeuristicAgent is OracleAgent and OracleAgent.name == "oracle"
    assert OracleAgent.privileged is True
    scenario = SCENARIOS[0]
    with pytest.raises(OracleAgentError, match="privileged"):
        OracleAgent().reset(agent_view(scenario, [], scenario.user.goal), [], 0)


def test_provenance_names_the_agent_and_the_user() -> None:
    scenario = SCENARIOS[0]
    episode = run_episode(ToolUseEnv(scenarios=[scenario]), OracleAgent(), scenario=scenario)
    assert episode.trajectory.provenance.models == {"user": "heuristic_user", "agent": "oracle"}


# -- the oracle's refusals are justified by what it read ------------------------------


@pytest.mark.parametrize("scenario", REFUSALS, ids=[s.id for s in REFUSALS])
def test_the_oracle_refuses_after_a_read_citing_the_rule_and_the_observed_value(
    scenario: Scenario,
) -> None:
    agent = OracleAgent()
    episode = run_episode(ToolUseEnv(scenarios=[scenario]), agent, scenario=scenario)
    messages = episode.trajectory.messages
    closing = next(m for m in reversed(messages) if m.role == "assistant" and m.content)
    reads = [m.content or "" for m in messages[: messages.index(closing)] if m.role == "tool"]
    assert reads, "it refuses only after a read"
    assert agent.plan is not None
    cited = rule_evidence(agent.plan, scenario)
    assert cited is not None and cited.rule in scenario.system_prompt
    assert f"Our policy says: {cited.rule}" in (closing.content or "")
    assert cited.observations, "a value a read returned shows the rule applies"
    for seen in cited.observations:  # each observed value is in a result it received
        pair = f"{json.dumps(seen.key)}:{json.dumps(seen.value, separators=(',', ':'))}"
        assert any(pair in result for result in reads), pair
        assert seen.text() in (closing.content or "")
    assert episode.reward == 1.0


def test_the_oracle_cites_no_rule_its_reads_do_not_show() -> None:
    scenario = bundled_scenario("clinic_refuse_booking_with_unpaid_balance").model_copy(
        update={"system_prompt": "You are the clinic's front desk.\nPolicy:\n- Be kind."}
    )
    episode = run_episode(ToolUseEnv(scenarios=[scenario]), OracleAgent(), scenario=scenario)
    closing = episode.trajectory.messages[-2].content or ""
    assert "policy says" not in closing and "found no way" in closing


def test_the_oracle_never_pastes_required_outputs() -> None:
    scenario = bundled_scenario("clinic_refuse_booking_with_unpaid_balance").model_copy(
        update={"required_outputs": ["ZEBRA-42"]}
    )
    episode = run_episode(ToolUseEnv(scenarios=[scenario]), OracleAgent(), scenario=scenario)
    said = " ".join(m.content or "" for m in episode.trajectory.messages if m.role == "assistant")
    assert "ZEBRA-42" not in said and episode.reward == 0.0


# -- assertions over the recorded calls -----------------------------------------------


def test_recorded_calls_pair_each_call_with_its_result() -> None:
    messages = [
        Message.system("s"),
        Message.user("u"),
        Message.assistant(None, [tool_call("c1", "get_order", {"order_id": "ORD-1"})]),
        Message.tool("c1", '{"error": "No order ORD-1"}'),
        Message.assistant(
            None, [tool_call("c2", "find_orders", {"email": "a@b.c"}), tool_call("c3", "x", {})]
        ),
        Message.tool("c2", '{"orders": []}'),
    ]
    messages[4].tool_calls[1].function.arguments = "{not json"  # type: ignore[index]
    assert recorded_calls(messages) == [
        {"name": "get_order", "arguments": {"order_id": "ORD-1"}, "ok": False,
         "result": {"error": "No order ORD-1"}, "user_turn": 0},
        {"name": "find_orders", "arguments": {"email": "a@b.c"}, "ok": True,
         "result": {"orders": []}, "user_turn": 0},
        {"name": "x", "arguments": None, "ok": False, "result": None, "user_turn": 0},
    ]  # fmt: skip


def test_recorded_calls_know_their_user_turn() -> None:
    messages = [
        Message.system("s"),
        Message.user("first"),
        Message.assistant(None, [tool_call("c1", "a", {})]),
        Message.tool("c1", "1"),
        Message(role="user", content="unreadable", name="gem_env"),  # env feedback: no turn
        Message.assistant(None, [tool_call("c2", "b", {})]),
        Message.tool("c2", "2"),
        Message.assistant("done"),
        Message.user("second"),
        Message.assistant(None, [tool_call("c3", "c", {})]),
        Message.tool("c3", "3"),
    ]
    assert [c["user_turn"] for c in recorded_calls(messages)] == [0, 0, 1]


def test_bind_calls_leaves_state_assertions_alone_and_binds_a_literal() -> None:
    assert bind_calls("state['x'] == 1", [{"a": 1}]) == "state['x'] == 1"
    assert uses_calls("len(calls) == 1") and not uses_calls("state['calls'] == 1")
    bound = bind_calls("len(calls) == 1 and calls[0]['v'] is None", [{"v": float("nan")}])
    assert eval(bound, {"state": {}}) is True  # a literal we built


def _evidence_trajectory(read: bool) -> Any:
    scenario = bundled_scenario("store_refuse_final_sale_change_of_mind")
    turns: list[Any] = []
    if read:
        turns.append({"tool_calls": [tool_call("r1", "get_order", {"order_id": "ORD-1004"})]})
    turns.append("I'm sorry, the scarf was sold as final sale and cannot be returned.")
    agent = ScriptedAgent(turns)
    env = ToolUseEnv(scenarios=[scenario], user=HeuristicUser(), reward=GoalReward())
    return run_episode(env, agent, scenario=scenario, seed=0)


@pytest.mark.parametrize("read", [True, False])
def test_the_reward_and_the_verifier_agree_on_an_assertion_over_calls(read: bool) -> None:
    episode = _evidence_trajectory(read)
    assert episode.reward == float(read)
    report = verify(episode.trajectory)
    goal = next(c for c in report.checks if c.name == "goal")
    assert goal.passed is read
    assert VerifierReward()(episode.trajectory).reward == float(read)


# -- the eval command names the oracle and guards its scenarios -------------------------


def test_eval_names_the_oracle_and_accepts_the_old_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps([REFUSALS[0].model_dump()]))
    args = ["eval", "--scenarios", str(path), "-k", "1", "--no-progress"]
    assert main([*args, "--model", "heuristic", "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr()
    assert "old name of the embedded oracle" in out.err and "--model oracle" in out.err
    assert out.out.startswith("agent oracle (privileged")
    report = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert report["model"] == "oracle" and report["agent_privileged"] is True


def test_eval_refuses_scenarios_that_pay_without_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loophole = REFUSALS[0].model_dump()
    loophole["required_outputs"] = ["billing office"]  # the policy says it
    loophole["goal_assertions"] = loophole["goal_assertions"][:1]
    path = tmp_path / "s.json"
    path.write_text(json.dumps([loophole]))
    args = ["eval", "--scenarios", str(path), "--model", "oracle", "-k", "1", "--no-progress"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "pays_echo" in err and "--no-scenario-check" in err
    assert not (tmp_path / "a").exists()  # nothing ran
    assert main([*args, "--out", str(tmp_path / "b"), "--no-scenario-check"]) == 0


def test_the_env_tells_a_listening_user_the_tools() -> None:
    told: list[list[str]] = []

    class Listening(HeuristicUser):
        def use_tools(self, tools: Any) -> None:
            told.append([t["function"]["name"] for t in tools])
            super().use_tools(tools)

    scenario = SCENARIOS[0]
    run_episode(ToolUseEnv(scenarios=[scenario], user=Listening()), Recorder(), scenario=scenario)
    assert told and "find_patient" in told[0]
