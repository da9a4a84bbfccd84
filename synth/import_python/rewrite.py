"""The syntax-tree rewrite of one method (or module function) into a toolkit function.

`rewrite_function` turns ``def m(self, a: int, b=1) -> dict`` into ``def NAME(state, a,
b=1)``: ``self.attr`` becomes ``state["attr"]``, ``self.method(...)`` a call of the
method's converted function with ``state``, a class constant its module constant, and
each module-level name the body reads is resolved against the user's module (an import
the sandbox offers, a constant, a module function, or a problem). Docstrings and
annotations are dropped. What the sandbox cannot do as written is rewritten and
reported as a warning: draws of a generator kept in ``self`` go through its state
(`prelude.RANDOM_CALL`), a clock read becomes ``state["_now"]``, naive local time is
read as UTC, and a dict attribute with int keys is indexed by ``str(key)``. Constructs
with no conversion (``super()``, ``self`` used as a value, a class of the user's
module) are `ImportProblem` errors at their line.
"""

from __future__ import annotations

import ast
import copy
import enum
import random
from typing import Any

from synth.import_python.rewrite_calls import CallRules
from synth.import_python.rewrite_names import NameRules
from synth.import_python.rewrite_support import (
    DECORATORS,
    MISSING,
    UUIDS,
    ClassFacts,
    Rewritten,
    bound_names,
    call_named,
    decorator_kind,
    error_at,
    is_enum_class,
    renamed_local,
    str_of,
    warning_at,
)

__all__ = ["ClassFacts", "Rewritten", "rewrite_function"]


def rewrite_function(
    node: ast.FunctionDef,
    facts: ClassFacts,
    name: str,
    member: str,
    is_method: bool = True,
    owner: str | None = None,
) -> Rewritten:
    """Rewrite `node` (a method when `is_method`, else a module function) as `name`.

    `owner` names the helper class when `node` is one of its methods: its ``self`` is
    then an object reference, kept as the parameter after ``state``.
    """
    out = Rewritten(source="")
    kind = decorator_kind(node)
    if kind == "classmethod" and node.args.args:  # cls names the class itself
        node = renamed_local(node, node.args.args[0].arg, facts.name)
        node.args.args = node.args.args[1:]
    locals_ = bound_names(node)
    takes_self = is_method and kind not in ("staticmethod", "classmethod")
    self_name = node.args.args[0].arg if takes_self and node.args.args else None
    if self_name is not None:
        locals_.discard(self_name)
    state_name = "state"
    transformer = _Body(facts, out, member, self_name, locals_, state_name, owner)
    node = renamed_local(node, "state", "state_") if "state" in locals_ else node
    if "state" in locals_:
        locals_ = (locals_ - {"state"}) | {"state_"}
        transformer.locals = locals_
    bare = copy.deepcopy(node)
    for sub in ast.walk(bare):  # annotations do not run: drop them before the rewrite
        if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
            sub.returns = None
        elif isinstance(sub, ast.arg):
            sub.annotation = None
    new = transformer.visit(bare)
    args = new.args
    if self_name is not None and owner is None:
        args.args = args.args[1:]
        args.posonlyargs = []
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
        arg.annotation = None
    if args.vararg or args.kwarg:
        star = args.vararg or args.kwarg
        out.problems.append(
            error_at(star, member, f"*{star.arg}", "tools take named parameters; list them")
        )
    if is_method:
        args.args.insert(0, ast.arg(arg=state_name))
    elif out.prelude & {"_random_call", "_now"}:
        out.problems.append(
            error_at(
                node,
                member,
                "a draw or a clock read in a module function",
                "only methods reach the state; make the function a method of the class",
            )
        )
    new.name = name
    new.returns = None
    new.decorator_list = []
    body = new.body
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        body = body[1:] if isinstance(first.value.value, str) else body
    new.body = body or [ast.Pass()]
    for deco in node.decorator_list:
        if not (isinstance(deco, ast.Name) and deco.id in DECORATORS):
            out.problems.append(
                error_at(
                    deco, member, f"@{ast.unparse(deco)}", "decorators do not convert; remove it"
                )
            )
    out.source = ast.unparse(ast.fix_missing_locations(new))
    return out


