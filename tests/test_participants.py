"""Participants: scripted doubles, the heuristic agent and user, LLM participants, fidelity.

The heuristic pair is driven by a small loop of this file (not by the env): agent turn
-> tool calls executed with `Toolkit.call` -> tool messages; a text turn -> the user's
reply. Every bundled scenario must be solved, grounded and replayable.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from pathlib import Path
from typing import Any

import pytest

from gem_env.goal_calls import recorded_calls
from gem_env.goals import assertion_outcomes
from gem_env.messages import Message, tool_call
from gem_env.parsing import parse_action
from gem_env.participants import (
    STOP_MARKER,
    HeuristicAgent,
    HeuristicAgentError,
    HeuristicUser,
    LLMAgent,
    LLMUser,
    ScriptedAgent,
    ScriptedUser,
    check_user_turn,
    run_sync,
)
from gem_env.protocols import Agent, ChatModel, UserReply, UserSimulator, reset_agent
from gem_env.scenario import Scenario
from gem_env.scenarios import bundled_scenario, bundled_scenarios
from toolkits import Toolkit, ToolkitSpec, compile_toolkit, load_toolkit
from toolkits.examples import load_example

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SCENARIOS = bundled_scenarios()
IDS = [s.id for s in SCENARIOS]
SHARED_AGENT = HeuristicAgent()  # one agent across episodes, as rollouts use it


@functools.cache
def _spec(name: str) -> ToolkitSpec:
    return load_example(name)


def fresh_toolkit(scenario: Scenario) -> Toolkit:
    toolkit = Toolkit(_spec(scenario.toolkit or ""))
    toolkit.reset(scenario.initial_state)
    return toolkit


# -- the loop -------------------------------------------------------------------------


class Episode:
    """What `play` returns: the toolkit in its final state, the messages, the findings."""

    def __init__(self, toolkit: Toolkit, messages: list[Message], stopped: bool, findings: list):
        self.toolkit, self.messages, self.stopped, self.findings = (
            toolkit,
            messages,
            stopped,
            findings,
        )

    def calls(self) -> list[tuple[str, str, str]]:
        """(name, arguments, content of its tool message) of every call, in order."""
        results = {m.tool_call_id: m.content for m in self.messages if m.role == "tool"}
        return [
            (c.function.name, c.function.arguments, results[c.id])
            for m in self.messages
            if m.role == "assistant"
            for c in m.tool_calls or []
        ]

    def said(self) -> str:
        return "\n".join(m.content or "" for m in self.messages if m.role == "assistant")

    def unmet(self, scenario: Scenario) -> list[str]:
        """The goal assertions that do not hold (over the final state and the calls)."""
        calls = recorded_calls(self.messages)
        outcomes = assertion_outcomes(self.toolkit, scenario.goal_assertions, calls=calls)
        return [o.description or o.expr for o in outcomes if not o.holds]


def play(
    scenario: Scenario, agent: Any, user: Any, seed: int = 0, spec: ToolkitSpec | None = None
) -> Episode:
    toolkit = fresh_toolkit(scenario) if spec is None else Toolkit(spec)
    toolkit.reset(scenario.initial_state)
    opening = user.reset(scenario, seed)
    messages = [Message.system(scenario.system_prompt), Message.user(opening)]
    reset_agent(agent, scenario, toolkit.tools, opening, seed)  # the oracle gets the scenario
    findings, stopped = [], False
    for _ in range(scenario.max_turns):
        action = parse_action(asyncio.run(agent.act(list(messages), toolkit.tools)))
        findings += action.findings
        messages.append(action.message)
        if action.tool_calls:
            for call in action.tool_calls:
                result = toolkit.call(call.function.name, call.function.arguments)
                messages.append(Message.tool(call.id, result.content))
            continue
        reply = user.reply(list(messages))
        messages.append(Message.user(reply.content))
        if reply.stop:
            stopped = True
            break
    return Episode(toolkit, messages, stopped, findings)


def _enum_values(schema: Any) -> set[Any]:
    if isinstance(schema, dict):
        found = set(schema.get("enum", []))
        for value in schema.values():
            found |= _enum_values(value)
        return found
    if isinstance(schema, list):
        return {v for item in schema for v in _enum_values(item)}
    return set()


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    return [value]


def ungrounded(episode: Episode) -> list[str]:
    """DESIGN.md section 4, grounding: id-like and numeric argument values must appear
    verbatim, word-bounded, in an earlier system, user or tool message."""
    enums = {
        t["function"]["name"]: _enum_values(t["function"]["parameters"])
        for t in episode.toolkit.tools
    }
    problems, seen = [], []
    for m in episode.messages:
        for call in m.tool_calls or []:
            for value in _leaves(json.loads(call.function.arguments)):
                if isinstance(value, bool) or value in enums[call.function.name]:
                    continue
                if isinstance(value, (int, float)) and value in (0, 1):
                    continue
                text = str(value)
                if not isinstance(value, (int, float)) and not re.search(r"[0-9@]", text):
                    continue
                bounded = r"(?<![A-Za-z0-9_])" + re.escape(text) + r"(?![A-Za-z0-9_])"
                if not any(re.search(bounded, earlier) for earlier in seen):
                    problems.append(f"{call.function.name}: {text}")
        if m.role in ("system", "user", "tool"):
            seen.append(m.content or "")
    return problems


# -- the heuristic pair solves every bundled scenario ----------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_heuristic_agent_and_user_solve_the_scenario(scenario: Scenario) -> None:
    episode = play(scenario, SHARED_AGENT, HeuristicUser())
    failed = episode.unmet(scenario)
    assert not failed, failed
    said = episode.said().lower()
    assert all(r.lower() in said for r in scenario.required_outputs)
    assert episode.stopped and not episode.findings
    turns = [m for m in episode.messages if m.role == "assistant"]
    assert all(len(m.tool_calls or []) <= 1 for m in turns), "one tool call per turn"
    assert all('"error"' not in content for _, _, content in episode.calls())
    assert not ungrounded(episode)
    assert not episode.toolkit.check_invariants()
    for m in episode.messages:  # the user says nothing it was not given
        if m.role == "user":
            assert check_user_turn(m.content or "", scenario) == []
    initial = fresh_toolkit(scenario).state_hash()
    if "refuse" in scenario.id:
        assert episode.toolkit.state_hash() == initial, "a refusal changes nothing"
        assert "can't" in said
    else:
        assert episode.calls() and episode.toolkit.state_hash() != initial


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_heuristic_trajectories_replay_to_the_same_state_hash(scenario: Scenario) -> None:
    episode = play(scenario, SHARED_AGENT, HeuristicUser())
    fresh = compile_toolkit(load_example(scenario.toolkit or ""))  # the public path
    fresh.reset(scenario.initial_state)
    for name, arguments, content in episode.calls():
        assert json.loads(fresh.call(name, arguments).content) == json.loads(content)
    assert fresh.state_hash() == episode.toolkit.state_hash()


def test_facts_are_revealed_only_when_asked_and_then_used() -> None:
    scenario = bundled_scenario("store_refund_defective_headphones")
    episode = play(scenario, SHARED_AGENT, HeuristicUser())
    opening = episode.messages[1].content or ""
    assert "maya.chen@example.com" not in opening
    ask = episode.messages[2]
    assert ask.role == "assistant" and "email" in (ask.content or "") and not ask.tool_calls
    answer = episode.messages[3].content or ""
    assert "maya.chen@example.com" in answer and "97205" in answer
    first_call = episode.messages[4].tool_calls[0]  # type: ignore[index]
    assert json.loads(first_call.function.arguments) == {"email": "maya.chen@example.com"}


def test_episodes_are_deterministic() -> None:
    scenario = bundled_scenario("it_unlock_and_reset_password")
    one = play(scenario, HeuristicAgent(), HeuristicUser(), seed=1)
    two = play(scenario, HeuristicAgent(), HeuristicUser(), seed=2)
    assert [m.to_openai() for m in one.messages] == [m.to_openai() for m in two.messages]


def test_participants_implement_the_protocols() -> None:
    assert isinstance(HeuristicAgent(), Agent) and isinstance(HeuristicUser(), UserSimulator)
    assert isinstance(ScriptedAgent([]), Agent) and isinstance(ScriptedUser(["hi"]), UserSimulator)
    model = FakeChatModel([])
    assert isinstance(model, ChatModel)
    assert isinstance(LLMAgent(model), Agent) and isinstance(LLMUser(model), UserSimulator)


# -- the heuristic agent ---------------------------------------------------------------


def test_heuristic_agent_uses_only_the_tools_it_is_offered() -> None:
    scenario = bundled_scenario("store_refund_defective_headphones")
    toolkit = compile_toolkit(load_example("online_store_returns"))
    offered = [t for t in toolkit.tools if t["function"]["name"] != "issue_return_label"]
    agent = HeuristicAgent(max_calls=2_000)
    agent.reset(scenario, offered, 0)
    assert agent.plan is not None and not agent.plan.solved  # the label is part of the goal
    assert agent.plan.reason == "no_plan_found" and agent.plan.calls_tried <= 2_000 + 50
    names = {c.name for c in agent.plan.calls}
    assert names <= {t["function"]["name"] for t in offered}


def test_heuristic_agent_takes_a_toolkit_for_scenarios_that_name_none() -> None:
    scenario = bundled_scenario("store_cancel_open_return").model_copy(update={"toolkit": None})
    with pytest.raises(HeuristicAgentError, match="toolkit"):
        HeuristicAgent().reset(scenario, [], 0)
    agent = HeuristicAgent(toolkit=load_example("online_store_returns"))
    agent.reset(scenario, [], 0)
    assert agent.plan is not None and agent.plan.solved
    assert [c.name for c in agent.plan.calls][-1] == "cancel_rma"


def test_heuristic_agent_plans_on_a_toolkit_it_has_never_seen() -> None:
    """The library fixture is no bundled example: the plan comes from its schemas, the
    user's facts and words of the goal (a search for "gardening")."""
    spec = load_toolkit(FIXTURES / "toolkit-library_loans.json")
    line = (FIXTURES / "trajectory-library_loans.jsonl").read_text().splitlines()[0]
    scenario = Scenario.model_validate(json.loads(line)["scenario"])
    episode = play(scenario, HeuristicAgent(toolkit=spec), HeuristicUser(), spec=spec)
    assert not episode.unmet(scenario)
    assert "day 221" in episode.said() and episode.stopped and not ungrounded(episode)
    assert [name for name, _, _ in episode.calls()] == ["find_book", "borrow_book"]


