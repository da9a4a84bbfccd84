"""Moves of containers inside the state, decided when the call ends.

A container stored in the state keeps its identity, as in CPython: popping an order
and storing it in the archive moves it, and later writes through the old reference
land in the archive. While a call runs, a container may be held by two slots for a
moment (a swap ``lst[i], lst[j] = lst[j], lst[i]``, ``state["b"] = state["a"]``
before ``del state["a"]``), so the journal only records, per call, which containers
now hold each *touched* container (stored or removed somewhere). `settle` then
decides, once, at the end of a call that did not fail otherwise:

- a container held by two attached slots is refused (the state is a tree, as JSON is:
  store a copy) and so is a container stored inside itself (a cycle);
- every other touched container gets its new holder, and its depth (and that of its
  subtree, when it moved to another depth) is recomputed and checked against
  `max_state_depth`; containers no longer in the state leave the registry.

The work is proportional to the containers the call touched (their depth, and the
subtrees that changed depth), never to the whole state. Every registry change is
recorded, so `rollback` restores the registry with the state.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from toolkits.result import ErrorKind

if TYPE_CHECKING:
    from toolkits.sandbox.context import CallContext, SandboxAbort

ROOT: Any = object()
"""The holder of the state's top object (the toolkit itself)."""

_ATTACHED, _INSIDE, _DETACHED = range(3)


