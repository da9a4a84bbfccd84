"""The constructs the sandbox policy rejects, each with what to write instead."""

from __future__ import annotations

import ast
from typing import Any

from toolkits.sandbox.modules.names import AVAILABLE, module_problem, name_problem


class RejectedConstructs:
    """Visitor methods of `SandboxPolicy` for statements tool code may not use.

    Mixed into the policy, whose `_reject(node, what, hint)` records the problem.
    """

    def _reject(self, node: ast.AST, what: str, hint: str) -> None:  # pragma: no cover
        raise NotImplementedError

    def visit_Import(self, node: ast.Import) -> Any:
        """``import X`` / ``import X as Y`` of the sandbox's modules only."""
        problems = [module_problem(alias.name) for alias in node.names]
        return self._checked_import(node, problems)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> Any:
        """``from X import a, b as c`` of names a sandbox module offers."""
        module = node.module or ""
        if node.level:
            return self._checked_import(
                node, [f"relative imports are not available; the sandbox offers {AVAILABLE}"]
            )
        problem = module_problem(module, from_import=True)
        if problem is not None:
            return self._checked_import(node, [problem])
        problems = [
            f"'from {module} import *' is not allowed; name what you use: from {module} import a"
            if alias.name == "*"
            else name_problem(module, alias.name)
            for alias in node.names
        ]
        return self._checked_import(node, problems)

    def _checked_import(self, node: ast.Import | ast.ImportFrom, problems: list) -> Any:
        found = [p for p in problems if p is not None]
        for problem in found:
            self.error(node, problem)  # type: ignore[attr-defined]
        if found:
            return node
        return self.check_import_names(node)  # type: ignore[attr-defined]

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