def test_heuristic_agent_stops_when_a_result_differs_from_its_plan() -> None:
    scenario = bundled_scenario("store_cancel_open_return")
    agent = HeuristicAgent()
    agent.reset(scenario, [], 0)
    messages = [Message.system(scenario.system_prompt), Message.user(scenario.user.goal)]
    while True:
        turn = agent.next_message(messages)
        messages.append(turn)
        if turn.tool_calls:
            break
        messages.append(Message.user("- email: maya.chen@example.com"))
    messages.append(Message.tool(turn.tool_calls[0].id, '{"error": "service unavailable"}'))
    report = agent.next_message(messages)
    assert not report.tool_calls and "service unavailable" in (report.content or "")
    assert "could not" in (report.content or "")


# -- the heuristic user ----------------------------------------------------------------


def test_heuristic_user_reveals_only_what_is_asked() -> None:
    scenario = bundled_scenario("store_refund_defective_headphones")
    user = HeuristicUser()
    assert user.reset(scenario, 0) == scenario.user.goal

    def answer(text: str) -> UserReply:
        return user.reply([Message.user(scenario.user.goal), Message.assistant(text)])

    reply = answer("Could you give me the email address on your account?")
    assert "maya.chen@example.com" in reply.content and not reply.stop
    assert "UPS" not in reply.content and "97205" not in reply.content
    assert "97205" in answer("What is the postal code you ship from?").content
    assert "Portland" in answer("Please provide your return address.").content
    assert answer("What is your favourite colour?").content == "Sorry, I don't know that."
    assert answer("Shall I go ahead and open the return?").content.startswith("Yes")
    assert not answer("Let me check that for you.").stop
    done = answer("Your return RMA-5002 is open. Is there anything else I can help you with?")
    assert done.stop
    refused = answer("I'm sorry, but I can't help with that.")
    assert refused.stop


