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


class NoScenariosError(GemEnvError):
    """The env has no scenario to serve (e.g. an empty or missing scenarios directory)."""


class UnknownScenarioError(GemEnvError, KeyError):
    """`reset(options={"scenario": id})` names a scenario the env does not serve."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InvalidActionError(GemEnvError, TypeError):
    """An action that is not an assistant message (a developer error, not a model error).

    Model errors (malformed JSON, unknown tools, bad arguments) never raise: they become
    observations and findings. This is raised for e.g. an int, or a message whose role is
    not ``assistant``.
    """


class ResetNeededError(GemEnvError, RuntimeError):
    """`step` or `trajectory` was called before `reset`, or `step` after the episode ended."""


class EnvConfigError(GemEnvError, ValueError):
    """An argument of the env or of `reset` is invalid (the message says which and why)."""
