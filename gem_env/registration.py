"""Gymnasium registrations, and what an env serves (owns both).

- ``gem_env/ToolUse-v0`` is registered on ``import gem_env``; `gymnasium.make` wraps it
  in a `TimeLimit` of `MAX_EPISODE_STEPS` (a safety net: each scenario's `max_turns`
  truncates first, and is recorded in the trajectory).
- `ConversationSpace` is registered with gymnasium's shared-memory functions, so that
  `AsyncVectorEnv` (default ``shared_memory=True``) moves observations as UTF-8 bytes.
- `resolve_catalog` turns the env's ``toolkit=`` / ``scenarios=`` arguments (objects,
  dicts, paths, example names, or nothing: the bundled scenarios in
  ``gem_env/scenarios/*.json``) into a validated `Catalog`, before any episode runs.
"""

from __future__ import annotations

import difflib
import multiprocessing as mp
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import gymnasium
import numpy as np
from gymnasium.vector.utils import (
    create_shared_memory,
    read_from_shared_memory,
    write_to_shared_memory,
)

from gem_env import scenarios as scenario_pack
from gem_env.errors import NoScenariosError, ScenarioError
from gem_env.scenario import Scenario, load_scenarios, named_toolkit
from gem_env.spaces import ConversationSpace
from toolkits import (
    CompiledToolkit,
    CompileError,
    Problem,
    ToolkitSpec,
    compile_expression,
    load_toolkit,
)
from toolkits.errors import SpecError, UnknownExampleError
from toolkits.examples import example_names, load_example
from toolkits.schema_validation import compile_validator, format_path

ENV_ID = "gem_env/ToolUse-v0"
MAX_EPISODE_STEPS = 200
SCENARIOS_DIR = Path(__file__).parent / "scenarios"
_HEADER = 8

# A hint names the env's keyword and the command-line flag that sets it: these errors
# reach users of both, often as text (a CLI's message, a rollout's recorded failure).
_PASS_TOOLKIT = "pass toolkit=... (on the command line: --toolkit FILE)"
_PASS_SCENARIOS = "pass scenarios=... (on the command line: --scenarios FILE)"

ToolkitSource = CompiledToolkit | ToolkitSpec | dict[str, Any] | str | Path
ScenariosSource = Sequence[Scenario | dict[str, Any]] | Scenario | dict[str, Any] | str | Path


def register_envs() -> None:
    """Register ``gem_env/ToolUse-v0`` with gymnasium (idempotent)."""
    if ENV_ID not in gymnasium.registry:
        gymnasium.register(
            id=ENV_ID, entry_point="gem_env.env:ToolUseEnv", max_episode_steps=MAX_EPISODE_STEPS
        )


# -- what an env serves ---------------------------------------------------------------


@dataclass
class Catalog:
    """The scenarios an env serves and the toolkit of each.

    Attributes:
        scenarios: the scenarios, in order (ids unique).
        specs: toolkit key -> spec (the key is the example name, or the given toolkit's).
        compiled: toolkit key -> a compiled toolkit the caller passed (reused as is).
        fixed: the key of the toolkit given with ``toolkit=`` (it serves every scenario).
    """

    scenarios: list[Scenario]
    specs: dict[str, ToolkitSpec]
    compiled: dict[str, CompiledToolkit] = field(default_factory=dict)
    fixed: str | None = None

    def toolkit_key(self, scenario: Scenario) -> str:
        """The key of the toolkit that serves `scenario` (loading a named example).

        Raises:
            ScenarioError: the scenario names no toolkit and the env serves several.
        """
        if self.fixed is not None:
            return self.fixed
        if scenario.toolkit:
            if scenario.toolkit not in self.specs:
                self.specs[scenario.toolkit] = _named_toolkit(scenario.toolkit, scenario.id)
            return scenario.toolkit
        if len(self.specs) == 1:
            return next(iter(self.specs))
        names = ", ".join(example_names())
        raise ScenarioError(
            [
                Problem(
                    path=f"{scenario.id}.toolkit",
                    message=f"names no toolkit: {_PASS_TOOLKIT}, or set it to one of: {names}",
                )
            ]
        )

    def by_key(self) -> Iterator[tuple[str, list[Scenario]]]:
        """Toolkit key -> the scenarios it serves, in key order."""
        for key in self.specs:
            yield key, [s for s in self.scenarios if self.toolkit_key(s) == key]


