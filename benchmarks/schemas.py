"""Benchmark: JSON Schema validation engines on the per-call hot path, as same-run ratios.

Run: ``python benchmarks/schemas.py`` (add ``--json`` for machine-readable output).

The hot path is validating one call's arguments against the tool's `parameters` before
the code runs (valid arguments: the common case). The baseline is what the runtime used
before this benchmark: a `fastjsonschema`-compiled function (Python ``re`` patterns,
which backtrack, and default injection). Candidates, each on linear-time regexes:

1. ``toolkits.schema_validation`` on jsonschema-rs (``RegexOptions``: Rust's ``regex``
   crate), called as `Toolkit.call` calls it                        target <= 1x
2. the raw jsonschema-rs ``is_valid`` (the engine without our wrapper)      (info)
3. fastjsonschema with its compiled patterns swapped for google-re2 (the cheapest way
   to put RE2 on the hot path; still injects defaults, no ECMA meaning)     (info)
4. Python's jsonschema with `pattern` on google-re2 (a validator built around RE2)
                                                                           (info)

Three argument schemas, summed: a plain one (ids and an enum), a network-device one
(MAC, IPv4 and ISO-date patterns, an array of tags) and a nested order (objects in an
array). And correctness: how many of a table of ECMA-262 cases (``\\d`` is ASCII, ``$``
only at the very end, ``\\s`` is ECMA white space, ``.`` stops at line terminators) each
engine gets wrong, as ``ecma_mismatches`` rows (info; lower is better, 0 is exact).
"""

from __future__ import annotations

import re  # the baseline's engine, for the correctness table only
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import fastjsonschema
import jsonschema
import jsonschema_rs
import re2
from ratios import best, ratio_main

from toolkits.schema_validation import compile_validator

PLAIN = {
    "type": "object",
    "properties": {
        "record_id": {"type": "string"},
        "status": {"type": "string", "enum": ["open", "pending", "closed"]},
        "note": {"type": "string", "maxLength": 200},
    },
    "required": ["record_id", "status"],
    "additionalProperties": False,
}
NETWORK = {
    "type": "object",
    "properties": {
        "mac": {"type": "string", "pattern": "^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$"},
        "ip": {"type": "string", "pattern": r"^(\d{1,3}\.){3}\d{1,3}$"},
        "seen": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?Z?)?$"},
        "status": {"type": "string", "enum": ["active", "maintenance", "retired"]},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 20}, "maxItems": 5},
        "note": {"type": "string", "default": "None"},
    },
    "required": ["mac", "status"],
    "additionalProperties": False,
}
ORDER = {
    "type": "object",
    "properties": {
        "order_id": {"type": "string", "pattern": "^ORD-[0-9]{4}$"},
        "items": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "line_id": {"type": "string"},
                    "quantity": {"type": "integer", "minimum": 1},
                    "reason": {"type": "string", "enum": ["damaged", "wrong_size", "other"]},
                },
                "required": ["line_id", "quantity"],
                "additionalProperties": False,
            },
        },
        "resolution": {"type": "string", "enum": ["refund", "exchange"]},
    },
    "required": ["order_id", "items"],
    "additionalProperties": False,
}
WORKLOAD: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (PLAIN, {"record_id": "R00003", "status": "open"}),
    (
        NETWORK,
        {
            "mac": "3c:22:fb:0a:91:7e",
            "ip": "10.20.0.17",
            "seen": "2025-03-20T09:40Z",
            "status": "active",
            "tags": ["core", "rack-4"],
        },
    ),
    (
        ORDER,
        {
            "order_id": "ORD-1001",
            "items": [
                {"line_id": "L1", "quantity": 1, "reason": "wrong_size"},
                {"line_id": "L2", "quantity": 2},
            ],
            "resolution": "refund",
        },
    ),
]

# (pattern, text, does ECMA-262 match?)
ECMA_CASES: list[tuple[str, str, bool]] = [
    (r"^\d+$", "123", True),
    (r"^\d+$", "123\n", False),  # Python's $ matches before a final newline
    (r"^\d+$", "\u0661\u0662\u0663", False),  # Arabic-Indic digits are not \d in ECMA
    (r"^\w+$", "caf\u00e9", False),  # \w is ASCII
    (r"^\s$", "\u00a0", True),  # ECMA white space includes NBSP
    (r"^\s$", "\u2003", True),
    (r"^.$", "\r", False),  # . stops at line terminators
    (r"^.$", "\u2028", False),
    (r"^\u0041$", "A", True),  # \uXXXX escapes
    (r"^[a-z]+$", "abc\n", False),
    (r"^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$", "3c:22:fb:0a:91:7e", True),
    (r"^(\d{1,3}\.){3}\d{1,3}$", "10.20.0.17", True),
]


