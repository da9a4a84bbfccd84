"""Hypothesis strategies that draw schema-valid tool arguments (owns argument generation).

`arguments_strategy(parameters_schema)` draws argument objects that are valid against a
tool's `parameters` JSON Schema; `known_values_from_state(state)` collects short ids and
numbers from a state so that drawn arguments also hit records that exist
(`"ORD-1001"` rather than random text).

Scalars (strings with `pattern`/`format`/lengths, numbers with bounds, scalar
`anyOf`/`enum`) come from hypothesis-jsonschema's `from_schema`. Objects and arrays are
built here: hypothesis-jsonschema 0.23's object strategy relies on a private Hypothesis
API that recent Hypothesis releases removed, and building containers ourselves lets us
draw only declared parameters and inject known values at every scalar leaf. Every drawn
object is finally filtered through the runtime's own validator
(`toolkits.schema_validation`: formats checked, ECMA-262 patterns on a linear-time
engine), so a drawn value is always valid exactly where `Toolkit.call` says so.

No pattern is ever *matched* with Python's backtracking `re`: strings for a `pattern`
are drawn from its parse tree (`_pattern_strategy`) and kept when the linear-time
engine matches them; hypothesis-jsonschema, whose validators use `re`, only ever sees
schemas whose patterns were replaced by such drawing strategies (as custom formats).

Values are biased toward realism: unbounded integers stay within +-2**31, unbounded
numbers within +-1e9, unbounded strings within 40 characters, and common formats
(email, date, date-time, time, uuid, uri, hostname) are drawn in their plainest form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from toolkits.canonical import canonical_json
from toolkits.errors import SpecError
from toolkits.schema_safety import schema_problems
from toolkits.schema_validation import compile_validator
from toolkits.schema_values import (
    _ANY_JSON,
    _EXTRA_KEYS,
    SUPPORTED_FORMATS,
    UnsupportedSchemaError,
    drawable,
    realistic,
)

__all__ = [
    "SUPPORTED_FORMATS",
    "UnsupportedSchemaError",
    "arguments_strategy",
    "known_values_from_state",
    "schema_validator",
]

KnownValues = Sequence[str | int] | Callable[[], Sequence[str | int]]

_SCALAR_TYPES = frozenset({"string", "integer", "number", "boolean", "null"})
_ALL_TYPES = _SCALAR_TYPES | {"object", "array"}
_CONTAINER_KEYS = frozenset(
    {
        "properties", "additionalProperties", "patternProperties", "propertyNames",
        "required", "minProperties", "maxProperties", "dependentRequired",
        "dependentSchemas", "dependencies", "unevaluatedProperties", "items",
        "prefixItems", "additionalItems", "contains", "minItems", "maxItems",
        "uniqueItems", "unevaluatedItems", "$ref", "$dynamicRef", "if",
    }
)  # fmt: skip
_STRING_KEYS = ("minLength", "maxLength", "pattern", "format")
_NUMBER_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_MAX_REF_DEPTH = 8
_EXTRA_ITEMS = 4  # arrays get at most minItems + this many items
_MAX_MIN_ITEMS = 100  # a larger minItems is not drawn (unsupported_schema)
_MAX_MIN_LENGTH = 1_000  # a larger minLength is not drawn


def schema_validator(schema: dict[str, Any] | bool) -> Callable[[Any], bool]:
    """Return `is_valid` of the runtime's validator for `schema` (formats checked).

    Raises:
        UnsupportedSchemaError: the validation engine cannot compile the schema.
    """
    try:
        return compile_validator(schema).is_valid
    except SpecError as exc:
        raise UnsupportedSchemaError("; ".join(p.message for p in exc.problems)) from None


def arguments_strategy(
    parameters_schema: dict[str, Any], *, known_values: KnownValues = ()
) -> st.SearchStrategy[dict[str, Any]]:
    """Return a strategy of argument objects valid against a tool's `parameters` schema.

    Only declared parameters are drawn (a tool function takes exactly those). At every
    string or integer leaf without `enum`/`const`, about two draws in three take a value
    of `known_values` that validates against that leaf, so sequences of calls reach
    existing records; the rest come from the leaf's schema.

    Args:
        parameters_schema: the tool's `parameters`, a JSON Schema of `"type": "object"`.
        known_values: ids and numbers to reuse (see `known_values_from_state`), or a
            zero-argument callable returning them, read at draw time (for stateful
            tests whose state grows).

    Raises:
        UnsupportedSchemaError: the schema uses a `format` with no generator, is
            unsatisfiable, or has a `$ref` that cannot be resolved.
    """
    if not isinstance(parameters_schema, dict) or _types(parameters_schema) != {"object"}:
        raise UnsupportedSchemaError(
            'parameters: a tool\'s parameters must be a JSON Schema with "type": "object"'
        )
    unsafe = schema_problems("parameters", parameters_schema)
    if unsafe:
        raise UnsupportedSchemaError("; ".join(str(p) for p in unsafe))
    is_valid = schema_validator(parameters_schema)
    known = known_values if callable(known_values) else _fixed(known_values)
    builder = _Builder(parameters_schema, known)
    strategy = builder.build(parameters_schema, "parameters", top=True)
    if strategy.is_empty:
        raise UnsupportedSchemaError(
            "parameters: no argument object satisfies this schema; relax the constraints"
        )
    return strategy.filter(is_valid)


def known_values_from_state(
    state: Any, *, max_length: int = 64, limit: int = 1000
) -> list[str | int]:
    """Collect short scalar strings and integers (dict keys and values) from a JSON state.

    Order is first occurrence in a depth-first walk, so the list is deterministic for a
    given state. Booleans, floats, empty and multi-line strings and strings longer than
    `max_length` are skipped; at most `limit` values are returned.
    """
    seen: dict[tuple[str, str | int], None] = {}

    def add(value: Any) -> None:
        if isinstance(value, bool):
            return
        if isinstance(value, int) or (
            isinstance(value, str) and 0 < len(value) <= max_length and "\n" not in value
        ):
            seen.setdefault((type(value).__name__, value), None)

    stack: list[Any] = [state]
    while stack and len(seen) < limit:
        node = stack.pop()
        if isinstance(node, dict):
            for key in node:
                add(key)
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))
        else:
            add(node)
    return [value for _, value in list(seen)[:limit]]


def _fixed(values: Iterable[str | int]) -> Callable[[], Sequence[str | int]]:
    frozen = tuple(values)
    return lambda: frozen


def _types(schema: Any) -> set[str]:
    """The JSON types a schema admits by its `type` keyword or, without one, its keywords."""
    if not isinstance(schema, dict):
        return set(_ALL_TYPES) if schema is True else set()
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared} & _ALL_TYPES
    if isinstance(declared, list):
        return set(declared) & _ALL_TYPES
    inferred: set[str] = set()
    if any(k in schema for k in ("properties", "additionalProperties", "required")):
        inferred.add("object")
    if any(k in schema for k in ("items", "prefixItems", "minItems", "maxItems")):
        inferred.add("array")
    if any(k in schema for k in _STRING_KEYS):
        inferred.add("string")
    if any(k in schema for k in _NUMBER_KEYS):
        inferred.add("number")
    return inferred or set(_ALL_TYPES)


def _scalar_only(schema: Any) -> bool:
    """True when hypothesis-jsonschema can draw `schema` without building a container."""
    if not isinstance(schema, dict) or any(k in schema for k in _CONTAINER_KEYS):
        return False
    if "enum" in schema or "const" in schema:
        return True
    branches = [b for k in ("anyOf", "oneOf") for b in schema.get(k, [])]
    if "type" in schema:
        scalar = _types(schema) <= _SCALAR_TYPES
    else:
        scalar = bool(branches) and all(_scalar_only(b) for b in branches)
    return scalar and all(_scalar_only(b) for b in branches + list(schema.get("allOf", [])))


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Naive conjunction of two schemas (the final validator filter keeps it honest)."""
    out = dict(base)
    for key, value in extra.items():
        if key == "properties" and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        elif key == "required" and isinstance(out.get(key), list):
            out[key] = list(dict.fromkeys([*out[key], *value]))
        else:
            out[key] = value
    return out


