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
        """Decide the moves of this call; an abort (kind invalid_state) when refused."""
        touched = self._touched
        if not touched:
            return None
        from toolkits.sandbox.context import SandboxAbort

        message = self._refusal()
        if message is not None:
            return SandboxAbort(ErrorKind.invalid_state, f"cannot store in state: {message}")
        for key, (obj, holders) in touched.items():
            holder = self._final_holder(obj, holders)
            old = self.registry[key]
            if holder is not old[2]:
                self._registry_undo.append((key, old))
                self.registry[key] = (obj, old[1], holder)
        problem = self._settle_depths()
        touched.clear()
        return problem

    def _final_holder(self, obj: Any, holders: list[Any]) -> Any:
        if len(holders) == 1:
            return holders[0]
        for h in holders:  # a refusal would have caught two attached holders
            if self._classify(h, obj) == _ATTACHED:
                return h
        return None

    def _refusal(self) -> str | None:
        """Why the touched containers cannot stay as they are (aliased or cyclic)."""
        for obj, holders in self._touched.values():
            if len(holders) < 2:
                continue
            attached, inside = [], []
            for h in holders:
                where = self._classify(h, obj)
                if where == _ATTACHED:
                    attached.append(h)
                elif where == _INSIDE:
                    inside.append(h)
            what = "dict" if type(obj) is dict else "list"
            copy = f"{what}(x), or copy.deepcopy(x) when it holds dicts or lists"
            if attached and inside:
                at = self._slot_paths(inside[:1], obj)
                return (
                    f"a {what} is stored inside itself (at {at[0] if at else 'state'}); a state "
                    f"is a tree of values, as JSON is: store a copy ({copy})"
                )
            if len(attached) >= 2:
                at = self._slot_paths(attached, obj)
                places = " and at ".join(at[:2]) if len(at) >= 2 else "two places"
                return (
                    f"the same {what} is stored at {places}; a state is a tree of values, "
                    f"as JSON is: store a copy in one of the places ({copy})"
                )
        return None

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
            stack.extend(self._holders_now(x))
        return _INSIDE if inside else _DETACHED

    def _route(self, start: Any) -> list[Any] | None:
        """The containers from the state's top object down to `start`; None if detached."""
        below: dict[int, Any] = {id(start): None}  # id of a holder -> the one it holds
        stack = [start]
        while stack:
            x = stack.pop()
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
            base = _path(route)
            items = h.items() if type(h) is dict else enumerate(h)
            paths.extend(base + _step(k) for k, v in items if v is obj)
        return paths

    def _settle_depths(self) -> SandboxAbort | None:
        limit = self.ctx.limits.max_state_depth
        for key, (obj, _holders) in list(self._touched.items()):
            depth = self._depth_now(obj)
            old = self.registry.get(key)
            if old is None:
                continue
            if depth is None:  # no longer in the state
                self._registry_undo.append((key, old))
                del self.registry[key]
            elif depth != old[1]:
                problem = self._redepth(obj, depth, limit)
                if problem is not None:
                    return problem
        return None

    def _depth_now(self, obj: Any) -> int | None:
        depth, x, seen = 0, obj, set()
        while True:
            reg = self.registry.get(id(x))
            if reg is None or reg[2] is None or id(x) in seen:
                return None
            if reg[2] is ROOT:
                return depth
            seen.add(id(x))
            x, depth = reg[2], depth + 1

    def _redepth(self, root: Any, depth: int, limit: int) -> SandboxAbort | None:
        """`root` now lives at `depth`: fix the depths of its subtree, within `limit`."""
        from toolkits.sandbox.context import SandboxAbort

        registry, undo = self.registry, self._registry_undo
        stack = [(root, depth)]
        visited = 0
        while stack:
            obj, d = stack.pop()
            reg = registry.get(id(obj))
            if reg is None or reg[0] is not obj:
                continue
            if d > limit:
                return SandboxAbort(
                    ErrorKind.invalid_state,
                    f"cannot store in state: value nested deeper than {limit} levels",
                )
            if reg[1] != d:
                undo.append((id(obj), reg))
                registry[id(obj)] = (obj, d, reg[2])
            children = obj.values() if type(obj) is dict else obj
            visited += len(obj)
            for child in children:
                if type(child) is dict or type(child) is list:
                    stack.append((child, d + 1))
        return self._charge(visited)

    def _charge(self, steps: int) -> SandboxAbort | None:
        from toolkits.sandbox.context import SandboxAbort

        try:
            self.ctx.charge(steps)
        except SandboxAbort as abort:
            return abort
        return None


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
