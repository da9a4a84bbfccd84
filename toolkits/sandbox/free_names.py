"""Free names: a name tool code reads that nothing defines is a compile error.

`undefined_names` walks the scopes of a parsed module (or expression) as Python
resolves names: a name read in a function is found in that function (parameters,
assignments, `for`/`with`/`except`/`import` targets, walrus targets, nested `def`s),
then in the enclosing functions, then at module level, then among the sandbox's
builtins. Comprehensions and lambdas are scopes of their own (a comprehension's first
iterable is read in the enclosing scope; a walrus inside one binds in the enclosing
function). Annotations are ignored (the policy drops them). Every name that resolves
nowhere is a `Problem` with its line and the closest name that does resolve, so a
toolkit whose calls would fail with NameError never compiles.
"""

from __future__ import annotations

import ast
import builtins
import difflib
from collections.abc import Iterable, Iterator

from toolkits.errors import Problem

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_PYTHON_BUILTINS = frozenset(dir(builtins))


class _Scope:
    def __init__(self, bound: set[str], parent: _Scope | None, star: bool = False):
        self.bound = bound
        self.parent = parent
        self.star = star  # `from m import *`: anything may be defined here

    def resolves(self, name: str) -> bool:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.bound or scope.star:
                return True
            scope = scope.parent
        return False

    def visible(self) -> Iterator[str]:
        scope: _Scope | None = self
        while scope is not None:
            yield from scope.bound
            scope = scope.parent


def module_names(tree: ast.AST) -> frozenset[str]:
    """The names a module (or expression) binds at its top level."""
    bound, _star = _bindings(_top_level(tree))
    return frozenset(bound)


def undefined_names(tree: ast.AST, known: Iterable[str], path: str = "source") -> list[Problem]:
    """A `Problem` for each name read in `tree` that resolves nowhere.

    Args:
        tree: a parsed module or expression (before the sandbox policy rewrites it).
        known: names defined outside `tree` (the sandbox's builtins, and for an
            expression over a toolkit's state: ``state`` and the module's names).
        path: the `Problem.path` of the problems.
    """
    outer = _Scope(set(known), None)
    bound, star = _bindings(_top_level(tree))
    checker = _Checker(path)
    checker.check(_top_level(tree), _Scope(bound, outer, star))
    return checker.problems


def _top_level(tree: ast.AST) -> list[ast.AST]:
    if isinstance(tree, ast.Expression):
        return [tree.body]
    return list(getattr(tree, "body", []))


def _bindings(nodes: Iterable[ast.AST]) -> tuple[set[str], bool]:
    """Names bound in the scope whose own nodes are `nodes` (nested scopes excluded,
    except what they evaluate or bind in this scope)."""
    bound: set[str] = set()
    star = False
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Load):
                bound.add(node.id)
        elif isinstance(node, _FUNCTIONS):
            bound.add(node.name)
            stack.extend(_outer_parts_of_function(node))
        elif isinstance(node, ast.ClassDef):
            bound.add(node.name)
            stack.extend([*node.bases, *node.decorator_list])
        elif isinstance(node, ast.Lambda):
            stack.extend(_defaults(node.args))
        elif isinstance(node, _COMPREHENSIONS):
            stack.append(node.generators[0].iter)
            stack.extend(_walrus_targets(node))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    star = True
                else:
                    bound.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
            stack.extend(_children(node))
        elif isinstance(node, ast.AnnAssign):
            stack.append(node.target)
            if node.value is not None:
                stack.append(node.value)
        else:
            stack.extend(_children(node))
    return bound, star


def _walrus_targets(comprehension: ast.AST) -> Iterator[ast.AST]:
    """The walrus targets inside a comprehension: they bind in the enclosing scope."""
    stack = [*_children(comprehension)]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.NamedExpr):
            yield node.target
        if not isinstance(node, (*_FUNCTIONS, ast.Lambda, ast.ClassDef)):
            stack.extend(_children(node))


def _children(node: ast.AST) -> list[ast.AST]:
    """Child nodes, without annotations (never evaluated in the sandbox)."""
    out = []
    for field, value in ast.iter_fields(node):
        if field in ("annotation", "returns", "type_comment"):
            continue
        if isinstance(value, ast.AST):
            out.append(value)
        elif isinstance(value, list):
            out.extend(v for v in value if isinstance(v, ast.AST))
    return out


def _defaults(args: ast.arguments) -> list[ast.AST]:
    return [*args.defaults, *(d for d in args.kw_defaults if d is not None)]


def _outer_parts_of_function(node: ast.AST) -> list[ast.AST]:
    assert isinstance(node, _FUNCTIONS)
    return [*_defaults(node.args), *node.decorator_list]


def _parameters(args: ast.arguments) -> set[str]:
    names = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    names.update(a.arg for a in (args.vararg, args.kwarg) if a is not None)
    return names


class _Checker:
    """Reports the names read in a scope that resolve nowhere, recursing into scopes."""

    def __init__(self, path: str):
        self.path = path
        self.problems: list[Problem] = []
        self._reported: set[str] = set()

    def check(self, nodes: Iterable[ast.AST], scope: _Scope) -> None:
        stack = list(nodes)[::-1]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Name):
                if isinstance(node.ctx, ast.Load) and not scope.resolves(node.id):
                    self._report(node, scope)
            elif isinstance(node, _FUNCTIONS):
                self.check(_outer_parts_of_function(node), scope)
                bound, star = _bindings(node.body)
                self.check(node.body, _Scope(bound | _parameters(node.args), scope, star))
            elif isinstance(node, ast.Lambda):
                self.check(_defaults(node.args), scope)
                bound, _ = _bindings([node.body])
                self.check([node.body], _Scope(bound | _parameters(node.args), scope))
            elif isinstance(node, _COMPREHENSIONS):
                self._comprehension(node, scope)
            elif isinstance(node, ast.ClassDef):
                self.check([*node.bases, *node.decorator_list], scope)
            else:
                stack.extend(_children(node)[::-1])

    def _comprehension(self, node: ast.AST, scope: _Scope) -> None:
        generators: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        self.check([generators[0].iter], scope)
        targets: set[str] = set()
        for gen in generators:
            targets.update(n.id for n in ast.walk(gen.target) if isinstance(n, ast.Name))
        inner = _Scope(targets, scope)
        rest: list[ast.AST] = []
        for i, gen in enumerate(generators):
            if i:
                rest.append(gen.iter)
            rest.extend(gen.ifs)
        if isinstance(node, ast.DictComp):
            rest.extend([node.key, node.value])
        else:
            rest.append(node.elt)  # type: ignore[attr-defined]
        self.check(rest, inner)

    def _report(self, node: ast.Name, scope: _Scope) -> None:
        name = node.id
        if name in self._reported or name.startswith("__") or _is_guard_like(name):
            return  # reported once; dunders and `_x_` names are the policy's to report
        self._reported.add(name)
        candidates = sorted({n for n in scope.visible() if not n.startswith("__")})
        close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.7)
        message = f"name '{name}' is not defined"
        if close:
            message += f"; did you mean '{close[0]}'?"
        elif name in _PYTHON_BUILTINS:
            message += ": that builtin is not available in the sandbox"
        self.problems.append(
            Problem(
                path=self.path,
                message=message,
                line=node.lineno,
                col=node.col_offset,
                offending=name,
            )
        )


def _is_guard_like(name: str) -> bool:
    return len(name) > 1 and name.startswith("_") and name.endswith("_")
