"""A pool of compiled toolkits, so replaying many trajectories of one toolkit compiles once.

The verifiers and the rewards share it (`DEFAULT_POOL`). A toolkit is leased for one
trajectory (it is stateful) and given back afterwards; two threads never share one.
Keys are the document's exact identity (`toolkits.trust.document_key`), the limits and
the isolation; an isolated toolkit keeps its worker process while it waits in the
pool, so a file of trajectories of one toolkit reuses one worker. Idle toolkits beyond
the bounds are closed and dropped.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from toolkits.canonical import canonical_json
from toolkits.limits import Limits
from toolkits.protocol import CompiledToolkit
from toolkits.trust import Isolation, bundled_keys, document_key

Key = tuple[bytes, str, str]

_MAX_KEYS = 32
_MAX_IDLE_PER_KEY = 4
_DEFAULT_LIMITS = Limits().model_dump_json()


class ToolkitPool:
    """Compiled toolkits by content, leased one trajectory at a time (thread-safe)."""

    def __init__(self, max_keys: int = _MAX_KEYS, max_idle: int = _MAX_IDLE_PER_KEY):
        self._idle: OrderedDict[Key, list[CompiledToolkit]] = OrderedDict()
        self._lock = threading.Lock()
        self._max_keys, self._max_idle = max_keys, max_idle

    def lease(
        self,
        toolkit: dict[str, Any],
        limits: Limits | None = None,
        isolation: Isolation = "none",
    ) -> tuple[Key, CompiledToolkit]:
        """A compiled toolkit for this document (reused or new), in an unspecified state.

        With ``isolation="auto"``, a document equal to a bundled example runs in-process
        and any other under process isolation.

        Raises:
            SpecError / CompileError: the document is not a valid toolkit.
            ValueError / TypeError: the document is not JSON.
        """
        from toolkits.runtime import compile_toolkit  # runtime imports this module's peers

        content = document_key(toolkit)
        if isolation == "auto":
            isolation = "none" if content in bundled_keys() else "process"
        elif isolation not in ("none", "process"):
            raise ValueError(f"isolation is 'none', 'process' or 'auto', not {isolation!r}")
        limits_key = _DEFAULT_LIMITS if limits is None else limits.model_dump_json()
        key = (content, limits_key, isolation)
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                self._idle.move_to_end(key)
                return key, idle.pop()
        canonical_json(toolkit)  # a new document: JSON only (no NaN, no sets), as always
        return key, compile_toolkit(toolkit, limits=limits, isolation=isolation)

    def release(self, key: Key, toolkit: CompiledToolkit) -> None:
        """Give a leased toolkit back (closed instead when the pool is full)."""
        evicted: list[CompiledToolkit] = []
        with self._lock:
            idle = self._idle.setdefault(key, [])
            self._idle.move_to_end(key)
            if len(idle) < self._max_idle:
                idle.append(toolkit)
            else:
                evicted.append(toolkit)
            while len(self._idle) > self._max_keys:
                _, dropped = self._idle.popitem(last=False)
                evicted.extend(dropped)
        for item in evicted:
            item.close()

    @contextlib.contextmanager
    def leased(
        self,
        toolkit: dict[str, Any],
        limits: Limits | None = None,
        isolation: Isolation = "none",
    ) -> Iterator[CompiledToolkit]:
        """`lease` and `release` around a block."""
        key, compiled = self.lease(toolkit, limits, isolation)
        try:
            yield compiled
        finally:
            self.release(key, compiled)

    def clear(self) -> None:
        """Close and drop every idle toolkit."""
        with self._lock:
            items = [t for idle in self._idle.values() for t in idle]
            self._idle.clear()
        for item in items:
            item.close()


#: The pool the verifiers and the rewards use unless given another.
DEFAULT_POOL = ToolkitPool()
atexit.register(DEFAULT_POOL.clear)
