"""`import-python --check N`: the original class and its toolkit run side by side.

Each of N sequences starts both from the same initial state (a fresh instance, after
its loader) and makes the same random calls (a tool drawn at random, arguments drawn
from its schema, reusing values of the current state so calls hit real records). A
call agrees when both return the same JSON value, or both fail; a sequence's final
state agrees when the instance's attributes, as JSON (`normalized`), equal the
toolkit's state. The first disagreements are kept, with both sides.
"""

from __future__ import annotations

import copy
import datetime as _dt
import enum
import random
from collections.abc import Callable, Collection
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from gem_env.schema_sampler import SchemaSampler, UnsupportedSchemaError, known_values
from synth.import_python.objects import NEXT, OBJECTS, REF_MARK, state_view
from synth.import_python.unit import ClassUnit
from synth.import_python.values import random_state

__all__ = ["Agreement", "AgreementCounts", "Disagreement", "check_agreement", "normalized"]

MAX_LISTED = 10
SYNTHETIC_KEYS = ("_now", "_random")  # state keys the conversion adds
PARTIAL_WRITE = (
    "the class kept what the call wrote before it failed; the toolkit rolled the call "
    "back (a gem-env call is atomic)"
)


class Disagreement(BaseModel):
    """One call (or final state) on which the class and the toolkit differ."""

    sequence: int
    step: int | None = Field(default=None, description="None for the final state.")
    tool: str = ""
    arguments: dict[str, Any] = Field(default_factory=dict)
    original: Any = None
    toolkit: Any = None
    cause: str = ""


class AgreementCounts(BaseModel):
    """How many calls and final states agree (here, and in a suite's agreement report)."""

    calls: int = 0
    calls_agree: int = 0
    states: int = 0
    states_agree: int = 0

    def summary(self) -> str:
        """``calls 78/80 agree (97.5%), final states 10/10 agree (100.0%)``."""
        return (
            f"calls {self.calls_agree}/{self.calls} agree ({_pct(self.calls_agree, self.calls)}), "
            f"final states {self.states_agree}/{self.states} agree "
            f"({_pct(self.states_agree, self.states)})"
        )


