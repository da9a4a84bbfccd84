"""The constructs the sandbox policy rejects, each with what to write instead."""

from __future__ import annotations

import ast
from typing import Any


class RejectedConstructs:
    """Visitor methods of `SandboxPolicy` for statements tool code may not use.

    Mixed into the policy, whose `_reject(node, what, hint)` records the problem.
    """

    def _reject(self, node: ast.AST, what: str, hint: str) -> None:  # pragma: no cover
        raise NotImplementedError

    def visit_Import(self, node: ast.Import) -> Any:
        """Imports are not available."""
        self._reject(node, "import", "the sandbox offers no modules; use builtins and plain data")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> Any:
        """Imports are not available."""
        self._reject(node, "import", "the sandbox offers no modules; use builtins and plain data")
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> Any:
        """Classes are not available."""
        self._reject(node, f"class definition '{node.name}'", "use dicts and functions")
        return node

    def visit_With(self, node: ast.With) -> Any:
        """Context managers are not available."""
        self._reject(node, "'with'", "there are no files or locks in the sandbox")
        return node

    def visit_Global(self, node: ast.Global) -> Any:
        """Module globals cannot be rebound by tools."""
        self._reject(node, "'global'", "keep data in `state`")
        return node

    def visit_Nonlocal(self, node: ast.Nonlocal) -> Any:
        """Closures cannot rebind outer variables."""
        self._reject(node, "'nonlocal'", "return values instead")
        return node

    def visit_Yield(self, node: ast.Yield) -> Any:
        """Generators are not available."""
        self._reject(node, "yield", "return a list instead")
        return node

    def visit_YieldFrom(self, node: ast.YieldFrom) -> Any:
        """Generators are not available."""
        self._reject(node, "yield from", "return a list instead")
        return node

    def visit_Match(self, node: ast.AST) -> Any:
        """`match` is not available."""
        self._reject(node, "'match'", "use if/elif")
        return node
