"""Draw JSON values for a JSON Schema from a numpy RNG (owns sampling of tool arguments).

`AssistantActionSpace.sample` uses it: gymnasium spaces sample from their own seeded
`np.random.Generator`, and must be cheap and deterministic given that seed, which rules
out hypothesis (`toolkits.schema_strategies` is the tool for property tests). Covers the
JSON Schema of tool parameters: objects, arrays, enums, numbers with bounds, strings
with `pattern` (drawn from the parsed regex), common `format`s, `$ref`, `anyOf`/`oneOf`/
`allOf`. A drawn value may still be invalid (e.g. overlapping `oneOf`): callers validate.

Patterns are ECMA-262 and are only ever *matched* by the linear-time engine of
`toolkits.schema_regex` (reused known values); strings are drawn from the pattern's
parse tree, never matched with Python's backtracking `re`. Schemas asking for huge
values (``minItems``, ``minLength`` past a small bound) cannot be drawn from.
"""

from __future__ import annotations

import math
import re
import string
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gem_env.errors import GemEnvError
from toolkits.canonical import canonical_json
from toolkits.schema_regex import UnsupportedPatternError, generation_pattern, pattern_matcher

__all__ = ["SchemaSampler", "UnsupportedSchemaError", "known_values"]

try:  # the regex parser of the standard library (named sre_parse before Python 3.11)
    import re._parser as _sre  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    import sre_parse as _sre  # type: ignore[no-redef]