class _Builder:
    """Builds a strategy for one root schema, resolving local `$ref`s against it."""

    def __init__(self, root: dict[str, Any], known: Callable[[], Sequence[str | int]]):
        self.root = root
        self.known = known

    def build(
        self, schema: Any, path: str, *, top: bool = False, depth: int = 0
    ) -> st.SearchStrategy:
        if schema is True or schema == {}:
            return _ANY_JSON
        if not isinstance(schema, dict):
            return st.nothing()
        if "$ref" in schema:
            if depth >= _MAX_REF_DEPTH:
                raise UnsupportedSchemaError(
                    f"{path}: $ref nested deeper than {_MAX_REF_DEPTH} (recursive schema); "
                    "bound the recursion or inline the definition"
                )
            target = self._resolve(schema["$ref"], path)
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            return self.build(_merge(target, rest), path, top=top, depth=depth + 1)
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return self._enum(schema, path)
        if _scalar_only(schema):
            return self._leaf(schema, path)
        if "allOf" in schema:
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                merged = _merge(merged, part) if isinstance(part, dict) else merged
            return self.build(merged, path, top=top, depth=depth)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                base = {k: v for k, v in schema.items() if k != key}
                options = [
                    self.build(_merge(base, b), f"{path}.{key}[{i}]", top=top, depth=depth)
                    for i, b in enumerate(schema[key])
                    if isinstance(b, dict)
                ]
                return st.one_of([o for o in options if not o.is_empty])
        types = sorted(_types(schema))
        if not types:
            raise UnsupportedSchemaError(f'{path}: no JSON type admitted; fix its "type"')
        return st.one_of([self._typed(schema, t, path, top=top, depth=depth) for t in types])

    def _resolve(self, ref: Any, path: str) -> dict[str, Any]:
        node: Any = self.root
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise UnsupportedSchemaError(
                f"{path}: only local $ref ('#/$defs/...') is supported, not {ref!r}; inline it"
            )
        for part in filter(None, ref[1:].split("/")):
            part = part.replace("~1", "/").replace("~0", "~")
            node = node.get(part) if isinstance(node, dict) else None
        if node is True:
            return {}
        if not isinstance(node, dict):
            raise UnsupportedSchemaError(f"{path}: $ref {ref!r} does not resolve inside the schema")
        return node

    def _enum(self, schema: dict[str, Any], path: str) -> st.SearchStrategy:
        rest = {k: v for k, v in schema.items() if k != "enum"}
        valid = schema_validator(rest) if _scalar_only(rest) or not rest else (lambda _v: True)
        members = [v for v in schema["enum"] if valid(v)]
        if not members:
            raise UnsupportedSchemaError(f"{path}: no enum member satisfies the other constraints")
        return st.sampled_from(members)

    def _typed(
        self, schema: dict[str, Any], kind: str, path: str, *, top: bool, depth: int
    ) -> st.SearchStrategy:
        if kind == "object":
            return self._object(schema, path, top=top, depth=depth)
        if kind == "array":
            return self._array(schema, path, depth=depth)
        leaf = {k: v for k, v in schema.items() if k not in _CONTAINER_KEYS}
        leaf["type"] = kind
        for key in ("anyOf", "oneOf", "allOf", "not"):
            leaf.pop(key, None)  # container branches: the final filter enforces them
        return self._leaf(leaf, path)

    def _object(
        self, schema: dict[str, Any], path: str, *, top: bool, depth: int
    ) -> st.SearchStrategy:
        props = schema.get("properties") or {}
        required = [r for r in schema.get("required", []) if isinstance(r, str)]
        strategies = {
            name: self.build(props.get(name, True), f"{path}.properties.{name}", depth=depth)
            for name in dict.fromkeys([*props, *required])
        }
        for name in required:
            if strategies[name].is_empty:
                raise UnsupportedSchemaError(
                    f"{path}.properties.{name}: no value satisfies this required property's "
                    "schema; relax its constraints"
                )
        fixed = st.fixed_dictionaries(
            {n: strategies[n] for n in required},
            optional={n: s for n, s in strategies.items() if n not in required and not s.is_empty},
        )
        extra = schema.get("additionalProperties", None if props else True)
        if top or extra is None or extra is False:
            return fixed  # a tool function takes exactly its declared parameters
        values = self.build(extra, f"{path}.additionalProperties", depth=depth)
        if values.is_empty:
            return fixed
        extras = st.dictionaries(_EXTRA_KEYS.filter(lambda k: k not in props), values, max_size=3)
        return st.tuples(fixed, extras).map(lambda pair: {**pair[1], **pair[0]})

    def _array(self, schema: dict[str, Any], path: str, *, depth: int) -> st.SearchStrategy:
        min_items = int(schema.get("minItems", 0))
        if min_items > _MAX_MIN_ITEMS:
            raise UnsupportedSchemaError(
                f"{path}: minItems {min_items} is more than property tests draw "
                f"({_MAX_MIN_ITEMS}); lower it"
            )
        max_items = schema.get("maxItems")
        cap = (
            min_items + _EXTRA_ITEMS
            if max_items is None
            else min(int(max_items), min_items + _EXTRA_ITEMS)
        )
        prefix = schema.get("prefixItems")
        items = schema.get("items", True)
        if isinstance(items, list):  # draft-07 tuple form
            prefix, items = items, schema.get("additionalItems", True)
        head = [
            self.build(p, f"{path}.prefixItems[{i}]", depth=depth)
            for i, p in enumerate(prefix or [])
        ]
        tail_schema = items if items is not None else True
        tail = self.build(tail_schema, f"{path}.items", depth=depth)
        unique = {"unique_by": canonical_json} if schema.get("uniqueItems") else {}
        if not head:
            if tail.is_empty:
                return st.just([]) if min_items == 0 else st.nothing()
            return st.lists(tail, min_size=min_items, max_size=max(cap, min_items), **unique)
        rest_max = max(0, cap - len(head))
        rest = st.just([]) if tail.is_empty else st.lists(tail, max_size=rest_max, **unique)
        return st.tuples(st.tuples(*head), rest).map(lambda hr: [*hr[0], *hr[1]])

    def _leaf(self, schema: dict[str, Any], path: str) -> st.SearchStrategy:
        fmt = schema.get("format")
        if fmt is not None and "string" in _types(schema) and fmt not in SUPPORTED_FORMATS:
            raise UnsupportedSchemaError(
                f"{path}: cannot draw strings of format {fmt!r}; use one of "
                f"{', '.join(sorted(SUPPORTED_FORMATS))}, or a 'pattern' instead"
            )
        min_length = schema.get("minLength", 0)
        if isinstance(min_length, int) and min_length > _MAX_MIN_LENGTH:
            raise UnsupportedSchemaError(
                f"{path}: minLength {min_length} is more than property tests draw "
                f"({_MAX_MIN_LENGTH}); lower it"
            )
        formats: dict[str, Any] = {}
        found: list[str] = []
        leaf = drawable(realistic(schema, _types), formats, path, found)
        try:
            base = from_schema(leaf, custom_formats=formats, allow_x00=False)
            if base.is_empty:  # evaluates the lazy strategy inside the filter
                return base
        except Exception as exc:  # hypothesis-jsonschema's errors are not one family
            raise UnsupportedSchemaError(
                f"{path}: cannot draw values for this schema: {exc}"
            ) from None
        if found:
            base = base.filter(schema_validator(schema))  # patterns, on the linear engine
        kinds = _types(schema) & {"string", "integer"}
        if not kinds or "enum" in schema or "const" in schema:
            return base
        return self._with_known(base, schema, kinds)

    def _with_known(
        self, base: st.SearchStrategy, schema: dict[str, Any], kinds: set[str]
    ) -> st.SearchStrategy:
        valid = schema_validator(schema)
        memo: dict[tuple[type, str | int], bool] = {}

        def fits(value: Any) -> bool:
            if isinstance(value, bool):
                return False
            if not (
                ("string" in kinds and isinstance(value, str))
                or ("integer" in kinds and isinstance(value, int))
            ):
                return False
            key = (type(value), value)
            if key not in memo:
                memo[key] = valid(value)
            return memo[key]

        known = self.known
        cache: list[Any] = [None, []]  # [the last known-values sequence, its fitting values]

        def fitting() -> list[Any]:
            values = known()
            if values is not cache[0]:
                cache[:] = [values, [v for v in values if fits(v)]]
            return cache[1]

        @st.composite
        def leaf(draw: st.DrawFn) -> Any:
            candidates = fitting()
            if candidates and draw(st.integers(0, 2)) != 0:
                return candidates[draw(st.integers(0, len(candidates) - 1))]
            return draw(base)

        return leaf()
