"""The base of the guards: the bound call context, size limits and how to fail."""

from __future__ import annotations

from typing import Any

from toolkits.result import ErrorKind
from toolkits.sandbox.context import CallContext
from toolkits.sandbox.oset import OrderedSet


class SizeGuards:
    """Size limits of built values, charged to the call's step budget."""

    def __init__(self, ctx: CallContext):
        self.ctx = ctx
        limits = ctx.limits
        self.max_str = limits.max_string_length
        self.max_items = limits.max_container_length
        self.max_bits = limits.max_int_bits

    def too_big(self, what: str) -> None:
        """Abort the call with kind `resource_limit`."""
        self.ctx.fail(ErrorKind.resource_limit, what)

    def check_size(self, value: Any) -> Any:
        """Fail when a built str, list, tuple, dict or set is over its limit; charge for it."""
        t = type(value)
        if t is str:
            if len(value) > self.max_str:
                self.too_big(f"string of {len(value)} characters exceeds {self.max_str}")
            self.ctx.charge(len(value) >> 8)  # one step per 256 characters built
        elif t is int:
            if value.bit_length() > self.max_bits:
                self.too_big(f"integer of {value.bit_length()} bits exceeds {self.max_bits}")
        elif t in (list, tuple, dict, OrderedSet, bytes):
            if len(value) > self.max_items:
                self.too_big(f"{t.__name__} of {len(value)} items exceeds {self.max_items}")
            self.ctx.charge(len(value) >> 4)  # one step per 16 items built
        return value
