"""The zygote that forks isolated workers: fast starts, restarts, and pids it may touch."""

from __future__ import annotations

import os
import signal

from tests.helpers import toolkit
from toolkits import compile_toolkit
from toolkits.isolation_zygote import zygote

SOURCE = "def add(state, n):\n    state['total'] += n\n    return state['total']\n"
TOOLS = {"add": {"n": {"type": "integer"}}}


def _isolated():
    return compile_toolkit(toolkit(SOURCE, TOOLS, state={"total": 0}), isolation="process")


def test_a_lost_zygote_is_started_again_and_running_workers_keep_serving() -> None:
    first = _isolated()
    assert first.call("add", {"n": 2}).value == 2
    process = zygote()._process
    assert process is not None
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    second = _isolated()  # a new zygote forks this worker
    assert zygote()._process is not process
    assert second.call("add", {"n": 5}).value == 5
    assert first.call("add", {"n": 3}).value == 5  # its worker outlived the old zygote
    first.close()
    second.close()


def test_the_zygote_acts_only_on_its_own_live_workers() -> None:
    tk = _isolated()
    zygote().kill(os.getpid())  # not one of its workers: nothing happens to us
    zygote().kill(1)
    assert zygote().exit_code(os.getpid()) is None
    assert tk.call("add", {"n": 1}).ok
    tk.close()


def test_a_worker_killed_from_outside_is_a_crash_result_and_the_state_is_kept() -> None:
    tk = _isolated()
    assert tk.call("add", {"n": 4}).ok
    os.kill(tk._pid, signal.SIGKILL)
    result = tk.call("add", {"n": 1})
    assert not result.ok and "crashed its worker" in (result.error or "")
    assert "-9" in (result.error or "")  # the zygote reports how the worker ended
    assert tk.state == {"total": 4}
    assert tk.call("add", {"n": 1}).value == 5
    tk.close()
