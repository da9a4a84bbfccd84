"""The live state of a toolkit, kept atomic without copying it per call.

`StateStore` knows every container (dict or list) reachable from the state in a
registry keyed by `id`. Writes into a registered container go through journaling
writers (`write`, `journaled_method`) that

- check that the value written is JSON (str keys, finite numbers, no tuples, sets or
  functions) and not nested deeper than `max_state_depth`, charging a step per node;
- register the new containers (a container already in the state is copied, so the
  state stays a tree, as JSON is);
- push an undo record, so that `rollback()` restores the state exactly, including
  dict key order, in time proportional to what the call changed.

Writes into containers that are not part of the state are plain Python.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from toolkits.result import ErrorKind
from toolkits.sandbox.context import CallContext

_MISSING = object()

# undo record tags
_D_SET, _D_DEL, _D_SNAP, _L_SET, _L_TRUNC, _L_SNAP, _L_PUSH = range(7)


#: id -> (container, depth) for every container of a state, and the deepest depth.
ContainerIndex = tuple[dict[int, tuple[Any, int]], int]


def index_containers(state: dict[str, Any]) -> ContainerIndex:
    """Every container reachable from `state` with its depth (the top object is 0)."""
    registry: dict[int, tuple[Any, int]] = {}
    deepest = 0
    stack: list[tuple[Any, int]] = [(state, 0)]
    while stack:
        obj, depth = stack.pop()
        registry[id(obj)] = (obj, depth)
        deepest = max(deepest, depth)
        children = obj.values() if type(obj) is dict else obj
        for child in children:
            if type(child) is dict or type(child) is list:
                stack.append((child, depth + 1))
    return registry, deepest


class StateStore:
    """Owns the live state, the registry of its containers and the undo journal."""

    def __init__(self, ctx: CallContext):
        self.ctx = ctx
        self.state: dict[str, Any] = {}
        self.registry: dict[int, tuple[Any, int]] = {}
        self._undo: list[tuple[Any, ...]] = []
        self._added: list[int] = []
        self._rebuild_at = 1024

    # -- loading and registry ----------------------------------------------------------

    def load(self, state: dict[str, Any], index: ContainerIndex | None = None) -> None:
        """Adopt `state` (already a JSON copy) as the live state.

        `index` is `index_containers(state)` when the caller already computed it.
        """
        self.state = state
        self._undo.clear()
        self._added.clear()
        self._install(index or index_containers(state))

    def rebuild(self) -> None:
        """Recompute the registry from the live state (drops containers no longer in it)."""
        self._install(index_containers(self.state))

    def _install(self, index: ContainerIndex) -> None:
        self.registry = index[0]
        self._rebuild_at = 2 * len(self.registry) + 1024

    def is_state(self, obj: Any) -> bool:
        """True when `obj` is a container of the live state."""
        return id(obj) in self.registry

    # -- transactions ----------------------------------------------------------------

    def commit(self) -> None:
        """Forget the undo journal of a successful call."""
        self._undo.clear()
        self._added.clear()
        if len(self.registry) > self._rebuild_at:
            self.rebuild()

    def rollback(self) -> None:
        """Undo every write of the current call, newest first."""
        undo = self._undo
        while undo:
            rec = undo.pop()
            tag, target = rec[0], rec[1]
            if tag == _D_SET:
                if rec[3] is _MISSING:
                    target.pop(rec[2], None)
                else:
                    target[rec[2]] = rec[3]
            elif tag == _D_DEL:
                keys, key = rec[2], rec[3]
                target[key] = rec[4]
                for k in keys[keys.index(key) + 1 :]:
                    if k in target:
                        target[k] = target.pop(k)
            elif tag == _D_SNAP:
                target.clear()
                target.update(rec[2])
            elif tag == _L_SET:
                target[rec[2]] = rec[3]
            elif tag == _L_TRUNC:
                del target[rec[2] :]
            elif tag == _L_SNAP:
                target[:] = rec[2]
            elif tag == _L_PUSH:
                target.append(rec[2])
        registry = self.registry
        for key in self._added:
            registry.pop(key, None)
        self._added.clear()

    # -- adopting written values -------------------------------------------------------

    def adopt(self, value: Any, depth: int) -> Any:
        """Check that `value` may be stored at `depth`; register its containers.

        Returns the value to store: the value itself, or a copy when it is a container
        that is already part of the state (the state stays a tree, as JSON is).
        """
        t = type(value)
        if t is dict or t is list:
            if id(value) in self.registry:
                value = self._copy(value, depth)
            self._adopt_container(value, depth)
            return value
        self._check_scalar(value)
        return value

    def _adopt_container(self, root: Any, depth: int) -> None:
        self._register(root, depth)
        ctx = self.ctx
        stack: list[tuple[Any, int]] = [(root, depth)]
        while stack:
            obj, d = stack.pop()
            ctx.charge(len(obj))
            if type(obj) is dict:
                for k, child in obj.items():
                    if type(k) is not str:
                        self._invalid(f"dict key {k!r} is not a string (JSON keys are strings)")
                    if not k.isascii():
                        self._check_scalar(k)
                    self._check_child(obj, k, child, d, stack)
            else:
                for i, child in enumerate(obj):
                    self._check_child(obj, i, child, d, stack)

    def _register(self, obj: Any, depth: int) -> None:
        if depth > self.ctx.limits.max_state_depth:
            self._invalid(f"value nested deeper than {self.ctx.limits.max_state_depth} levels")
        key = id(obj)
        self.registry[key] = (obj, depth)
        self._added.append(key)

    def _check_child(self, parent: Any, key: Any, child: Any, d: int, stack: list) -> None:
        t = type(child)
        if t is dict or t is list:
            if id(child) in self.registry:  # already in the state, or met twice in this value
                child = self._copy(child, d + 1)
                parent[key] = child
            self._register(child, d + 1)
            stack.append((child, d + 1))
        elif t is str:
            if not child.isascii():
                self._check_scalar(child)
        elif not (t is bool or child is None):
            self._check_scalar(child)

    def _check_scalar(self, value: Any) -> None:
        t = type(value)
        if t is str:
            if not value.isascii():
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    self._invalid("a string holding a lone surrogate is not valid UTF-8 JSON")
        elif t is int:
            if value.bit_length() > self.ctx.limits.max_int_bits:
                self._invalid(f"an integer over {self.ctx.limits.max_int_bits} bits")
        elif t is float:
            if not math.isfinite(value):
                self._invalid(f"{value} is not a JSON number")
        elif not (t is bool or value is None):
            self._invalid(_not_json(value))

    def _copy(self, value: Any, depth: int) -> Any:
        """Tree copy of a container already in the state (or a cycle: then it fails)."""
        limit = self.ctx.limits.max_state_depth
        if depth > limit:
            self._invalid(f"value nested deeper than {limit} levels (a cycle?)")
        self.ctx.charge(len(value))
        if type(value) is dict:
            return {
                k: self._copy(v, depth + 1) if type(v) in (dict, list) else v
                for k, v in value.items()
            }
        return [self._copy(v, depth + 1) if type(v) in (dict, list) else v for v in value]

    def _invalid(self, message: str) -> None:
        self.ctx.fail(ErrorKind.invalid_state, f"cannot store in state: {message}")

    # -- journaled writes --------------------------------------------------------------

    def set_item(self, target: Any, key: Any, value: Any) -> None:
        """`target[key] = value` on a state container, journaled."""
        _, depth = self.registry[id(target)]
        if type(target) is dict:
            if type(key) is not str:
                self._invalid(f"dict key {key!r} is not a string (JSON keys are strings)")
            old = target.get(key, _MISSING)
            if old is value:
                return
            value = self.adopt(value, depth + 1)
            self._undo.append((_D_SET, target, key, old))
            target[key] = value
        elif type(key) is slice:
            items = [self.adopt(v, depth + 1) for v in list(value)]
            self._undo.append((_L_SNAP, target, target[:]))
            target[key] = items
        else:
            old = target[key]
            if old is value:
                return
            value = self.adopt(value, depth + 1)
            index = key if key >= 0 else len(target) + key
            self._undo.append((_L_SET, target, index, old))
            target[key] = value

    def del_item(self, target: Any, key: Any) -> None:
        """`del target[key]` on a state container, journaled."""
        if type(target) is dict:
            old = target[key]
            self._undo.append((_D_DEL, target, list(target), key, old))
            del target[key]
        else:
            self._undo.append((_L_SNAP, target, target[:]))
            del target[key]

    def journaled_method(self, target: Any, name: str) -> Callable[..., Any]:
        """Return a journaling version of a mutating dict or list method of `target`."""
        factory = _DICT_METHODS.get(name) if type(target) is dict else _LIST_METHODS.get(name)
        assert factory is not None
        return factory(self, target)


def _not_json(value: Any) -> str:
    from toolkits.sandbox import modules  # lazy: modules imports the sandbox's guards

    hint_of_module = modules.json_hint(value)
    if hint_of_module is not None:
        return f"a {type(value).__name__} is not JSON; {hint_of_module}"
    name = type(value).__name__
    hint = {"tuple": "use a list", "OrderedSet": "use a sorted list", "set": "use a sorted list"}
    return f"a {name} is not JSON" + (f"; {hint[name]}" if name in hint else "")


# -- journaling method factories --------------------------------------------------------


def _d_setdefault(store: StateStore, d: dict) -> Callable[..., Any]:
    def setdefault(key: Any, default: Any = None) -> Any:
        if key in d:
            return d[key]
        store.set_item(d, key, default)
        return d[key]

    return setdefault


def _d_update(store: StateStore, d: dict) -> Callable[..., Any]:
    def update(*args: Any, **kwargs: Any) -> None:
        pairs = dict(*args, **kwargs)
        store.ctx.charge(len(pairs))
        for k, v in pairs.items():
            store.set_item(d, k, v)

    return update


def _d_pop(store: StateStore, d: dict) -> Callable[..., Any]:
    def pop(key: Any, *default: Any) -> Any:
        if key not in d:
            return d.pop(key, *default)
        value = d[key]
        store.del_item(d, key)
        return value

    return pop


def _d_popitem(store: StateStore, d: dict) -> Callable[..., Any]:
    def popitem() -> tuple[Any, Any]:
        key, value = d.popitem()
        store._undo.append((_D_SET, d, key, value))  # re-inserting at the end keeps order
        return key, value

    return popitem


def _d_clear(store: StateStore, d: dict) -> Callable[..., Any]:
    def clear() -> None:
        store._undo.append((_D_SNAP, d, list(d.items())))
        d.clear()

    return clear


def _l_append(store: StateStore, lst: list) -> Callable[..., Any]:
    depth = store.registry[id(lst)][1]

    def append(value: Any) -> None:
        value = store.adopt(value, depth + 1)
        store._undo.append((_L_TRUNC, lst, len(lst)))
        lst.append(value)

    return append


def _l_extend(store: StateStore, lst: list) -> Callable[..., Any]:
    depth = store.registry[id(lst)][1]

    def extend(values: Any) -> None:
        items = list(values)
        limit = store.ctx.limits.max_container_length
        if len(lst) + len(items) > limit:
            store.ctx.fail(ErrorKind.resource_limit, f"list would exceed {limit} items")
        items = [store.adopt(v, depth + 1) for v in items]
        store._undo.append((_L_TRUNC, lst, len(lst)))
        lst.extend(items)

    return extend


def _l_pop(store: StateStore, lst: list) -> Callable[..., Any]:
    def pop(index: int = -1) -> Any:
        if lst and (index == -1 or index == len(lst) - 1):
            value = lst.pop()
            store._undo.append((_L_PUSH, lst, value))
            return value
        store._undo.append((_L_SNAP, lst, lst[:]))
        return lst.pop(index)

    return pop


def _l_snapshotting(name: str) -> Callable[[StateStore, list], Callable[..., Any]]:
    def factory(store: StateStore, lst: list) -> Callable[..., Any]:
        method = getattr(lst, name)
        depth = store.registry[id(lst)][1]

        def call(*args: Any, **kwargs: Any) -> Any:
            if name == "insert" and len(args) == 2:
                args = (args[0], store.adopt(args[1], depth + 1))
            store.ctx.charge(len(lst) // 64)
            store._undo.append((_L_SNAP, lst, lst[:]))
            return method(*args, **kwargs)

        call.__name__ = name
        return call

    return factory


_DICT_METHODS: dict[str, Callable[[StateStore, Any], Callable[..., Any]]] = {
    "setdefault": _d_setdefault,
    "update": _d_update,
    "pop": _d_pop,
    "popitem": _d_popitem,
    "clear": _d_clear,
}
_LIST_METHODS: dict[str, Callable[[StateStore, Any], Callable[..., Any]]] = {
    "append": _l_append,
    "extend": _l_extend,
    "pop": _l_pop,
    **{n: _l_snapshotting(n) for n in ("insert", "remove", "sort", "reverse", "clear")},
}
DICT_MUTATORS = frozenset(_DICT_METHODS)
LIST_MUTATORS = frozenset(_LIST_METHODS)


class StateWriter:
    """What `_write_(x)` returns for a state container: item stores are journaled."""

    __slots__ = ("_store", "_target")

    def __init__(self, store: StateStore, target: Any):
        self._store = store
        self._target = target

    def __setitem__(self, key: Any, value: Any) -> None:
        self._store.set_item(self._target, key, value)

    def __delitem__(self, key: Any) -> None:
        self._store.del_item(self._target, key)
