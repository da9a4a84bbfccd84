"""Candidate tool arguments for the heuristic planner, built from facts and schemas.

`candidate_calls` turns a tool's JSON Schema and the known `Fact`s into a ranked list
of argument dicts: enum members, defaults, facts whose key matches the parameter name
or whose value matches its pattern, facts of the right shape for nested objects, and a
sentence from the goal for free text. Lower rank = more promising; ranks also prefer
values the scenario's goal assertions mention (the planner is a privileged heuristic:
it reads the scenario).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from gem_env.participants._text import normalize_choice, stems
from gem_env.participants.facts import Fact, key_matches
from toolkits.schema_regex import UnsupportedPatternError, pattern_matcher

_MAX_OPTIONS = 6  # per parameter
_MAX_OBJECTS = 24  # composed objects per object parameter
_MAX_FREE = 16  # free-text parameters: the goal sentence, then the user's words
_OMIT = object()


@dataclass
class Option:
    """One candidate value of a parameter: the value, its rank and the facts it uses."""

    value: Any
    rank: int
    uses: tuple[Fact, ...] = ()


@dataclass
class Candidate:
    """One candidate call: arguments, the sum of the ranks of its parts, facts used."""

    name: str
    args: dict[str, Any]
    rank: int
    uses: tuple[Fact, ...] = ()


@dataclass
class Context:
    """What ranks options: words of the request and the literals of the goal assertions."""

    request_stems: set[str] = field(default_factory=set)
    literals: set[str] = field(default_factory=set)
    free_text: str = "Customer request"
    keywords: list[str] = field(default_factory=list)  # content words of the goal


def candidate_calls(
    name: str, parameters: dict[str, Any], facts: list[Fact], ctx: Context, cap: int
) -> list[Candidate]:
    """Ranked candidate argument dicts for one tool (at most `cap`)."""
    props: dict[str, Any] = parameters.get("properties") or {}
    required = set(parameters.get("required") or [])
    names, lists = [], []
    for prop, schema in props.items():
        options = _options(
            prop, (prop,), schema if isinstance(schema, dict) else {}, prop in required, facts, ctx
        )
        if not options:
            return []  # a required parameter with no candidate value
        names.append(prop)
        lists.append(options[: _limit(schema)])
    combos = [Candidate(name, args, rank, uses) for args, rank, uses in _combinations(names, lists)]
    combos.sort(key=lambda c: c.rank)  # stable: product order breaks ties
    return combos[:cap]


def _combinations(
    names: list[str], lists: list[list[Option]]
) -> Iterator[tuple[dict[str, Any], int, tuple[Fact, ...]]]:
    """Every choice of one option per name, in product order: (values, rank sum, facts used).

    Omitted options (`_OMIT`) leave their name out of the values.
    """
    for combo in itertools.product(*lists):
        values = {n: o.value for n, o in zip(names, combo) if o.value is not _OMIT}
        yield values, sum(o.rank for o in combo), tuple(f for o in combo for f in o.uses)


def _options(
    prop: str,
    names: tuple[str, ...],
    schema: dict[str, Any],
    required: bool,
    facts: list[Fact],
    ctx: Context,
) -> list[Option]:
    kind = schema.get("type")
    if "enum" in schema:
        return _enum_options(names, schema, required, facts, ctx)
    if kind == "object":
        return _object_options(prop, names, schema, required, facts, ctx)
    if kind == "array":
        return _array_options(prop, names, schema, required, facts, ctx)
    if kind == "string":
        return _string_options(names, schema, required, facts, ctx)
    if kind in ("integer", "number"):
        return _number_options(names, schema, required, facts, ctx)
    if kind == "boolean":
        if "default" in schema or not required:
            return [Option(_OMIT, 0)]
        matched = [f for f in facts if isinstance(f.value, bool) and key_matches(f.key, names)]
        if matched:
            return [Option(matched[0].value, 0, (matched[0],))]
        return [Option(True, 0), Option(False, 1)]
    return [Option(_OMIT, 0)] if not required else []


def _ranked(facts: list[Fact], names: tuple[str, ...], ctx: Context) -> list[Fact]:
    """Order facts: mentioned by the goal, key match, given by the user, related words."""

    def score(f: Fact) -> tuple[int, int, int, int, int]:
        literal = 0 if isinstance(f.value, str) and f.value in ctx.literals else 1
        keyed = 0 if key_matches(f.key, names) else 1
        given = 0 if f.source != "result" else 1
        related = -len(f.context & ctx.request_stems)
        return (literal, keyed, given, related, f.order)

    seen: set[str] = set()
    out = []
    for f in sorted(facts, key=score):
        marker = repr(f.value)
        if marker not in seen:
            seen.add(marker)
            out.append(f)
    return out


def _enum_options(
    names: tuple[str, ...], schema: dict[str, Any], required: bool, facts: list[Fact], ctx: Context
) -> list[Option]:
    members = list(schema["enum"])
    by_norm = {normalize_choice(m): m for m in members}
    told = []
    for f in facts:
        # only what the user (or the request) says picks a member; a result's "payment":
        # "insurance" describes something else
        if f.source == "result" or isinstance(f.value, (dict, list)):
            continue
        if key_matches(f.key, names):
            member = by_norm.get(normalize_choice(f.value))
            if member is not None and member not in [m for m, _ in told]:
                told.append((member, f))
    if told:  # the user said which one
        return [Option(m, i, (f,)) for i, (m, f) in enumerate(told)]

    def score(m: Any) -> tuple[int, int]:
        literal = 0 if m in ctx.literals else 1
        overlap = len(stems(str(m).replace("_", " ")) & ctx.request_stems)
        return (literal, -overlap)

    ordered = sorted(members, key=score)
    options: list[Option] = []
    if "default" in schema and not required:
        options.append(Option(_OMIT, 0))
        ordered = [m for m in ordered if m != schema["default"]]
    elif not required:
        return [Option(_OMIT, 0)]
    options += [Option(m, len(options) + i) for i, m in enumerate(ordered)]
    return options


def _string_options(
    names: tuple[str, ...], schema: dict[str, Any], required: bool, facts: list[Fact], ctx: Context
) -> list[Option]:
    pattern = schema.get("pattern")
    lo, hi = schema.get("minLength", 0), schema.get("maxLength", 10_000)
    strings = [f for f in facts if isinstance(f.value, str) and lo <= len(f.value) <= hi]
    if pattern:
        try:  # the schema's own semantics: ECMA-262 on the linear-time engine
            matches = pattern_matcher(pattern)
        except (UnsupportedPatternError, TypeError):
            return [] if required else [Option(_OMIT, 0)]
        fitting = _ranked([f for f in strings if matches(f.value)], names, ctx)
        keyed = [f for f in fitting if key_matches(f.key, names)]
        if not required:
            # optional ids: left out, or a fact named like the parameter (e.g. approval_id)
            return [Option(_OMIT, 0)] + [Option(f.value, i + 1, (f,)) for i, f in enumerate(keyed)]
        return [Option(f.value, i, (f,)) for i, f in enumerate(fitting)]
    keyed = _ranked([f for f in strings if key_matches(f.key, names)], names, ctx)
    if keyed:
        return [Option(f.value, i, (f,)) for i, f in enumerate(keyed)]
    if not required:
        return [Option(_OMIT, 0)]
    options = []
    text = _fit(ctx.free_text, lo, hi)
    if text is not None:
        options.append(Option(text, 0))
    others = _ranked([f for f in strings if f.source == "user"], names, ctx)
    options += [Option(f.value, len(options) + i + 2, (f,)) for i, f in enumerate(others)]
    # single words of the request, for search boxes ("gardening")
    words = [w for w in ctx.keywords if lo <= len(w) <= hi]
    options += [Option(w, len(options) + i + 2) for i, w in enumerate(words)]
    return options[:_MAX_FREE]


def _number_options(
    names: tuple[str, ...], schema: dict[str, Any], required: bool, facts: list[Fact], ctx: Context
) -> list[Option]:
    lo = schema.get("minimum", float("-inf"))
    hi = schema.get("maximum", float("inf"))
    integer = schema.get("type") == "integer"
    fitting = [
        f
        for f in facts
        if isinstance(f.value, (int, float))
        and not isinstance(f.value, bool)
        and lo <= f.value <= hi
        and (not integer or float(f.value).is_integer())
        and key_matches(f.key, names)
    ]
    ranked = _ranked(fitting, names, ctx)
    if not required:
        return [Option(_OMIT, 0)] + [Option(f.value, 1, (f,)) for f in ranked[:1]]
    options = [Option(int(f.value) if integer else f.value, i, (f,)) for i, f in enumerate(ranked)]
    if "default" in schema:
        options.append(Option(schema["default"], len(options)))
    base = 1 if lo <= 1 <= hi else lo
    if base != float("-inf") and all(o.value != base for o in options):
        options.append(Option(int(base) if integer else base, len(options)))
    return options


def _object_options(
    prop: str,
    names: tuple[str, ...],
    schema: dict[str, Any],
    required: bool,
    facts: list[Fact],
    ctx: Context,
) -> list[Option]:
    props: dict[str, Any] = schema.get("properties") or {}
    needed = set(schema.get("required") or [])
    shaped = [
        f
        for f in facts
        if isinstance(f.value, dict)
        and needed <= set(f.value)
        and (schema.get("additionalProperties", True) is not False or set(f.value) <= set(props))
    ]
    if shaped:  # the user knows this object as a whole (e.g. an address)
        ranked = sorted(shaped, key=lambda f: (0 if key_matches(f.key, names) else 1, f.order))
        return [Option(dict(f.value), i, (f,)) for i, f in enumerate(ranked)]
    if not required:
        return [Option(_OMIT, 0)]
    sub_names, sub_lists = [], []
    for sub, sub_schema in props.items():
        qualified = (sub, f"{prop}_{sub}", *(f"{n}_{sub}" for n in names if n != prop))
        options = _options(
            sub,
            qualified,
            sub_schema if isinstance(sub_schema, dict) else {},
            sub in needed,
            facts,
            ctx,
        )
        if not options:
            return []
        sub_names.append(sub)
        sub_lists.append(options[: _limit(sub_schema)])
    combos = [
        Option(value, max(rank - 6 * _selector_bonus(value, uses), 0), uses)
        for value, rank, uses in _combinations(sub_names, sub_lists)
    ]
    combos.sort(key=lambda o: o.rank)
    return combos[:_MAX_OBJECTS]


def _array_options(
    prop: str,
    names: tuple[str, ...],
    schema: dict[str, Any],
    required: bool,
    facts: list[Fact],
    ctx: Context,
) -> list[Option]:
    keyed = [f for f in facts if isinstance(f.value, list) and key_matches(f.key, names)]
    options = [Option(list(f.value), i, (f,)) for i, f in enumerate(keyed)]
    if not required:
        return [*options, Option(_OMIT, len(options))]
    items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
    if schema.get("minItems", 0) > 1:
        return options
    inner = _options(prop, names, items, True, facts, ctx)
    options += [Option([o.value], o.rank + len(keyed), o.uses) for o in inner[:_MAX_OBJECTS]]
    return options


def _limit(schema: Any) -> int:
    if not isinstance(schema, dict):
        return _MAX_OPTIONS
    if schema.get("type") in ("object", "array"):
        return _MAX_OBJECTS
    if schema.get("type") == "string" and "pattern" not in schema and "enum" not in schema:
        return _MAX_FREE
    return _MAX_OPTIONS


def _selector_bonus(value: dict[str, Any], uses: tuple[Fact, ...]) -> int:
    """1 when one member of the object names the kind of another's value, as in
    ``{"field": "username", "value": <the user's username>}``, else 0."""
    chosen = {normalize_choice(v) for v in value.values() if isinstance(v, str)}
    return int(any(key_matches(f.key, tuple(chosen)) for f in uses))


def _fit(text: str, lo: int, hi: int) -> str | None:
    """`text` cut at a word boundary to at most `hi` characters; None if shorter than `lo`."""
    if len(text) > hi:
        cut = text[:hi].rsplit(" ", 1)[0].rstrip(",;: ")
        text = cut if len(cut) >= lo else text[:hi]
    return text if len(text) >= lo else None
