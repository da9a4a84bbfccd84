"""The sandbox's ``collections.Counter`` (its base class; `containers` builds it per toolkit).

A dict of counts where missing keys count 0, with CPython's methods and operators.
Additions go through the sandbox's bounded ``+`` (counts may be any value, as in
CPython), inputs are bounded and charged, ``elements()`` is a charged iterator.
"""

from __future__ import annotations

import heapq
from operator import itemgetter
from typing import Any

from toolkits.sandbox.modules.core import ChargedIterator, materialize


def bounded(d: dict) -> None:
    g = d._g  # type: ignore[attr-defined]
    if len(d) > g.max_items:
        g.too_big(f"{type(d).__name__} of {len(d)} items exceeds {g.max_items}")


def fill(d: dict, args: tuple, kwargs: dict) -> None:
    """``dict.update`` for the constructors and ``update`` of the dict types, bounded."""
    if len(args) > 1:
        raise TypeError(f"expected at most 1 argument, got {len(args)}")
    if args:
        source = args[0]
        if isinstance(source, dict):
            d._g.ctx.charge(len(source) >> 4)  # type: ignore[attr-defined]
        else:
            source = materialize(d._g, source)  # type: ignore[attr-defined]
        dict.update(d, source)
    if kwargs:
        dict.update(d, kwargs)
    bounded(d)


class CounterBase(dict):
    """``collections.Counter``: a dict of counts, missing keys count 0."""

    __slots__ = ()
    _g: Any

    def __init__(self, iterable: Any = None, /, **kwds: Any):
        super().__init__()
        self.update(iterable, **kwds)

    def __missing__(self, key: Any) -> int:
        return 0

    def __delitem__(self, key: Any) -> None:
        if key in self:
            dict.__delitem__(self, key)

    def total(self) -> Any:
        """The sum of the counts."""
        self._g.ctx.charge(len(self) >> 4)
        return sum(self.values())

    def most_common(self, n: Any = None) -> list[tuple[Any, Any]]:
        """The `n` most common ``(item, count)`` pairs, most common first."""
        self._g.ctx.charge(len(self) >> 4)
        if n is None:
            return sorted(self.items(), key=itemgetter(1), reverse=True)
        return heapq.nlargest(n, self.items(), key=itemgetter(1))

    def elements(self) -> ChargedIterator:
        """Each item repeated as many times as its count (a charged iterator)."""
        pairs = list(dict.items(self))
        return ChargedIterator.make(self._g, _elements(pairs))

    def update(self, iterable: Any = None, /, **kwds: Any) -> None:
        """Add counts from a mapping, or count the items of an iterable."""
        g = self._g
        if iterable is not None:
            if isinstance(iterable, dict):
                g.ctx.charge(len(iterable) >> 4)
                if self:
                    for elem, count in list(iterable.items()):
                        self[elem] = g.add(count, dict.get(self, elem, 0))
                else:  # as CPython: an empty Counter takes the counts as they are
                    dict.update(self, iterable)
            else:
                for elem in materialize(g, iterable, "Counter input"):
                    self[elem] = dict.get(self, elem, 0) + 1
        if kwds:
            self.update(kwds)
        bounded(self)

    def subtract(self, iterable: Any = None, /, **kwds: Any) -> None:
        """Subtract counts (they may go to zero or below)."""
        g = self._g
        if iterable is not None:
            if isinstance(iterable, dict):
                for elem, count in list(iterable.items()):
                    self[elem] = dict.get(self, elem, 0) - count
            else:
                for elem in materialize(g, iterable, "Counter input"):
                    self[elem] = dict.get(self, elem, 0) - 1
        if kwds:
            self.subtract(kwds)
        bounded(self)

    def copy(self) -> CounterBase:
        """A shallow copy."""
        return type(self)(self)

    @classmethod
    def fromkeys(cls, iterable: Any, v: Any = None) -> Any:
        """Not available, as in CPython."""
        raise NotImplementedError("Counter.fromkeys() is undefined; use Counter(iterable)")

    def _combine(self, other: Any, pick: Any) -> Any:
        if not isinstance(other, CounterBase):
            return NotImplemented
        self._g.ctx.charge((len(self) + len(other)) >> 4)
        out = type(self)()
        for elem in [*self, *(e for e in other if e not in self)]:
            count = pick(self[elem], other[elem])
            if count > 0:
                dict.__setitem__(out, elem, count)
        return out

    def __add__(self, other: Any) -> Any:
        return self._combine(other, self._g.add)

    def __sub__(self, other: Any) -> Any:
        return self._combine(other, lambda a, b: a - b)

    def __or__(self, other: Any) -> Any:
        return self._combine(other, max)

    def __and__(self, other: Any) -> Any:
        return self._combine(other, min)

    def __pos__(self) -> Any:
        self._g.ctx.charge(len(self) >> 4)
        return type(self)({k: v for k, v in self.items() if v > 0})

    def __neg__(self) -> Any:
        self._g.ctx.charge(len(self) >> 4)
        return type(self)({k: -v for k, v in self.items() if v < 0})

    def _inplace(self, result: Any) -> Any:
        if result is NotImplemented:
            return result
        dict.clear(self)
        dict.update(self, result)
        return self

    def __iadd__(self, other: Any) -> Any:
        return self._inplace(self + other)

    def __isub__(self, other: Any) -> Any:
        return self._inplace(self - other)

    def __ior__(self, other: Any) -> Any:
        return self._inplace(self | other)

    def __iand__(self, other: Any) -> Any:
        return self._inplace(self & other)

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, CounterBase):
            return NotImplemented
        self._g.ctx.charge((len(self) + len(other)) >> 4)
        return all(self[e] == other[e] for c in (self, other) for e in c)

    def __ne__(self, other: Any) -> bool:
        if not isinstance(other, CounterBase):
            return NotImplemented
        return not self == other

    __hash__ = None  # type: ignore[assignment]


def _elements(pairs: list[tuple[Any, Any]]) -> Any:
    for elem, count in pairs:
        if type(count) is not int and type(count) is not bool:
            raise TypeError("elements() needs integer counts")
        for _ in range(count) if count > 0 else ():
            yield elem
