"""Trajectories (DESIGN.md section 3.3): self-describing episode records, one per JSONL line."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gem_env.errors import TrajectoryFormatError
from gem_env.messages import Message
from gem_env.scenario import Scenario

TRAJECTORY_FORMAT = "gem-env/trajectory@1"


class Termination(str, Enum):
    """Why an episode ended."""

    user_stop = "user_stop"
    agent_stop = "agent_stop"
    max_turns = "max_turns"
    error = "error"

    def __str__(self) -> str:
        return self.value


class TrajectoryProvenance(BaseModel):
    """Where a trajectory came from."""

    model_config = ConfigDict(extra="allow")

    document_id: str | None = None
    created_by: Literal["grounding", "refinement", "synthesizer"] = "grounding"
    models: dict[str, str] = Field(default_factory=dict, description="Role -> model name.")
    parent_id: str | None = None


class Trajectory(BaseModel):
    """One episode: the toolkit, the scenario, the messages and how it ended."""

    model_config = ConfigDict(extra="allow")

    format: Literal["gem-env/trajectory@1"] = TRAJECTORY_FORMAT
    id: str
    seed: int | None = None
    toolkit: dict[str, Any] = Field(
        description="The full toolkit object (replay needs nothing else)."
    )
    scenario: Scenario
    messages: list[Message]
    termination: Termination
    final_state_hash: str | None = None
    verification: dict[str, Any] | None = None
    provenance: TrajectoryProvenance = Field(default_factory=TrajectoryProvenance)

    def to_json_line(self) -> str:
        """The record as one line of JSON (no trailing newline)."""
        return json.dumps(self.model_dump(mode="json", exclude_none=True), ensure_ascii=False)


def parse_trajectory(line: str | dict[str, Any], number: int | None = None) -> Trajectory:
    """Parse one record; raise `TrajectoryFormatError` saying what is wrong and where."""
    data: Any = line
    if isinstance(line, str):
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TrajectoryFormatError(
                f"not JSON: {exc.msg} (column {exc.colno})", number
            ) from None
    if not isinstance(data, dict):
        raise TrajectoryFormatError("a trajectory is a JSON object", number)
    if data.get("format") != TRAJECTORY_FORMAT:
        raise TrajectoryFormatError(
            f"format is {data.get('format')!r}, expected {TRAJECTORY_FORMAT!r}", number
        )
    try:
        return Trajectory.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        more = f" (+{len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise TrajectoryFormatError(f"{where}: {err['msg']}{more}", number) from None


def read_trajectories(path: str | Path) -> Iterator[tuple[int, Trajectory | TrajectoryFormatError]]:
    """Yield ``(line number, trajectory or the error of that line)``; blank lines are skipped.

    A corrupt line does not stop the others: its error is yielded in its place.
    """
    with open(path, encoding="utf-8") as f:
        yield from parse_lines(f)


def parse_lines(lines: Iterable[str]) -> Iterator[tuple[int, Trajectory | TrajectoryFormatError]]:
    """`read_trajectories` over any lines (e.g. standard input)."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield number, parse_trajectory(line, number)
        except TrajectoryFormatError as exc:
            yield number, exc


def write_trajectories(
    path: str | Path, trajectories: Iterable[Trajectory], append: bool = False
) -> int:
    """Write trajectories as JSONL (one per line); return how many were written."""
    count = 0
    with open(path, "a" if append else "w", encoding="utf-8") as f:
        for trajectory in trajectories:
            f.write(trajectory.to_json_line() + "\n")
            count += 1
    return count
