"""The safety net for wall-clock time and memory: one daemon thread per process.

The step budget bounds the work of tool code deterministically, but a single step
can still be slow (a C-level scan of a long list inside a loop) or allocate much.
The watchdog polls every running call; past `timeout_seconds`, or when the process
grew by more than `max_memory_mb` since the call began, it interrupts the call: the
budget is exhausted, so the next step raises and the call ends with kind `timeout`
or `memory_limit`. These two kinds depend on the machine, unlike every other kind.
"""

from __future__ import annotations

import os
import threading
import time

from toolkits.result import ErrorKind
from toolkits.sandbox.context import CallContext

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_POLL_SECONDS = 0.01


def rss_bytes() -> int:
    """Resident memory of this process in bytes (0 where /proc is not available)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


class Watchdog:
    """Interrupts calls that run past their time or memory allowance."""

    def __init__(self) -> None:
        self._active: dict[int, CallContext] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, ctx: CallContext) -> None:
        """Start watching a call (cheap: the watchdog thread reads memory itself)."""
        ctx.started_at = time.monotonic()
        ctx.rss_at_start = 0
        self._active[id(ctx)] = ctx  # a dict store is atomic under the GIL
        if self._thread is None:
            self._start()

    def unwatch(self, ctx: CallContext) -> None:
        """Stop watching a call."""
        self._active.pop(id(ctx), None)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="gem-env-watchdog", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(_POLL_SECONDS)
            active = list(self._active.values())
            if not active:
                continue
            now, rss = time.monotonic(), rss_bytes()
            for ctx in active:
                limits = ctx.limits
                if not ctx.rss_at_start:
                    ctx.rss_at_start = rss
                    continue
                if now - ctx.started_at > limits.timeout_seconds:
                    ctx.interrupt(
                        ErrorKind.timeout, f"call ran longer than {limits.timeout_seconds} s"
                    )
                elif rss and rss - ctx.rss_at_start > limits.max_memory_mb * 1024 * 1024:
                    ctx.interrupt(
                        ErrorKind.memory_limit,
                        f"call grew memory by more than {limits.max_memory_mb} MB",
                    )


WATCHDOG = Watchdog()
