"""`gem-env suite bfcl --check`: each entry's ground truth through BFCL's own executor
and through gem-env, compared call by call and on the final states.

BFCL's executor (``execute_multi_turn_func_call``) returns each call's result as text
(``json.dumps`` of a dict, ``str`` of anything else, ``"Error during execution: ..."``
for an exception) and its class instances; a call agrees when that text, read back as
JSON where it is JSON, equals gem-env's result, or both failed; a class's final state
agrees when its public attributes, as JSON, equal gem-env's. Each disagreement gets a
cause: a BFCL data error (the ground-truth call violates BFCL's own schema, which
gem-env validates before any code runs, or BFCL's data holds a literal ``...``), BFCL's
non-JSON numbers (mpmath, Decimal), nondeterminism in BFCL (the values agree up to order,
as a set's iteration order varies), or a sandbox deviation.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
from collections import Counter
from typing import Any

from pydantic import BaseModel, Field

from synth.import_python.agreement import AgreementCounts, instance_state
from synth.import_python.unit import ClassUnit
from synth.suites.bfcl.build import BuiltEntry, public_view

__all__ = ["AgreementRow", "EntryDisagreement", "check_entry"]

BFCL_DATA_ERROR = "BFCL data error: the ground-truth call violates BFCL's own schema"
BFCL_ORDER = "nondeterminism in BFCL: the values agree up to order (set iteration order)"
BFCL_ELLIPSIS = (
    "BFCL data error: BFCL's data holds a literal ... (Ellipsis: long_context's "
    "WATCH_LIST_EXTENSION), which is no JSON value; gem-env stores the text '...'"
)
BFCL_NUMBER = (
    "BFCL returns an mpmath or Decimal number, no JSON value (printed at its binary "
    "precision); gem-env's replacement (synth.suites.bfcl.overrides) returns the float "
    "rounded to the precision asked for"
)
_NUMBER_OBJECT = re.compile(r"(mpf|Decimal)\('([^']*)'\)")
SANDBOX = "sandbox deviation"
_MODEL = "gem_env_check"


class EntryDisagreement(BaseModel):
    """One call or final state where BFCL's executor and gem-env differ."""

    entry: str
    turn: int | None = None
    call: str = ""
    class_name: str = ""
    bfcl: Any = None
    gem_env: Any = None
    cause: str = SANDBOX


class AgreementRow(AgreementCounts):
    """Agreement counts of one class (calls of its functions, final states)."""

    disagreements: list[EntryDisagreement] = Field(default_factory=list)


def check_entry(
    entry: dict[str, Any],
    built: BuiltEntry,
    rows: dict[str, AgreementRow],
    units: dict[str, ClassUnit],
) -> None:
    """Replay `entry`'s ground truth through BFCL and compare with `built.replay`.

    Args:
        rows: per-class agreement, updated in place.
        units: the converted classes of the entry, by name.
    """
    owners = {t["function"]["name"]: name for name, unit in units.items() for t in unit.tools}
    utils = importlib.import_module("bfcl_eval.eval_checker.multi_turn_eval.multi_turn_utils")
    long_context = "long_context" in built.category
    instances: dict[str, Any] = {}
    try:
        for turn_index, (calls, ours) in enumerate(zip(entry["ground_truth"], built.replay)):
            texts, instances = utils.execute_multi_turn_func_call(
                calls,
                entry["initial_config"],
                entry["involved_classes"],
                _MODEL,
                built.id,
                long_context=long_context,
                is_evaL_run=False,
            )
            for text, call, mine in zip(texts, calls, ours):
                owner = owners.get(mine["name"], "?")
                row = rows.setdefault(owner, AgreementRow())
                row.calls += 1
                cause = _call_cause(text, mine)
                if cause is None:
                    row.calls_agree += 1
                else:
                    row.disagreements.append(
                        EntryDisagreement(
                            entry=built.id,
                            turn=turn_index,
                            call=call,
                            class_name=owner,
                            bfcl=text,
                            gem_env=mine["result"] if mine["ok"] else mine["error"],
                            cause=cause,
                        )
                    )
        for name, instance in instances.items():
            row = rows.setdefault(name, AgreementRow())
            row.states += 1
            classes = set(units[name].helper_classes.values())
            theirs = {
                k: v for k, v in instance_state(instance, classes).items() if not k.startswith("_")
            }
            mine = _final_public(built, name)
            if theirs == mine:
                row.states_agree += 1
            else:
                keys = sorted(k for k in {*theirs, *mine} if theirs.get(k) != mine.get(k))
                cause = (
                    BFCL_ORDER
                    if all(_same_unordered(theirs.get(k), mine.get(k)) for k in keys)
                    else _state_cause(built)
                )
                row.disagreements.append(
                    EntryDisagreement(
                        entry=built.id,
                        class_name=name,
                        cause=cause,
                        bfcl={k: theirs.get(k) for k in keys},
                        gem_env={k: mine.get(k) for k in keys},
                    )
                )
    finally:
        _forget(utils, built.id)


