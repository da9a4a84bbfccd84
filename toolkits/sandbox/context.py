"""Per-call accounting: the deterministic step budget, call depth and sticky aborts.

The step counter is a C-level range iterator: `_step_()` is its `__next__`, so a
charged step costs about 50 ns and raises `StopIteration` once the budget is spent.
An abort (a budget, a limit, a forbidden attribute) is *sticky*: the budget is
exhausted so that every later loop iteration fails at once, and every `except`
handler re-raises it, so tool code cannot swallow it.
"""

from __future__ import annotations

import sys
from operator import length_hint
from typing import NoReturn

from toolkits.limits import Limits
from toolkits.result import ErrorKind


class SandboxAbort(BaseException):
    """Raised inside tool code when a bound is hit; not catchable by `except Exception`."""

    def __init__(self, kind: ErrorKind, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


class CallContext:
    """Step budget, depth and abort state of the call currently running in a toolkit."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self._max = limits.max_steps
        self._steps = iter(range(1, limits.max_steps + 1))
        self.step = self._steps.__next__
        self.depth = 0
        self.abort: SandboxAbort | None = None
        self._used_at_abort: int | None = None
        self.started_at = 0.0
        self.rss_at_start = 0

    def begin(self) -> None:
        """Reset the budget and depth for a new call."""
        self._steps.__setstate__(0)
        self.depth = 0
        self.abort = None
        self._used_at_abort = None

    def used(self) -> int:
        """Steps used so far in this call (up to the abort, when it was aborted)."""
        if self._used_at_abort is not None:
            return self._used_at_abort
        return self._max - length_hint(self._steps)

    def exhausted(self) -> bool:
        """True once the budget is spent (or an abort exhausted it)."""
        return length_hint(self._steps) == 0

    def charge(self, n: int) -> None:
        """Charge `n` steps at once (for work done inside a builtin)."""
        if n <= 0:
            return
        remaining = length_hint(self._steps)
        if n >= remaining:
            self.fail(ErrorKind.budget_exceeded, f"step budget of {self._max} exceeded")
        self._steps.__setstate__(self._max - remaining + n)

    def fail(self, kind: ErrorKind, message: str) -> NoReturn:
        """Abort the call: record the first abort, exhaust the budget and raise."""
        if self.abort is None:
            self.abort = SandboxAbort(kind, message)
            self._used_at_abort = self.used()
        self._steps.__setstate__(self._max)
        raise self.abort

    def interrupt(self, kind: ErrorKind, message: str) -> None:
        """Abort from another thread (the watchdog): the next step raises."""
        if self.abort is None:
            self.abort = SandboxAbort(kind, message)
            self._used_at_abort = self.used()
        self._steps.__setstate__(self._max)

    def enter(self) -> None:
        """Called at the top of every sandbox function: one step, bounded depth."""
        self.step()
        if self.depth >= self.limits.max_depth:
            self.fail(
                ErrorKind.resource_limit,
                f"call depth exceeds {self.limits.max_depth} (unbounded recursion?)",
            )
        self.depth += 1

    def leave(self) -> None:
        """Called when a sandbox function returns or raises."""
        self.depth -= 1

    def handler(self) -> None:
        """Called first in every `except` body: re-raise aborts and spent budgets.

        Running out of stack or memory is an abort too: otherwise where it happens
        would depend on the caller's stack and the machine, not on the code.
        """
        if self.abort is not None:
            raise self.abort
        if length_hint(self._steps) == 0:
            self.fail(ErrorKind.budget_exceeded, f"step budget of {self._max} exceeded")
        caught = sys.exc_info()[1]
        if isinstance(caught, RecursionError):
            self.fail(ErrorKind.resource_limit, "recursion too deep")
        if isinstance(caught, MemoryError):
            self.fail(ErrorKind.memory_limit, "out of memory")

    def outcome(self) -> SandboxAbort | None:
        """The abort that ended this call, if any (checked after every call)."""
        if self.abort is not None:
            return self.abort
        if length_hint(self._steps) == 0:
            return SandboxAbort(ErrorKind.budget_exceeded, f"step budget of {self._max} exceeded")
        return None
