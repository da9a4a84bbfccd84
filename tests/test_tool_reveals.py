"""Tools a scenario offers only from a later user turn (`tool_reveals`), and a suite's
own accuracy beside pass@k."""

from __future__ import annotations

from gem_env.env import ToolUseEnv
from gem_env.messages import Message, tool_call
from gem_env.participants.heuristic import HeuristicUser
from gem_env.participants.reference import ScriptFollowingUser
from gem_env.scenario import Scenario
from synth.suites.accuracy import suite_accuracy
from toolkits.examples import load_example


def _scenario(**extra):
    spec = load_example("online_store_returns")
    return Scenario.model_validate(
        {
            "id": "r1",
            "system_prompt": "Help.",
            "toolkit": "online_store_returns",
            "user": {"goal": "g", "script": ["first", "second", "third"]},
            "max_turns": 10,
            **extra,
        }
    ), spec


def _names(tools):
    return {t["function"]["name"] for t in tools}


def test_a_revealed_tool_is_offered_only_from_its_turn():
    scenario, spec = _scenario(tool_reveals={"find_orders": 2})
    env = ToolUseEnv(scenarios=[scenario], user=ScriptFollowingUser(HeuristicUser()))
    _, info = env.reset(seed=0, options={"scenario": "r1"})
    everything = _names(
        t.model_dump() if hasattr(t, "model_dump") else t for t in spec.openai_tools()
    )
    assert "find_orders" in everything and "find_orders" not in _names(info["tools"])
    _, _, _, _, info = env.step(Message.assistant("ok"))  # the user's second message
    assert "find_orders" not in _names(info["tools"])
    _, _, _, _, info = env.step(Message.assistant("ok"))  # the third: revealed
    assert _names(info["tools"]) == everything


def test_a_withheld_tool_still_runs_as_in_bfcl():
    scenario, _ = _scenario(tool_reveals={"find_orders": 2})
    env = ToolUseEnv(scenarios=[scenario], user=ScriptFollowingUser(HeuristicUser()))
    env.reset(seed=0, options={"scenario": "r1"})
    call = tool_call("c1", "find_orders", {"email": "nobody@example.com"})
    _, _, _, _, info = env.step(Message.assistant(None, [call]))
    assert info["tool_results"][0]["error_kind"] != "unknown_tool"


def test_no_reveals_offers_every_tool():
    scenario, spec = _scenario()
    env = ToolUseEnv(scenarios=[scenario])
    _, info = env.reset(seed=0, options={"scenario": "r1"})
    assert len(info["tools"]) == len(spec.tools)


def test_suite_accuracy_counts_first_trials_per_category():
    def entry(i, category):
        return Scenario.model_validate(
            {
                "id": f"e{i}",
                "system_prompt": "s",
                "user": {"goal": "g"},
                "bfcl": {"category": category},
            }
        )

    scenarios = [
        entry(0, "base"),
        entry(1, "base"),
        entry(2, "miss_param"),
        Scenario.model_validate({"id": "x", "system_prompt": "s", "user": {"goal": "g"}}),
    ]
    rewards = {"e0": [1.0, 0.0], "e1": [0.0, 1.0], "e2": [1.0], "x": [1.0]}
    found = suite_accuracy(scenarios, rewards)["bfcl"]
    assert found["base"] == {"entries": 2, "correct": 1, "accuracy": 0.5}
    assert found["miss_param"]["correct"] == 1 and found["all"]["entries"] == 3
    assert suite_accuracy(scenarios[3:], rewards) is None
