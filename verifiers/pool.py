"""A pool of compiled toolkits, so verifying many trajectories of one toolkit compiles once.

A toolkit is leased for the verification of one trajectory (it is stateful) and given
back afterwards; two threads never share one. Keys are the toolkit's content hash, the
limits and the isolation mode. Idle toolkits beyond the bounds are closed and dropped.
"""

from __future__ import annotations

import atexit
import threading
from collections import OrderedDict
from typing import Any, Literal

from toolkits import Limits, Toolkit, compile_toolkit, state_hash

Isolation = Literal["none", "process"]
Key = tuple[str, str, str]

_MAX_KEYS = 32
_MAX_IDLE_PER_KEY = 4


class ToolkitPool:
    """Compiled toolkits by content, leased one trajectory at a time (thread-safe)."""

    def __init__(self, max_keys: int = _MAX_KEYS, max_idle: int = _MAX_IDLE_PER_KEY):
        self._idle: OrderedDict[Key, list[Toolkit]] = OrderedDict()
        self._lock = threading.Lock()
        self._max_keys, self._max_idle = max_keys, max_idle

    def lease(
        self, toolkit: dict[str, Any], limits: Limits | None, isolation: Isolation
    ) -> tuple[Key, Toolkit]:
        """A compiled toolkit for this document (reused or new), in an unspecified state.

        Raises:
            SpecError / CompileError: the document is not a valid toolkit.
            ValueError / TypeError: the document is not JSON (no content hash).
        """
        key = (state_hash(toolkit), (limits or Limits()).model_dump_json(), isolation)
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                self._idle.move_to_end(key)
                return key, idle.pop()
        compiled = compile_toolkit(toolkit, limits=limits, isolation=isolation)
        return key, compiled  # type: ignore[return-value]

    def release(self, key: Key, toolkit: Toolkit) -> None:
        """Give a leased toolkit back (closed instead when the pool is full)."""
        evicted: list[Toolkit] = []
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
            _close(item)

    def clear(self) -> None:
        """Close and drop every idle toolkit."""
        with self._lock:
            items = [t for idle in self._idle.values() for t in idle]
            self._idle.clear()
        for item in items:
            _close(item)


def _close(toolkit: Any) -> None:
    closer = getattr(toolkit, "close", None)
    if callable(closer):
        closer()


#: The pool `verify` uses unless given another.
DEFAULT_POOL = ToolkitPool()
atexit.register(DEFAULT_POOL.clear)