def test_heuristic_user_gives_up_after_max_replies() -> None:
    user = HeuristicUser(max_replies=2)
    scenario = SCENARIOS[0]
    user.reset(scenario, 0)
    messages = [Message.user(scenario.user.goal), Message.assistant("Hmm.")]
    assert not user.reply(messages).stop
    assert not user.reply(messages).stop
    assert user.reply(messages).stop


# -- scripted doubles ------------------------------------------------------------------


def test_scripted_agent_and_user_replay_their_turns() -> None:
    scenario = bundled_scenario("store_cancel_open_return")
    agent = ScriptedAgent(
        [
            Message.assistant(None, [tool_call("c1", "get_rma", {"rma_id": "RMA-5002"})]),
            {"content": "RMA-5002 is open."},
        ]
    )
    user = ScriptedUser(["Is my return open?", f"Great, thanks. {STOP_MARKER}"])
    episode = play(scenario, agent, user)
    assert episode.stopped
    assert [m.role for m in episode.messages] == [
        "system", "user", "assistant", "tool", "assistant", "user",
    ]  # fmt: skip
    assert episode.messages[-1].content == "Great, thanks."
    assert '"status":"open"' in episode.messages[3].content  # type: ignore[operator]
    assert len(agent.seen) == 2 and len(user.seen) == 1
    assert asyncio.run(agent.act([], [])).content == "Goodbye."  # type: ignore[union-attr]
    assert user.reply([]).stop


