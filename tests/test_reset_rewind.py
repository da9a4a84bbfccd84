"""`Toolkit.reset` undoes the calls since the last load instead of copying the state."""

from __future__ import annotations

import json

import pytest

from tests.helpers import toolkit
from toolkits import StateError, compile_toolkit, state_hash
from toolkits.examples import load_example
from toolkits.sandbox import journal

SOURCE = """
def archive(state, oid):
    order = state["orders"].pop(oid)
    state["archived"][oid] = order
    order["status"] = "archived"
    state["log"].append(oid)
    return order


def shuffle(state):
    state["log"].reverse()
    state["orders"]["Z"] = {"status": "new"}
    del state["archived"]
    state["archived"] = {}
    return len(state["log"])


def fail(state):
    state["log"].append("x")
    raise ToolError("no")
"""
TOOLS = {"archive": {"oid": {"type": "string"}}, "shuffle": {}, "fail": {}}
STATE = {
    "orders": {"A": {"status": "shipped"}, "B": {"status": "new"}, "C": {"status": "new"}},
    "archived": {},
    "log": [],
}


def _exact(value: object) -> str:
    return json.dumps(value)  # key order matters, as it does to the tools


def test_reset_restores_the_initial_state_exactly_after_moves_and_deletes() -> None:
    tk = compile_toolkit(toolkit(SOURCE, TOOLS, state=STATE))
    initial, initial_hash = _exact(tk.state), tk.state_hash()
    for _ in range(3):
        assert tk.call("archive", {"oid": "A"}).value == {"status": "archived"}
        assert tk.call("archive", {"oid": "C"}).ok
        assert tk.call("shuffle").ok
        assert not tk.call("fail").ok
        assert tk.state_hash() != initial_hash
        tk.reset()
        assert _exact(tk.state) == initial and tk.state_hash() == initial_hash
        assert tk.call("archive", {"oid": "A"}).ok  # the moved dict is live again
        assert tk.state["archived"]["A"]["status"] == "archived"
        tk.reset()


def test_a_state_given_to_reset_is_rewound_to_when_given_again() -> None:
    tk = compile_toolkit(toolkit(SOURCE, TOOLS, state=STATE))
    other = {"orders": {"Q": {"status": "new"}}, "archived": {}, "log": ["seed"]}
    tk.reset(other)
    tk.call("archive", {"oid": "Q"})
    tk.reset(json.loads(json.dumps(other)))  # equal content: rewound, not reloaded
    assert _exact(tk.state) == _exact(other) and tk.state_hash() == state_hash(other)
    changed = dict(other, log=["other"])
    tk.reset(changed)
    assert tk.state == changed
    with pytest.raises(StateError):
        tk.reset({"orders": {1: {}}, "archived": {}, "log": []})
    tk.reset()
    assert tk.state == STATE


def test_a_long_history_is_dropped_and_reset_copies_again(monkeypatch) -> None:
    monkeypatch.setattr(journal, "HISTORY_RECORDS", 5)
    tk = compile_toolkit(toolkit(SOURCE, TOOLS, state=STATE))
    for oid in "ABC":
        tk.call("archive", {"oid": oid})
    assert tk._store._history is None  # dropped: the next reset loads a copy
    tk.reset()
    assert _exact(tk.state) == _exact(STATE)
    assert tk._store._history == []


def test_rewinding_after_real_episodes_matches_a_fresh_copy() -> None:
    from gem_env.env import ToolUseEnv
    from gem_env.participants import HeuristicAgent, HeuristicUser
    from gem_env.rollouts import run_episode

    env = ToolUseEnv(user=HeuristicUser())
    wrote = 0
    for scenario in env.scenarios:
        episode = run_episode(env, HeuristicAgent(), scenario=scenario.id, seed=0)
        live = env.unwrapped.toolkit
        fresh = compile_toolkit(load_example(scenario.toolkit))
        fresh.reset(scenario.initial_state)
        wrote += live.state_hash() != fresh.state_hash()
        live.reset(scenario.initial_state)
        assert _exact(live.state) == _exact(fresh.state), episode.trajectory.id
        assert live.state_hash() == fresh.state_hash()
    assert wrote >= 5  # the episodes changed the state before it was rewound
    env.close()
