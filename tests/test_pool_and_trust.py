"""The shared pool of compiled toolkits (exact identity) and `isolation="auto"`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gem_env.env import ToolUseEnv
from tests.helpers import toolkit
from toolkits import CompiledToolkit, compile_toolkit, dump_toolkit, resolve_isolation
from toolkits.examples import example_path, load_example
from toolkits.isolation import IsolatedToolkit
from toolkits.pool import ToolkitPool
from toolkits.runtime import Toolkit
from toolkits.trust import document_key

SOURCE = "def get(state):\n    return state['limit']\n"


def _doc(limit: object) -> dict:
    return toolkit(SOURCE, {"get": {}}, state={"limit": limit})


def test_document_key_tells_json_types_apart_and_ignores_who_built_the_document() -> None:
    keys = {document_key(_doc(v)) for v in (1, 1.0, True)}
    assert len(keys) == 3
    parsed = json.loads(json.dumps(_doc(1)))
    assert document_key(parsed) == document_key(_doc(1))


def test_pool_reuses_a_compiled_toolkit_only_for_the_same_document() -> None:
    pool = ToolkitPool()
    key, first = pool.lease(_doc(1))
    pool.release(key, first)
    again_key, again = pool.lease(json.loads(json.dumps(_doc(1))))
    assert again is first and again_key == key
    pool.release(again_key, again)
    for value in (1.0, True):  # == would call these equal: the pool must not
        other_key, other = pool.lease(_doc(value))
        assert other is not first
        assert other.call("get").content == json.dumps(value)
        pool.release(other_key, other)
    with pytest.raises(ValueError):
        pool.lease(_doc(float("nan")))
    pool.clear()


def test_auto_isolation_runs_only_bundled_examples_in_process(tmp_path: Path) -> None:
    bundled = load_example("clinic_appointments")
    assert resolve_isolation(bundled) == "none"
    assert resolve_isolation(dump_toolkit(bundled)) == "none"
    assert resolve_isolation(example_path("clinic_appointments")) == "none"
    changed = dump_toolkit(bundled)
    changed["description"] += " (edited)"
    assert resolve_isolation(changed) == "process"
    file = tmp_path / "tk.json"
    file.write_text(json.dumps(_doc(1)))
    assert resolve_isolation(file) == "process"
    assert resolve_isolation(file, trusted=[tmp_path]) == "none"
    assert resolve_isolation(str(file), "none") == "none"
    with pytest.raises(ValueError, match="isolation"):
        resolve_isolation(file, "thread")  # type: ignore[arg-type]
    with compile_toolkit(file, isolation="auto") as isolated:
        assert isinstance(isolated, IsolatedToolkit) and isinstance(isolated, CompiledToolkit)
    assert isinstance(compile_toolkit(file, isolation="auto", trusted=[file]), Toolkit)


def test_the_env_isolates_a_toolkit_it_is_given_and_not_the_bundled_ones() -> None:
    scenario = {
        "id": "s",
        "system_prompt": "Answer.",
        "user": {"goal": "Know the limit."},
        "goal_assertions": [{"description": "limit", "expr": "state['limit'] == 1"}],
        "max_turns": 2,
    }
    env = ToolUseEnv(toolkit=_doc(1), scenarios=[scenario])
    env.reset(seed=0)
    assert isinstance(env.unwrapped.toolkit, IsolatedToolkit)
    env.close()
    bundled = ToolUseEnv()
    bundled.reset(seed=0)
    assert isinstance(bundled.unwrapped.toolkit, Toolkit)
    bundled.close()
