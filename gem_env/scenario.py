"""Scenarios (DESIGN.md section 3.2): what the user wants and how success is judged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gem_env.errors import ScenarioError
from toolkits.errors import Problem


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

    `toolkit` (an extension of section 3.2) names a bundled example toolkit, so that a
    scenarios file can serve several toolkits; it is optional.
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

    Raises:
        ScenarioError: listing every invalid scenario with its index and field.
        FileNotFoundError: when a path does not exist.
    """
    if isinstance(source, Scenario):
        return [source]
    items: Any = source
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"no scenarios file at {path}")
        text = path.read_text(encoding="utf-8")
        try:
            items = json.loads(text)
        except json.JSONDecodeError:
            items = []
            for number, line in enumerate(text.splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    items.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ScenarioError(
                        [
                            Problem(
                                path=f"line {number}", message=f"not JSON: {exc.msg}", line=number
                            )
                        ]
                    ) from None
    if isinstance(items, dict):
        items = items.get("scenarios", [items])
    if not isinstance(items, list):
        raise ScenarioError([Problem(message="scenarios are a JSON list of objects")])
    scenarios, problems = [], []
    for i, item in enumerate(items):
        try:
            scenarios.append(item if isinstance(item, Scenario) else Scenario.model_validate(item))
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"])
                problems.append(Problem(path=f"[{i}].{where}", message=err["msg"]))
    ids = [s.id for s in scenarios]
    for dup in sorted({x for x in ids if ids.count(x) > 1}):
        problems.append(Problem(path="id", message=f"duplicate scenario id {dup!r}"))
    if problems:
        raise ScenarioError(problems)
    return scenarios
