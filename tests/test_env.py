"""The gymnasium env: registration, spaces, episodes, rewards, determinism, replay, vectors."""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import gem_env
from gem_env import registration
from gem_env.env import FEEDBACK_NAME, GoalOnceUser, ToolUseEnv, default_user
from gem_env.errors import (
    EnvConfigError,
    InvalidActionError,
    NoScenariosError,
    ResetNeededError,
    ScenarioError,
    UnknownScenarioError,
)
from gem_env.messages import Message, tool_call
from gem_env.protocols import RewardResult
from gem_env.rewards import GoalReward, replay
from gem_env.scenario import Scenario
from gem_env.spaces import AssistantActionSpace, ConversationSpace, decode_action
from gem_env.trajectory import Termination, parse_trajectory
from toolkits import compile_toolkit, dump_toolkit
from toolkits.examples import example_names, example_path, load_example

ENV_ID = "gem_env/ToolUse-v0"
STORE = "online_store_returns"
RMA_ARGS = {
    "order_id": "ORD-1001",
    "items": [{"line_id": "L1", "quantity": 1, "reason": "wrong_size", "condition": "unopened"}],
    "resolution": "refund",
}
RETURN = {
    "id": "store-return-tee",
    "system_prompt": "You are the returns desk of an online store. Follow the policy.",
    "user": {"goal": "Return one tee from order ORD-1001 for a refund", "persona": "brief"},
    "goal_assertions": [
        {
            "description": "an RMA exists for ORD-1001",
            "expr": "any(r['order_id'] == 'ORD-1001' for r in state['rmas'].values())",
        }
    ],
    "required_outputs": ["RMA-5002"],
    "max_turns": 6,
    "toolkit": STORE,
}


def smoke(name: str, **extra: Any) -> dict[str, Any]:
    """A tiny scenario for an example toolkit (until bundled scenarios exist)."""
    return {
        "id": f"{name}-smoke",
        "system_prompt": f"You operate the {name} desk.",
        "user": {"goal": "I need help with my request."},
        "goal_assertions": [{"description": "state is intact", "expr": "len(state) > 0"}],
        "max_turns": 4,
        "toolkit": name,
        **extra,
    }


def call_text(name: str, arguments: dict[str, Any] | str, call_id: str = "c1") -> str:
    return json.dumps(Message.assistant(None, [tool_call(call_id, name, arguments)]).to_openai())


def make(**kwargs: Any) -> Any:
    kwargs.setdefault("toolkit", STORE)
    kwargs.setdefault("scenarios", [RETURN, smoke(STORE)])
    kwargs.setdefault("user", GoalOnceUser())
    return gymnasium.make(ENV_ID, **kwargs)


def messages_of(observation: dict[str, str]) -> list[dict[str, Any]]:
    return json.loads(observation["messages"])


# -- registration and construction ----------------------------------------------------


def test_registered_on_import_and_make_adds_a_time_limit() -> None:
    assert gem_env.__doc__ and ENV_ID in gymnasium.registry
    env = make()
    assert isinstance(env, gymnasium.wrappers.TimeLimit)
    assert env.spec.max_episode_steps == registration.MAX_EPISODE_STEPS
    assert isinstance(env.unwrapped, ToolUseEnv)
    env.close()
    env.close()  # idempotent