# -- LLM participants with a fake model ------------------------------------------------


class FakeChatModel:
    """A hand-written stand-in for an LLM backend (not model output): it returns the
    given answers in order and records every request."""

    name = "fake-model"

    def __init__(self, answers: list[Any]):
        self.answers = list(answers)
        self.requests: list[dict[str, Any]] = []

    async def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]] | None = None,
        temperature: float | None = None,
        seed: int | None = None,
    ) -> Any:
        self.requests.append({"messages": messages, "tools": tools, "seed": seed})
        return self.answers.pop(0) if self.answers else {"role": "assistant", "content": "ok"}


def _call(name: str, arguments: dict[str, Any], call_id: str) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
        ],
    }


def test_llm_agent_solves_a_scenario_with_a_scripted_model_and_survives_garbage() -> None:
    scenario = bundled_scenario("store_cancel_open_return")
    model = FakeChatModel(
        [
            {"role": "assistant", "content": "Sure. What is the email on your account?"},
            {"content": None, "tool_calls": "not a list"},  # malformed: no crash
            _call("find_orders", {"email": "maya.chen@example.com"}, "a1"),
            "<tool_call>{broken json</tool_call>",  # malformed text call: a finding
            _call("get_order", {"order_id": "ORD-1001"}, "a2"),
            _call("cancel_rma", {"rma_id": "RMA-5002"}, "a3"),
            {"role": "assistant", "content": "RMA-5002 is cancelled. Anything else?"},
        ]
    )
    episode = play(scenario, LLMAgent(model), HeuristicUser(), seed=7)
    assert not episode.unmet(scenario)
    assert episode.stopped
    assert {f.code for f in episode.findings} == {"unparseable_tool_call"}
    first = model.requests[0]
    assert first["tools"] and first["seed"] == 7 and model.requests[1]["seed"] == 8
    assert first["messages"][0] == {"role": "system", "content": scenario.system_prompt}
    assert any(m.get("role") == "tool" for m in model.requests[-1]["messages"])


def test_llm_agent_turns_a_non_dict_answer_into_a_message() -> None:
    agent = LLMAgent(FakeChatModel([42, None]))
    agent.reset(SCENARIOS[0], [], None)
    out = asyncio.run(agent.act([Message.user("hi")], []))
    assert parse_action(out).message.content == "42"
    assert parse_action(asyncio.run(agent.act([Message.user("hi")], []))).findings


