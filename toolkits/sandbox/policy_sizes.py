"""The policy's rules for what can build big values: operators, f-strings, displays.

Mixed into `SandboxPolicy`: `+ * ** << %` go through size guards unless an operand
makes the result provably small, f-string parts are size-checked and their specs must
be constant and narrow (`spec_too_wide`, shared with `str.format`), starred displays
and `**` operands are charged by their size, and set displays build the sandbox's
insertion-ordered sets.
"""

from __future__ import annotations

import ast
from typing import Any

from RestrictedPython.transformer import copy_locations

#: Widest width or precision a format spec may ask for (f-strings and str.format).
MAX_FORMAT_WIDTH = 10_000

_GUARDED_BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "_add_",
    ast.Mult: "_mul_",
    ast.Pow: "_pow_",
    ast.LShift: "_lshift_",
    ast.Mod: "_mod_",
}


def spec_too_wide(spec: str) -> bool:
    """True when a format spec holds a width or precision over `MAX_FORMAT_WIDTH`."""
    numbers = "".join(c if c.isdigit() else " " for c in spec).split()
    return any(len(d) > 6 or int(d) > MAX_FORMAT_WIDTH for d in numbers)


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])


def _is_number(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, (int, float))
        and not isinstance(node.value, bool)
    )


class SizedBuilds:
    """Visitor methods of `SandboxPolicy` for operators and literals that build values.

    Mixed into the policy (before RestrictedPython's transformer), whose `_reject` and
    `node_contents_visit` it uses.
    """

    _reject: Any
    node_contents_visit: Any

    def visit_BinOp(self, node: ast.BinOp) -> Any:  # noqa: N802
        """Size-guard `+ * ** << %` unless an operand makes it provably small."""
        node = self.node_contents_visit(node)
        guard = _GUARDED_BINOPS.get(type(node.op))
        if guard is None:
            return node
        left, right = node.left, node.right
        if isinstance(node.op, ast.Add) and (_is_number(left) or _is_number(right)):
            return node
        if isinstance(node.op, ast.Mod) and _is_number(left):
            return node
        if (
            _is_number(left)
            and _is_number(right)
            and not isinstance(node.op, (ast.Pow, ast.LShift))
        ):
            return node
        new = _call(guard, left, right)
        copy_locations(new, node)
        return new

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:  # noqa: N802
        """f-string parts are size-checked; format specs must be constant and narrow."""
        node = self.node_contents_visit(node)
        spec = node.format_spec
        if spec is not None:
            parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
            if not all(isinstance(p, ast.Constant) for p in parts):
                self._reject(node, "a computed format spec", "write a constant spec like {x:.2f}")
            else:
                text = "".join(str(p.value) for p in parts)  # type: ignore[attr-defined]
                if spec_too_wide(text):
                    self._reject(
                        node,
                        f"format spec {text!r}",
                        f"keep widths and precisions under {MAX_FORMAT_WIDTH}",
                    )
        wrapped = _call("_fmt_", node.value, ast.Constant(node.conversion))
        copy_locations(wrapped, node.value)
        node.value = wrapped
        node.conversion = -1  # applied by the guard, bounded
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> Any:  # noqa: N802
        """An f-string with replacement fields is size-checked as a whole."""
        node = self.node_contents_visit(node)
        if not any(isinstance(v, ast.FormattedValue) for v in node.values):
            return node
        new = _call("_sized_", node)
        copy_locations(new, node)
        return new

    def visit_Starred(self, node: ast.Starred) -> Any:  # noqa: N802
        """`*x` in a display or call: charged by its size before it is unpacked."""
        node = self.node_contents_visit(node)
        if isinstance(node.ctx, ast.Load):
            node.value = _call("_star_", node.value)
            copy_locations(node.value, node)
        return node

    def visit_keyword(self, node: ast.keyword) -> Any:
        """`**x` in a call: charged by its size before it is unpacked."""
        node = self.node_contents_visit(node)
        if node.arg is None:
            node.value = _call("_star_", node.value)
            copy_locations(node.value, node)
        return node

    def _sized_display(self, node: Any, has_unpack: bool) -> Any:
        if not has_unpack:
            return node
        new = _call("_sized_", node)
        copy_locations(new, node)
        return new

    def visit_List(self, node: ast.List) -> Any:  # noqa: N802
        """Starred list displays are size-checked."""
        node = self.node_contents_visit(node)
        starred = isinstance(node.ctx, ast.Load) and any(
            isinstance(e, ast.Starred) for e in node.elts
        )
        return self._sized_display(node, starred)

    def visit_Tuple(self, node: ast.Tuple) -> Any:  # noqa: N802
        """Starred tuple displays are size-checked."""
        node = self.node_contents_visit(node)
        starred = isinstance(node.ctx, ast.Load) and any(
            isinstance(e, ast.Starred) for e in node.elts
        )
        return self._sized_display(node, starred)

    def visit_Dict(self, node: ast.Dict) -> Any:  # noqa: N802
        """`{**a, **b}` displays are charged per operand and size-checked."""
        node = self.node_contents_visit(node)
        for i, key in enumerate(node.keys):
            if key is None:
                node.values[i] = _call("_star_", node.values[i])
                copy_locations(node.values[i], node)
        return self._sized_display(node, any(k is None for k in node.keys))

    def visit_Set(self, node: ast.Set) -> Any:  # noqa: N802
        """Set displays build insertion-ordered sets (deterministic iteration)."""
        node = self.node_contents_visit(node)
        new = _call("_oset_", ast.List(elts=node.elts, ctx=ast.Load()))
        copy_locations(new, node)
        ast.fix_missing_locations(new)
        return new

    def visit_SetComp(self, node: ast.SetComp) -> Any:  # noqa: N802
        """Set comprehensions build insertion-ordered sets (deterministic iteration)."""
        node = self.node_contents_visit(node)
        listcomp = ast.ListComp(elt=node.elt, generators=node.generators)
        new = _call("_oset_", listcomp)
        copy_locations(new, node)
        ast.fix_missing_locations(new)
        return new
