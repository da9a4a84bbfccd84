"""Drawn tool arguments are always schema-valid, reuse known values, and fail clearly."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkits.errors import ToolkitError
from toolkits.schema_strategies import (
    UnsupportedSchemaError,
    arguments_strategy,
    known_values_from_state,
    schema_validator,
)

FAST = settings(
    max_examples=20, database=None, deadline=None, suppress_health_check=list(HealthCheck)
)

SCHEMAS = {
    "flat": {
        "type": "object",
        "properties": {
            "card_number": {"type": "string", "pattern": "^C[0-9]{4}$"},
            "book_id": {"type": "string"},
            "copies": {"type": "integer", "minimum": 1, "maximum": 5},
            "price": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
            "gift": {"type": "boolean"},
        },
        "required": ["card_number", "book_id"],
        "additionalProperties": False,
    },
    "enum_and_nullable": {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["open", "closed"]},
            "note": {"type": ["string", "null"], "maxLength": 5},
            "code": {"const": "X1"},
        },
        "required": ["status"],
    },
    "nested": {
        "type": "object",
        "properties": {
            "order": {
                "type": "object",
                "properties": {
                    "items": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 3,
                        "uniqueItems": True,
                        "items": {
                            "type": "object",
                            "properties": {
                                "sku": {"type": "string", "minLength": 2},
                                "qty": {"type": "integer", "minimum": 1},
                            },
                            "required": ["sku", "qty"],
                            "additionalProperties": False,
                        },
                    },
                    "address": {"type": "object", "additionalProperties": {"type": "string"}},
                },
                "required": ["items"],
            },
            "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
        },
        "required": ["order"],
    },
    "formats_refs_combinators": {
        "type": "object",
        "$defs": {"money": {"type": "number", "minimum": 0, "multipleOf": 0.5}},
        "properties": {
            "email": {"type": "string", "format": "email"},
            "day": {"type": "string", "format": "date"},
            "id": {"type": "string", "format": "uuid"},
            "amount": {"$ref": "#/$defs/money"},
            "target": {
                "anyOf": [
                    {"type": "string", "pattern": "^ORD-[0-9]+$"},
                    {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]},
                ]
            },
            "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]},
            "anything": {},
        },
        "required": ["email", "amount", "target"],
    },
}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_drawn_arguments_always_validate(name: str) -> None:
    schema = SCHEMAS[name]
    valid = schema_validator(schema)
    declared = set(schema["properties"])
    seen: list[dict] = []

    @FAST
    @given(arguments_strategy(schema, known_values=["ORD-1001", "C1001", 3, "x"]))
    def check(args: dict) -> None:
        assert valid(args), args
        assert set(args) <= declared  # only declared parameters
        seen.append(args)

    check()
    assert seen


def test_known_values_are_used_where_they_validate() -> None:
    schema = SCHEMAS["flat"]
    known = ["C1001", "ORD-1001", 4, 99]
    cards: set[str] = set()
    books: set[str] = set()
    copies: set[int] = set()

    @settings(FAST, max_examples=60)
    @given(arguments_strategy(schema, known_values=known))
    def collect(args: dict) -> None:
        cards.add(args["card_number"])
        books.add(args["book_id"])
        copies.add(args.get("copies", 0))

    collect()
    assert "C1001" in cards and "ORD-1001" not in cards  # the pattern keeps ORD-1001 out
    assert {"C1001", "ORD-1001"} & books
    assert 99 not in copies  # above the maximum


def test_known_values_callable_is_read_at_draw_time() -> None:
    schema = {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}
    pool: list[str] = []
    strategy = arguments_strategy(schema, known_values=lambda: pool)
    pool.append("NEW-7")
    ids: set[str] = set()

    @FAST
    @given(strategy)
    def collect(args: dict) -> None:
        ids.add(args["id"])

    collect()
    assert "NEW-7" in ids


def test_unbounded_values_stay_realistic() -> None:
    schema = {
        "type": "object",
        "properties": {"n": {"type": "integer"}, "s": {"type": "string"}},
        "required": ["n", "s"],
    }

    @FAST
    @given(arguments_strategy(schema))
    def check(args: dict) -> None:
        assert abs(args["n"]) <= 2**31
        assert len(args["s"]) <= 40

    check()


@pytest.mark.parametrize(
    ("schema", "match"),
    [
        (
            {"type": "object", "properties": {"d": {"type": "string", "format": "iso-week"}}},
            "format 'iso-week'",
        ),
        (
            {
                "type": "object",
                "properties": {"n": {"type": "integer", "minimum": 5, "maximum": 1}},
                "required": ["n"],
            },
            "properties.n",
        ),
        (
            {"type": "object", "properties": {"r": {"$ref": "#/$defs/missing"}}},
            "parameters.properties.r.$ref: reference '#/$defs/missing' points at nothing",
        ),
        (
            {"type": "object", "properties": {"r": {"$ref": "other.json#/x"}}},
            "only references inside this schema resolve",
        ),
        ({"type": "array"}, "type"),
        (
            {
                "type": "object",
                "properties": {"s": {"type": "string", "enum": ["a"], "maxLength": 0}},
                "required": ["s"],
            },
            "enum",
        ),
    ],
)
def test_unsupported_schemas_raise_a_clear_typed_error(schema: dict, match: str) -> None:
    with pytest.raises(UnsupportedSchemaError, match=re.escape(match)) as info:
        arguments_strategy(schema)
    assert isinstance(info.value, ToolkitError)


def test_recursive_ref_is_bounded() -> None:
    schema = {
        "type": "object",
        "$defs": {
            "node": {
                "type": "object",
                "properties": {"child": {"$ref": "#/$defs/node"}},
                "required": ["child"],
            }
        },
        "properties": {"root": {"$ref": "#/$defs/node"}},
        "required": ["root"],
    }
    with pytest.raises(UnsupportedSchemaError, match="recursive"):
        arguments_strategy(schema)


def test_known_values_from_state_collects_short_scalars_in_order() -> None:
    state = {
        "orders": {"ORD-1001": {"status": "paid", "total": 12.5, "qty": 2, "gift": True}},
        "note": "line one\nline two",
        "long": "x" * 100,
        "today": 200,
        "tags": ["a", "", "a"],
    }
    values = known_values_from_state(state)
    assert values == ["orders", "note", "long", "today", "tags", "ORD-1001", "status", "total",
                      "qty", "gift", "paid", 2, 200, "a"]  # fmt: skip
    assert True not in values and 12.5 not in values
    assert known_values_from_state(state, limit=3) == ["orders", "note", "long"]


@FAST
@given(st.integers(0, 5))
def test_known_values_keep_int_and_str_apart(n: int) -> None:
    values = known_values_from_state({"a": n, "b": str(n)})
    assert n in values and str(n) in values


@pytest.mark.timeout(120)
def test_catastrophic_patterns_are_never_matched_by_a_backtracking_engine() -> None:
    """`^(a+)+$` against "aaa...a!" takes ~2**n steps in Python's `re`; drawing, the
    known-value filter and the final filter all run on the linear-time engine."""
    evil = "^(a+)+$"
    hostile = "a" * 60 + "!"
    schema = {
        "type": "object",
        "properties": {
            "plain": {"type": "string", "pattern": evil},
            "with_format": {"type": "string", "format": "email", "pattern": "^(a+)+@"},
            "either": {"oneOf": [{"type": "string", "pattern": evil}, {"type": "integer"}]},
            "unless": {"type": "string", "maxLength": 70, "not": {"pattern": evil}},
            "keys": {"type": "object", "patternProperties": {evil: {"type": "integer"}}},
        },
        "required": ["plain", "either", "unless"],
    }
    valid = schema_validator(schema)
    seen: list[dict] = []

    @FAST
    @given(arguments_strategy(schema, known_values=[hostile, "aaaa", 3]))
    def check(args: dict) -> None:
        assert valid(args)
        assert args["plain"] != hostile
        seen.append(args)

    check()
    assert any(a["unless"] == hostile for a in seen)  # the known value was tested, linearly