class Agreement(AgreementCounts):
    """The agreement of N sequences of calls."""

    disagreements: list[Disagreement] = Field(default_factory=list)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def normalized(value: Any, classes: Collection[type] = (), path: tuple[int, ...] = ()) -> Any:
    """A Python value as JSON, the way the conversion stores it: tuples and sets (sorted)
    as lists, dict keys as strings, a `random.Random` as its state, an enum member as its
    value, dates as ISO text, an object of `classes` as its tree view (its public
    attributes, a cycle back to an ancestor cut to ``{"_cycle": class}``, as
    `synth.import_python.objects.state_view` shows the heap), anything else as its repr."""
    if type(value) in classes:
        name = type(value).__name__
        if id(value) in path:
            return {"_cycle": name}
        inner = (*path, id(value))
        view = {"_class": name}
        view.update(
            (k, normalized(v, classes, inner))
            for k, v in vars(value).items()
            if not k.startswith("_")
        )
        return view
    if isinstance(value, random.Random):
        return random_state(value)
    if isinstance(value, enum.Enum):
        return normalized(value.value, classes, path)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, (list, tuple)):
        return [normalized(v, classes, path) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [normalized(v, classes, path) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, dict):
        return {str(k): normalized(v, classes, path) for k, v in value.items()}
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    return repr(value)


def instance_state(
    instance: Any, classes: set[type] | None = None, skip: set[str] | None = None
) -> dict[str, Any]:
    """An instance's attributes as JSON, helper-class objects as their tree view
    (`synth.import_python.objects`), leaving out `skip`."""
    skip = skip or set()
    return {k: normalized(v, classes or ()) for k, v in vars(instance).items() if k not in skip}


def _with_class_defaults(
    theirs: dict[str, Any], instance: Any, mine: dict[str, Any], classes: set[type] | None
) -> dict[str, Any]:
    """`theirs` plus the class-level defaults the instance reads but does not hold yet
    (the toolkit's state holds them from the start)."""
    for key in mine:
        if key not in theirs and hasattr(type(instance), key):
            value = getattr(instance, key)
            if not callable(value):
                theirs[key] = normalized(value, classes or ())
    return theirs


def toolkit_state(state: dict[str, Any], skip: set[str] | None = None) -> dict[str, Any]:
    """A converted state as `instance_state` shows the instance (objects expanded)."""
    skip = (skip or set()) | {OBJECTS, NEXT}
    return {k: state_view(state, v) for k, v in state.items() if k not in skip}


def check_agreement(
    make_instance: Callable[[], Any],
    toolkit: Any,
    *,
    sequences: int,
    length: int = 8,
    seed: int = 0,
    unit: ClassUnit | None = None,
) -> Agreement:
    """Run `sequences` random call sequences on fresh instances and on `toolkit`.

    Args:
        make_instance: a fresh instance of the class, in the toolkit's initial state.
        toolkit: the compiled toolkit (`toolkits.compile_toolkit`).
        unit: the conversion that made `toolkit`, when its state holds objects of helper
            classes (a heap) or leaves attributes out: the comparison follows it.
    """
    classes = set(unit.helper_classes.values()) if unit is not None else set()
    skip = unit.dropped.get("", set()) if unit is not None else set()
    rng = np.random.default_rng(seed)
    report = Agreement()
    tools = {t["function"]["name"]: t["function"]["parameters"] for t in toolkit.tools}
    names = sorted(tools)
    for number in range(sequences):
        instance = make_instance()
        toolkit.reset()
        diverged = False  # a partial write was reported for this sequence
        for step in range(length):
            name = names[int(rng.integers(len(names)))]
            known = [v for v in known_values([toolkit.state]) if not _is_ref(v)]
            sampler = SchemaSampler(rng, tools[name], known)
            try:
                arguments = sampler.value(tools[name])
            except UnsupportedSchemaError:
                continue
            if not isinstance(arguments, dict):
                continue

            original = _call_original(instance, name, copy.deepcopy(arguments))
            result = toolkit.call(name, arguments)
            ours = ("ok", result.value) if result.ok else ("error", result.error)
            report.calls += 1
            if _same(original, ours):
                report.calls_agree += 1
                if (
                    original[0] == "error"
                    and not diverged
                    and len(report.disagreements) < MAX_LISTED
                ):
                    theirs, mine = _both_states(instance, toolkit, classes, skip)
                    if any(mine.get(k) != v for k, v in theirs.items()):
                        diverged = True
                        before, after = _differing(theirs, mine)
                        report.disagreements.append(
                            _call_disagreement(
                                number, step, name, arguments, before, after, PARTIAL_WRITE
                            )
                        )
            elif len(report.disagreements) < MAX_LISTED:
                report.disagreements.append(
                    _call_disagreement(
                        number, step, name, arguments, list(original), list(ours), ""
                    )
                )
        report.states += 1
        theirs, state = _both_states(instance, toolkit, classes, skip)
        mine = {k: v for k, v in state.items() if k in theirs or k not in SYNTHETIC_KEYS}
        if theirs == mine:
            report.states_agree += 1
        elif len(report.disagreements) < MAX_LISTED:
            before, after = _differing(theirs, mine)
            cause = PARTIAL_WRITE if diverged else ""
            report.disagreements.append(
                Disagreement(sequence=number, original=before, toolkit=after, cause=cause)
            )
    return report


def _both_states(
    instance: Any, toolkit: Any, classes: set[type] | None, skip: set[str] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The instance's state and the toolkit's, in the same view."""
    mine = toolkit_state(toolkit.state, skip)
    theirs = _with_class_defaults(instance_state(instance, classes, skip), instance, mine, classes)
    return theirs, mine


def _is_ref(value: Any) -> bool:
    """Whether a known value is an object reference (internal: no caller passes one)."""
    return isinstance(value, str) and value.startswith(REF_MARK)


def _call_disagreement(
    sequence: int, step: int, tool: str, arguments: Any, before: Any, after: Any, cause: str
) -> Disagreement:
    return Disagreement(
        sequence=sequence,
        step=step,
        tool=tool,
        arguments=arguments,
        original=before,
        toolkit=after,
        cause=cause,
    )


def _differing(theirs: dict[str, Any], mine: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    keys = sorted(k for k in theirs if theirs.get(k) != mine.get(k))
    return {k: theirs.get(k) for k in keys}, {k: mine.get(k) for k in keys}


def _call_original(instance: Any, name: str, arguments: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "ok", normalized(getattr(instance, name)(**arguments))
    except Exception as exc:  # the user's code may raise anything: that is an outcome
        return "error", f"{type(exc).__name__}: {exc}"


def _same(original: tuple[str, Any], ours: tuple[str, Any]) -> bool:
    if original[0] != ours[0]:
        return False
    return original[0] == "error" or original[1] == ours[1]
