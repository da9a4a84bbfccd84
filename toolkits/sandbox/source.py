"""Entry points of the policy: parse tool source, then restrict the tree."""

from __future__ import annotations

import ast

from toolkits.errors import Problem
from toolkits.sandbox.policy import SandboxPolicy

MAX_SOURCE_CHARS = 200_000


def parse_source(
    source: str, filename: str, mode: str = "exec"
) -> tuple[ast.AST | None, list[Problem]]:
    """Parse `source`, returning the tree or a `Problem` describing the syntax error."""
    if len(source) > MAX_SOURCE_CHARS:
        return None, [
            Problem(
                path="source",
                message=f"source is {len(source)} characters; the limit is {MAX_SOURCE_CHARS}",
            )
        ]
    try:
        return ast.parse(source, filename, mode), []
    except SyntaxError as exc:
        line = (exc.text or "").strip() or None
        return None, [
            Problem(
                path="source",
                message=f"syntax error: {exc.msg}",
                line=exc.lineno,
                col=(exc.offset - 1) if exc.offset else None,
                offending=line,
            )
        ]
    except (ValueError, RecursionError, MemoryError) as exc:  # NUL bytes, absurd nesting
        return None, [Problem(path="source", message=f"cannot parse source: {exc}")]


def restrict(tree: ast.AST) -> tuple[ast.AST, list[Problem]]:
    """Apply the sandbox policy to a parsed tree; return the new tree and its problems."""
    policy = SandboxPolicy()
    try:
        new_tree = policy.visit(tree)
    except RecursionError:
        return tree, [Problem(path="source", message="source is nested too deeply to check")]
    ast.fix_missing_locations(new_tree)
    return new_tree, policy.problems
