"""The call rules of the syntax-tree rewrite (a mixin of its transformer): methods of
the class and of helper classes, constructors, enums, ``isinstance``, clocks, generators
kept in the state, uuids, int-keyed dicts and sets, and built-ins that need a rewrite."""

from __future__ import annotations

import ast
import dataclasses
import datetime as _dt
import random
from typing import Any

from synth.import_python.rewrite_support import (
    BUILTIN_METHODS,
    CLOCK,
    DICT_KEY_METHODS,
    MISSING,
    SET_METHODS,
    UUIDS,
    call_named,
    enum_values,
    error_at,
    hashable,
    is_enum_class,
    is_utf8_encode,
    str_of,
)


class CallRules(ast.NodeTransformer):
    """``visit_Call`` and what it needs; mixed into the rewrite's transformer, whose
    helpers (``_state``, ``_resolve``, ``_warn_once``, ...) it uses."""

    def visit_Call(self, node: ast.Call) -> Any:
        func = node.func
        attr = self._self_attr(func)
        facts = self.facts
        owned = facts.object_methods.get(self.owner or "", {})
        if self.owner is not None and attr is not None and attr in owned:
            return self._object_call(
                node, self.owner, attr, ast.Name(id=self.self_name or "self", ctx=ast.Load())
            )
        resolved = self._resolve(func)
        if resolved in UUIDS and not node.args and not node.keywords:
            return self._uuid(node)
        if resolved is dataclasses.asdict and len(node.args) == 1:
            self.out.prelude.add("_asdict")
            return ast.copy_location(
                call_named("_asdict", self._state(), self.visit(node.args[0])), node
            )
        if isinstance(func, ast.Name) and func.id not in self.locals:
            enum_cls = resolved
            if is_enum_class(enum_cls) and len(node.args) == 1 and not node.keywords:
                self._enum_warning(node, func.id)
                self.out.prelude.add("_enum_member")
                return ast.copy_location(
                    call_named(
                        "_enum_member",
                        self.visit(node.args[0]),
                        enum_values(enum_cls),
                        ast.Constant(func.id),
                    ),
                    node,
                )
            if func.id == "isinstance" and len(node.args) == 2:
                target = self._resolve(node.args[1])
                if is_enum_class(target):
                    self._enum_warning(node, target.__name__)
                    return ast.copy_location(
                        ast.Compare(
                            left=self.visit(node.args[0]),
                            ops=[ast.In()],
                            comparators=[enum_values(target)],
                        ),
                        node,
                    )
        if isinstance(func, ast.Name) and func.id not in self.locals and facts.object_classes:
            if resolved is not MISSING and resolved in facts.object_classes.values():
                self.out.prelude.add("_alloc")
                return self._state_call(facts.emitted("object_new", resolved.__name__), node)
            if func.id == "isinstance" and len(node.args) == 2:
                names = self._object_class_names(node.args[1])
                if names:
                    self.out.prelude.add("_isinstance")
                    classes = ast.Tuple(elts=[ast.Constant(n) for n in names], ctx=ast.Load())
                    return ast.copy_location(
                        call_named("_isinstance", self._state(), self.visit(node.args[0]), classes),
                        node,
                    )
        if isinstance(func, ast.Attribute) and attr is None and facts.object_methods:
            owners = facts.method_owners(func.attr)
            if (
                owners
                and func.attr not in BUILTIN_METHODS
                and not self._is_module_value(func.value)
            ):
                if len(owners) > 1:
                    self.out.problems.append(
                        error_at(
                            node,
                            self.member,
                            f".{func.attr}()",
                            f"several classes define {func.attr} ({', '.join(owners)}); "
                            "give the methods distinct names",
                        )
                    )
                    return node
                return self._object_call(node, owners[0], func.attr, func.value)
        if (  # Class.method(...) of a static or class method: as self.method(...)
            attr is None
            and isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == facts.name
            and func.value.id not in self.locals
            and func.attr in facts.methods
        ):
            attr = func.attr
        if attr is not None and attr in self.facts.methods:
            self.out.methods_called.add(attr)
            return self._state_call(self.facts.emitted("method", attr), node)
        if isinstance(func, ast.Name) and func.id not in self.locals:
            special = self._builtin_call(node, func.id)
            if special is not None:
                return special
        if isinstance(func, ast.Attribute):
            special = self._method_call(node, func)
            if special is not None:
                return special
        return self.generic_visit(node)

    def _uuid(self, node: ast.expr, form: str = "text") -> ast.expr:
        """``uuid.uuid4()`` as a version-4 id drawn from the state's generator."""
        self.out.prelude.add("_uuid4")
        self.out.state_keys.add("_random")
        self._warn_once(
            node,
            "uuid",
            "uuid.uuid4()",
            "ids come from the OS's randomness: the toolkit draws them from "
            "state['_random'] (seed 0), as text, so they replay but differ from a run",
        )
        call = call_named("_uuid4", self._state(), ast.Constant(form == "hex"))
        return ast.copy_location(call, node)

    def _object_call(self, node: ast.Call, owner: str, method: str, receiver: ast.expr) -> Any:
        """``receiver.method(args)`` as ``_Owner_m_method(state, receiver, args)``."""
        name = self.facts.emitted("object_method", f"{owner}.{method}")
        return self._state_call(name, node, self.visit(receiver))

    def _state_call(self, name: str, node: ast.Call, *before: ast.expr) -> ast.Call:
        """``name(state, *before, <node's arguments, rewritten>)``."""
        call = ast.Call(
            func=ast.Name(id=name, ctx=ast.Load()),
            args=[self._state(), *before, *[self.visit(a) for a in node.args]],
            keywords=[self.visit(k) for k in node.keywords],
        )
        return ast.copy_location(call, node)

    def _object_class_names(self, node: ast.expr) -> list[str]:
        """The helper classes an ``isinstance`` second argument names (all or nothing)."""
        items = node.elts if isinstance(node, ast.Tuple) else [node]
        classes = self.facts.object_classes.values()
        resolved = [self._resolve(i) for i in items]
        if resolved and all(r is not MISSING and r in classes for r in resolved):
            return [r.__name__ for r in resolved]
        return []

    def _builtin_call(self, node: ast.Call, name: str) -> Any:
        args = node.args
        if name == "super":
            self.out.problems.append(
                error_at(
                    node,
                    self.member,
                    "super()",
                    "inheritance does not convert; "
                    "copy what the base class method does into the method",
                )
            )
            return node
        if name == "len" and len(args) == 1 and is_utf8_encode(args[0]):
            self.out.prelude.add("_utf8_length")
            return ast.copy_location(
                call_named("_utf8_length", self.visit(args[0].func.value)),  # type: ignore[attr-defined]
                node,
            )
        on_self = bool(args) and self._is_self(args[0])
        constant_name = len(args) >= 2 and isinstance(args[1], ast.Constant)
        if name in ("hasattr", "getattr") and on_self and constant_name:
            key = args[1]
            if name == "hasattr":
                return ast.Compare(left=key, ops=[ast.In()], comparators=[self._state()])
            rest = [self.visit(a) for a in args[2:]]
            get = ast.Attribute(value=self._state(), attr="get", ctx=ast.Load())
            return ast.Call(func=get, args=[key, *rest], keywords=[])
        if name in ("vars", "setattr", "delattr", "getattr", "hasattr") and on_self:
            self.out.problems.append(
                error_at(
                    node,
                    self.member,
                    f"{name}(self, ...)",
                    "give the attribute by a constant name: self.name",
                )
            )
            return node
        return None

    def _method_call(self, node: ast.Call, func: ast.Attribute) -> Any:
        owner_attr = self._self_attr(func.value)
        if owner_attr is not None and owner_attr in self.facts.randoms:
            return self._draw(node, func, owner_attr)
        resolved = self._resolve(func)
        if resolved is not MISSING:
            if hashable(resolved) and resolved in CLOCK:
                self.out.prelude.add("_now")
                self.out.state_keys.add("_now")
                self._warn_once(
                    node,
                    "clock",
                    ast.unparse(func) + "()",
                    "the sandbox has no clock: the time is state['_now'] (the time of the "
                    "import), so results that depend on the day are frozen there",
                )
                now = call_named("_now", self._state())
                tz = (
                    node.args[0]
                    if node.args
                    else next((k.value for k in node.keywords if k.arg == "tz"), None)
                )
                if tz is not None:  # datetime.now(timezone.utc): the state's time, in tz
                    replace = ast.Attribute(value=now, attr="replace", ctx=ast.Load())
                    tz_kw = ast.keyword(arg="tzinfo", value=self.visit(tz))
                    now = ast.Call(func=replace, args=[], keywords=[tz_kw])
                if CLOCK[resolved] == "seconds":
                    self.out.prelude.add("_timestamp")
                    now = call_named("_timestamp", now)
                if CLOCK[resolved] == "date":
                    now = ast.Call(
                        func=ast.Attribute(value=now, attr="date", ctx=ast.Load()),
                        args=[],
                        keywords=[],
                    )
                return ast.copy_location(now, node)
            if (
                hashable(resolved)
                and resolved == _dt.datetime.fromtimestamp
                and len(node.args) == 1
                and not node.keywords
            ):
                self.out.prelude.add("_fromtimestamp")
                self._local_time_warning(node)
                return ast.copy_location(
                    call_named("_fromtimestamp", self.visit(node.args[0])), node
                )
            module = self._resolve(func.value)
            if module is random and func.attr != "Random":
                self.out.prelude.add("_random_call")
                self.out.state_keys.add("_random")
                self._warn_once(
                    node,
                    "module-random",
                    f"random.{func.attr}()",
                    "the module's generator is seeded by the OS; the toolkit keeps one "
                    "in state['_random'] (seed 0), so draws replay but differ from a run",
                )
                return self._draw(node, func, "_random")
        if func.attr == "timestamp" and not node.args and not node.keywords:
            self.out.prelude.add("_timestamp")
            self._local_time_warning(node)
            return ast.copy_location(call_named("_timestamp", self.visit(func.value)), node)
        owner = self._self_attr(func.value)
        if owner is not None and owner in self.facts.sets and func.attr in SET_METHODS:
            helper = SET_METHODS[func.attr]
            self.out.prelude.add(helper)
            self._warn_once(
                node,
                f"set:{owner}",
                f"self.{owner} (a set)",
                "a state holds no sets: it is a sorted list, and add/discard/remove/update "
                "keep it one",
            )
            args = [self.visit(a) for a in node.args]
            return ast.copy_location(call_named(helper, self._slot(owner, ast.Load()), *args), node)
        if owner is not None and owner in self.facts.int_keyed:
            self._int_keys_warning(node, owner)
            call = self.generic_visit(node)
            if func.attr in DICT_KEY_METHODS and call.args:
                call.args[0] = str_of(call.args[0])
            elif func.attr in ("keys", "items") and not call.args:
                return ast.copy_location(self._int_keys(call.func.value, func.attr), node)
            return call
        return None

    def _draw(self, node: ast.Call, func: ast.Attribute, key: str) -> ast.expr:
        """``self.rng.M(args)`` as ``_random_call(state, "rng", lambda _rng: _rng.M(args))``."""
        self.out.prelude.add("_random_call")
        draw = ast.Call(
            func=ast.Attribute(
                value=ast.Name(id="_rng", ctx=ast.Load()), attr=func.attr, ctx=ast.Load()
            ),
            args=[self.visit(a) for a in node.args],
            keywords=[self.visit(k) for k in node.keywords],
        )
        lam = ast.Lambda(
            args=ast.arguments(
                posonlyargs=[],
                args=[ast.arg(arg="_rng")],
                kwonlyargs=[],
                kw_defaults=[],
                defaults=[],
            ),
            body=draw,
        )
        return ast.copy_location(
            call_named("_random_call", self._state(), ast.Constant(key), lam), node
        )

    def _int_keyed_slot(self, node: ast.expr) -> bool:
        """Whether `node` (already rewritten) is ``state["A"]`` of an int-keyed A."""
        return (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id == self.state_name
            and isinstance(node.slice, ast.Constant)
            and node.slice.value in self.facts.int_keyed
        )

    def _int_keys(self, mapping: ast.expr, view: str = "keys") -> ast.expr:
        """``[_int_key(k) for k in mapping]`` (``items``: pairs with int keys)."""
        self.out.prelude.add("_int_key")
        key = ast.Name(id="_key", ctx=ast.Load())
        if view == "items":
            elt: ast.expr = ast.Tuple(
                elts=[call_named("_int_key", key), ast.Name(id="_value", ctx=ast.Load())],
                ctx=ast.Load(),
            )
            target: ast.expr = ast.Tuple(
                elts=[ast.Name(id="_key", ctx=ast.Store()), ast.Name(id="_value", ctx=ast.Store())],
                ctx=ast.Store(),
            )
            source: ast.expr = ast.Call(
                func=ast.Attribute(value=mapping, attr="items", ctx=ast.Load()),
                args=[],
                keywords=[],
            )
        else:
            elt, target, source = (
                call_named("_int_key", key),
                ast.Name(id="_key", ctx=ast.Store()),
                mapping,
            )
        return ast.ListComp(
            elt=elt,
            generators=[ast.comprehension(target=target, iter=source, ifs=[], is_async=0)],
        )

    def _int_keys_warning(self, node: Any, attr: str) -> None:
        self._warn_once(
            node,
            f"int-keys:{attr}",
            f"self.{attr} (int keys)",
            "a state's keys are strings: the dict is stored with str keys, indexed by "
            "str(key), and its keys()/items()/iteration give them back as ints; "
            "other uses see the string keys",
        )

    def _local_time_warning(self, node: Any) -> None:
        self._warn_once(
            node,
            "local-time",
            "naive local time",
            "the sandbox has no local time zone: naive times are read as UTC "
            "(the same on a machine set to UTC)",
        )