def bundled_scenarios(directory: Path | None = None) -> list[Scenario]:
    """The bundled example scenarios: every ``*.json`` list in `directory` (sorted).

    Raises:
        NoScenariosError: the directory is missing or holds no scenario.
        ScenarioError: a file is invalid, or two files share a scenario id.
    """
    directory = SCENARIOS_DIR if directory is None else Path(directory)
    scenarios = scenario_pack.bundled_scenarios(directory=directory)
    if not scenarios:
        raise NoScenariosError(
            f"no bundled scenarios in {directory} (missing or empty); {_PASS_SCENARIOS}: "
            "a list of scenarios, or a path to a JSON list or JSONL file"
        )
    _check_unique(scenarios)
    return scenarios


def resolve_catalog(toolkit: ToolkitSource | None, scenarios: ScenariosSource | None) -> Catalog:
    """Load and validate what an env serves; every problem is raised before any episode.

    Args:
        toolkit: a compiled `Toolkit`, a `ToolkitSpec`, a dict, a path, JSON text or the
            name of a bundled example; None: each scenario's `toolkit` field names one.
        scenarios: scenarios (objects, dicts, a path); None: the bundled scenarios (only
            those of `toolkit` when one is given).

    Raises:
        NoScenariosError: nothing to serve. ScenarioError: an invalid scenario (unknown
        toolkit, initial state against the state schema, goal assertions that do not
        compile). SpecError / UnknownExampleError: a bad toolkit.
    """
    catalog = Catalog(scenarios=[], specs={})
    if toolkit is not None:
        spec = toolkit.spec if isinstance(toolkit, CompiledToolkit) else _load_spec(toolkit)
        catalog.specs[spec.name] = spec
        catalog.fixed = spec.name
        if isinstance(toolkit, CompiledToolkit):
            catalog.compiled[spec.name] = toolkit
    if scenarios is not None:
        chosen = load_scenarios(scenarios)  # type: ignore[arg-type]
    elif catalog.fixed is not None:
        try:
            chosen = [s for s in bundled_scenarios() if s.toolkit == catalog.fixed]
        except NoScenariosError:
            chosen = []
        if not chosen:
            raise NoScenariosError(
                f"no bundled scenario uses toolkit {catalog.fixed!r}; {_PASS_SCENARIOS}"
            )
    else:
        chosen = bundled_scenarios()
    if not chosen:
        raise NoScenariosError("the scenarios are empty; pass at least one scenario")
    _check_unique(chosen)
    catalog.scenarios = chosen
    problems: list[Problem] = []
    for index, scenario in enumerate(chosen):
        try:
            spec = catalog.specs[catalog.toolkit_key(scenario)]
        except ScenarioError as exc:
            problems.extend(
                p.model_copy(update={"path": f"[{index}].toolkit"}) for p in exc.problems
            )
            continue
        problems.extend(scenario_problems(scenario, spec, f"[{index}]"))
    if problems:
        raise ScenarioError(problems)
    return catalog


def scenario_problems(scenario: Scenario, spec: ToolkitSpec, where: str = "") -> list[Problem]:
    """Problems of a scenario against its toolkit: initial state, goal assertions."""
    problems = []
    if scenario.initial_state is not None:
        validator = compile_validator(spec.state_schema)  # linear-time patterns, no I/O
        for path, message in validator.problems(scenario.initial_state):
            where_in = f"{where}.initial_state{format_path(path)}"
            problems.append(Problem(path=where_in, message=message))
    for i, assertion in enumerate(scenario.goal_assertions):
        try:
            compile_expression(assertion.expr, "_goal_", f"{where}.goal_assertions[{i}].expr")
        except CompileError as exc:
            problems.extend(exc.problems)
    return problems