class MoveTracking:
    """The move bookkeeping of `StateStore` (a mixin over its registry)."""

    ctx: CallContext
    state: dict[str, Any]
    registry: dict[int, tuple[Any, int, Any]]
    _touched: dict[int, list[Any]]  # id -> [container, [holders now]]
    _registry_undo: list[tuple[int, Any]]
    _budget: int = 0  # steps left when `settle` began
    _spent: int = 0  # steps its walks used

    # -- during the call ---------------------------------------------------------------

    def hold(self, container: Any, holder: Any) -> None:
        """A registered `container` was stored (once more) in `holder`."""
        entry = self._touched.get(id(container))
        if entry is None:
            entry = self._touch(container)
        entry[1].append(holder)

    def release(self, container: Any, holder: Any) -> None:
        """A registered `container` was removed from one slot of `holder`."""
        if id(container) not in self.registry:
            return
        entry = self._touched.get(id(container))
        if entry is None:
            entry = self._touch(container)
        holders = entry[1]
        for i in range(len(holders) - 1, -1, -1):
            if holders[i] is holder:
                del holders[i]
                return

    def _touch(self, container: Any) -> list[Any]:
        holder = self.registry[id(container)][2]
        entry = [container, [] if holder is None else [holder]]
        self._touched[id(container)] = entry
        return entry

    # -- at the end of the call --------------------------------------------------------

    def settle(self) -> SandboxAbort | None:
        """Decide the moves of this call; an abort (kind invalid_state) when refused.

        The walks it needs are charged to the call's step budget (one step per
        container visited), so no arrangement of moves can make it run long.
        """
        touched = self._touched
        if not touched:
            return None
        from toolkits.sandbox.context import SandboxAbort

        ctx = self.ctx
        self._budget = ctx.limits.max_steps - ctx.used()
        self._spent = 0
        try:
            message, chosen = self._refusal()
            if message is not None:
                return SandboxAbort(ErrorKind.invalid_state, f"cannot store in state: {message}")
            for key, (obj, holders) in touched.items():
                holder = chosen.get(key, holders[0] if len(holders) == 1 else None)
                old = self.registry[key]
                if holder is not old[2]:
                    self._registry_undo.append((key, old))
                    self.registry[key] = (obj, old[1], holder)
            problem = self._settle_depths()
        except _OverBudget:
            problem = None
            self._spent = self._budget
        touched.clear()
        try:
            ctx.charge(self._spent)
        except SandboxAbort as abort:
            return abort
        return problem

    def _visit(self) -> None:
        self._spent += 1
        if self._spent >= self._budget:
            raise _OverBudget

    def _refusal(self) -> tuple[str | None, dict[int, Any]]:
        """Why the touched containers cannot stay as they are (aliased or cyclic), and
        the one attached holder of each container that has several."""
        chosen: dict[int, Any] = {}
        for key, (obj, holders) in self._touched.items():
            if len(holders) < 2:
                continue
            attached, inside = [], []
            for h in holders:
                where = self._classify(h, obj)
                if where == _ATTACHED:
                    attached.append(h)
                elif where == _INSIDE:
                    inside.append(h)
            chosen[key] = attached[0] if attached else None
            what = "dict" if type(obj) is dict else "list"
            copy = f"{what}(x), or copy.deepcopy(x) when it holds dicts or lists"
            if attached and inside:
                at = self._slot_paths(inside[:1], obj)
                return (
                    f"a {what} is stored inside itself (at {at[0] if at else 'state'}); a state "
                    f"is a tree of values, as JSON is: store a copy ({copy})"
                ), chosen
            if len(attached) >= 2:
                at = self._slot_paths(attached, obj)
                places = " and at ".join(at[:2]) if len(at) >= 2 else "two places"
                return (
                    f"the same {what} is stored at {places}; a state is a tree of values, "
                    f"as JSON is: store a copy in one of the places ({copy})"
                ), chosen
        return None, chosen

    def _holders_now(self, obj: Any) -> list[Any]:
        entry = self._touched.get(id(obj))
        if entry is not None:
            return entry[1]
        reg = self.registry.get(id(obj))
        if reg is None or reg[0] is not obj or reg[2] is None:
            return []
        return [reg[2]]

    def _classify(self, start: Any, target: Any) -> int:
        """Whether `start` is attached to the state without passing through `target`
        (`_ATTACHED`), only through it (`_INSIDE`: `target` holds `start`), or not at all."""
        seen: set[int] = set()
        stack, inside = [start], False
        while stack:
            x = stack.pop()
            if x is ROOT:
                return _ATTACHED
            if x is target:
                inside = True
                continue
            if id(x) in seen:
                continue
            seen.add(id(x))
            self._visit()
            stack.extend(self._holders_now(x))
        return _INSIDE if inside else _DETACHED

    def _route(self, start: Any) -> list[Any] | None:
        """The containers from the state's top object down to `start`; None if detached."""
        below: dict[int, Any] = {id(start): None}  # id of a holder -> the one it holds
        stack = [start]
        while stack:
            x = stack.pop()
            self._visit()
            for h in self._holders_now(x):
                if h is ROOT:
                    route = [x]
                    while below[id(route[-1])] is not None:
                        route.append(below[id(route[-1])])
                    return route
                if id(h) not in below:
                    below[id(h)] = x
                    stack.append(h)
        return None

    def _slot_paths(self, holders: list[Any], obj: Any) -> list[str]:
        """Paths (``state.a[0]``) of the slots of `holders` that hold `obj`."""
        paths: list[str] = []
        done: set[int] = set()
        for h in holders:
            if id(h) in done:
                continue
            done.add(id(h))
            route = self._route(h)
            if route is None:
                continue
            self._spent += sum(len(c) for c in route)  # _path scans each container once
            base = _path(route)
            items = h.items() if type(h) is dict else enumerate(h)
            paths.extend(base + _step(k) for k, v in items if v is obj)
        return paths

    def _settle_depths(self) -> SandboxAbort | None:
        """Drop the containers that left the state; re-depth those that moved."""
        from toolkits.sandbox.context import SandboxAbort

        limit = self.ctx.limits.max_state_depth
        depths: dict[int, int | None] = {}
        for key, (obj, _holders) in list(self._touched.items()):
            depth = self._depth_now(obj, depths)
            old = self.registry.get(key)
            if old is None:
                continue
            if depth is None:  # no longer in the state
                self._registry_undo.append((key, old))
                del self.registry[key]
            elif depth > limit or (depth != old[1] and not self._redepth(obj, depth, limit)):
                return SandboxAbort(
                    ErrorKind.invalid_state,
                    f"cannot store in state: value nested deeper than {limit} levels",
                )
        return None

    def _depth_now(self, obj: Any, depths: dict[int, int | None]) -> int | None:
        """The depth of `obj` by its holders (None when detached); `depths` memoizes
        the walk, so settling many containers on one long chain stays linear."""
        path: list[int] = []
        on_path: set[int] = set()
        x, base = obj, None
        while True:
            key = id(x)
            if key in depths:
                base = depths[key]
                break
            reg = self.registry.get(key)
            if reg is None or reg[0] is not x or reg[2] is None or key in on_path:
                break  # detached (or a detached cycle)
            self._visit()
            path.append(key)
            on_path.add(key)
            if reg[2] is ROOT:
                base = -1
                break
            x = reg[2]
        for i, key in enumerate(path):
            depths[key] = None if base is None else base + len(path) - i
        return depths[id(obj)] if path else base

    def _redepth(self, root: Any, depth: int, limit: int) -> bool:
        """`root` now lives at `depth`: fix the depths of its subtree; False past `limit`."""
        registry, undo = self.registry, self._registry_undo
        stack = [(root, depth)]
        while stack:
            obj, d = stack.pop()
            reg = registry.get(id(obj))
            if reg is None or reg[0] is not obj:
                continue
            if d > limit:
                return False
            if reg[1] != d:
                undo.append((id(obj), reg))
                registry[id(obj)] = (obj, d, reg[2])
            self._spent += len(obj)
            if self._spent >= self._budget:
                raise _OverBudget
            children = obj.values() if type(obj) is dict else obj
            for child in children:
                if type(child) is dict or type(child) is list:
                    stack.append((child, d + 1))
        return True


class _OverBudget(Exception):  # noqa: N818 - internal signal
    """The walks of `settle` used up the call's remaining step budget."""


def _step(key: Any) -> str:
    if type(key) is str:
        return f".{key}" if key.isidentifier() else f"[{key[:40]!r}]"
    return f"[{key}]"


def _path(route: list[Any]) -> str:
    """``state.a.b[2]`` for a route from the top object down to a container."""
    text = "state"
    for parent, child in itertools.pairwise(route):
        items = parent.items() if type(parent) is dict else enumerate(parent)
        text += next((_step(k) for k, v in items if v is child), "[?]")
    return text