def test_llm_user_hides_the_goal_reveals_when_asked_and_stops() -> None:
    scenario = bundled_scenario("clinic_refuse_booking_with_unpaid_balance")
    model = FakeChatModel(
        [
            {"role": "assistant", "content": "Hello, I'd like to book my annual physical."},
            {"role": "assistant", "content": "It's Adler, born 1949-01-09."},
            {"role": "assistant", "content": None},  # malformed: no crash
            {"role": "assistant", "content": f"I see, thank you. {STOP_MARKER}"},
        ]
    )
    user = LLMUser(model)
    opening = user.reset(scenario, 3)
    assert opening.startswith("Hello")
    system = model.requests[0]["messages"][0]["content"]
    assert scenario.user.goal in system and "1949-01-09" in system and STOP_MARKER in system
    convo = [
        Message.system(scenario.system_prompt),
        Message.user(opening),
        Message.assistant("Could I have your last name and date of birth?"),
    ]
    reply = user.reply(convo)
    assert reply.content == "It's Adler, born 1949-01-09." and not reply.stop
    sent = model.requests[1]["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert scenario.system_prompt not in json.dumps(sent)  # the agent's policy is hidden
    convo += [
        Message.user(reply.content),
        Message.assistant(None, [tool_call("c1", "find_patient", {"last_name": "Adler"})]),
        Message.tool("c1", '{"matches": []}'),
        Message.assistant("Sorry, you have an unpaid balance."),
    ]
    garbled = user.reply(convo)
    assert garbled.content and not garbled.stop and user.malformed == 1
    assert "find_patient" not in json.dumps(model.requests[2]["messages"])  # tools hidden
    last = user.reply(convo)
    assert last.stop and last.content == "I see, thank you."
    assert user.findings == []


def test_llm_user_records_invented_facts_and_runs_inside_an_event_loop() -> None:
    scenario = bundled_scenario("clinic_refuse_booking_with_unpaid_balance")
    model = FakeChatModel(
        [
            {"role": "assistant", "content": "Hi, I need a physical."},
            {"role": "assistant", "content": "My member id is SP-99999."},
        ]
    )
    user = LLMUser(model)

    async def inside_a_loop() -> UserReply:
        user.reset(scenario, None)
        return user.reply([Message.user("Hi"), Message.assistant("Your insurance id?")])

    reply = asyncio.run(inside_a_loop())
    assert reply.content == "My member id is SP-99999."
    assert [f.value for f in user.findings] == ["SP-99999"]


def test_run_sync_works_with_and_without_a_running_loop() -> None:
    async def seven() -> int:
        return 7

    async def nested() -> int:
        return run_sync(seven())

    assert run_sync(seven()) == 7
    assert asyncio.run(nested()) == 7


# -- the fidelity guard ----------------------------------------------------------------


def test_fidelity_flags_invented_facts_and_not_faithful_turns() -> None:
    scenario = bundled_scenario("store_refund_defective_headphones")
    invented = check_user_turn(
        "My order is ORD-7777, email maya@else.com, bought on 2025-02-30 for 45 dollars; "
        "my husband Roberto ordered it.",
        scenario,
    )
    kinds = {f.kind: f.value for f in invented}
    assert kinds == {
        "id": "ORD-7777",
        "email": "maya@else.com",
        "date": "2025-02-30",
        "number": "45",
        "name": "Roberto",
    }
    assert all(f.code == "user_invented_fact" for f in invented)
    faithful = (
        "Sure, here you go:\n- email: maya.chen@example.com\n- carrier: UPS\n"
        "- return address: name: Maya Chen, street: 42 Harbor Street, city: Portland, "
        "postal code: 97205, country: US"
    )
    assert check_user_turn(faithful, scenario) == []
    assert check_user_turn("The wireless headphones stopped working. Thanks!", scenario) == []
    told = "Is RMA-5002 my return number?"
    assert [f.value for f in check_user_turn(told, scenario)] == ["RMA-5002"]
    assert check_user_turn(told, scenario, context=["Your return is RMA-5002."]) == []
    assert check_user_turn(f"Thanks, bye {STOP_MARKER}", scenario) == []


# -- through the env (when it exists) --------------------------------------------------


def test_heuristic_participants_through_the_env() -> None:
    env_module = pytest.importorskip("gem_env.env")
    rollouts = pytest.importorskip("gem_env.rollouts")
    env = env_module.ToolUseEnv(user=HeuristicUser())
    agent = HeuristicAgent()
    for scenario in SCENARIOS:
        result = rollouts.run_episode(env, agent, scenario=scenario.id, seed=5)
        assert result.reward == 1.0, scenario.id
        assert str(result.trajectory.termination) == "user_stop"
