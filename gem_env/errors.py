"""Typed errors of gem_env; each says what to do next.

Also owns how a pydantic `ValidationError` is told: as `Problem`s, one per error
(`validation_problems`), or in one line naming every missing field of an object
together (`validation_summary`); never only the first of several errors.
"""

from __future__ import annotations

from typing import Any

from toolkits.errors import Problem


class GemEnvError(Exception):
    """Base of every error raised by gem_env."""


class ScenarioError(GemEnvError):
    """A scenario (or scenarios file) is not valid; `problems` lists each with its path.

    `source` is the scenarios file the problems are in (None for scenarios given as
    objects); a problem with a `line` (1-based) and `col` (1-based, as JSON decoders
    count) is then shown as ``FILE:LINE:COL: path: message``, as compilers do.
    """

    def __init__(self, problems: list[Problem], source: str | None = None):
        self.problems = list(problems)
        self.source = source
        lines = "\n".join(f"  - {self.describe(p)}" for p in self.problems)
        super().__init__(f"invalid scenario(s) ({len(self.problems)} problem(s)):\n{lines}")

    def describe(self, problem: Problem) -> str:
        """One problem as shown: ``FILE:LINE[:COL]: path: message`` when it has a file."""
        if self.source is None:
            return str(problem)
        where = self.source
        if problem.line is not None:
            where += f":{problem.line}" + (f":{problem.col}" if problem.col is not None else "")
        return f"{where}: {problem.path + ': ' if problem.path else ''}{problem.message}"


class TrajectoryFormatError(GemEnvError):
    """A line is not a `gem-env/trajectory@1` record; `line` is 1-based (None for objects)."""

    def __init__(self, message: str, line: int | None = None):
        self.line = line
        self.detail = message
        super().__init__(f"line {line}: {message}" if line is not None else message)


class NotJSONLinesError(TrajectoryFormatError):
    """The input is one JSON document (a pretty-printed trajectory, or a JSON array of
    them), not JSON Lines; the message says how to convert it.

    `line` and `col` (1-based) locate a syntax error of the document, else are None.
    """

    def __init__(self, message: str, line: int | None = None, col: int | None = None):
        super().__init__(message, line)
        self.col = col


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


def validation_problems(errors: list[Any], prefix: str = "") -> list[Problem]:
    """One `Problem` per error of pydantic's ``ValidationError.errors()``, under `prefix`.

    Paths read as JSON paths: ``[0].user.goal``, ``messages[3].role``.
    """
    return [
        Problem(path=_join(prefix, tuple(err.get("loc", ()))), message=err.get("msg", "invalid"))
        for err in errors
    ]


def validation_summary(errors: list[Any], limit: int = 5) -> str:
    """pydantic's ``ValidationError.errors()`` in one line, for a record's error.

    The missing fields of one object are named together, in that object's place among
    the other errors (``missing required fields: scenario, termination; messages[3].role:
    ...``); past `limit` entries, ``(+N more)`` counts the rest.
    """
    entries: list[str | tuple[str, list[str]]] = []  # a message, or (object, its missing)
    missing: dict[str, list[str]] = {}
    for err in errors:
        loc = tuple(err.get("loc", ()))
        if err.get("type") == "missing" and loc:
            parent = _join("", loc[:-1])
            if parent not in missing:
                missing[parent] = []
                entries.append((parent, missing[parent]))
            missing[parent].append(str(loc[-1]))
        else:
            where = _join("", loc)
            entries.append(f"{where}: {err.get('msg', 'invalid')}" if where else err["msg"])
    shown = []
    for entry in entries[:limit]:
        if isinstance(entry, str):
            shown.append(entry)
        else:
            parent, names = entry
            noun = "field" if len(names) == 1 else "fields"
            shown.append(
                f"{parent + ': ' if parent else ''}missing required {noun}: {', '.join(names)}"
            )
    more = f" (+{len(entries) - limit} more)" if len(entries) > limit else ""
    return "; ".join(shown) + more


def _join(prefix: str, loc: tuple[Any, ...]) -> str:
    """``prefix`` + ``loc`` as a path: ``[0].user.goal``, ``messages[3].role``."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path
