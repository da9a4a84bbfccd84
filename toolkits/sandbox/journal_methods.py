"""Journaling versions of the mutating dict and list methods, for state containers.

`StateStore.journaled_method(target, name)` builds one of these for `target`: each
pushes the undo record `StateStore.rollback` replays (the tags below), adopts the
values it stores and releases the containers it removes (so that moves are tracked),
and fails exactly as the CPython method does, before changing anything.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from toolkits.result import ErrorKind
from toolkits.sandbox.classes import named_like_cpython

if TYPE_CHECKING:
    from toolkits.sandbox.journal import StateStore

MISSING = object()
"""The old value of a dict key that did not exist (a `D_SET` record then deletes it)."""

# undo record tags, replayed newest first by StateStore.rollback (D_DEL: older journals)
D_SET, D_DEL, D_SNAP, L_SET, L_TRUNC, L_SNAP, L_PUSH = range(7)

Factory = Callable[["StateStore", Any], Callable[..., Any]]


@named_like_cpython(setdefault="dict.setdefault")
def _d_setdefault(store: StateStore, d: dict) -> Callable[..., Any]:
    def setdefault(key: Any, default: Any = None) -> Any:
        if key in d:
            return d[key]
        store.set_item(d, key, default)
        return d[key]

    return setdefault


@named_like_cpython(update="dict.update")
def _d_update(store: StateStore, d: dict) -> Callable[..., Any]:
    def update(*args: Any, **kwargs: Any) -> None:
        pairs = dict(*args, **kwargs)
        store.ctx.charge(len(pairs))
        for k, v in pairs.items():
            store.set_item(d, k, v)

    return update


@named_like_cpython(pop="dict.pop")
def _d_pop(store: StateStore, d: dict) -> Callable[..., Any]:
    def pop(key: Any, *default: Any) -> Any:
        if key not in d:
            return d.pop(key, *default)
        value = d[key]
        store.del_item(d, key)
        return value

    return pop


@named_like_cpython(popitem="dict.popitem")
def _d_popitem(store: StateStore, d: dict) -> Callable[..., Any]:
    def popitem() -> tuple[Any, Any]:
        key, value = d.popitem()
        store.note((D_SET, d, key, value))  # re-inserting at the end keeps order
        if type(value) is dict or type(value) is list:
            store.release(value, d)
        return key, value

    return popitem


@named_like_cpython(clear="dict.clear")
def _d_clear(store: StateStore, d: dict) -> Callable[..., Any]:
    def clear() -> None:
        values = list(d.values())
        store.snapshot(d)
        d.clear()
        store.release_all(values, d)

    return clear


@named_like_cpython(append="list.append")
def _l_append(store: StateStore, lst: list) -> Callable[..., Any]:
    depth = store.registry[id(lst)][1]
    key, snapped, undo = id(lst), store._snapped, store._undo

    def append(value: Any) -> None:
        store.adopt(value, lst, depth + 1)
        if key not in snapped:  # store.note, inlined: append is hot
            undo.append((L_TRUNC, lst, len(lst)))
        lst.append(value)

    return append


@named_like_cpython(extend="list.extend")
def _l_extend(store: StateStore, lst: list) -> Callable[..., Any]:
    depth = store.registry[id(lst)][1]

    def extend(values: Any) -> None:
        items = list(values)
        limit = store.ctx.limits.max_container_length
        if len(lst) + len(items) > limit:
            store.ctx.fail(ErrorKind.resource_limit, f"list would exceed {limit} items")
        for item in items:
            store.adopt(item, lst, depth + 1)
        store.note((L_TRUNC, lst, len(lst)))
        lst.extend(items)

    return extend


@named_like_cpython(pop="list.pop")
def _l_pop(store: StateStore, lst: list) -> Callable[..., Any]:
    def pop(index: int = -1) -> Any:
        if lst and (index == -1 or index == len(lst) - 1):
            value = lst.pop()
            store.note((L_PUSH, lst, value))
        else:
            operator.index(index)  # CPython's TypeError before anything is saved
            store.snapshot(lst)
            value = lst.pop(index)
        if type(value) is dict or type(value) is list:
            store.release(value, lst)
        return value

    return pop


@named_like_cpython(insert="list.insert")
def _l_insert(store: StateStore, lst: list) -> Callable[..., Any]:
    depth = store.registry[id(lst)][1]

    def insert(index: Any, value: Any) -> None:
        operator.index(index)  # CPython's TypeError before anything is stored
        store.adopt(value, lst, depth + 1)
        store.snapshot(lst)
        lst.insert(index, value)

    return insert


@named_like_cpython(remove="list.remove")
def _l_remove(store: StateStore, lst: list) -> Callable[..., Any]:
    def remove(value: Any) -> None:
        store.ctx.charge(len(lst) // 64)
        for index, item in enumerate(lst):  # noqa: B007 - index is used after the loop
            if item is value or item == value:
                break
        else:
            raise ValueError("list.remove(x): x not in list")
        store.snapshot(lst)
        del lst[index]
        if type(item) is dict or type(item) is list:
            store.release(item, lst)

    return remove


@named_like_cpython(clear="list.clear")
def _l_clear(store: StateStore, lst: list) -> Callable[..., Any]:
    def clear() -> None:
        items = lst[:]
        store.snapshot(lst)
        lst.clear()
        store.release_all(items, lst)

    return clear


def _l_reordering(name: str) -> Factory:
    """`sort` and `reverse`: the same items in another order (nothing moves)."""

    def factory(store: StateStore, lst: list) -> Callable[..., Any]:
        method = getattr(lst, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            store.ctx.charge(len(lst) // 64)
            store.snapshot(lst)
            return method(*args, **kwargs)

        call.__name__, call.__qualname__ = name, f"list.{name}"
        return call

    return factory


DICT_METHODS: dict[str, Factory] = {
    "setdefault": _d_setdefault,
    "update": _d_update,
    "pop": _d_pop,
    "popitem": _d_popitem,
    "clear": _d_clear,
}
LIST_METHODS: dict[str, Factory] = {
    "append": _l_append,
    "extend": _l_extend,
    "pop": _l_pop,
    "insert": _l_insert,
    "remove": _l_remove,
    "clear": _l_clear,
    "sort": _l_reordering("sort"),
    "reverse": _l_reordering("reverse"),
}
DICT_MUTATORS = frozenset(DICT_METHODS)
LIST_MUTATORS = frozenset(LIST_METHODS)
