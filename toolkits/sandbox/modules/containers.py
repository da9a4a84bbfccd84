"""The sandbox's ``collections``: Counter, defaultdict, OrderedDict and deque.

Each toolkit gets its own subclasses of the bases below (`build`), which carry the
toolkit's guards, so constructors and bulk methods are bounded and charged. Counter,
defaultdict and OrderedDict are dicts (``isinstance(c, dict)`` holds, they serialize as
the dict they hold) whose ``keys()``/``items()`` are the sandbox's insertion-ordered
views; deque keeps its items in a real ``collections.deque`` it never hands out.
``namedtuple`` is refused (it defines a class by running generated code).
"""

from __future__ import annotations

import collections as _collections
import sys
from dataclasses import replace
from typing import Any

from toolkits.sandbox.modules.core import PLAIN, Rules, materialize
from toolkits.sandbox.modules.counting import CounterBase, fill
from toolkits.sandbox.oset import ItemsView, KeysView


class DefaultDictBase(dict):
    """``collections.defaultdict``: missing keys get ``default_factory()``."""

    __slots__ = ("default_factory",)
    _g: Any

    def __init__(self, default_factory: Any = None, /, *args: Any, **kwargs: Any):
        if default_factory is not None and not callable(default_factory):
            raise TypeError("first argument must be callable or None")
        super().__init__()
        self.default_factory = default_factory
        fill(self, args, kwargs)

    def __missing__(self, key: Any) -> Any:
        if self.default_factory is None:
            raise KeyError(key)
        value = self.default_factory()
        self[key] = value
        return value

    def copy(self) -> DefaultDictBase:
        """A shallow copy (same factory)."""
        return type(self)(self.default_factory, self)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """``dict.update``, bounded."""
        fill(self, args, kwargs)

    def __or__(self, other: Any) -> Any:
        if not isinstance(other, dict):
            return NotImplemented
        out = self.copy()
        out.update(other)
        return out


class OrderedDictBase(dict):
    """``collections.OrderedDict``: a dict whose order can be changed, order-aware ``==``."""

    __slots__ = ()
    _g: Any

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__()
        fill(self, args, kwargs)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """``dict.update``, bounded."""
        fill(self, args, kwargs)

    def move_to_end(self, key: Any, last: bool = True) -> None:
        """Move `key` to the end (or, with ``last=False``, to the start)."""
        value = dict.pop(self, key)
        if last:
            dict.__setitem__(self, key, value)
            return
        self._g.ctx.charge(len(self) >> 4)
        rest = list(dict.items(self))
        dict.clear(self)
        dict.__setitem__(self, key, value)
        dict.update(self, rest)

    def popitem(self, last: bool = True) -> tuple[Any, Any]:
        """Remove and return the last (or, with ``last=False``, the first) pair."""
        if not self:
            raise KeyError("dictionary is empty")
        if last:
            return dict.popitem(self)
        key = next(iter(self))
        return key, dict.pop(self, key)

    def copy(self) -> OrderedDictBase:
        """A shallow copy."""
        return type(self)(self)

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, OrderedDictBase):
            self._g.ctx.charge(len(self) >> 4)
            return dict.__eq__(self, other) and list(self) == list(other)
        return dict.__eq__(self, other)

    def __ne__(self, other: Any) -> bool:
        return not self == other

    def __or__(self, other: Any) -> Any:
        if not isinstance(other, dict):
            return NotImplemented
        out = self.copy()
        out.update(other)
        return out

    __hash__ = None  # type: ignore[assignment]


class DequeBase:
    """``collections.deque``: a double-ended queue, optionally bounded by `maxlen`."""

    __slots__ = ("_d",)
    _g: Any

    def __init__(self, iterable: Any = (), maxlen: Any = None):
        if maxlen is not None and (type(maxlen) is not int or maxlen < 0):
            raise ValueError("maxlen must be None or a non-negative integer")
        self._d = _collections.deque(list(materialize(self._g, iterable, "deque input")), maxlen)

    def _room(self, n: int) -> None:
        if self._d.maxlen is None and len(self._d) + n > self._g.max_items:
            self._g.too_big(f"deque would exceed {self._g.max_items} items")

    @property
    def maxlen(self) -> int | None:
        """The bound on the length, or None."""
        return self._d.maxlen

    def append(self, x: Any) -> None:
        """Add `x` at the right end."""
        self._room(1)
        self._d.append(x)

    def appendleft(self, x: Any) -> None:
        """Add `x` at the left end."""
        self._room(1)
        self._d.appendleft(x)

    def extend(self, iterable: Any) -> None:
        """Add the items at the right end."""
        items = list(materialize(self._g, iterable, "deque input"))
        self._room(len(items))
        self._d.extend(items)

    def extendleft(self, iterable: Any) -> None:
        """Add the items at the left end (reversing their order, as CPython does)."""
        items = list(materialize(self._g, iterable, "deque input"))
        self._room(len(items))
        self._d.extendleft(items)

    def insert(self, i: Any, x: Any) -> None:
        """Insert `x` before position `i`."""
        self._room(1)
        self._d.insert(i, x)

    def pop(self) -> Any:
        """Remove and return the rightmost item."""
        return self._d.pop()

    def popleft(self) -> Any:
        """Remove and return the leftmost item."""
        return self._d.popleft()

    def rotate(self, n: Any = 1) -> None:
        """Rotate `n` steps to the right (left when negative)."""
        self._d.rotate(n)

    def copy(self) -> DequeBase:
        """A shallow copy."""
        return type(self)(self._d, self._d.maxlen)

    def clear(self) -> None:
        """Remove every item."""
        self._d.clear()

    def count(self, x: Any) -> int:
        """How many items equal `x`."""
        return self._d.count(x)

    def index(self, x: Any, *bounds: Any) -> int:
        """The position of the first item equal to `x`."""
        return self._d.index(x, *bounds)

    def remove(self, x: Any) -> None:
        """Remove the first item equal to `x`."""
        self._d.remove(x)

    def reverse(self) -> None:
        """Reverse the items in place."""
        self._d.reverse()

    def __len__(self) -> int:
        return len(self._d)

    def __iter__(self) -> Any:
        return iter(self._d)

    def __reversed__(self) -> Any:
        return reversed(self._d)

    def __contains__(self, x: Any) -> bool:
        return x in self._d

    def __getitem__(self, i: Any) -> Any:
        return self._d[i]

    def __setitem__(self, i: Any, x: Any) -> None:
        self._d[i] = x

    def __delitem__(self, i: Any) -> None:
        del self._d[i]

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, DequeBase):
            return NotImplemented
        self._g.ctx.charge(len(self._d) >> 4)
        return self._d == other._d

    def __add__(self, other: Any) -> Any:
        if not isinstance(other, DequeBase):
            return NotImplemented
        self._room(len(other._d))
        return type(self)([*self._d, *other._d], self._d.maxlen)

    __hash__ = None  # type: ignore[assignment]


