"""Process isolation: the same results as in-process, and hangs/crashes contained."""

from __future__ import annotations

import json

import pytest

from tests.helpers import toolkit
from toolkits import CompileError, ErrorKind, Limits, StateError, compile_toolkit
from toolkits.examples import load_example

SOURCE = """
def add(state, n):
    state["total"] += n
    state["log"].append(n)
    return {"total": state["total"]}


def stall(state, how):
    state["total"] += 1000
    if how == "hang":
        a = [0]
        b = [0]
        for i in range(60):
            a = [a, a]
            b = [b, b]
        return a == b
    if how == "crash":
        t = ()
        for j in range(2):
            for i in range(99999):
                t = (t,)
        return len({t: 1})
    raise ToolError("refused")
"""
TOOLS = {"add": {"n": {"type": "integer"}}, "stall": {"how": {"type": "string"}}}
LIMITS = Limits(timeout_seconds=1.0, max_steps=1_000_000)


@pytest.fixture
def isolated():
    tk = compile_toolkit(
        toolkit(SOURCE, TOOLS, state={"total": 0, "log": []}), limits=LIMITS, isolation="process"
    )
    yield tk
    tk.close()


def test_results_match_in_process_on_an_example_toolkit() -> None:
    spec = load_example("online_store_returns")
    local = compile_toolkit(spec)
    with compile_toolkit(spec, isolation="process") as remote:
        for tool in spec.tool_names[:3]:
            for arguments in ({}, {"order_id": "ORD-1001"}, '{"bad json'):
                a, b = local.call(tool, arguments), remote.call(tool, arguments)
                assert (a.ok, a.content, a.error_kind) == (b.ok, b.content, b.error_kind)
        assert local.state_hash() == remote.state_hash()
        assert remote.evaluate("len(state)").value == len(local.state)


@pytest.mark.parametrize("how", ["hang", "crash"])
def test_hang_or_crash_is_an_error_result_and_state_is_kept(isolated, how: str) -> None:
    for n in (1, 2, 3):
        assert isolated.call("add", {"n": n}).ok
    before = isolated.state_hash()
    result = isolated.call("stall", {"how": how})
    assert not result.ok
    assert result.error_kind == (ErrorKind.timeout if how == "hang" else ErrorKind.resource_limit)
    assert json.loads(result.content) == {"error": result.error}
    if how == "hang":
        assert isolated.restarts == 1
    else:  # a segfault in the worker on this interpreter; a deeper C stack may raise instead
        assert isolated.restarts == 1 or "recursion" in result.error
        assert isolated.restarts == 0 or "crashed its worker" in result.error
    assert isolated.state_hash() == before  # the log of committed calls was replayed
    assert isolated.state == {"total": 6, "log": [1, 2, 3]}
    assert isolated.call("add", {"n": 4}).value == {"total": 10}


def test_ordinary_failures_do_not_restart_the_worker(isolated) -> None:
    result = isolated.call("stall", {"how": "no"})
    assert result.error_kind == ErrorKind.tool_error and isolated.restarts == 0
    assert isolated.call("nope", {}).error_kind == ErrorKind.unknown_tool
    assert isolated.call("add", {"n": "x"}).error_kind == ErrorKind.invalid_arguments


def test_reset_and_errors_cross_the_process_boundary(isolated) -> None:
    isolated.call("add", {"n": 5})
    isolated.reset({"total": 100, "log": []})
    assert isolated.call("add", {"n": 1}).value == {"total": 101}
    with pytest.raises(StateError):
        isolated.reset({"total": float("nan")})
    isolated.reset()
    assert isolated.state == {"total": 0, "log": []}
    assert isolated.holds("state['total'] == 0") == (True, None)


def test_compile_errors_are_raised_in_the_caller() -> None:
    with pytest.raises(CompileError):
        compile_toolkit(
            toolkit("import os\n\ndef run(state):\n    return 1\n"), isolation="process"
        )
    with pytest.raises(CompileError):  # module level fails only when executed (in the worker)
        compile_toolkit(
            toolkit("_X = 1 // 0\n\ndef run(state):\n    return 1\n"), isolation="process"
        )
    with pytest.raises(ValueError, match="isolation"):
        compile_toolkit(toolkit("def run(state):\n    return 1\n"), isolation="thread")  # type: ignore[arg-type]


# -- batches: one round trip per replay ---------------------------------------------