def _final_public(built: BuiltEntry, name: str) -> dict[str, Any]:
    assert built.final_state is not None
    return public_view(built.final_state[name])


def _call_cause(text: str, mine: dict[str, Any]) -> str | None:
    """None when BFCL's result text and gem-env's call agree, else the cause."""
    bfcl_failed = text.startswith("Error during execution:")
    if not mine["ok"]:
        if bfcl_failed:
            return None
        return BFCL_DATA_ERROR if mine.get("error_kind") == "invalid_arguments" else SANDBOX
    if bfcl_failed:
        return SANDBOX
    try:
        theirs: Any = json.loads(text)
    except json.JSONDecodeError:
        theirs = text
    value = mine["result"]
    if theirs == value or (isinstance(value, str) and value == text) or str(value) == text:
        return None
    if _same_unordered(theirs, value):
        return BFCL_ORDER
    if "Ellipsis" in text and str(value).replace("'...'", "Ellipsis") == text:
        return BFCL_ELLIPSIS
    if _NUMBER_OBJECT.search(text):
        plain = _NUMBER_OBJECT.sub(lambda m: m.group(2), text)
        if plain == str(value) or _floats_equal(plain, value):
            return BFCL_NUMBER
    return SANDBOX


def _floats_equal(text: str, value: Any) -> bool:
    """Whether BFCL's text, its numbers made plain, equals `value` up to rounding."""
    try:
        theirs = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return False
    return _close(theirs, value)


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, (str, int, float)) and isinstance(b, (int, float)):
        try:
            theirs = float(a)
        except ValueError:
            return False
        # equal once BFCL's number is rounded to as many significant digits as ours has
        return any(float(f"{theirs:.{n}g}") == b for n in range(1, 18))
    return bool(a == b)


def _state_cause(built: BuiltEntry) -> str:
    if any(c.get("error_kind") == "invalid_arguments" for t in built.replay for c in t):
        return BFCL_DATA_ERROR
    return SANDBOX


def _same_unordered(a: Any, b: Any) -> bool:
    """Equal once every list is compared as a multiset (recursively)."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and Counter(map(_key, a)) == Counter(map(_key, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_unordered(a[k], b[k]) for k in a)
    return bool(a == b)


def _key(value: Any) -> str:
    return json.dumps(_sorted(value), sort_keys=True, default=str)


def _sorted(value: Any) -> Any:
    if isinstance(value, list):
        return sorted(
            (_sorted(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True, default=str)
        )
    if isinstance(value, dict):
        return {k: _sorted(v) for k, v in value.items()}
    return value


def _forget(utils: Any, entry_id: str) -> None:
    """Drop the instances BFCL's executor keeps in its module globals for this entry."""
    import re

    prefix = re.sub(r"[-./:]", "_", f"{_MODEL}_{entry_id}_")
    for name in [n for n in vars(utils) if n.startswith(prefix)]:
        del vars(utils)[name]