@pytest.mark.parametrize("name", example_names())
def test_check_env_passes_on_every_example_toolkit(name: str) -> None:
    env = gymnasium.make(ENV_ID, toolkit=name, scenarios=[smoke(name)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any gymnasium checker warning fails the test
        check_env(env.unwrapped)
    env.close()


def test_make_without_arguments_serves_the_bundled_scenarios() -> None:
    if not list(registration.SCENARIOS_DIR.glob("*.json")):
        pytest.skip("no bundled scenarios yet (gem_env/scenarios/*.json)")
    env = gymnasium.make(ENV_ID)
    base = env.unwrapped
    served = {s.id for s in base.scenarios}
    assert served and all(s.toolkit in example_names() for s in base.scenarios)
    for scenario in base.scenarios:
        _, info = env.reset(seed=0, options={"scenario": scenario.id})
        assert info["scenario_id"] == scenario.id and info["toolkit"] == scenario.toolkit
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(base)
    env.close()


@pytest.mark.parametrize("missing", [True, False])
def test_empty_or_missing_scenarios_directory_is_a_typed_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, missing: bool
) -> None:
    directory = tmp_path / "nothing" if missing else tmp_path
    monkeypatch.setattr(registration, "SCENARIOS_DIR", directory)
    with pytest.raises(NoScenariosError, match="pass scenarios="):
        ToolUseEnv()
    with pytest.raises(NoScenariosError, match=STORE):
        ToolUseEnv(toolkit=STORE)


def test_toolkit_and_scenarios_accept_objects_dicts_paths_and_names(tmp_path: Path) -> None:
    spec = load_example(STORE)
    toolkit_file = tmp_path / "toolkit.json"
    toolkit_file.write_text(json.dumps(dump_toolkit(spec)))
    scenarios_file = tmp_path / "scenarios.json"
    scenarios_file.write_text(json.dumps([RETURN]))
    toolkits = [spec, dump_toolkit(spec), toolkit_file, str(example_path(STORE)), STORE]
    toolkits.append(compile_toolkit(spec))
    scenario_sources = [[Scenario.model_validate(RETURN)], [RETURN], scenarios_file, RETURN]
    for toolkit, scenarios in zip(toolkits, scenario_sources * 2):
        env = ToolUseEnv(toolkit=toolkit, scenarios=scenarios, user=GoalOnceUser())
        _, info = env.reset(seed=0)
        assert info["scenario_id"] == RETURN["id"] and info["toolkit"] == STORE
        assert [t["function"]["name"] for t in info["tools"]] == spec.tool_names


def test_scenarios_are_validated_before_any_episode() -> None:
    bad = [
        smoke(STORE, id="a", goal_assertions=[{"expr": "import os"}]),
        smoke(STORE, id="b", initial_state={"today": 5}),
        smoke("no_such_toolkit", id="c"),
    ]
    with pytest.raises(ScenarioError) as caught:
        ToolUseEnv(scenarios=bad)
    text = str(caught.value)
    assert "goal_assertions[0].expr" in text and "initial_state" in text
    assert "no_such_toolkit" in text
    with pytest.raises(ScenarioError, match="duplicate"):
        ToolUseEnv(toolkit=STORE, scenarios=[RETURN, RETURN])
    with pytest.raises(EnvConfigError):
        ToolUseEnv(toolkit=STORE, scenarios=[RETURN], render_mode="human")


def test_several_toolkits_from_scenario_names() -> None:
    names = example_names()
    env = ToolUseEnv(scenarios=[smoke(n) for n in names], user=GoalOnceUser())
    space = env.action_space
    assert set(space.tool_names) == {t for n in names for t in load_example(n).tool_names}
    for name in names:
        _, info = env.reset(seed=1, options={"scenario": f"{name}-smoke"})
        assert info["toolkit"] == name
    env.action_space.seed(3)
    for _ in range(10):
        assert env.action_space.sample() in env.action_space


# -- reset and step -------------------------------------------------------------------


def test_reset_picks_by_id_object_or_dict_else_draws_from_np_random() -> None:
    env = make().unwrapped
    observation, info = env.reset(seed=0, options={"scenario": RETURN["id"]})
    first = messages_of(observation)
    assert [m["role"] for m in first] == ["system", "user"]
    assert first[0]["content"] == RETURN["system_prompt"]
    assert first[1]["content"] == RETURN["user"]["goal"]
    assert set(info) == {"scenario_id", "toolkit", "tools", "seed"} and info["seed"] == 0
    ad_hoc = smoke(STORE, id="ad-hoc")
    assert env.reset(options={"scenario": ad_hoc})[1]["scenario_id"] == "ad-hoc"
    assert env.reset(options={"scenario": Scenario(**ad_hoc)})[1]["scenario_id"] == "ad-hoc"
    drawn = {env.reset(seed=s)[1]["scenario_id"] for s in range(20)}
    assert drawn == {RETURN["id"], f"{STORE}-smoke"}
    assert [env.reset(seed=7)[1]["scenario_id"] for _ in range(3)] == [
        env.reset(seed=7)[1]["scenario_id"]
    ] * 3
    with pytest.raises(UnknownScenarioError, match="did you mean 'store-return-tee'"):
        env.reset(options={"scenario": "store-return-te"})
    with pytest.raises(EnvConfigError, match="scenario"):
        env.reset(options={"scenaro": RETURN["id"]})


def test_a_tool_failure_is_an_observation_and_leaves_the_state_unchanged() -> None:
    env = make().unwrapped
    env.reset(seed=0, options={"scenario": RETURN["id"]})
    before = env.toolkit.state_hash()
    actions = [
        call_text("no_such_tool", {}),
        call_text("get_order", {"order_id": 5}),
        call_text("get_order", "{not json"),
        call_text("issue_refund", {"rma_id": "RMA-9999"}),
    ]
    kinds = []
    for action in actions:
        observation, reward, terminated, truncated, info = env.step(action)
        assert (reward, terminated, truncated) == (0.0, False, False)
        last = messages_of(observation)[-1]
        assert last["role"] == "tool" and "error" in json.loads(last["content"])
        kinds.append(info["tool_results"][0]["error_kind"])
    assert kinds == ["unknown_tool", "invalid_arguments", "malformed_arguments", "tool_error"]
    assert env.toolkit.state_hash() == before
    ids = [c.id for m in env.messages for c in m.tool_calls or []]
    assert len(ids) == len(set(ids)) == 4  # repeated call ids are made unique


def test_unparseable_turn_gets_feedback_and_a_recorded_finding() -> None:
    env = make().unwrapped
    env.reset(seed=0, options={"scenario": RETURN["id"]})
    observation, _, terminated, truncated, info = env.step("<tool_call>{broken</tool_call>")
    assert not terminated and not truncated
    assert [f["code"] for f in info["findings"]] == ["unparseable_tool_call"]
    assert info["findings"][0]["message_index"] == 2 and info["findings"][0]["raw"] == "{broken"
    feedback = messages_of(observation)[-1]
    assert feedback["role"] == "user" and feedback["name"] == FEEDBACK_NAME
    _, _, _, _, info = env.step("")  # empty output: a finding too, never sent to the user
    assert [f["code"] for f in info["findings"]] == ["empty_output"]
    record = env.trajectory()
    assert [f["code"] for f in record.model_extra["parse_findings"]] == [
        "unparseable_tool_call",
        "empty_output",
    ]
    assert parse_trajectory(record.to_json_line()).model_extra["parse_findings"]


def test_solved_episode_terminates_with_user_stop_and_full_reward() -> None:
    env = make()
    env.reset(seed=3, options={"scenario": RETURN["id"]})
    bare = json.dumps({"name": "create_rma", "arguments": RMA_ARGS})  # a bare JSON call
    _, reward, terminated, truncated, info = env.step(bare)
    assert info["tool_results"][0]["ok"] and reward == 0.0
    observation, reward, terminated, truncated, info = env.step(
        {"role": "assistant", "content": "Done: your return is rma-5002."}
    )
    assert (reward, terminated, truncated) == (1.0, True, False)
    assert info["termination"] == "user_stop"
    assert info["reward_info"]["assertions"][0]["holds"]
    assert info["reward_info"]["required_outputs"] == [{"text": "RMA-5002", "found": True}]
    assert messages_of(observation)[-1]["role"] == "user"
    record = env.unwrapped.trajectory()
    assert record.termination == Termination.user_stop
    assert record.final_state_hash == info["final_state_hash"] == env.unwrapped.toolkit.state_hash()
    assert record.seed == 3 and record.toolkit == dump_toolkit(load_example(STORE))
    with pytest.raises(ResetNeededError, match="ended"):
        env.unwrapped.step("hello")


def test_goal_reward_breakdown_and_partial_credit() -> None:
    env = make(reward=GoalReward(partial_credit=True))
    env.reset(seed=0, options={"scenario": RETURN["id"]})
    env.step(call_text("create_rma", RMA_ARGS))
    _, reward, _, _, info = env.step(Message.assistant("All set."))
    assert reward == 0.5 and info["reward_info"]["score"] == 0.5
    assert not info["reward_info"]["passed"]
    result = GoalReward()(env.unwrapped.trajectory())  # by replay, without the live toolkit
    assert result.reward == 0.0 and result.info["assertions"][0]["holds"]


def test_an_injected_reward_function_gets_the_trajectory() -> None:
    seen = []

    def reward(trajectory: Any) -> RewardResult:
        seen.append(trajectory)
        return RewardResult(reward=0.25, info={"n": len(trajectory.messages)})

    env = make(reward=reward)
    env.reset(seed=0)
    _, value, terminated, _, info = env.step("Hello, how can I help?")
    assert terminated and value == 0.25 and info["reward_info"] == {"n": 4}
    assert seen[0].termination == Termination.user_stop


def test_max_turns_truncates_and_agent_stop_terminates() -> None:
    env = make().unwrapped
    env.reset(seed=0, options={"scenario": f"{STORE}-smoke"})  # max_turns=4
    outcomes = [env.step(call_text("get_order", {"order_id": "ORD-1001"}))[2:4] for _ in range(4)]
    assert outcomes == [(False, False)] * 3 + [(False, True)]
    assert env.trajectory().termination == Termination.max_turns
    env.reset(seed=0)
    _, _, terminated, truncated, info = env.step("Nothing more to do. ###STOP###")
    assert (terminated, truncated, info["termination"]) == (True, False, "agent_stop")


def test_developer_errors_raise_typed_errors() -> None:
    env = make().unwrapped
    with pytest.raises(ResetNeededError):
        env.step("hi")
    with pytest.raises(ResetNeededError):
        env.trajectory()
    env.reset(seed=0)
    assert env.trajectory().termination == Termination.max_turns  # cut off while running
    for action in (42, {"role": "user", "content": "x"}, Message.user("x")):
        with pytest.raises(InvalidActionError):
            env.step(action)


def test_a_conversation_outgrowing_the_observation_space_is_truncated() -> None:
    env = make(max_observation_chars=600).unwrapped
    observation, _ = env.reset(seed=0, options={"scenario": RETURN["id"]})
    truncated = False
    while not truncated:
        observation, _, terminated, truncated, info = env.step(
            call_text("get_order", {"order_id": "ORD-1001"})
        )
        assert not terminated and observation in env.observation_space
    assert info["termination"] == "error" and "max_observation_chars" in info["error"]
    assert len(env.messages) > len(messages_of(observation))
    with pytest.raises(EnvConfigError, match="max_observation_chars"):
        make(max_observation_chars=50).reset(seed=0)


def test_render_ansi_and_default_user() -> None:
    env = make(render_mode="ansi")
    env.reset(seed=0, options={"scenario": RETURN["id"]})
    env.step(call_text("get_order", {"order_id": "ORD-1001"}))
    text = env.render()
    assert "[system]" in text and "-> get_order" in text and "[tool c1]" in text
    assert hasattr(default_user(), "reply")


# -- spaces ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", example_names())
def test_sampled_actions_are_schema_valid_calls_and_deterministic(name: str) -> None:
    spec = load_example(name)
    space = AssistantActionSpace.for_toolkits([(spec.openai_tools(), [spec.initial_state])])
    toolkit = compile_toolkit(spec)
    space.seed(11)
    drawn = [space.sample() for _ in range(40)]
    space.seed(11)
    assert drawn == [space.sample() for _ in range(40)]
    assert all(action in space for action in drawn)
    names = set()
    for action in drawn:
        (call,) = decode_action(action).tool_calls
        names.add(call.function.name)
        result = toolkit.call(call.function.name, call.function.arguments)
        assert result.ok or result.error_kind.value == "tool_error", (action, result.error)
    assert len(names) > len(spec.tools) // 2
    restored = copy.deepcopy(space)
    assert restored == space and restored.sample() in space


def test_action_space_contains_validates() -> None:
    spec = load_example(STORE)
    space = AssistantActionSpace(spec.openai_tools())
    good = call_text("get_order", {"order_id": "ORD-1001"})
    assert good in space
    assert json.loads(good) in space and Message.assistant("Hello!") in space
    assert (
        '<tool_call>{"name": "get_order", "arguments": {"order_id": "ORD-1002"}}</tool_call>'
        in space
    )
    assert "Plain words to the user." in space
    for bad in (
        call_text("no_such_tool", {}),
        call_text("get_order", {"order_id": "1001"}),
        call_text("get_order", "{not json"),
        "<tool_call>{broken</tool_call>",
        "",
        42,
        {"role": "user", "content": "x"},
        "x" * (space.max_length + 1),
    ):
        assert bad not in space, bad
    assert space.problems(call_text("get_order", {})) == [
        "get_order: 'order_id' is a required property"
    ]


def test_observation_space_contains_and_sample() -> None:
    space = ConversationSpace(max_length=200, seed=0)
    sample = space.sample()
    assert sample in space and sample == ConversationSpace(200, seed=0).sample()
    assert '[{"role": "user", "content": "hi"}]' in space
    for bad in ("not json", '[{"role": "robot"}]', '{"role": "user"}', 5, "[" + " " * 300 + "]"):
        assert bad not in space


# -- determinism and replay -----------------------------------------------------------


def rollout(env: Any, seed: int, steps: int = 6) -> tuple[list[str], str, list[str]]:
    observation, _ = env.reset(seed=seed)
    env.action_space.seed(seed)
    observations, actions = [observation["messages"]], []
    for _ in range(steps):
        actions.append(env.action_space.sample())
        observation, _, terminated, truncated, _ = env.step(actions[-1])
        observations.append(observation["messages"])
        if terminated or truncated:
            break
    return observations, env.unwrapped.trajectory().final_state_hash, actions


def test_same_scenario_seed_and_actions_give_the_same_episode() -> None:
    first = rollout(make(), seed=5)
    second = rollout(make(), seed=5)
    assert first == second
    assert rollout(make(), seed=6)[0] != first[0]


def test_replaying_a_trajectory_reproduces_every_tool_output_and_the_final_hash() -> None:
    env = make()
    env.reset(seed=2, options={"scenario": RETURN["id"]})
    env.action_space.seed(2)
    for action in [call_text("create_rma", RMA_ARGS)] + [
        env.action_space.sample() for _ in range(4)
    ]:
        env.step(action)
    record = parse_trajectory(env.unwrapped.trajectory().to_json_line())
    fresh = compile_toolkit(record.toolkit)
    fresh.reset(record.scenario.initial_state)
    outputs = {m.tool_call_id: m.content for m in record.messages if m.role == "tool"}
    calls = [c for m in record.messages if m.role == "assistant" for c in m.tool_calls or []]
    assert len(calls) == 5
    for call in calls:
        assert fresh.call(call.function.name, call.function.arguments).content == outputs[call.id]
    assert fresh.state_hash() == record.final_state_hash
    replayed, results = replay(record)
    assert [r.content for r in results] == [outputs[c.id] for c in calls]
    assert replayed.state_hash() == record.final_state_hash


# -- vector envs ----------------------------------------------------------------------


def env_fns(n: int) -> list[Any]:
    return [lambda: make() for _ in range(n)]


def run_vector(vector: Any, steps: int = 5) -> list[tuple[str, ...]]:
    observations, _ = vector.reset(seed=list(range(vector.num_envs)))
    vector.action_space.seed(0)
    seen = [tuple(observations["messages"])]
    for _ in range(steps):
        observations, rewards, terminated, _, _ = vector.step(vector.action_space.sample())
        assert rewards.shape == (vector.num_envs,) and terminated.dtype == np.bool_
        seen.append(tuple(observations["messages"]))
        assert all(messages in vector.single_observation_space["messages"] for messages in seen[-1])
    return seen


def test_sync_and_async_vector_envs_of_8_agree() -> None:
    sync = gymnasium.vector.SyncVectorEnv(env_fns(8))
    expected = run_vector(sync)
    sync.close()
    assert all(len(set(row)) > 1 for row in expected)  # different seeds, different episodes
    for shared_memory in (True, False):
        vector = gymnasium.vector.AsyncVectorEnv(env_fns(8), shared_memory=shared_memory)
        try:
            assert run_vector(vector) == expected
        finally:
            vector.close()


def test_make_vec_async_runs_8_envs() -> None:
    vector = gymnasium.make_vec(
        ENV_ID,
        num_envs=8,
        vectorization_mode="async",
        toolkit=STORE,
        scenarios=[RETURN],
        user=GoalOnceUser(),
    )
    try:
        observations, infos = vector.reset(seed=0)
        assert (
            len(observations["messages"]) == 8 and list(infos["scenario_id"]) == [RETURN["id"]] * 8
        )
        actions = tuple(call_text("create_rma", RMA_ARGS) for _ in range(8))
        vector.step(actions)
        said = tuple(
            json.dumps({"role": "assistant", "content": "Your RMA is RMA-5002."}) for _ in range(8)
        )
        _, rewards, terminated, _, _ = vector.step(said)
        assert rewards.tolist() == [1.0] * 8 and terminated.all()
    finally:
        vector.close()
