"""Values for property tests: string formats, patterns, any-JSON, generation bounds.

Owned by `toolkits.schema_strategies`; kept apart so that module owns only the walk
over a JSON Schema. Values lean toward what real tools receive: plain emails, dates
and URLs, integers within +-2**31, numbers within +-1e9, strings up to 40 characters.
Strings for a `pattern` are drawn from its parse tree and kept when the linear-time
engine (`toolkits.schema_regex`, ECMA-262) matches them: no pattern is ever matched
with Python's backtracking `re`, here or inside hypothesis-jsonschema (`drawable`).
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies._internal.regex import base_regex_strategy  # draws, never matches
from hypothesis_jsonschema._from_schema import STRING_FORMATS

from toolkits.errors import ToolkitError
from toolkits.schema_regex import UnsupportedPatternError, generation_pattern, pattern_matcher


class UnsupportedSchemaError(ToolkitError):
    """No argument values can be drawn for this JSON Schema.

    The message names the part of the schema (a JSON path) and says how to change it:
    an unsupported `format`, an unsatisfiable constraint or an unresolvable `$ref`.
    """


def _date_strategy() -> st.SearchStrategy[str]:
    return st.dates(_dt.date(1970, 1, 1), _dt.date(2099, 12, 31)).map(_dt.date.isoformat)


_DOMAINS = st.from_regex(r"[a-z]{2,8}\.(com|org|net)", fullmatch=True)
_REALISTIC_FORMATS: dict[str, st.SearchStrategy[str]] = {
    "email": st.builds(
        "{}@{}".format, st.from_regex(r"[a-z]{1,8}(\.[a-z]{1,8})?", fullmatch=True), _DOMAINS
    ),
    "date": _date_strategy(),
    "date-time": st.datetimes(_dt.datetime(1970, 1, 1), _dt.datetime(2099, 12, 31)).map(
        lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")
    ),
    "time": st.times().map(lambda t: t.strftime("%H:%M:%SZ")),  # RFC 3339: an offset
    "uuid": st.uuids().map(str),
    "hostname": _DOMAINS,
    **{
        name: st.builds(
            "https://{}/{}".format, _DOMAINS, st.from_regex(r"[a-z0-9]{0,8}", fullmatch=True)
        )
        for name in ("uri", "uri-reference", "iri", "iri-reference")
    },
}
SUPPORTED_FORMATS: frozenset[str] = frozenset(STRING_FORMATS) | frozenset(_REALISTIC_FORMATS)
"""String `format` values that `arguments_strategy` can draw."""

_SCALAR_JSON = (
    st.none()
    | st.booleans()
    | st.integers(-1000, 1000)
    | st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
_ANY_JSON = st.recursive(
    _SCALAR_JSON,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
_EXTRA_KEYS = st.from_regex(r"[a-z][a-z_]{0,7}", fullmatch=True)
_ALPHABET = st.characters(codec="utf-8", exclude_characters="\x00")


def realistic(schema: dict[str, Any], types_of: Any) -> dict[str, Any]:
    """Add generation-only bounds to unbounded scalars (a subset of the valid values)."""
    out = dict(schema)
    types = types_of(schema)
    if types & {"integer", "number"}:
        bound = 2**31 if types & {"number", "integer"} == {"integer"} else 1e9
        low = _number_or_none(out.get("minimum", out.get("exclusiveMinimum")))
        high = _number_or_none(out.get("maximum", out.get("exclusiveMaximum")))
        if low is None and (high is None or high > -bound):
            out["minimum"] = -bound
        if high is None and (low is None or low < bound):
            out["maximum"] = bound
    if "string" in types and not any(k in out for k in ("maxLength", "pattern", "format")):
        out["maxLength"] = max(40, int(out.get("minLength", 0)))
    return out


def _number_or_none(value: Any) -> float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def drawable(schema: Any, formats: dict[str, Any], path: str, found: list[str]) -> Any:
    """`schema` for hypothesis-jsonschema: each `pattern` and realistic `format` becomes a
    custom format (registered in `formats`) that draws from our strategies.

    hypothesis-jsonschema matches patterns with Python's `re` (backtracking, and not
    ECMA-262) and checks formats with its own, older rules (RFC 3339 times fail); given
    custom formats instead, it only draws, and its validators ignore them. So a pattern
    beside a `format` is dropped, a `not` holding a pattern is dropped and `oneOf`
    becomes `anyOf` (both would otherwise reject every value); each pattern met is
    appended to `found`, and the caller then filters the drawn values through the real
    validator.
    """
    if isinstance(schema, list):
        return [drawable(s, formats, path, found) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "pattern":
            continue
        if key == "not" and _holds_pattern(value):
            found.append("not")
            continue
        if key in ("anyOf", "oneOf", "allOf"):
            branches = drawable(value, formats, path, found)
            out["anyOf" if key == "oneOf" and _holds_pattern(value) else key] = branches
        else:
            out[key] = value
    pattern, fmt = schema.get("pattern"), schema.get("format")
    if isinstance(pattern, str):
        found.append(pattern)
        if "format" not in schema:
            name = f"pattern:{pattern}"
            if name not in formats:
                formats[name] = pattern_strategy(pattern, path)
            out["format"] = name
    if isinstance(fmt, str) and fmt in _REALISTIC_FORMATS:
        out["format"] = f"realistic:{fmt}"
        formats[out["format"]] = _REALISTIC_FORMATS[fmt]
    return out


def _holds_pattern(schema: Any) -> bool:
    if isinstance(schema, list):
        return any(_holds_pattern(s) for s in schema)
    return isinstance(schema, dict) and (
        "pattern" in schema or any(_holds_pattern(v) for v in schema.values())
    )


def pattern_strategy(pattern: str, path: str) -> st.SearchStrategy[str]:
    """Strings drawn from the parse tree of `pattern`, kept when the linear engine
    matches them (ECMA-262 meaning: ``\\d`` is ASCII, ``$`` is the end of the text)."""
    try:
        matches = pattern_matcher(pattern)
    except UnsupportedPatternError as exc:
        raise UnsupportedSchemaError(f"{path}: {exc}") from None
    try:
        compiled = re.compile(generation_pattern(pattern), re.ASCII)
    except (re.error, OverflowError, RecursionError) as exc:
        raise UnsupportedSchemaError(
            f"{path}: cannot draw strings for pattern {pattern!r}: Python's regex parser, "
            f"which draws them, rejects it ({exc}); write it in the common subset"
        ) from None
    return base_regex_strategy(compiled, alphabet=_ALPHABET).filter(matches)