_DICT_NAMES = ("get", "values", "pop", "popitem", "setdefault", "clear", "copy", "update")
_VIEWS = {
    "keys": lambda g, d: lambda: KeysView(d),
    "items": lambda g, d: lambda: ItemsView(d),
}
_DEQUE_NAMES = ("append", "appendleft", "extend", "extendleft", "insert", "pop", "popleft")
_DEQUE_NAMES += ("rotate", "copy", "clear", "count", "index", "remove", "reverse", "maxlen")


def _counter_text(guards: Any, c: Any, repr_: bool) -> str:
    if not c:
        return "Counter()"
    try:
        shown = dict(c.most_common())
    except TypeError:
        shown = dict(c)
    return f"Counter({guards.safe_repr(shown)})"


def _defaultdict_text(guards: Any, d: Any, repr_: bool) -> str:
    factory = guards.safe_repr(d.default_factory)
    return f"defaultdict({factory}, {guards.safe_repr(dict(d))})"


def _ordereddict_text(guards: Any, d: Any, repr_: bool) -> str:
    if not d:
        return "OrderedDict()"
    if sys.version_info >= (3, 12):
        return f"OrderedDict({guards.safe_repr(dict(d))})"
    return f"OrderedDict({guards.safe_repr(list(dict.items(d)))})"


def _deque_text(guards: Any, d: Any, repr_: bool) -> str:
    bound = "" if d.maxlen is None else f", maxlen={d.maxlen}"
    return f"deque({guards.safe_repr(list(d))}{bound})"


def _class_text(guards: Any, cls: Any, repr_: bool) -> str:
    return f"<class 'collections.{cls.__name__}'>"


_DICT_HINT = "use dict(...) of it"
INSTANCE_RULES: dict[type, Rules] = {
    CounterBase: Rules(
        "Counter",
        {
            **dict.fromkeys(_DICT_NAMES, PLAIN),
            **_VIEWS,
            **dict.fromkeys(("most_common", "elements", "subtract", "total"), PLAIN),
        },
        text=_counter_text,
        hint=_DICT_HINT,
        exposed=True,
    ),
    DefaultDictBase: Rules(
        "defaultdict",
        {**dict.fromkeys((*_DICT_NAMES, "default_factory"), PLAIN), **_VIEWS},
        text=_defaultdict_text,
        hint=_DICT_HINT,
        exposed=True,
    ),
    OrderedDictBase: Rules(
        "OrderedDict",
        {**dict.fromkeys((*_DICT_NAMES, "move_to_end"), PLAIN), **_VIEWS},
        text=_ordereddict_text,
        hint=_DICT_HINT,
        exposed=True,
    ),
    DequeBase: Rules(
        "deque",
        dict.fromkeys(_DEQUE_NAMES, PLAIN),
        text=_deque_text,
        hint="use list(...) of it",
        exposed=True,
    ),
}
_CPYTHON = {
    CounterBase: _collections.Counter,
    DefaultDictBase: _collections.defaultdict,
    OrderedDictBase: _collections.OrderedDict,
    DequeBase: _collections.deque,
}
for _base, _rules in list(INSTANCE_RULES.items()):
    INSTANCE_RULES[_base] = replace(_rules, counterpart=_CPYTHON[_base]())


def _fromkeys(guards: Any, cls: Any) -> Any:
    def fromkeys(iterable: Any, value: Any = None) -> Any:
        """``OrderedDict.fromkeys``: the keys of `iterable`, each mapped to `value`."""
        return cls((key, value) for key in materialize(guards, iterable, "fromkeys() input"))

    return fromkeys


_CLASS_ATTRIBUTES: dict[type, dict[str, Any]] = {OrderedDictBase: {"fromkeys": _fromkeys}}
CLASS_RULES: dict[type, Rules] = {
    base: Rules(
        f"collections.{rules.name}",
        _CLASS_ATTRIBUTES.get(base, {}),
        text=_class_text,
        counterpart=_CPYTHON[base],
    )
    for base, rules in INSTANCE_RULES.items()
}
BASES = tuple(INSTANCE_RULES)


def build(guards: Any) -> dict[str, Any]:
    """The names of the ``collections`` facade: classes bound to `guards`."""
    return {
        name: type(name, (base,), {"__slots__": (), "_g": guards, "__module__": "collections"})
        for name, base in (
            ("Counter", CounterBase),
            ("defaultdict", DefaultDictBase),
            ("OrderedDict", OrderedDictBase),
            ("deque", DequeBase),
        )
    }