def _load_spec(source: ToolkitSpec | dict[str, Any] | str | Path) -> ToolkitSpec:
    if isinstance(source, str) and source in example_names() and not Path(source).exists():
        return load_example(source)
    return load_toolkit(source)


def _named_toolkit(name: str, scenario_id: str) -> ToolkitSpec:
    """The toolkit a scenario names (`gem_env.scenario.named_toolkit`), its problem as a
    `ScenarioError` at the scenario's ``toolkit`` field."""
    try:
        return named_toolkit(name)
    except FileNotFoundError:
        message = f"names toolkit file {name}, which does not exist"
    except SpecError as exc:
        message = f"toolkit file {name} is invalid: {exc}"
    except UnknownExampleError as exc:
        message = str(exc)
    raise ScenarioError([Problem(path=f"{scenario_id}.toolkit", message=message)])


def _check_unique(scenarios: list[Scenario]) -> None:
    ids = [s.id for s in scenarios]
    dups = sorted({x for x in ids if ids.count(x) > 1})
    if dups:
        raise ScenarioError(
            [Problem(path="id", message=f"duplicate scenario id {d!r}") for d in dups]
        )


def close_ids(wanted: str, scenarios: Sequence[Scenario]) -> str:
    """A hint naming scenario ids close to `wanted` (or a few available ones)."""
    ids = [s.id for s in scenarios]
    close = difflib.get_close_matches(wanted, ids, n=3, cutoff=0.5)
    if close:
        return f"did you mean {', '.join(repr(c) for c in close)}?"
    return f"available: {', '.join(ids[:10])}{' ...' if len(ids) > 10 else ''}"


# -- shared memory of `ConversationSpace` (AsyncVectorEnv) ----------------------------


class SharedTexts(Sequence[str]):
    """A live view of the strings of `n` envs in shared memory; a (deep) copy is a tuple.

    gymnasium reads shared memory once, when the vector env starts, and returns that
    object (a deep copy of it by default) after every step: so the view must be live.
    """

    def __init__(self, memory: Any, size: int, n: int):
        self._memory, self._size, self._n = memory, size, n

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(self._n)))
        if not -self._n <= index < self._n:
            raise IndexError(index)
        buffer = np.frombuffer(self._memory.get_obj(), dtype=np.uint8)
        start = (index % self._n) * self._size
        length = int.from_bytes(buffer[start : start + _HEADER].tobytes(), "little")
        return buffer[start + _HEADER : start + _HEADER + length].tobytes().decode("utf-8")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    def __copy__(self) -> tuple[str, ...]:
        return tuple(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> tuple[str, ...]:
        return tuple(self)

    def __repr__(self) -> str:
        return f"SharedTexts({tuple(self)!r})"


@create_shared_memory.register(ConversationSpace)
def _create_memory(space: ConversationSpace, n: int = 1, ctx: ModuleType = mp) -> Any:
    return ctx.Array("B", n * space.buffer_size)  # type: ignore[attr-defined]


@read_from_shared_memory.register(ConversationSpace)
def _read_memory(space: ConversationSpace, shared_memory: Any, n: int = 1) -> SharedTexts:
    return SharedTexts(shared_memory, space.buffer_size, n)


@write_to_shared_memory.register(ConversationSpace)
def _write_memory(space: ConversationSpace, index: int, value: str, shared_memory: Any) -> None:
    data = value.encode("utf-8")
    size = space.buffer_size
    if len(data) > size - _HEADER:
        raise ValueError(f"an observation of {len(value)} characters does not fit {space}")
    buffer = np.frombuffer(shared_memory.get_obj(), dtype=np.uint8)
    start = index * size
    buffer[start : start + _HEADER] = np.frombuffer(len(data).to_bytes(8, "little"), np.uint8)
    buffer[start + _HEADER : start + _HEADER + len(data)] = np.frombuffer(data, np.uint8)


register_envs()
