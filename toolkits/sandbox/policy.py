"""The compile-time policy: a RestrictedPython transformer extended for tool code.

RestrictedPython's `RestrictingNodeTransformer` rejects imports, dunder names and
attribute names starting with `_`, routes attribute reads through `_getattr_` and
item writes through `_write_`. This policy keeps those rules and changes what tool
code needs:

- single-underscore helpers (`_member`) are allowed; dunders and names of the form
  `_x_` (reserved for the sandbox's guards) are not;
- item augmented assignment (`state["n"] += 1`) becomes `_aug_item_(...)`;
- item reads stay plain subscripts (no `_getitem_`: reads are safe and hot);
- a step (`_step_()`) is charged at the top of every loop body, in every
  comprehension clause, in every lambda and at every function entry
  (`_enter_`/`_leave_` also bound the recursion depth deterministically);
- every `except` body first calls `_handler_()`, which re-raises a sandbox abort, so
  `try/except` cannot swallow a budget or limit;
- operators that can build big values (`+`, `*`, `**`, `<<`, `%`, f-string parts,
  starred displays) go through size guards; set displays build insertion-ordered sets
  so iteration order does not depend on the process's string hash seed;
- `import`, `class`, `with`, `global`, `nonlocal`, `yield`, `async`, `match`,
  decorators, attribute assignment and `return`/`break`/`continue` inside `finally`
  are rejected with a `Problem` carrying the line, column and offending construct.
"""

from __future__ import annotations

import ast
from typing import Any

from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations

from toolkits.errors import Problem
from toolkits.sandbox.policy_sizes import MAX_FORMAT_WIDTH, SizedBuilds, _call, _is_number
from toolkits.sandbox.rejections import RejectedConstructs

__all__ = ["GUARD_NAMES", "MAX_FORMAT_WIDTH", "SandboxPolicy"]

#: Names the transformer injects; user code may never bind or read them directly.
GUARD_NAMES = frozenset(
    {
        "_getattr_",
        "_write_",
        "_apply_",
        "_aug_item_",
        "_inplace_",
        "_step_",
        "_enter_",
        "_leave_",
        "_handler_",
        "_add_",
        "_mul_",
        "_pow_",
        "_lshift_",
        "_mod_",
        "_fmt_",
        "_sized_",
        "_oset_",
        "_iadd_",
        "_star_",
    }
)

_INPLACE_OPS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.MatMult: "@",
}