class _Body(CallRules, NameRules, ast.NodeTransformer):
    """Rewrites the body of one function (see the module docstring)."""

    def __init__(
        self,
        facts: ClassFacts,
        out: Rewritten,
        member: str,
        self_name: str | None,
        locals_: set[str],
        state_name: str,
        owner: str | None = None,
    ):
        self.owner = owner
        self.facts = facts
        self.out = out
        self.member = member
        self.self_name = self_name
        self.locals = locals_
        self.state_name = state_name
        self._warned: set[str] = set()

    # -- helpers -------------------------------------------------------------------

    def _state(self) -> ast.Name:
        return ast.Name(id=self.state_name, ctx=ast.Load())

    def _is_self(self, node: ast.expr) -> bool:
        return (
            self.self_name is not None and isinstance(node, ast.Name) and node.id == self.self_name
        )

    def _self_attr(self, node: ast.expr) -> str | None:
        """``attr`` when `node` is ``self.attr``."""
        if isinstance(node, ast.Attribute) and self._is_self(node.value):
            return node.attr
        return None

    def _slot(self, attr: str, ctx: ast.expr_context) -> ast.Subscript:
        if attr.startswith("__") and not attr.endswith("__"):  # self.__x is _Class__x
            attr = f"_{(self.owner or self.facts.name).lstrip('_')}{attr}"
        if self.owner is not None:  # self is an object of the heap
            return self._field(ast.Name(id=self.self_name or "self", ctx=ast.Load()), attr, ctx)
        self.out.attributes.add(attr)
        return ast.Subscript(value=self._state(), slice=ast.Constant(attr), ctx=ctx)

    def _field(self, ref: ast.expr, attr: str, ctx: ast.expr_context) -> ast.expr:
        """``ref.attr`` of a heap object: a read through `_getattr`, a write to its record."""
        if isinstance(ctx, ast.Load):
            self.out.prelude.add("_getattr")
            return call_named("_getattr", self._state(), ref, ast.Constant(attr))
        self.out.prelude.add("_obj")
        record = call_named("_obj", self._state(), ref)
        return ast.Subscript(value=record, slice=ast.Constant(attr), ctx=ctx)

    def _object_field_target(self, target: ast.expr) -> tuple[ast.expr, str] | None:
        """``(ref, attr)`` when `target` is a field of a heap object (``x.contents = v``)."""
        if not isinstance(target, ast.Attribute):
            return None
        if self.owner is not None and self._is_self(target.value):
            return ast.Name(id=self.self_name or "self", ctx=ast.Load()), target.attr
        if (
            self._self_attr(target) is None
            and target.attr in self.facts.object_attributes
            and not self._is_module_value(target.value)
        ):
            return self.visit(target.value), target.attr
        return None

    def _dropped(self, target: ast.expr) -> bool:
        """Whether `target` is ``self.attr`` of an attribute the state does not keep."""
        attr = self._self_attr(target)
        return attr is not None and attr in self.facts.dropped.get(self.owner or "", set())

    def _resolve(self, node: ast.expr) -> Any:
        """The module-level object a ``name.attr.attr`` chain names, or `MISSING`."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id in self.locals:
            return MISSING
        if node.id not in vars(self.facts.module):
            return MISSING
        value = vars(self.facts.module)[node.id]
        for part in reversed(parts):
            try:
                value = getattr(value, part)
            except Exception:  # the user's own attribute may raise anything
                return MISSING
        return value

    def _warn_once(self, node: Any, key: str, construct: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self.out.problems.append(warning_at(node, self.member, construct, message))

    # -- attributes and names ------------------------------------------------------

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        if (
            node.attr == "hex"
            and isinstance(node.value, ast.Call)
            and self._resolve(node.value.func) in UUIDS
        ):
            return self._uuid(node, "hex")
        resolved = self._resolve(node)
        if isinstance(resolved, enum.Enum) and isinstance(resolved.value, (str, int, float)):
            self._enum_warning(node, type(resolved).__name__)
            return ast.copy_location(ast.Constant(resolved.value), node)
        if (
            node.attr == "value"
            and isinstance(node.ctx, ast.Load)
            and self._module_has_enums()
            and "value" not in self.facts.object_attributes
        ):  # an enum member is its value in the state: member.value is the value itself
            inner = self._resolve(node.value)
            if inner is MISSING or isinstance(inner, enum.Enum):
                return self.visit(node.value)
        attr = self._self_attr(node)
        facts = self.facts
        if attr is not None and self.owner is not None:
            if attr in facts.object_methods.get(self.owner, {}):
                return self._bound_method(node, attr)
            return self._slot(attr, node.ctx)
        if (
            attr is None
            and node.attr in facts.object_attributes
            and not self._is_module_value(node.value)
        ):
            return ast.copy_location(self._field(self.visit(node.value), node.attr, node.ctx), node)
        if attr is not None:
            if attr in facts.methods and decorator_kind(facts.methods[attr]) == "property":
                self.out.methods_called.add(attr)
                read = call_named(facts.emitted("method", attr), self._state())
                return ast.copy_location(read, node)
            if attr in facts.methods:
                return self._bound_method(node, attr)
            if attr in facts.constants:
                self.out.class_constants.add(attr)
                return ast.Name(id=facts.emitted("constant", attr), ctx=ast.Load())
            if attr.startswith("__") and attr.endswith("__"):
                self.out.problems.append(
                    error_at(node, self.member, f"self.{attr}", "dunder attributes do not convert")
                )
                return node
            return self._slot(attr, node.ctx)
        if (
            isinstance(node.value, ast.Name)
            and node.value.id == facts.name
            and node.value.id not in self.locals
            and node.attr in facts.constants
        ):
            self.out.class_constants.add(node.attr)
            return ast.Name(id=facts.emitted("constant", node.attr), ctx=ast.Load())
        return self.generic_visit(node)

    def _bound_method(self, node: ast.Attribute, attr: str) -> ast.Attribute:
        self.out.problems.append(
            error_at(
                node,
                self.member,
                f"self.{attr} as a value",
                "a bound method cannot be stored or passed; call it instead",
            )
        )
        return node

    def _module_has_enums(self) -> bool:
        return any(
            is_enum_class(v) and v.__module__ == self.facts.module.__name__
            for v in vars(self.facts.module).values()
        )

    def _enum_warning(self, node: Any, name: str) -> None:
        self._warn_once(
            node,
            f"enum:{name}",
            f"enum {name}",
            "classes do not convert: a member of the enum is its value (Status.OPEN is "
            "'open', Status(x) checks x is one, member.value is the value itself)",
        )

    def _is_module_value(self, node: ast.expr) -> bool:
        """Whether `node` names a module-level object (a module, a class, a constant)."""
        return self._resolve(node) is not MISSING

    # -- statements ----------------------------------------------------------------

    def visit_AnnAssign(self, node: ast.AnnAssign) -> Any:
        if node.value is None or self._dropped(node.target):
            return None  # a declaration only, or an attribute the state does not keep
        assign = ast.Assign(targets=[node.target], value=node.value, lineno=node.lineno)
        return self.visit(ast.copy_location(assign, node))

    def visit_Assign(self, node: ast.Assign) -> Any:
        value = node.value
        if len(node.targets) == 1 and self._dropped(node.targets[0]):
            return None
        field_ref = self._object_field_target(node.targets[0]) if len(node.targets) == 1 else None
        if field_ref is not None:
            ref, attr = field_ref
            self.out.prelude.add("_setfield")
            if not (
                isinstance(value, (ast.Dict, ast.List))
                and not getattr(value, "keys", [1])
                and not getattr(value, "elts", [1])
            ):
                self._warn_once(
                    node,
                    "setfield",
                    "a container stored in an object's field",
                    "a state holds no container in two places: the dict or list is stored as "
                    "a copy, so two objects never share one (objects themselves stay shared)",
                )
            call = call_named(
                "_setfield", self._state(), ref, ast.Constant(attr), self.visit(value)
            )
            return ast.copy_location(ast.Expr(value=call), node)
        if (
            len(node.targets) == 1
            and self._self_attr(node.targets[0]) is not None
            and isinstance(value, ast.Call)
            and self._resolve(value.func) is random.Random
        ):
            self.out.prelude.add("_random_new")
            args = [self.visit(a) for a in value.args]
            target = self._slot(self._self_attr(node.targets[0]) or "", ast.Store())
            return ast.copy_location(
                ast.Assign(targets=[target], value=call_named("_random_new", *args)), node
            )
        return self.generic_visit(node)

    def visit_Expr(self, node: ast.Expr) -> Any:
        value = node.value
        if (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id == "print"
            and "print" not in self.locals
        ):
            self._warn_once(
                node, "print", "print()", "the sandbox has no output; the call is dropped"
            )
            return None
        return self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> Any:
        node = self.generic_visit(node)
        for i, (op, right) in enumerate(zip(node.ops, node.comparators)):
            if isinstance(op, (ast.In, ast.NotIn)) and self._int_keyed_slot(right):
                left = node.left if i == 0 else node.comparators[i - 1]
                if i == 0:
                    node.left = str_of(left)
        return node

    def visit_Subscript(self, node: ast.Subscript) -> Any:
        attr = self._self_attr(node.value)
        node = self.generic_visit(node)
        if attr is not None and attr in self.facts.int_keyed:
            self._int_keys_warning(node, attr)
            node.slice = str_of(node.slice)
        return node

    def visit_For(self, node: ast.For) -> Any:
        attr = self._self_attr(node.iter)
        node = self.generic_visit(node)
        if attr is not None and attr in self.facts.int_keyed:
            node.iter = self._int_keys(node.iter)
        return node

    # -- calls ---------------------------------------------------------------------