def _fast_with_re2(schema: dict[str, Any]) -> Any:
    """fastjsonschema with every compiled pattern replaced by its RE2 compilation."""
    func = fastjsonschema.compile(schema, use_default=False)
    patterns = func.__globals__.get("REGEX_PATTERNS", {})
    for key in list(patterns):
        patterns[key] = re2.compile(key)
    return func


_QUIET = re2.Options()
_QUIET.log_errors = False


def _re2_search(pattern: str, text: str) -> bool:
    return bool(re2.compile(pattern, _QUIET).search(text))


def _re2_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    if validator.is_type(instance, "string") and not re2.search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


_Re2Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, {"pattern": _re2_pattern}
)


def _per_call(validators: list[Any], call: str) -> float:
    """Seconds to validate the three workload arguments once each."""
    pairs = [(v, args) for v, (_, args) in zip(validators, WORKLOAD)]
    number = 2_000 if call == "slow" else 20_000

    def run() -> None:
        for validate, args in pairs:
            validate(args)

    return best(run, number)


def _mismatches(matches: Any) -> int:
    wrong = 0
    for pattern, text, expected in ECMA_CASES:
        try:
            got = bool(matches(pattern, text))
        except Exception:
            got = not expected
        wrong += got != expected
    return wrong


def run() -> dict[str, Any]:
    """Measure every candidate against the fastjsonschema baseline in one run."""
    schemas = [schema for schema, _ in WORKLOAD]
    baseline = [fastjsonschema.compile(s) for s in schemas]
    ours = [compile_validator(s) for s in schemas]
    raw = [
        jsonschema_rs.validator_for(
            s, validate_formats=True, pattern_options=jsonschema_rs.RegexOptions()
        ).is_valid
        for s in schemas
    ]
    fast_re2 = [_fast_with_re2(s) for s in schemas]
    py_re2 = [_Re2Validator(s).is_valid for s in schemas]
    args = [a for _, a in WORKLOAD]  # sanity: every candidate accepts the workload
    assert all(v(a) is None for v, a in zip(ours, args))
    assert all(v(a) for candidate in (raw, py_re2) for v, a in zip(candidate, args))

    t_base = _per_call(baseline, "fast")
    t_ours = _per_call(ours, "fast")
    t_raw = _per_call(raw, "fast")
    t_fast_re2 = _per_call(fast_re2, "fast")
    t_py_re2 = _per_call(py_re2, "slow")

    def row(t: float, target: float | None) -> dict[str, Any]:
        return {
            "ratio": round(t / t_base, 2),
            "target": target,
            "us": [round(t * 1e6, 2), round(t_base * 1e6, 2)],
        }

    def rs_match(pattern: str, text: str) -> bool:
        return compile_validator({"type": "string", "pattern": pattern}).is_valid(text)

    cases = len(ECMA_CASES)
    return {
        "rs_vs_fastjsonschema": row(t_ours, 1.0),
        "rs_raw_vs_fastjsonschema": row(t_raw, None),
        "fast_re2_vs_fastjsonschema": row(t_fast_re2, None),
        "jsonschema_re2_vs_fastjsonschema": row(t_py_re2, None),
        "ecma_mismatches_rs": {
            "ratio": round(_mismatches(rs_match) / cases, 2),
            "target": None,
            "cases": [_mismatches(rs_match), cases],
        },
        "ecma_mismatches_re2": {
            "ratio": round(_mismatches(_re2_search) / cases, 2),
            "target": None,
            "cases": [_mismatches(_re2_search), cases],
        },
        "ecma_mismatches_python_re": {
            "ratio": round(_mismatches(re.search) / cases, 2),
            "target": None,
            "cases": [_mismatches(re.search), cases],
        },
    }


def main(argv: list[str] | None = None) -> int:
    """Print the ratios (or JSON with --json); exit 0."""
    return ratio_main(run, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
