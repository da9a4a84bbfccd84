"""The worker process of `IsolatedToolkit` (`python -m toolkits.isolation_worker`).

Reads requests from stdin and answers on the original stdout through
`multiprocessing.connection` framing; anything tool machinery prints goes to stderr.
The first message builds the toolkit; the address space is capped before that.
"""

from __future__ import annotations

import os
import resource
from multiprocessing.connection import Connection
from typing import Any

from toolkits.errors import CompileError, SpecError, StateError
from toolkits.limits import Limits
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


def _dispatch(toolkit: Toolkit, op: str, args: tuple) -> Any:
    if op == "call":
        return toolkit.call(*args).to_dict()
    if op == "restore":
        base, log = args
        toolkit.reset(base)
        for name, arguments in log:
            toolkit.call(name, arguments)
        return toolkit.state_hash()
    if op == "reset":
        return toolkit.reset(*args)
    if op == "state":
        return toolkit.state
    if op == "state_hash":
        return toolkit.state_hash()
    if op == "evaluate":
        return toolkit.evaluate(*args).to_dict()
    if op == "check_invariants":
        return toolkit.check_invariants()
    if op == "state_errors":
        return toolkit.state_errors()
    raise ValueError(f"unknown request {op!r}")


def main() -> None:
    """Serve one toolkit until stdin closes."""
    recv = Connection(os.dup(0), writable=False)
    send = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # stray prints must not corrupt the protocol
    spec, limits, flags, address_space_mb = recv.recv()
    _cap_address_space(address_space_mb)
    try:
        toolkit = Toolkit(load_toolkit(spec), limits=Limits(**limits), **flags)
    except _TYPED as exc:
        send.send(("error", type(exc).__name__, [p.model_dump() for p in exc.problems]))
        return
    send.send(("ok", None))
    while True:
        try:
            op, args = recv.recv()
        except EOFError:
            return
        try:
            send.send(("ok", _dispatch(toolkit, op, args)))
        except _TYPED as exc:
            send.send(("error", type(exc).__name__, [p.model_dump() for p in exc.problems]))


if __name__ == "__main__":
    main()
