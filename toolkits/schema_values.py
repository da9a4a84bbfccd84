"""Realistic values for property tests: string formats, any-JSON, generation bounds.

Owned by `toolkits.schema_strategies`; kept apart so that module owns only the walk
over a JSON Schema. Values lean toward what real tools receive: plain emails, dates
and URLs, integers within +-2**31, numbers within +-1e9, strings up to 40 characters.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from hypothesis import strategies as st
from hypothesis_jsonschema._from_schema import STRING_FORMATS


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
