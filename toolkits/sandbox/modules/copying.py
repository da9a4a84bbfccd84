"""The sandbox's ``copy``: ``copy`` and ``deepcopy`` done by the sandbox itself.

CPython's ``copy`` module would call ``__reduce_ex__``/``__deepcopy__`` hooks; these
copy only what tool code can hold: JSON-like values, tuples, the sandbox's sets, the
``collections`` types and seeded generators (immutable values such as dates, patterns
and functions are returned as they are, as CPython does). ``deepcopy`` keeps shared and
circular references (a memo by identity, as CPython), charges a step per container and
refuses values nested deeper than `MAX_DEPTH`.
"""

from __future__ import annotations

import datetime as _dt
from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Any

from toolkits.result import ErrorKind
from toolkits.sandbox.modules.containers import DefaultDictBase, DequeBase, OrderedDictBase
from toolkits.sandbox.modules.counting import CounterBase
from toolkits.sandbox.modules.randomness import RandomBase
from toolkits.sandbox.modules.regex import Pattern
from toolkits.sandbox.modules.regex_match import Match
from toolkits.sandbox.modules.typing_names import TypingForm
from toolkits.sandbox.oset import OrderedSet

MAX_DEPTH = 200
_ATOMIC = frozenset(
    {
        str,
        int,
        float,
        bool,
        type(None),
        _dt.date,
        _dt.datetime,
        _dt.time,
        _dt.timedelta,
        _dt.timezone,
        type(_dt.date(2000, 1, 1).isocalendar()),
        Pattern,
        Match,
        TypingForm,
        FunctionType,
        BuiltinFunctionType,
        MethodType,
        type,
    }
)


def _refuse(value: Any) -> TypeError:
    name = "set" if type(value) is OrderedSet else type(value).__name__
    return TypeError(f"cannot copy a {name} in the sandbox")


def shallow(guards: Any, value: Any) -> Any:
    """``copy.copy``: a new container holding the same items."""
    t = type(value)
    if t in _ATOMIC or t is tuple:
        return value
    if t is list or t is dict:
        guards.ctx.charge(len(value) >> 4)
        return value.copy()
    if t is OrderedSet:
        guards.ctx.charge(len(value) >> 4)
        return value.copy()
    if isinstance(value, (CounterBase, DefaultDictBase, OrderedDictBase, DequeBase)):
        guards.ctx.charge(len(value) >> 4)
        return value.copy()
    if isinstance(value, RandomBase):
        twin = type(value)(0)
        twin._r.setstate(value._r.getstate())
        return twin
    raise _refuse(value)


def deep(guards: Any, value: Any, memo: Any = None) -> Any:
    """``copy.deepcopy``: copies every container; shared and circular references kept."""
    if memo is not None:
        raise TypeError("deepcopy(memo=...) is not available in the sandbox")
    return _Deep(guards).copy(value, 0)


class _Deep:
    __slots__ = ("_ctx", "_g", "_memo", "_step")

    def __init__(self, guards: Any):
        self._g, self._ctx, self._step = guards, guards.ctx, guards.ctx.step
        self._memo: dict[int, Any] = {}

    def copy(self, value: Any, depth: int) -> Any:
        t = type(value)
        if t in _ATOMIC:
            return value
        key = id(value)
        if key in self._memo:
            return self._memo[key]
        if depth > MAX_DEPTH:
            self._g.too_big(f"deepcopy() of a value nested deeper than {MAX_DEPTH} levels")
        try:
            self._step()
        except StopIteration:
            self._ctx.fail(ErrorKind.budget_exceeded, "step budget exceeded")
        self._ctx.charge(len(value) >> 4 if hasattr(value, "__len__") else 0)
        d = depth + 1
        if t is list:
            out: Any = []
            self._memo[key] = out
            for item in value:
                out.append(self.copy(item, d))
            return out
        if t is dict or isinstance(value, (CounterBase, DefaultDictBase, OrderedDictBase)):
            out = self._empty(value)
            self._memo[key] = out
            for k, item in value.items():
                dict.__setitem__(out, self.copy(k, d), self.copy(item, d))
            return out
        if t is tuple:
            items = [self.copy(item, d) for item in value]
            if key in self._memo:  # the tuple was reached through itself (via a list)
                return self._memo[key]
            out = value if all(a is b for a, b in zip(items, value)) else tuple(items)
            self._memo[key] = out
            return out
        if t is OrderedSet:
            out = OrderedSet(self.copy(item, d) for item in value)
            self._memo[key] = out
            return out
        if isinstance(value, DequeBase):
            out = type(value)((), value.maxlen)
            self._memo[key] = out
            out._d.extend(self.copy(item, d) for item in value)
            return out
        if isinstance(value, RandomBase):
            return shallow(self._g, value)
        raise _refuse(value)

    @staticmethod
    def _empty(value: Any) -> Any:
        if type(value) is dict:
            return {}
        if isinstance(value, DefaultDictBase):
            return type(value)(value.default_factory)
        return type(value)()


def build(guards: Any) -> dict[str, Any]:
    """The names of the ``copy`` facade, bound to `guards`."""

    def copy(x: Any) -> Any:
        return shallow(guards, x)

    def deepcopy(x: Any, memo: Any = None) -> Any:
        return deep(guards, x, memo)

    return {"copy": copy, "deepcopy": deepcopy}


INSTANCE_RULES: dict[type, Any] = {}
CLASS_RULES: dict[type, Any] = {}