_ALNUM = string.ascii_letters + string.digits
_CATEGORIES = {
    _sre.CATEGORY_DIGIT: string.digits,
    _sre.CATEGORY_WORD: _ALNUM + "_",
    _sre.CATEGORY_SPACE: " ",
    _sre.CATEGORY_NOT_DIGIT: string.ascii_letters,
    _sre.CATEGORY_NOT_WORD: " -.",
    _sre.CATEGORY_NOT_SPACE: _ALNUM,
}
_REPEATS = {_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", _sre.MAX_REPEAT)}
_MAX_MIN_ITEMS = 64  # a larger minItems is not drawn
_MAX_MIN_LENGTH = 1_000  # a larger minLength is not drawn


class UnsupportedSchemaError(GemEnvError):
    """No value can be drawn for this schema with the simple sampler."""


def known_values(states: Sequence[Any], limit: int = 1000) -> list[str | int]:
    """Short strings and integers (keys and values) of JSON states, first occurrence first."""
    seen: dict[tuple[type, str | int], None] = {}
    stack: list[Any] = list(reversed(states))
    while stack and len(seen) < limit:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(reversed(list(node.values())))
            stack.extend(reversed(list(node)))
        elif isinstance(node, list):
            stack.extend(reversed(node))
        elif (type(node) is int) or (isinstance(node, str) and 0 < len(node) <= 64):
            seen.setdefault((type(node), node), None)
    return [value for _, value in seen]


class SchemaSampler:
    """Draws JSON values for a JSON Schema from a numpy RNG (no hypothesis: cheap and
    deterministic). Values may still be invalid (e.g. ``oneOf`` overlaps): callers validate.

    Args:
        rng: the generator to draw from.
        root: the schema `$ref`s resolve against.
        known: values to reuse at string and integer leaves (about two draws in three).
    """

    def __init__(self, rng: np.random.Generator, root: Any, known: Sequence[str | int] = ()):
        self.rng, self.root, self.known = rng, root, known

    def value(self, schema: Any, depth: int = 0) -> Any:
        """A value for `schema`; raises `UnsupportedSchemaError` when it cannot draw one."""
        if depth > 12 or schema is False:
            raise UnsupportedSchemaError("schema too deep or false")
        if not isinstance(schema, dict) or not schema:
            return self._word(1, 8)
        if "$ref" in schema:
            return self.value(self._resolve(schema["$ref"]), depth + 1)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return self._pick(schema["enum"])
        rest = {k: v for k, v in schema.items() if k not in ("allOf", "anyOf", "oneOf")}
        if "allOf" in schema:
            for part in schema["allOf"]:
                rest = _merge(rest, part if isinstance(part, dict) else {})
            return self.value(
                {**rest, **{k: schema[k] for k in ("anyOf", "oneOf") if k in schema}}, depth + 1
            )
        for key in ("anyOf", "oneOf"):
            if schema.get(key):
                return self.value(_merge(rest, self._pick(schema[key])), depth + 1)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = self._pick(kind) if kind else None
        kind = kind or _infer_type(schema)
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, depth)
        if kind in ("integer", "number"):
            return self._number(schema, kind == "integer")
        if kind == "boolean":
            return bool(self.rng.integers(2))
        if kind == "null":
            return None
        return self._string(schema)

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        props = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        out = {}
        for name, sub in props.items():
            if name in required or self.rng.random() < 0.5:
                out[name] = self.value(sub, depth + 1)
        for name in sorted(required - out.keys()):
            out[name] = self.value({}, depth + 1)
        for name, sub in props.items():
            if len(out) >= schema.get("minProperties", 0):
                break
            out.setdefault(name, self.value(sub, depth + 1))
        return out

    def _array(self, schema: dict[str, Any], depth: int) -> list[Any]:
        prefix = schema.get("prefixItems") or []
        items = schema.get("items", {})
        low = int(schema.get("minItems", 0))
        if low > _MAX_MIN_ITEMS:
            raise UnsupportedSchemaError(f"minItems {low} is too large to draw")
        high = min(int(schema.get("maxItems", low + 3)), low + 3)
        if items is False:
            high = min(high, len(prefix))
        out: list[Any] = []
        for i in range(self._int(low, high)):
            out.append(self.value(prefix[i] if i < len(prefix) else items, depth + 1))
        if schema.get("uniqueItems"):
            out = list({canonical_json(v): v for v in out}.values())
        return out

    def _number(self, schema: dict[str, Any], integer: bool) -> int | float:
        known = [v for v in self.known if type(v) is int and _in_bounds(v, schema)]
        if integer and known and "multipleOf" not in schema and self.rng.random() < 2 / 3:
            return self._pick(known)
        step = 1 if integer else 0.01
        low, high = schema.get("minimum"), schema.get("maximum")
        if "exclusiveMinimum" in schema:
            low = max(low if low is not None else -math.inf, schema["exclusiveMinimum"] + step)
        if "exclusiveMaximum" in schema:
            high = min(high if high is not None else math.inf, schema["exclusiveMaximum"] - step)
        low = low if low is not None else (0 if high is None or high >= 0 else high - 100)
        high = high if high is not None else low + 100
        unit = schema.get("multipleOf") or step
        first, last = math.ceil(low / unit), math.floor(high / unit)
        if first > last or abs(first) > 2**52 or abs(last) > 2**52:
            raise UnsupportedSchemaError("no number in bounds")
        value = self._int(first, last) * unit
        return int(value) if integer else round(float(value), 6)

    def _string(self, schema: dict[str, Any]) -> str:
        low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
        if low > _MAX_MIN_LENGTH:
            raise UnsupportedSchemaError(f"minLength {low} is too large to draw")
        if "format" not in schema and self.rng.random() < 2 / 3:
            matches = _matcher_or_none(schema.get("pattern"))
            known = [
                v
                for v in self.known
                if isinstance(v, str)
                and low <= len(v) <= (high if high is not None else len(v))
                and (matches is None or matches(v))
            ]
            if known:
                return self._pick(known)
        if "format" in schema:
            return self._format(schema["format"])
        if "pattern" in schema:
            try:
                parsed = _sre.parse(generation_pattern(schema["pattern"]))
            except (re.error, TypeError, OverflowError, RecursionError) as exc:
                raise UnsupportedSchemaError(f"pattern: {exc}") from None
            return self._regex(parsed, {})
        top = int(high) if high is not None else low + 12
        return self._word(max(low, 1 if top else 0), min(top, max(low, 1) + 12))

    def _format(self, fmt: str) -> str:
        i = self._int
        date = f"{i(2020, 2030):04d}-{i(1, 12):02d}-{i(1, 28):02d}"
        clock = f"{i(0, 23):02d}:{i(0, 59):02d}:{i(0, 59):02d}"
        values = {
            "date": lambda: date,
            "date-time": lambda: f"{date}T{clock}Z",
            "time": lambda: f"{clock}Z",
            "email": lambda: f"{self._word(3, 8)}@example.com",
            "uuid": lambda: str(uuid.UUID(int=i(0, 2**62) << 64 | i(0, 2**62), version=4)),
            "uri": lambda: f"https://example.com/{self._word(3, 8)}",
            "hostname": lambda: f"{self._word(3, 8)}.example.com",
            "ipv4": lambda: ".".join(str(i(1, 254)) for _ in range(4)),
        }
        if fmt not in values:
            raise UnsupportedSchemaError(f"format {fmt!r}")
        return values[fmt]()

    def _regex(self, items: Any, groups: dict[int, str]) -> str:
        out = []
        for op, av in items:
            if op is _sre.LITERAL:
                out.append(chr(av))
            elif op is _sre.NOT_LITERAL:
                out.append(self._pick([c for c in _ALNUM if ord(c) != av]))
            elif op is _sre.ANY:
                out.append(self._pick(_ALNUM))
            elif op is _sre.IN:
                out.append(self._char_in(av))
            elif op in _REPEATS:
                low, high, sub = av
                high = low + 3 if high is _sre.MAXREPEAT else min(high, low + 12)
                out.extend(self._regex(sub, groups) for _ in range(self._int(low, high)))
            elif op is _sre.SUBPATTERN:
                text = self._regex(av[-1], groups)
                groups[av[0]] = text
                out.append(text)
            elif op is getattr(_sre, "ATOMIC_GROUP", None):
                out.append(self._regex(av, groups))
            elif op is _sre.BRANCH:
                out.append(self._regex(self._pick(av[1]), groups))
            elif op is _sre.GROUPREF:
                out.append(groups.get(av, ""))
            elif op is not _sre.AT:
                raise UnsupportedSchemaError(f"regex construct {op}")
        return "".join(out)

    def _char_in(self, items: list[tuple[Any, Any]]) -> str:
        def member(c: str) -> bool:
            for op, av in items:
                if (op is _sre.LITERAL and ord(c) == av) or (
                    op is _sre.RANGE and av[0] <= ord(c) <= av[1]
                ):
                    return True
                if op is _sre.CATEGORY and c in _CATEGORIES.get(av, ""):
                    return True
            return False

        if items and items[0][0] is _sre.NEGATE:
            return self._pick([c for c in _ALNUM + " -_." if not member(c)] or "?")
        op, av = self._pick(items)
        if op is _sre.RANGE:
            return chr(self._int(av[0], av[1]))
        if op is _sre.CATEGORY:
            return self._pick(_CATEGORIES.get(av) or _ALNUM)
        return chr(av)

    def _resolve(self, ref: str) -> Any:
        node = self.root
        if not ref.startswith("#"):
            raise UnsupportedSchemaError(f"remote $ref {ref!r}")
        for part in filter(None, ref[1:].split("/")):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                raise UnsupportedSchemaError(f"unresolvable $ref {ref!r}")
            node = node[part]
        return node

    def _word(self, low: int, high: int) -> str:
        letters = string.ascii_lowercase
        return "".join(letters[int(j)] for j in self.rng.integers(26, size=self._int(low, high)))

    def _int(self, low: int, high: int) -> int:
        return int(self.rng.integers(low, high + 1)) if high > low else int(low)

    def _pick(self, options: Sequence[Any]) -> Any:
        if not options:
            raise UnsupportedSchemaError("nothing to choose from")
        return options[int(self.rng.integers(len(options)))]


def _matcher_or_none(pattern: Any) -> Callable[[str], bool] | None:
    """The linear-time ECMA-262 matcher of `pattern`, or None without a pattern."""
    if not isinstance(pattern, str):
        return None
    try:
        return pattern_matcher(pattern)
    except UnsupportedPatternError as exc:
        raise UnsupportedSchemaError(f"pattern: {exc}") from None


def _infer_type(schema: dict[str, Any]) -> str:
    if "properties" in schema or "required" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    if any(k in schema for k in ("minimum", "maximum", "multipleOf")):
        return "number"
    return "string"


def _in_bounds(value: int, schema: dict[str, Any]) -> bool:
    return schema.get("minimum", -math.inf) <= value <= schema.get(
        "maximum", math.inf
    ) and schema.get("exclusiveMinimum", -math.inf) < value < schema.get(
        "exclusiveMaximum", math.inf
    )


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = {**base, **extra}
    if "properties" in base and "properties" in extra:
        merged["properties"] = {**base["properties"], **extra["properties"]}
    if "required" in base and "required" in extra:
        merged["required"] = sorted(set(base["required"]) | set(extra["required"]))
    return merged
