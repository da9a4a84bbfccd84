"""The name rules of the syntax-tree rewrite (a mixin of its transformer): ``self``,
and each module-level name a body reads, resolved against the user's module: an import
the sandbox offers, a constant, a module function, an enum, an exception class, or a
problem at its line."""

from __future__ import annotations

import ast
import builtins
import inspect
from typing import Any

from synth.import_python.rewrite_support import (
    enum_values,
    error_at,
    is_enum_class,
    is_literal,
    safe_base,
)
from toolkits.sandbox.builtins import SAFE_EXCEPTIONS
from toolkits.sandbox.modules.names import module_problem, name_problem


class NameRules(ast.NodeTransformer):
    """``visit_Name`` and what it needs; mixed into the rewrite's transformer, whose
    helpers (``_is_self``, ``_warn_once``, ...) it uses."""

    def visit_Name(self, node: ast.Name) -> Any:
        if self._is_self(node) and self.owner is not None:
            return node  # a helper class's self is an object reference: a plain value
        if self._is_self(node):
            self.out.problems.append(
                error_at(
                    node,
                    self.member,
                    "self as a value",
                    "the instance becomes the state; pass the attributes the code needs",
                )
            )
            return node
        if not isinstance(node.ctx, ast.Load) or node.id in self.locals:
            return node
        module_vars = vars(self.facts.module)
        if node.id not in module_vars:
            return self._builtin_exception(node)  # else a builtin, or the compiler reports it
        return self._global(node, module_vars[node.id])

    def _builtin_exception(self, node: ast.Name) -> ast.expr:
        """A built-in exception the sandbox lacks (PermissionError) as its nearest base."""
        value = getattr(builtins, node.id, None)
        if not (inspect.isclass(value) and issubclass(value, BaseException)):
            return node
        if node.id in SAFE_EXCEPTIONS:
            return node
        base = safe_base(value)
        self._warn_once(
            node,
            f"exception:{node.id}",
            node.id,
            f"the sandbox has no {node.id}: it is raised and caught as {base}, its nearest "
            f"built-in base (an except clause catches every {base})",
        )
        return ast.copy_location(ast.Name(id=base, ctx=node.ctx), node)

    def _global(self, node: ast.Name, value: Any) -> Any:
        facts, name = self.facts, node.id
        bound = facts.imports.get(name)
        if bound is not None:
            module_name, imported = bound
            why = (
                module_problem(module_name)
                if imported is None
                else module_problem(module_name, True) or name_problem(module_name, imported)
            )
            if why is None:
                if imported is None:
                    alias = f" as {name}" if name != module_name else ""
                    self.out.imports.add(f"import {module_name}{alias}")
                else:
                    alias = f" as {name}" if name != imported else ""
                    self.out.imports.add(f"from {module_name} import {imported}{alias}")
                return node
            if not is_literal(value):
                construct = (
                    f"import {module_name}"
                    if imported is None
                    else (f"from {module_name} import {imported}")
                )
                self.out.problems.append(error_at(node, self.member, construct, why))
                return node
        if name == facts.name:
            self.out.problems.append(
                error_at(
                    node,
                    self.member,
                    f"the class {name} as a value",
                    "only its constants (Class.NAME) convert",
                )
            )
            return node
        if is_enum_class(value) and value.__module__ == facts.module.__name__:
            self._enum_warning(node, name)
            return ast.copy_location(enum_values(value), node)
        if (
            inspect.isclass(value)
            and issubclass(value, BaseException)
            and value.__module__ == facts.module.__name__
        ):
            base = safe_base(value)
            self._warn_once(
                node,
                f"exception:{name}",
                f"exception class {name}",
                f"classes do not convert: {name} is raised and caught as {base}, its "
                "nearest built-in base (an except clause catches every " + base + ")",
            )
            return ast.copy_location(ast.Name(id=base, ctx=node.ctx), node)
        if inspect.isfunction(value) and value.__module__ == facts.module.__name__:
            self.out.functions_called.add(name)
            return ast.Name(id=facts.emitted("function", name), ctx=ast.Load())
        if inspect.isclass(value) or inspect.ismodule(value) or callable(value):
            kind = "class" if inspect.isclass(value) else type(value).__name__
            self.out.problems.append(
                error_at(
                    node,
                    self.member,
                    f"{kind} {name}",
                    f"{name} is a {kind} of the user's code, which the sandbox cannot run; "
                    "only JSON values (dicts, lists, str, numbers, bool, None) convert",
                )
            )
            return node
        self.out.constants.add(name)
        return ast.Name(id=facts.emitted("module_constant", name), ctx=ast.Load())