def test_replay_matches_in_process_replay_with_invariants() -> None:
    doc = toolkit(
        SOURCE,
        TOOLS,
        state={"total": 0, "log": []},
        invariants=[{"description": "small total", "expr": "state['total'] < 5"}],
    )
    calls = [("add", {"n": 2}), ("add", '{"n": 2}'), ("add", {"n": "x"}), ("add", {"n": 3})]
    calls.append(("add", {"n": float("nan")}))  # not JSON: refused before it is sent
    local = compile_toolkit(doc, limits=LIMITS)
    with compile_toolkit(doc, limits=LIMITS, isolation="process") as remote:
        a = local.replay(calls, state={"total": 1, "log": []}, invariants=True)
        b = remote.replay(calls, state={"total": 1, "log": []}, invariants=True)
        assert [(r.ok, r.content, r.error_kind) for r in a.results] == [
            (r.ok, r.content, r.error_kind) for r in b.results
        ]
        assert (
            a.broken_invariants
            == b.broken_invariants
            == [[], ["small total"], [], ["small total"], []]
        )
        assert a.final_state_hash == b.final_state_hash == remote.state_hash()
        assert b.results[-1].error_kind == ErrorKind.malformed_arguments
        with pytest.raises(StateError):
            remote.replay(calls, state={"total": float("inf")})


def test_a_call_that_hangs_inside_a_batch_is_rerun_alone_and_contained(isolated) -> None:
    calls = [("add", {"n": 1}), ("stall", {"how": "hang"}), ("add", {"n": 2})]
    replay = isolated.replay(calls)
    assert [r.ok for r in replay.results] == [True, False, True]
    assert replay.results[1].error_kind == ErrorKind.timeout
    assert isolated.restarts == 1  # one timeout: the batch resumed after the hung call
    assert isolated.state == {"total": 3, "log": [1, 2]}
    assert replay.final_state_hash == isolated.state_hash()
    # a later crash replays the batch's committed calls onto the new worker
    assert not isolated.call("stall", {"how": "crash"}).ok
    assert isolated.state == {"total": 3, "log": [1, 2]}


def test_a_batch_resumes_after_each_call_that_loses_its_worker(isolated) -> None:
    calls = [
        ("add", {"n": 1}),
        ("stall", {"how": "hang"}),
        ("add", {"n": 2}),
        ("stall", {"how": "hang"}),
        ("add", {"n": 3}),
    ]
    replay = isolated.replay(calls, state={"total": 10, "log": []})
    assert [r.ok for r in replay.results] == [True, False, True, False, True]
    assert [r.error_kind for r in replay.results if not r.ok] == [ErrorKind.timeout] * 2
    assert [r.value for r in replay.results if r.ok] == [
        {"total": 11},
        {"total": 13},
        {"total": 16},
    ]
    assert isolated.restarts == 2  # one per hung call, none for re-running the others
    assert isolated.state == {"total": 16, "log": [1, 2, 3]}
    assert replay.final_state_hash == isolated.state_hash()
    assert isolated._channel.peer_progress() == 2  # the resumed part after the 2nd hang
    ok = isolated.replay([("add", {"n": 1}), ("add", {"n": 1})])
    assert isolated._channel.peer_progress() == 4 and ok.results[-1].value == {"total": 2}


def test_an_invariant_that_loses_the_worker_is_reported_not_raised() -> None:
    doc = toolkit(
        SOURCE + "\n\ndef _hang():\n    a = [0]\n    b = [0]\n    for i in range(60):\n"
        "        a = [a, a]\n        b = [b, b]\n    return a == b\n",
        TOOLS,
        state={"total": 0, "log": []},
        invariants=[{"description": "no hang", "expr": "state['total'] < 5 or _hang()"}],
    )
    with compile_toolkit(doc, limits=LIMITS, isolation="process") as tk:
        assert tk.check_invariants() == []
        assert tk.call("add", {"n": 9}).ok
        (broken,) = tk.check_invariants()
        assert "could not be evaluated" in broken
        assert tk.call("add", {"n": 1}).value == {"total": 10}  # still usable


def test_a_batch_that_cannot_resume_runs_one_call_at_a_time(isolated, monkeypatch) -> None:
    calls = [("add", {"n": 1}), ("stall", {"how": "no"}), ("add", {"n": float("nan")})]
    expected = compile_toolkit(
        toolkit(SOURCE, TOOLS, state={"total": 0, "log": []}), limits=LIMITS
    ).replay(calls, state={"total": 5, "log": []}, checks=["state['total'] == 6"])
    monkeypatch.setattr(type(isolated), "_run_batch", lambda self, *args: None)
    got = isolated.replay(calls, state={"total": 5, "log": []}, checks=["state['total'] == 6"])
    assert [(r.ok, r.content, r.error_kind) for r in got.results] == [
        (r.ok, r.content, r.error_kind) for r in expected.results
    ]
    assert got.final_checks == expected.final_checks == [(True, None)]
    assert got.final_state_hash == expected.final_state_hash
