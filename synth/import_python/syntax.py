"""Small syntax-tree queries the conversion shares."""

from __future__ import annotations

import ast

__all__ = ["attribute_assignments", "class_level_names"]


def attribute_assignments(node: ast.AST) -> dict[str, int]:
    """``attr -> first line`` of each ``x.attr = ...`` (also annotated and augmented)."""
    lines: dict[str, int] = {}
    for sub in ast.walk(node):
        if isinstance(sub, ast.Assign):
            targets = sub.targets
        elif isinstance(sub, (ast.AnnAssign, ast.AugAssign)):
            targets = [sub.target]
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                lines.setdefault(target.attr, target.lineno)
    return lines


def class_level_names(class_node: ast.ClassDef) -> list[str]:
    """The names a class body assigns a value to (``TAX = 0.2``, ``count: int = 0``)."""
    names = []
    for node in class_node.body:
        if isinstance(node, ast.Assign):
            names.extend(t.id for t in node.targets if isinstance(t, ast.Name))
        elif (
            isinstance(node, ast.AnnAssign)
            and node.value is not None
            and isinstance(node.target, ast.Name)
        ):
            names.append(node.target.id)
    return names