class SandboxPolicy(RejectedConstructs, SizedBuilds, RestrictingNodeTransformer):
    """RestrictedPython policy for tool code; collects structured `Problem`s."""

    def __init__(self, errors=None, warnings=None, used_names=None):
        super().__init__(errors, warnings, used_names)
        self.problems: list[Problem] = []
        self._finally_depth = 0
        self._loop_depth_in_finally: list[int] = []

    # -- reporting -------------------------------------------------------------------

    def error(self, node: ast.AST, info: str) -> None:
        """Record a policy violation with its line, column and construct."""
        super().error(node, info)
        self.problems.append(
            Problem(
                path="source",
                message=info,
                line=getattr(node, "lineno", None),
                col=getattr(node, "col_offset", None),
                offending=type(node).__name__,
            )
        )

    def _reject(self, node: ast.AST, what: str, hint: str) -> None:
        self.error(node, f"{what} is not allowed in the sandbox; {hint}")

    # -- names -----------------------------------------------------------------------

    def check_name(self, node: Any, name: str | None, allow_magic_methods: bool = False) -> None:
        """Allow `_helper` names; reject dunders, `_x_` guard-like names and reserved names."""
        if name is None:
            return
        if name.startswith("__"):
            self.error(node, f'"{name}" is an invalid name: names starting with "__" are reserved')
        elif name.startswith("_") and name.endswith("_") and name != "_":
            self.error(
                node, f'"{name}" is an invalid name: "_x_" names are reserved for the sandbox'
            )
        elif name in ("printed",):
            self.error(node, f'"{name}" is a reserved name')

    def visit_Name(self, node: ast.Name) -> Any:
        """Plain names (no print rewriting); reserved names are rejected."""
        self.check_name(node, node.id)
        return node

    # -- items, attributes -----------------------------------------------------------

    def visit_Subscript(self, node: ast.Subscript) -> Any:
        """Reads stay plain; writes and deletes go through `_write_`."""
        node = self.node_contents_visit(node)
        if isinstance(node.ctx, ast.Load):
            return node
        new_value = _call("_write_", node.value)
        copy_locations(new_value, node)
        node.value = new_value
        return node

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        """Attribute reads go through `_getattr_`; assignment to attributes is rejected."""
        if not isinstance(node.ctx, ast.Load):
            self._reject(
                node,
                f"assigning or deleting attribute '{node.attr}'",
                'store data in dicts (e.g. record["field"] = value)',
            )
            return node
        return super().visit_Attribute(node)

    # -- assignment ------------------------------------------------------------------

    def visit_Assign(self, node: ast.Assign) -> Any:
        """Tuple unpacking is plain Python (iterables in the sandbox are finite)."""
        return self.node_contents_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> Any:
        """`x: T = v` is `x = v` (annotations are ignored, as CPython ignores them in
        functions); a bare `x: T` only makes `x` a local of its function, as in CPython."""
        new: ast.stmt
        if node.value is not None:
            new = ast.Assign(targets=[node.target], value=node.value)
        elif isinstance(node.target, ast.Name):
            dead = ast.Assign(targets=[node.target], value=ast.Constant(None))
            new = ast.If(test=ast.Constant(False), body=[dead], orelse=[])
        else:
            new = ast.Pass()
        copy_locations(new, node)
        ast.fix_missing_locations(new)
        return self.visit(new)

    def visit_AugAssign(self, node: ast.AugAssign) -> Any:
        """`x[k] op= v` -> `_aug_item_(x, k, op, v)`; `n op= v` -> `n = _inplace_(op, n, v)`."""
        node = self.node_contents_visit(node)
        op = _INPLACE_OPS[type(node.op)]
        target = node.target
        if isinstance(target, ast.Attribute):
            self._reject(node, "augmented assignment of an attribute", "use dict items")
            return node
        if isinstance(target, ast.Subscript):
            if isinstance(target.slice, ast.Slice):
                self._reject(node, "augmented assignment of a slice", "assign the slice instead")
                return node
            obj = target.value
            if (
                isinstance(obj, ast.Call)
                and isinstance(obj.func, ast.Name)
                and obj.func.id == "_write_"
            ):
                obj = obj.args[0]
            call = _call("_aug_item_", obj, target.slice, ast.Constant(op), node.value)
            new: ast.stmt = ast.Expr(value=call)
        else:
            assert isinstance(target, ast.Name)
            if op in ("+", "-") and _is_number(node.value):
                return node  # n += 1: numbers grow by a constant, no guard needed
            if op == "+":
                value = _call("_iadd_", ast.Name(target.id, ast.Load()), node.value)
            else:
                value = _call(
                    "_inplace_", ast.Constant(op), ast.Name(target.id, ast.Load()), node.value
                )
            new = ast.Assign(targets=[ast.Name(target.id, ast.Store())], value=value)
        copy_locations(new, node)
        ast.fix_missing_locations(new)
        return new

    # -- steps: loops, comprehensions, lambdas, functions ------------------------------

    def _step_stmt(self, node: ast.AST) -> ast.stmt:
        stmt = ast.Expr(value=_call("_step_"))
        copy_locations(stmt, node)
        ast.fix_missing_locations(stmt)
        return stmt

    def visit_For(self, node: ast.For) -> Any:
        """Charge one step per iteration."""
        node = self.node_contents_visit(node)
        node.body.insert(0, self._step_stmt(node))
        return node

    def visit_While(self, node: ast.While) -> Any:
        """Charge one step per iteration."""
        node = self.node_contents_visit(node)
        node.body.insert(0, self._step_stmt(node))
        return node

    def visit_comprehension(self, node: ast.comprehension) -> Any:
        """Charge one step per iteration of every comprehension clause."""
        if node.is_async:
            self._reject(node, "async comprehension", "use a plain comprehension")
        node = self.node_contents_visit(node)
        step = _call("_step_")
        copy_locations(step, node.iter)
        node.ifs.insert(0, step)
        return node

    def visit_Lambda(self, node: ast.Lambda) -> Any:
        """Charge one step per lambda call."""
        self.check_function_argument_names(node)
        node = self.node_contents_visit(node)
        body = ast.BoolOp(op=ast.And(), values=[_call("_step_"), node.body])
        copy_locations(body, node.body)
        ast.fix_missing_locations(body)
        node.body = body
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        """Bound depth and charge a step at entry; reject decorators and generators."""
        self.check_name(node, node.name)
        self.check_function_argument_names(node)
        if node.decorator_list:
            self._reject(node, "a decorator", "call helpers explicitly")
        if node.returns is not None or any(a.annotation for a in _all_args(node.args)):
            node.returns = None
            for arg in _all_args(node.args):
                arg.annotation = None
        node = self.node_contents_visit(node)
        enter = ast.Expr(value=_call("_enter_"))
        leave = ast.Expr(value=_call("_leave_"))
        body = node.body
        doc: list[ast.stmt] = []
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            doc, body = [body[0]], body[1:] or [ast.Pass()]
        guarded = ast.Try(body=body, handlers=[], orelse=[], finalbody=[leave])
        for stmt in (enter, leave, guarded):
            copy_locations(stmt, node)
        ast.fix_missing_locations(guarded)
        node.body = [*doc, enter, guarded]
        return node

    def visit_Try(self, node: ast.Try) -> Any:
        """Allow try/except/finally; `finally` may not return, break or continue."""
        for stmt in node.finalbody:
            for inner in ast.walk(stmt):
                if isinstance(inner, ast.Return) or (
                    isinstance(inner, (ast.Break, ast.Continue)) and not _inside_loop(stmt, inner)
                ):
                    self._reject(
                        inner,
                        f"'{type(inner).__name__.lower()}' inside finally",
                        "it would swallow errors; move it after the try statement",
                    )
        return self.node_contents_visit(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> Any:
        """Every handler first re-raises sandbox aborts (budgets cannot be swallowed)."""
        node = self.node_contents_visit(node)
        self.check_name(node, node.name)
        node.body.insert(0, ast.Expr(value=_call("_handler_")))
        copy_locations(node.body[0], node)
        ast.fix_missing_locations(node.body[0])
        return node


def _all_args(args: ast.arguments) -> list[ast.arg]:
    out = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    if args.vararg:
        out.append(args.vararg)
    if args.kwarg:
        out.append(args.kwarg)
    return out


def _inside_loop(root: ast.AST, target: ast.AST) -> bool:
    for node in ast.walk(root):
        if isinstance(node, (ast.For, ast.While)) and any(n is target for n in ast.walk(node)):
            return True
    return False
