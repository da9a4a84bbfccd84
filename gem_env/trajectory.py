"""Trajectories (DESIGN.md section 3.3): self-describing episode records, one per JSONL line."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gem_env.errors import NotJSONLinesError, TrajectoryFormatError, validation_summary
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
        raise TrajectoryFormatError(validation_summary(exc.errors()), number) from None


def read_trajectories(path: str | Path) -> Iterator[tuple[int, Trajectory | TrajectoryFormatError]]:
    """Yield ``(line number, trajectory or the error of that line)``; blank lines are skipped.

    A corrupt line does not stop the others: its error is yielded in its place.

    Raises:
        NotJSONLinesError: the file is one JSON document, not JSONL (see `parse_lines`).
    """
    with open(path, encoding="utf-8") as f:
        yield from parse_lines(f, str(path))


def parse_lines(
    lines: Iterable[str], name: str = "FILE"
) -> Iterator[tuple[int, Trajectory | TrajectoryFormatError]]:
    """`read_trajectories` over any lines (e.g. standard input); `name` is used in hints.

    Raises:
        NotJSONLinesError: before yielding anything, when the input is one JSON document
            (a pretty-printed trajectory, or a JSON array of trajectories) rather than
            one trajectory per line; the message says how to convert it. Only a bad first
            record that starts with ``[`` or ``{`` makes the rest be read at once.
    """
    numbered: Iterator[tuple[int, str]] = enumerate(lines, 1)
    for number, line in numbered:
        if not line.strip():
            continue
        item = _parse_line(line, number)
        if isinstance(item, TrajectoryFormatError) and line.lstrip()[:1] in "[{":
            rest = "".join(text for _, text in numbered)
            _check_not_a_document(line, rest, number, name)
            numbered = enumerate(rest.splitlines(keepends=True), number + 1)
        yield number, item
        break
    for number, line in numbered:
        if line.strip():
            yield number, _parse_line(line, number)


def _parse_line(line: str, number: int) -> Trajectory | TrajectoryFormatError:
    try:
        return parse_trajectory(line, number)
    except TrajectoryFormatError as exc:
        return exc


def _check_not_a_document(first: str, rest: str, number: int, name: str) -> None:
    """Raise `NotJSONLinesError` when `first` (a bad record) + `rest` is one JSON document.

    It is one when `first` is a JSON array, or when `first` breaks off before its value
    ends and the text either parses as one value or fails only on a later line (a
    document with a syntax error there). A corrupt record of its own line is not.
    """
    try:
        alone, broke_off = json.loads(first), False
    except json.JSONDecodeError as exc:
        alone, broke_off = None, exc.pos >= len(first.rstrip())
    except RecursionError:
        return
    value = alone
    if not isinstance(alone, list):
        if not broke_off:
            return
        try:
            value = json.loads(first + rest)
        except json.JSONDecodeError as exc:
            if exc.lineno == 1:
                return
            raise NotJSONLinesError(
                f"{exc.msg}; this is one JSON document over several lines, not JSONL: "
                f"{_JSONL_NEEDED}",
                exc.lineno + number - 1,
                exc.colno,
            ) from None
        except RecursionError:
            return
    target = name[: -len(".json")] if name.endswith(".json") else name
    if isinstance(value, list):
        noun = "trajectory" if len(value) == 1 else "trajectories"
        what = f"a JSON array of {len(value)} {noun}, not JSONL"
        how = f"jq -c '.[]' {name} > {target}.jsonl"
    elif isinstance(value, dict):
        what = "one JSON object over several lines (a pretty-printed trajectory), not JSONL"
        how = f"jq -c . {name} > {target}.jsonl"
    else:
        return
    raise NotJSONLinesError(f"this is {what}; {_JSONL_NEEDED}; convert it with: {how}")


_JSONL_NEEDED = "trajectories are read as JSONL, one trajectory object per line"


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
