"""The worker process of `IsolatedToolkit`: `serve` one toolkit.

Workers are forked by the zygote (`toolkits.isolation_zygote`), which imported this
module once, so a worker starts in milliseconds. A worker talks to its parent through
`toolkits.isolation_channel` over the shared memory and the two pipes it is given.
The first message builds the toolkit; the address space is capped before that. Every
call and evaluation runs under a kernel timer (``SIGALRM``, default action: end the
process) set to the call's timeout plus a grace period, so a single C-level operation
that never returns ends the worker.
"""

from __future__ import annotations

import mmap
import os
import pickle
import resource
import signal
from multiprocessing.connection import Connection
from typing import Any

from toolkits.errors import CompileError, SpecError, StateError
from toolkits.isolation_channel import SLOT_BYTES, Channel, PeerLostError
from toolkits.isolation_wire import GRACE_SECONDS, START_SECONDS, result_row
from toolkits.limits import Limits
from toolkits.protocol import final_check
from toolkits.runtime import Toolkit
from toolkits.spec import load_toolkit

_TYPED = (CompileError, SpecError, StateError)


def _cap_address_space(megabytes: int) -> None:
    if megabytes <= 0:
        return
    try:
        with open("/proc/self/statm", "rb") as f:
            current = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = current + megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap if hard < 0 else min(cap, hard), hard))
    except (OSError, ValueError):
        pass


class _Server:
    """Runs requests on one toolkit, each under its kernel timer."""

    def __init__(self, toolkit: Toolkit, channel: Channel):
        self.toolkit = toolkit
        self.channel = channel
        self.call_seconds = toolkit.limits.timeout_seconds + GRACE_SECONDS / 2

    def timed(self, seconds: float, func: Any, *args: Any) -> Any:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return func(*args)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def dispatch(self, op: str, args: tuple) -> Any:
        toolkit = self.toolkit
        if op == "call":
            return result_row(self.timed(self.call_seconds, toolkit.call, *args))
        if op == "replay":
            return self.replay(*args)
        if op == "calls":
            return self.calls(*args)
        if op == "evaluate":
            return result_row(self.timed(self.call_seconds, toolkit.evaluate, *args))
        if op == "restore":
            base, log = args
            toolkit.reset(base)
            for name, arguments in log:
                self.timed(self.call_seconds, toolkit.call, name, arguments)
            return None
        if op == "reset":
            return self.timed(START_SECONDS, toolkit.reset, *args)
        if op == "state":
            return self.timed(START_SECONDS, lambda: toolkit.state)
        if op == "state_hash":
            return self.timed(START_SECONDS, toolkit.state_hash)
        if op == "check_invariants":
            return self.timed(START_SECONDS, toolkit.check_invariants)
        if op == "state_errors":
            return self.timed(START_SECONDS, toolkit.state_errors)
        raise ValueError(f"unknown request {op!r}")

    def replay(
        self, state: Any, calls: list[tuple[str, str | None]], invariants: bool, checks: Any
    ) -> Any:
        """Reset to `state`, then `calls`; adds the invariants broken in the reset state."""
        toolkit = self.toolkit
        self.channel.set_progress(0)
        self.timed(START_SECONDS, toolkit.reset, state)
        initial = self.timed(START_SECONDS, toolkit.check_invariants) if invariants else []
        return (*self.calls(calls, invariants, checks), initial)

    def calls(self, calls: list[tuple[str, str | None]], invariants: bool, checks: Any) -> Any:
        """Run `calls` from the current state. Before call i the published progress is
        2i + 1 and after it 2i + 2, so a parent that lost this worker knows which call
        it was running."""
        toolkit, progress = self.toolkit, self.channel.set_progress
        progress(0)
        rows, broken = [], []
        for i, (name, arguments) in enumerate(calls):
            progress(2 * i + 1)
            result = self.timed(self.call_seconds, toolkit.call, name, arguments)
            rows.append(result_row(result))
            after = invariants and result.ok
            broken.append(self.timed(self.call_seconds, toolkit.check_invariants) if after else [])
            progress(2 * i + 2)
        final = [self.timed(self.call_seconds, final_check, toolkit, e) for e in checks]
        return rows, broken, toolkit.state_hash(), final


def serve(memory_fd: int, recv_fd: int, send_fd: int) -> None:
    """Serve one toolkit until the parent closes the channel.

    Args:
        memory_fd: the shared memory of the channel (see `toolkits.isolation_channel`).
        recv_fd / send_fd: the worker's ends of the two pipes.
    """
    memory = mmap.mmap(memory_fd, 2 * SLOT_BYTES)
    os.close(memory_fd)
    recv = Connection(recv_fd, writable=False)
    send = Connection(send_fd, readable=False)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    channel = Channel(memory, outgoing=1, incoming=0, send_pipe=send, recv_pipe=recv)
    spec, limits, flags, address_space_mb = pickle.loads(channel.recv() or b"")
    _cap_address_space(address_space_mb)
    try:
        toolkit = Toolkit(load_toolkit(spec), limits=Limits(**limits), **flags)
    except _TYPED as exc:
        channel.send(pickle.dumps(("error", type(exc).__name__, _problems(exc))))
        return
    server = _Server(toolkit, channel)
    channel.send(pickle.dumps(("ok", None)))
    while True:
        try:
            op, args = pickle.loads(channel.recv() or b"")
        except PeerLostError:
            return
        try:
            reply = ("ok", server.dispatch(op, args))
        except _TYPED as exc:
            reply = ("error", type(exc).__name__, _problems(exc))
        channel.send(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))


def _problems(exc: Any) -> list[dict[str, Any]]:
    return [p.model_dump() for p in exc.problems]
