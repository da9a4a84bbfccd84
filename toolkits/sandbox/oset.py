"""`OrderedSet`: the sandbox's `set`, iterating in insertion order.

Python's `set` iterates strings in an order that depends on the process's hash seed,
so a tool that returns `list(some_set)` would give different results in another
process, and replay would fail. Set displays, set comprehensions and `set()` in the
sandbox build this class instead; it supports the operators and methods tool code uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


class OrderedSet:
    """A mutable set that remembers insertion order (backed by a dict)."""

    __slots__ = ("_items",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, items: Iterable[Any] = ()):
        self._items: dict[Any, None] = dict.fromkeys(items)

    # protocol
    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item: Any) -> bool:
        return item in self._items

    def __repr__(self) -> str:
        if not self._items:
            return "set()"
        return "{" + ", ".join(repr(x) for x in self._items) + "}"

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, (OrderedSet, set, frozenset)):
            return len(self) == len(other) and all(x in self._items for x in other)
        return NotImplemented

    def __le__(self, other: Any) -> bool:
        return self.issubset(other)

    def __lt__(self, other: Any) -> bool:
        return len(self) < len(other) and self.issubset(other)

    def __ge__(self, other: Any) -> bool:
        return self.issuperset(other)

    def __gt__(self, other: Any) -> bool:
        return len(self) > len(other) and self.issuperset(other)

    def __or__(self, other: Any) -> OrderedSet:
        return self.union(other)

    __ror__ = __or__

    def __and__(self, other: Any) -> OrderedSet:
        return self.intersection(other)

    def __rand__(self, other: Any) -> OrderedSet:
        return OrderedSet(x for x in other if x in self._items)

    def __sub__(self, other: Any) -> OrderedSet:
        return self.difference(other)

    def __rsub__(self, other: Any) -> OrderedSet:
        return OrderedSet(x for x in other if x not in self._items)

    def __xor__(self, other: Any) -> OrderedSet:
        return self.symmetric_difference(other)

    __rxor__ = __xor__

    def __ior__(self, other: Any) -> OrderedSet:
        self.update(other)
        return self

    def __iand__(self, other: Any) -> OrderedSet:
        self.intersection_update(other)
        return self

    def __isub__(self, other: Any) -> OrderedSet:
        self.difference_update(other)
        return self

    # methods
    def add(self, item: Any) -> None:
        """Add `item`."""
        self._items[item] = None

    def discard(self, item: Any) -> None:
        """Remove `item` if present."""
        self._items.pop(item, None)

    def remove(self, item: Any) -> None:
        """Remove `item`; KeyError if absent."""
        del self._items[item]

    def pop(self) -> Any:
        """Remove and return the most recently added item."""
        return self._items.popitem()[0]

    def clear(self) -> None:
        """Remove everything."""
        self._items.clear()

    def copy(self) -> OrderedSet:
        """A shallow copy."""
        return OrderedSet(self._items)

    def update(self, *others: Iterable[Any]) -> None:
        """Add the items of every iterable."""
        for other in others:
            self._items.update(dict.fromkeys(other))

    def union(self, *others: Iterable[Any]) -> OrderedSet:
        """Items in this set or any of `others`."""
        out = self.copy()
        out.update(*others)
        return out

    def intersection(self, *others: Iterable[Any]) -> OrderedSet:
        """Items in this set and in every one of `others`."""
        keep = [_as_container(o) for o in others]
        return OrderedSet(x for x in self._items if all(x in o for o in keep))

    def difference(self, *others: Iterable[Any]) -> OrderedSet:
        """Items in this set and in none of `others`."""
        drop = [_as_container(o) for o in others]
        return OrderedSet(x for x in self._items if not any(x in o for o in drop))

    def symmetric_difference(self, other: Iterable[Any]) -> OrderedSet:
        """Items in exactly one of the two."""
        other_items = dict.fromkeys(other)
        out = OrderedSet(x for x in self._items if x not in other_items)
        out.update(x for x in other_items if x not in self._items)
        return out

    def intersection_update(self, *others: Iterable[Any]) -> None:
        """Keep only items also in every one of `others`."""
        self._items = self.intersection(*others)._items

    def difference_update(self, *others: Iterable[Any]) -> None:
        """Remove items found in any of `others`."""
        self._items = self.difference(*others)._items

    def issubset(self, other: Iterable[Any]) -> bool:
        """Every item is in `other`."""
        container = _as_container(other)
        return all(x in container for x in self._items)

    def issuperset(self, other: Iterable[Any]) -> bool:
        """Every item of `other` is in this set."""
        return all(x in self._items for x in other)

    def isdisjoint(self, other: Iterable[Any]) -> bool:
        """No item in common."""
        return not any(x in self._items for x in other)


def _as_container(items: Iterable[Any]) -> Any:
    if isinstance(items, (OrderedSet, set, frozenset, dict)):
        return items
    return dict.fromkeys(items)


#: Methods taking iterables: the sandbox charges their total size before calling.
OSET_BULK_METHODS = frozenset(
    {
        "update",
        "union",
        "intersection",
        "difference",
        "symmetric_difference",
        "intersection_update",
        "difference_update",
        "issubset",
        "issuperset",
        "isdisjoint",
    }
)
#: Every method tool code may call on a set.
OSET_METHODS = OSET_BULK_METHODS | {"add", "discard", "remove", "pop", "clear", "copy"}


class KeysView:
    """`d.keys()` in the sandbox: a live view whose set operations give `OrderedSet`s."""

    __slots__ = ("_d",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, d: dict[Any, Any]):
        self._d = d

    def _items(self) -> Iterable[Any]:
        return self._d

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items())

    def __reversed__(self) -> Iterator[Any]:
        return reversed(self._items())  # type: ignore[call-overload]

    def __len__(self) -> int:
        return len(self._d)

    def __contains__(self, item: Any) -> bool:
        return item in self._d

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self._items())!r})"

    def __eq__(self, other: Any) -> bool:
        return OrderedSet(self._items()) == other

    def __or__(self, other: Any) -> OrderedSet:
        return OrderedSet(self._items()) | other

    __ror__ = __or__

    def __and__(self, other: Any) -> OrderedSet:
        return OrderedSet(self._items()) & other

    def __rand__(self, other: Any) -> OrderedSet:
        return OrderedSet(other) & OrderedSet(self._items())

    def __sub__(self, other: Any) -> OrderedSet:
        return OrderedSet(self._items()) - other

    def __rsub__(self, other: Any) -> OrderedSet:
        return OrderedSet(other) - OrderedSet(self._items())

    def __xor__(self, other: Any) -> OrderedSet:
        return OrderedSet(self._items()) ^ other

    __rxor__ = __xor__

    def isdisjoint(self, other: Iterable[Any]) -> bool:
        """No item in common."""
        return OrderedSet(self._items()).isdisjoint(other)


class ItemsView(KeysView):
    """`d.items()` in the sandbox: `(key, value)` pairs, set operations as `OrderedSet`s."""

    __slots__ = ()

    def _items(self) -> Iterable[Any]:
        return self._d.items()

    def __contains__(self, item: Any) -> bool:
        return item in self._d.items()
