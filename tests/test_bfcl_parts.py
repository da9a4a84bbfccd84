"""Pieces of `gem-env suite bfcl` that need no BFCL install: reading ground-truth calls
and naming the cause of a disagreement with BFCL's executor (hand-written inputs in
BFCL's formats)."""

from __future__ import annotations

import pytest

from synth.suites.bfcl.build import CallParseError, parse_call
from synth.suites.bfcl.check import (
    BFCL_DATA_ERROR,
    BFCL_ELLIPSIS,
    BFCL_NUMBER,
    BFCL_ORDER,
    SANDBOX,
    _call_cause,
)

PARAMS = {"mv": ["source", "destination"], "sort": ["file_name"], "ls": ["a"]}


def test_ground_truth_calls_take_positional_names_from_the_signature():
    assert parse_call("sort('final_report.pdf')", PARAMS) == (
        "sort",
        {"file_name": "final_report.pdf"},
    )
    assert parse_call("mv(source='a', destination='b')", PARAMS) == (
        "mv",
        {"source": "a", "destination": "b"},
    )
    assert parse_call("ls()", PARAMS) == ("ls", {})


@pytest.mark.parametrize("text", ["mv(source=x)", "nope()", "mv('a', 'b', 'c')", "mv(", "a.b()"])
def test_malformed_ground_truth_calls_are_named(text):
    with pytest.raises(CallParseError):
        parse_call(text, PARAMS)


def _ok(value):
    return {"ok": True, "result": value, "error": None, "error_kind": None}


def test_agreeing_results():
    assert _call_cause('{"a": 1}', _ok({"a": 1})) is None
    assert _call_cause("plain text", _ok("plain text")) is None
    assert _call_cause("None", _ok(None)) is None
    failed = {"ok": False, "result": None, "error": "x", "error_kind": "tool_error"}
    assert _call_cause("Error during execution: x", failed) is None


def test_disagreement_causes():
    invalid = {"ok": False, "result": None, "error": "bad", "error_kind": "invalid_arguments"}
    assert _call_cause('{"status": "closed"}', invalid) == BFCL_DATA_ERROR
    assert _call_cause('{"ids": [2, 1]}', _ok({"ids": [1, 2]})) == BFCL_ORDER
    assert _call_cause("['A', Ellipsis]", _ok(["A", "..."])) == BFCL_ELLIPSIS
    assert _call_cause("{'result': mpf('1.3027')}", _ok({"result": 1.3})) == BFCL_NUMBER
    assert _call_cause("{'result': mpf('1.3027')}", _ok({"result": 7.0})) == SANDBOX
    assert _call_cause('{"a": 1}', _ok({"a": 2})) == SANDBOX


def test_the_response_check_is_per_turn_and_counts_repeats():
    from synth.suites.bfcl.build import response_assertion

    def call(result, ok=True):
        return {"ok": ok, "result": result}

    replay = [[call({"a": 1}), call({"a": 1})], [], [call("x"), call(None, ok=False)]]
    expr = response_assertion(replay)["expr"]

    def holds(calls):
        return eval(expr, {"calls": calls})  # the expression is plain Python we built

    def made(result, turn):
        return {"result": result, "user_turn": turn, "ok": True}

    on_time = [made({"a": 1}, 0), made({"a": 1}, 0), made("x", 1)]  # early is fine
    assert holds(on_time)
    assert not holds([made({"a": 1}, 0), made("x", 2)])  # one {"a": 1} short
    assert not holds([made({"a": 1}, 0), made({"a": 1}, 1), made("x", 2)])  # too late
    assert response_assertion([[], [call(None, ok=False)]]) is None
