"""Scenarios (DESIGN.md section 3.2): what the user wants and how success is judged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gem_env.errors import ScenarioError, validation_problems
from toolkits import ToolkitSpec, load_toolkit
from toolkits.errors import Problem
from toolkits.examples import load_example

RUN_SCENARIOS = "scenarios.jsonl"  # the scenarios file of a `gem-env run` output directory


class UserSpec(BaseModel):
    """The simulated user: a hidden goal, a persona and facts revealed only when asked."""

    model_config = ConfigDict(extra="allow")

    goal: str = Field(description="What the user wants, in their words (hidden from the agent).")
    persona: str = Field(default="", description="How the user talks and behaves.")
    known_info: dict[str, Any] = Field(
        default_factory=dict, description="Facts the user knows and may reveal when asked."
    )


class Assertion(BaseModel):
    """A Python expression over the final `state`, run in the sandbox."""

    description: str = ""
    expr: str


class Scenario(BaseModel):
    """One task for an agent against a toolkit.

    `toolkit` (section 3.2) names a bundled example toolkit, or a toolkit file by a path
    relative to the scenarios file (``toolkits/<name>-<hash8>.json`` in a run's output),
    so that a scenarios file can serve several toolkits; it is optional.
    """

    model_config = ConfigDict(extra="allow")

    id: str = Field(description="Unique id of the scenario.")
    system_prompt: str = Field(description="Policy and instructions for the agent.")
    user: UserSpec
    initial_state: dict[str, Any] | None = Field(
        default=None, description="Overrides the toolkit's initial state when given."
    )
    goal_assertions: list[Assertion] = Field(default_factory=list)
    required_outputs: list[str] = Field(
        default_factory=list, description="Strings the agent must say (case-insensitive)."
    )
    max_turns: int = Field(default=20, ge=1, description="Agent turns before truncation.")
    toolkit: str | None = Field(default=None, description="Name of a bundled example toolkit.")


def load_scenarios(source: str | Path | list[Any] | dict[str, Any] | Scenario) -> list[Scenario]:
    """Load scenarios from a path (JSON list, JSON object or JSONL), a list, a dict or a Scenario.

    A path may also be a `gem-env run` output directory (its ``scenarios.jsonl``). A
    scenario's ``toolkit`` that is a relative file path is made absolute against the
    scenarios file's directory.

    A file is one JSON document (a list, or an object, possibly with a ``scenarios``
    list), however many lines it spans; it is JSONL (one scenario per line) only when
    its first line is a JSON object of its own. A syntax error is reported at its line
    and column (``FILE:12:5: Expecting ',' delimiter``); in a JSONL file every problem
    names its line.

    Raises:
        ScenarioError: listing every invalid scenario with its index (or line) and field;
            its `source` is the file, when one was read.
        FileNotFoundError: when a path does not exist.
    """
    if isinstance(source, Scenario):
        return [source]
    items: Any = source
    lines: list[int] | None = None  # the line of each item, for a JSONL file
    where: str | None = None
    problems: list[Problem] = []  # of every item, in order (of lines, for a JSONL file)
    base: Path | None = None  # the directory toolkit paths are relative to
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.is_dir() and (path / RUN_SCENARIOS).is_file():
            path = path / RUN_SCENARIOS  # a `gem-env run` output directory
        if not path.exists():
            raise FileNotFoundError(f"no scenarios file at {path}")
        if path.is_dir():
            raise ScenarioError(
                [Problem(message=f"a directory without {RUN_SCENARIOS}; give a scenarios file")],
                str(path),
            )
        where, base = str(path), path.parent
        items, lines, problems = _read_file(path.read_text(encoding="utf-8"), where)
    if isinstance(items, dict):
        items = items.get("scenarios", [items])
    if not isinstance(items, list):
        raise ScenarioError([Problem(message="scenarios are a JSON list of objects")], where)
    scenarios = []
    for i, item in enumerate(items):
        try:
            scenarios.append(item if isinstance(item, Scenario) else Scenario.model_validate(item))
        except ValidationError as exc:
            if lines is None:
                problems.extend(validation_problems(exc.errors(), f"[{i}]"))
            else:
                found = validation_problems(exc.errors())
                problems.extend(p.model_copy(update={"line": lines[i]}) for p in found)
    if lines is not None:
        problems.sort(key=lambda p: p.line or 0)  # stable: a line's own problems in order
    if base is not None:  # a toolkit named by a relative path is relative to the file
        scenarios = [_anchored(s, base) for s in scenarios]
    ids = [s.id for s in scenarios]
    for dup in sorted({x for x in ids if ids.count(x) > 1}):
        problems.append(Problem(path="id", message=f"duplicate scenario id {dup!r}"))
    if problems:
        raise ScenarioError(problems, where)
    return scenarios


def is_toolkit_path(name: str) -> bool:
    """Whether a scenario's ``toolkit`` names a file (a ``.json`` path) rather than a
    bundled example."""
    return name.endswith(".json") or "/" in name or "\\" in name


def named_toolkit(name: str) -> ToolkitSpec:
    """The toolkit a scenario's ``toolkit`` names: a toolkit file (a path) or a bundled
    example.

    Raises:
        FileNotFoundError: a path to no file. SpecError: the file is no valid toolkit.
        UnknownExampleError: no bundled example has that name.
    """
    return load_toolkit(Path(name)) if is_toolkit_path(name) else load_example(name)


def _anchored(scenario: Scenario, base: Path) -> Scenario:
    name = scenario.toolkit
    if name is None or not is_toolkit_path(name) or Path(name).is_absolute():
        return scenario
    return scenario.model_copy(update={"toolkit": str((base / name).resolve())})


def _read_file(text: str, where: str) -> tuple[Any, list[int] | None, list[Problem]]:
    """The items of a scenarios file, the line of each when it is JSONL (else None), and
    the problems of JSONL lines that are not JSON.

    Raises:
        ScenarioError: the file is one JSON document with a syntax error (at its place).
    """
    if not text.strip():
        return [], None, []
    try:
        return json.loads(text), None, []
    except json.JSONDecodeError as exc:
        error = exc
    except RecursionError:
        raise ScenarioError([Problem(message="nested too deeply")], where) from None
    if not _is_jsonl(text):
        problem = Problem(message=error.msg, line=error.lineno, col=error.colno)
        raise ScenarioError([problem], where) from None
    items, lines, problems = [], [], []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
            lines.append(number)
        except json.JSONDecodeError as exc:
            problems.append(Problem(message=exc.msg, line=number, col=exc.colno))
        except RecursionError:
            problems.append(Problem(message="nested too deeply", line=number))
    return items, lines, problems


def _is_jsonl(text: str) -> bool:
    """Whether `text` (not one JSON document) is JSON Lines: its first line is an object."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    if not first.lstrip().startswith("{"):
        return False
    try:
        return isinstance(json.loads(first), dict)
    except (json.JSONDecodeError, RecursionError):
        return False
