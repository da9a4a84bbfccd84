"""The live state of a toolkit, kept atomic without copying it per call.

`StateStore` knows every container (dict or list) reachable from the state in a
registry keyed by `id`: the container, its depth and the container holding it. Writes
into a registered container go through journaling writers (`set_item`, `del_item`,
`journaled_method`) that

- check that the value written is JSON (str keys, finite numbers, no tuples, sets or
  functions) and not nested deeper than `max_state_depth`, charging a step per node;
- register the new containers; a container that is already registered is *moved*, not
  copied: it keeps its identity, so later writes through any reference land where
  CPython puts them (whether it ends up stored twice, or inside itself, is decided
  when the call ends: see `toolkits.sandbox.moves`);
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
from toolkits.sandbox.journal_methods import (
    D_DEL,
    D_SET,
    D_SNAP,
    DICT_METHODS,
    DICT_MUTATORS,
    L_PUSH,
    L_SET,
    L_SNAP,
    L_TRUNC,
    LIST_METHODS,
    LIST_MUTATORS,
    MISSING,
)
from toolkits.sandbox.keys import key_message
from toolkits.sandbox.moves import ROOT, MoveTracking

__all__ = [
    "DICT_MUTATORS",
    "LIST_MUTATORS",
    "StateStore",
    "StateWriter",
    "index_containers",
    "key_message",
]
_MISSING = MISSING
#: Undo records kept for `StateStore.rewind` before the history is dropped (memory bound).
HISTORY_RECORDS = 100_000

#: id -> (container, depth, holder) for every container of a state, and the deepest
#: depth. The top object has depth 0 and holder `ROOT`.
ContainerIndex = tuple[dict[int, tuple[Any, int, Any]], int]


def index_containers(state: dict[str, Any]) -> ContainerIndex:
    """Every container reachable from `state` (a tree) with its depth and holder."""
    registry: dict[int, tuple[Any, int, Any]] = {}
    deepest = 0
    stack: list[tuple[Any, int, Any]] = [(state, 0, ROOT)]
    while stack:
        obj, depth, holder = stack.pop()
        registry[id(obj)] = (obj, depth, holder)
        if depth > deepest:
            deepest = depth
        children = obj.values() if type(obj) is dict else obj
        for child in children:
            if type(child) is dict or type(child) is list:
                stack.append((child, depth + 1, obj))
    return registry, deepest


class StateStore(MoveTracking):
    """Owns the live state, the registry of its containers and the undo journal."""

    def __init__(self, ctx: CallContext):
        self.ctx = ctx
        self.state: dict[str, Any] = {}
        self.registry: dict[int, tuple[Any, int, Any]] = {}
        self._undo: list[tuple[Any, ...]] = []
        self._added: list[int] = []
        self._touched: dict[int, list[Any]] = {}
        self._registry_undo: list[tuple[int, Any]] = []
        self._snapped: set[int] = set()  # containers whose whole content is saved this call
        self._rebuild_at = 1024
        # undo records of the calls committed since `load`, newest last (None: dropped)
        self._history: list[tuple[list[Any], list[Any], list[int]]] | None = None
        self._history_records = 0

    # -- loading and registry ----------------------------------------------------------

    def load(self, state: dict[str, Any], index: ContainerIndex | None = None) -> None:
        """Adopt `state` (already a JSON copy) as the live state.

        `index` is `index_containers(state)` when the caller already computed it.
        """
        self.state = state
        self._forget()
        self._install(index or index_containers(state))
        self._history, self._history_records = [], 0

    def rewind(self) -> bool:
        """Return to the state as `load` left it by undoing every call committed since,
        newest first, in time proportional to what they changed. False (nothing done)
        when that history was dropped: it grew past `HISTORY_RECORDS`, or the registry
        was rebuilt; then load a copy again."""
        history = self._history
        if history is None:
            return False
        while history:
            self._undo, self._registry_undo, self._added = history.pop()
            self.rollback()
        self._history_records = 0
        return True

    def unchanged(self) -> bool:
        """True when no committed call changed the state since `load`."""
        return self._history is not None and not self._history

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

    def _forget(self) -> None:
        self._undo.clear()
        self._added.clear()
        self._touched.clear()
        self._registry_undo.clear()
        self._snapped.clear()

    def note(self, record: tuple[Any, ...]) -> None:
        """Push an undo record for `record[1]`, unless its whole content is saved already."""
        if id(record[1]) not in self._snapped:
            self._undo.append(record)

    def snapshot(self, target: Any) -> None:
        """Save the whole content of `target` (once per call: later changes need no record).

        Rollback restores it exactly, key order included; saving once keeps a call that
        deletes many keys (or pops many items) linear, in time and memory.
        """
        if id(target) in self._snapped:
            return
        if len(target) >= 64:
            self.ctx.charge(len(target) >> 6)
        if type(target) is dict:
            self._undo.append((D_SNAP, target, list(target.items())))
        else:
            self._undo.append((L_SNAP, target, target[:]))
        self._snapped.add(id(target))

    def commit(self) -> None:
        """End a successful (and settled) call: its undo journal joins the history that
        `rewind` replays backwards (or is forgotten once that history is dropped)."""
        if self._touched:
            raise RuntimeError("StateStore.settle() must run before commit()")
        history = self._history
        if history is not None and (self._undo or self._added or self._registry_undo):
            history.append((self._undo, self._registry_undo, self._added))
            self._history_records += len(self._undo) + len(self._added) + 1
            self._undo, self._registry_undo, self._added = [], [], []
            if self._history_records > HISTORY_RECORDS:
                self._history = None
        self._forget()
        if len(self.registry) > self._rebuild_at:
            self.rebuild()
            self._history = None  # the registry the history would restore is gone

    def rollback(self) -> None:
        """Undo every write of the current call, newest first."""
        undo = self._undo
        while undo:
            rec = undo.pop()
            tag, target = rec[0], rec[1]
            if tag == D_SET:
                if rec[3] is _MISSING:
                    target.pop(rec[2], None)
                else:
                    target[rec[2]] = rec[3]
            elif tag == D_DEL:
                keys, key = rec[2], rec[3]
                target[key] = rec[4]
                for k in keys[keys.index(key) + 1 :]:
                    if k in target:
                        target[k] = target.pop(k)
            elif tag == D_SNAP:
                target.clear()
                target.update(rec[2])
            elif tag == L_SET:
                target[rec[2]] = rec[3]
            elif tag == L_TRUNC:
                del target[rec[2] :]
            elif tag == L_SNAP:
                target[:] = rec[2]
            elif tag == L_PUSH:
                target.append(rec[2])
        registry = self.registry
        for key, entry in reversed(self._registry_undo):
            registry[key] = entry
        for key in self._added:
            registry.pop(key, None)
        self._forget()

    # -- adopting written values -------------------------------------------------------

    def adopt(self, value: Any, holder: Any, depth: int) -> Any:
        """Check that `value` may be stored in `holder` at `depth`; register it.

        A container already in the registry is moved (held once more, not copied);
        returns `value` itself.
        """
        t = type(value)
        if t is dict or t is list:
            if id(value) in self.registry:
                self.hold(value, holder)
            else:
                self._adopt_container(value, holder, depth)
            return value
        if not (t is str and value.isascii()):
            self._check_scalar(value)
        return value

    def _adopt_container(self, root: Any, holder: Any, depth: int) -> None:
        self._register(root, depth, holder)
        ctx = self.ctx
        stack: list[tuple[Any, int]] = [(root, depth)]
        while stack:
            obj, d = stack.pop()
            ctx.charge(len(obj))
            if type(obj) is dict:
                for k, child in obj.items():
                    if type(k) is not str:
                        self._invalid(key_message(k))
                    if not k.isascii():
                        self._check_scalar(k)
                    self._check_child(obj, child, d, stack)
            else:
                for child in obj:
                    self._check_child(obj, child, d, stack)

    def _register(self, obj: Any, depth: int, holder: Any) -> None:
        if depth > self.ctx.limits.max_state_depth:
            self._invalid(f"value nested deeper than {self.ctx.limits.max_state_depth} levels")
        key = id(obj)
        self.registry[key] = (obj, depth, holder)
        self._added.append(key)

    def _check_child(self, parent: Any, child: Any, d: int, stack: list) -> None:
        t = type(child)
        if t is dict or t is list:
            if id(child) in self.registry:  # already in the state, or met twice in this value
                self.hold(child, parent)
            else:
                self._register(child, d + 1, parent)
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

    def _invalid(self, message: str) -> None:
        self.ctx.fail(ErrorKind.invalid_state, f"cannot store in state: {message}")

    # -- journaled writes --------------------------------------------------------------

    def set_item(self, target: Any, key: Any, value: Any) -> None:
        """`target[key] = value` on a state container, journaled."""
        tid = id(target)
        depth = self.registry[tid][1]
        if type(target) is dict:
            if type(key) is not str:
                self._invalid(key_message(key))
            old = target.get(key, _MISSING)
            if old is value:
                return
            self.adopt(value, target, depth + 1)
            if tid not in self._snapped:
                self._undo.append((D_SET, target, key, old))
            target[key] = value
        elif type(key) is slice:
            self._set_slice(target, key, value, depth)
            return
        else:
            try:
                old = target[key]
            except IndexError:
                raise IndexError("list assignment index out of range") from None
            if old is value:
                return
            self.adopt(value, target, depth + 1)
            index = key if key >= 0 else len(target) + key
            self.note((L_SET, target, index, old))
            target[key] = value
        if type(old) is dict or type(old) is list:
            self.release(old, target)

    def _set_slice(self, target: list, key: slice, value: Any, depth: int) -> None:
        items = list(value)
        removed = target[key]
        if key.step is not None and key.step != 1 and len(items) != len(removed):
            raise ValueError(
                f"attempt to assign sequence of size {len(items)} "
                f"to extended slice of size {len(removed)}"
            )
        for item in items:
            self.adopt(item, target, depth + 1)
        self.snapshot(target)
        target[key] = items
        self.release_all(removed, target)

    def del_item(self, target: Any, key: Any) -> None:
        """`del target[key]` on a state container, journaled."""
        if type(target) is dict:
            old = target[key]
            self.snapshot(target)
            del target[key]
            if type(old) is dict or type(old) is list:
                self.release(old, target)
        else:
            try:
                removed = target[key]
            except IndexError:
                raise IndexError("list assignment index out of range") from None
            self.snapshot(target)
            del target[key]
            if type(key) is slice:
                self.release_all(removed, target)
            elif type(removed) is dict or type(removed) is list:
                self.release(removed, target)

    def release_all(self, values: Any, holder: Any) -> None:
        """`values` were removed from `holder`: release the containers among them."""
        for v in values:
            if type(v) is dict or type(v) is list:
                self.release(v, holder)

    def journaled_method(self, target: Any, name: str) -> Callable[..., Any]:
        """Return a journaling version of a mutating dict or list method of `target`."""
        factory = DICT_METHODS.get(name) if type(target) is dict else LIST_METHODS.get(name)
        assert factory is not None
        return factory(self, target)


def _not_json(value: Any) -> str:
    from toolkits.sandbox import modules  # lazy: modules imports the sandbox's guards

    hint_of_module = modules.json_hint(value)
    if hint_of_module is not None:
        return f"a {type(value).__name__} is not JSON; {hint_of_module}"
    name = type(value).__name__
    hint = {"tuple": "use a list", "OrderedSet": "use a sorted list", "set": "use a sorted list"}
    name = "set" if name == "OrderedSet" else name
    return f"a {name} is not JSON" + (f"; {hint[name]}" if name in hint else "")


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
