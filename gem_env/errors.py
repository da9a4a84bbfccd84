"""Typed errors of gem_env; each says what to do next."""

from __future__ import annotations

from toolkits.errors import Problem


class GemEnvError(Exception):
    """Base of every error raised by gem_env."""


class ScenarioError(GemEnvError):
    """A scenario (or scenarios file) is not valid; `problems` lists each with its path."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid scenario(s) ({len(self.problems)} problem(s)):\n{lines}")


class TrajectoryFormatError(GemEnvError):
    """A line is not a `gem-env/trajectory@1` record; `line` is 1-based (None for objects)."""

    def __init__(self, message: str, line: int | None = None):
        self.line = line
        self.detail = message
        super().__init__(f"line {line}: {message}" if line is not None else message)
