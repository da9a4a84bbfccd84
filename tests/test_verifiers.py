"""verifiers: every finding code fires on a trajectory that has the fault (with the index
of the message at fault) and stays silent on the clean counterpart.

Trajectories are the hand-written good fixture (tests/fixtures, it replays exactly) and
copies of it with one fault introduced, or ones recorded by executing a tiny toolkit
(`tests.helpers.recorded_trajectory`). None of them is LLM output.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import recorded_trajectory, toolkit
from verifiers import (
    CODES,
    DEFAULT_CHECKS,
    CallValidityCheck,
    Check,
    CheckConfigError,
    Finding,
    GoalCheck,
    GroundingCheck,
    InvariantCheck,
    NotATrajectoryError,
    ReplayCheck,
    StructureCheck,
    UnknownCheckError,
    VerificationReport,
    verify,
)
from verifiers.replay import same_json

FIXTURE = Path(__file__).parent / "fixtures" / "trajectory-library_loans.jsonl"


@pytest.fixture
def good() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8").splitlines()[0])


def found(report: VerificationReport) -> set[tuple[str, int | None]]:
    return {(f.code, f.message_index) for _, f in report.findings}


def codes_of(report: VerificationReport) -> set[str]:
    return {f.code for _, f in report.findings}


# -- the clean baseline --------------------------------------------------------------


def test_the_good_fixture_passes_every_check(good: dict[str, Any]) -> None:
    report = verify(good)
    assert report.passed, report.findings
    assert [c.name for c in report.checks] == [c.name for c in DEFAULT_CHECKS]
    assert report.to_dict() == {
        "passed": True,
        "checks": [{"name": c.name, "passed": True, "findings": []} for c in DEFAULT_CHECKS],
    }


def test_report_keeps_null_message_indexes(good: dict[str, Any]) -> None:
    good["final_state_hash"] = "sha256:" + "0" * 64
    data = verify(good).to_dict()
    replay = next(c for c in data["checks"] if c["name"] == "replay")
    assert replay["passed"] is False
    assert replay["findings"][0]["code"] == "final_state_mismatch"
    assert "message_index" in replay["findings"][0]
    assert replay["findings"][0]["message_index"] is None
    assert data["passed"] is False


# -- structure -----------------------------------------------------------------------


def test_tool_then_user_is_bad_role_order(good: dict[str, Any]) -> None:
    del good["messages"][6]  # the assistant's answer to the find_book result
    report = verify(good, ["structure"])
    assert found(report) == {("bad_role_order", 6)}
    assert "tool -> user" in report.findings[0][1].detail


@pytest.mark.parametrize(
    ("edit", "index"),
    [
        (lambda m: m.insert(1, {"role": "assistant", "content": "Hello!"}), 1),  # before user
        (lambda m: m.insert(3, {"role": "assistant", "content": "Also..."}), 3),  # two in a row
        (lambda m: m.insert(2, {"role": "user", "content": "And more."}), 2),  # two users
        (lambda m: m.insert(3, {"role": "system", "content": "New rules."}), 3),  # late system
    ],
)
def test_out_of_order_roles(good: dict[str, Any], edit: Any, index: int) -> None:
    edit(good["messages"])
    assert found(verify(good, ["structure"])) == {("bad_role_order", index)}


def test_a_result_that_comes_late_blames_the_message_in_between(good: dict[str, Any]) -> None:
    messages = good["messages"]
    messages.insert(5, {"role": "user", "content": "Hurry up please."})  # between call and result
    report = verify(good, ["structure"])
    assert found(report) == {("bad_role_order", 5)}
    assert "waits for its result" in report.findings[0][1].detail


def test_env_feedback_may_follow_a_tool_result(good: dict[str, Any]) -> None:
    feedback = {"role": "user", "name": "gem_env", "content": "[gem_env] could not be read"}
    good["messages"].insert(6, feedback)  # tool -> env feedback -> assistant
    assert verify(good, ["structure"]).passed
    plain_user = {"role": "user", "content": "[gem_env] could not be read"}
    good["messages"][6] = plain_user
    assert found(verify(good, ["structure"])) == {("bad_role_order", 6)}


def test_a_call_without_result_is_an_orphan_tool_call(good: dict[str, Any]) -> None:
    good["messages"] = good["messages"][:13]  # ends on the assistant's borrow_book call
    good.pop("final_state_hash")
    report = verify(good, ["structure"])
    assert found(report) == {("orphan_tool_call", 12)}


def test_a_result_for_no_call_is_an_orphan_tool_result(good: dict[str, Any]) -> None:
    good["messages"][5]["tool_call_id"] = "call_nobody"
    assert found(verify(good, ["structure"])) == {
        ("orphan_tool_result", 5),
        ("orphan_tool_call", 4),
    }


def test_a_second_result_for_one_call_is_an_orphan(good: dict[str, Any]) -> None:
    good["messages"].insert(6, copy.deepcopy(good["messages"][5]))
    assert found(verify(good, ["structure"])) == {("orphan_tool_result", 6)}


def test_a_reused_call_id_is_a_duplicate(good: dict[str, Any]) -> None:
    good["messages"][12]["tool_calls"][0]["id"] = "call_1"
    good["messages"][13]["tool_call_id"] = "call_1"
    report = verify(good)
    assert found(report) == {("duplicate_call_id", 12)}


@pytest.mark.parametrize("index", [2, 6, 15])
def test_empty_messages(good: dict[str, Any], index: int) -> None:
    good["messages"][index]["content"] = "   "
    assert ("empty_message", index) in found(verify(good, ["structure"]))


def test_a_tool_call_turn_without_text_is_not_empty(good: dict[str, Any]) -> None:
    assert good["messages"][4]["content"] is None
    assert verify(good, ["structure"]).passed


# -- call validity -------------------------------------------------------------------


def _set_call(good: dict[str, Any], index: int, *, name: str | None = None, args: Any = None):
    function = good["messages"][index]["tool_calls"][0]["function"]
    if name is not None:
        function["name"] = name
    if args is not None:
        function["arguments"] = args if isinstance(args, str) else json.dumps(args)


def test_unknown_tool(good: dict[str, Any]) -> None:
    _set_call(good, 4, name="find_books")
    report = verify(good)
    assert found(report) == {("unknown_tool", 4)}  # no observation_mismatch for it
    assert "did you mean find_book" in report.findings[0][1].detail


@pytest.mark.parametrize("args", ['{"title_words": "garden"', "[1, 2]", '{"x": NaN}'])
def test_malformed_arguments(good: dict[str, Any], args: str) -> None:
    _set_call(good, 4, args=args)
    assert found(verify(good)) == {("malformed_arguments", 4)}


def test_invalid_arguments(good: dict[str, Any]) -> None:
    _set_call(good, 8, args={"card_number": "C1001", "book_id": 7})
    assert found(verify(good)) == {("invalid_arguments", 8)}


def test_call_validity_without_a_compilable_toolkit_uses_the_schemas(
    good: dict[str, Any],
) -> None:
    good["toolkit"]["source"] += "\ndef broken(:\n"
    _set_call(good, 8, args={"card_number": "1001", "book_id": "B-7"})
    report = verify(good, ["call_validity"])
    assert found(report) == {("invalid_arguments", 8)}
    assert "does not match" in report.findings[0][1].detail


def test_call_validity_is_skipped_when_the_toolkit_is_not_a_toolkit(
    good: dict[str, Any],
) -> None:
    good["toolkit"] = {"format": "gem-env/toolkit@1", "name": "x"}
    result = verify(good, ["call_validity", "replay"])
    assert result.check("call_validity").skipped  # type: ignore[union-attr]
    assert found(result) == {("toolkit_error", None)}


# -- replay --------------------------------------------------------------------------


def test_a_toolkit_that_does_not_compile(good: dict[str, Any]) -> None:
    good["toolkit"]["source"] = good["toolkit"]["source"].replace(
        "def find_book", "import os\ndef find_book"
    )
    report = verify(good)
    assert ("toolkit_error", None) in found(report)
    assert "does not compile" in report.check("replay").findings[0].detail  # type: ignore[union-attr]
    # nothing replayed: invariants are skipped, goal assertions are not shown to hold
    assert report.check("invariants").skipped  # type: ignore[union-attr]
    assert ("goal_unmet", None) in found(report)


def test_an_invalid_initial_state_is_a_toolkit_error(good: dict[str, Any]) -> None:
    good["scenario"]["initial_state"] = {"today": "monday"}
    report = verify(good, ["replay"])
    assert found(report) == {("toolkit_error", None)}
    assert "initial state" in report.findings[0][1].detail


def test_a_changed_tool_output_is_an_observation_mismatch(good: dict[str, Any]) -> None:
    good["messages"][13]["content"] = '{"due_day":222,"loan_id":"L-41"}'
    report = verify(good, ["replay"])
    assert found(report) == {("observation_mismatch", 13)}
    assert "222" in report.findings[0][1].detail


def test_an_invented_error_is_an_observation_mismatch(good: dict[str, Any]) -> None:
    good["messages"][9]["content"] = '{"error": "Loan limit reached"}'
    assert found(verify(good, ["replay"])) == {("observation_mismatch", 9)}


def test_a_non_json_tool_output_is_an_observation_mismatch(good: dict[str, Any]) -> None:
    good["messages"][13]["content"] = "Loan L-41 created, due day 221"
    report = verify(good, ["replay"])
    assert found(report) == {("observation_mismatch", 13)}
    assert "not JSON" in report.findings[0][1].detail


def test_outputs_compare_as_parsed_json(good: dict[str, Any]) -> None:
    good["messages"][13]["content"] = '{ "loan_id": "L-41",\n  "due_day": 221.0 }'
    assert verify(good, ["replay"]).passed


def test_same_json_keeps_booleans_apart_from_numbers() -> None:
    assert same_json({"a": [1, 2.0]}, {"a": [1.0, 2]})
    assert not same_json({"ok": True}, {"ok": 1})
    assert not same_json([0], [False])
    assert not same_json({"a": 1}, {"a": 1, "b": 2})
    assert not same_json("1", 1)


def test_a_changed_final_state_hash(good: dict[str, Any]) -> None:
    good["final_state_hash"] = "sha256:" + "f" * 64
    assert found(verify(good)) == {("final_state_mismatch", None)}


def test_no_hash_means_nothing_to_compare(good: dict[str, Any]) -> None:
    del good["final_state_hash"]
    assert verify(good).passed


def test_a_call_the_recording_dropped_changes_the_final_state(good: dict[str, Any]) -> None:
    # a model wrote the loan as done but never called the tool: the state says otherwise
    good["messages"][12:14] = [{"role": "assistant", "content": "Done: loan L-41, day 221."}]
    good["messages"].pop(13)
    report = verify(good)
    assert ("final_state_mismatch", None) in found(report)
    assert ("goal_unmet", None) in found(report)


# -- invariants ----------------------------------------------------------------------

_COUNTER = toolkit(
    "def add(state, n):\n    state['count'] += n\n    return {'count': state['count']}\n",
    {"add": {"n": {"type": "integer"}}},
    state={"count": 0},
    invariants=[{"description": "count stays at most 5", "expr": "state['count'] <= 5"}],
)


def test_a_call_that_breaks_an_invariant_keeps_its_result() -> None:
    data = recorded_trajectory(
        _COUNTER,
        [
            ("user", "add 3, then 4, then 2"),
            ("call", "add", {"n": 3}),
            ("assistant", "ok"),
            ("user", "go on"),
            ("call", "add", {"n": 4}),
            ("call", "add", {"n": 2}),
            ("assistant", "done"),
            ("user", "bye"),
        ],
    )
    report = verify(data)
    # the add of 4 (message 6) breaks it; the add of 2 keeps it broken: reported once
    assert found(report) == {("invariant_violated", 6)}
    assert "count stays at most 5" in report.findings[0][1].detail
    assert report.check("replay").passed  # type: ignore[union-attr]


def test_invariants_that_hold_give_no_finding() -> None:
    data = recorded_trajectory(
        _COUNTER, [("user", "add 3"), ("call", "add", {"n": 3}), ("assistant", "ok")]
    )
    assert verify(data).passed


def test_an_initial_state_that_breaks_an_invariant() -> None:
    scenario = {
        "id": "s",
        "system_prompt": "Count.",
        "user": {"goal": "x"},
        "initial_state": {"count": 9},
    }
    data = recorded_trajectory(
        _COUNTER, [("user", "hi"), ("assistant", "hello")], scenario=scenario
    )
    report = verify(data)
    assert found(report) == {("invariant_violated", None)}
    assert "initial state" in report.findings[0][1].detail


# -- goal ----------------------------------------------------------------------------


def test_an_assertion_that_does_not_hold(good: dict[str, Any]) -> None:
    good["scenario"]["goal_assertions"].append(
        {"description": "Ana borrowed B-7", "expr": "'L-42' in state['loans']"}
    )
    report = verify(good)
    assert found(report) == {("goal_unmet", None)}
    assert "Ana borrowed B-7" in report.findings[0][1].detail


def test_an_assertion_that_does_not_compile_is_unmet(good: dict[str, Any]) -> None:
    good["scenario"]["goal_assertions"] = [{"expr": "state['loans'].__class__"}]
    report = verify(good, ["goal"])
    assert found(report) == {("goal_unmet", None)}


def test_a_required_output_never_said(good: dict[str, Any]) -> None:
    good["scenario"]["required_outputs"] = ["DAY 221", "loan L-42"]
    report = verify(good)
    assert found(report) == {("missing_required_output", None)}  # case-insensitive match
    assert "loan L-42" in report.findings[0][1].detail


def test_only_the_assistant_says_required_outputs(good: dict[str, Any]) -> None:
    good["scenario"]["required_outputs"] = ["Great, thanks"]  # said by the user only
    assert found(verify(good, ["goal"])) == {("missing_required_output", None)}


# -- grounding -----------------------------------------------------------------------


def test_an_id_the_user_never_gave_is_ungrounded(good: dict[str, Any]) -> None:
    good["messages"][3]["content"] = "It's on my card."
    report = verify(good, ["grounding"])
    assert found(report) == {("ungrounded_argument", 8), ("ungrounded_argument", 12)}
    assert 'card_number = "C1001"' in report.findings[0][1].detail


def test_the_assistants_own_words_never_ground(good: dict[str, Any]) -> None:
    good["messages"][3]["content"] = "It's on my card."
    good["messages"][2]["content"] = "Is your card number C1001?"
    assert ("ungrounded_argument", 8) in found(verify(good, ["grounding"]))


def test_values_from_tool_outputs_ground(good: dict[str, Any]) -> None:
    # B-9 is only ever in the find_book output (message 5) before the call at 12
    good["messages"][6]["content"] = "I found two books. Which one?"
    good["messages"][10]["content"] = "Sorry, none left. Shall I lend the other one?"
    assert verify(good, ["grounding"]).passed


def test_grounding_is_word_bounded(good: dict[str, Any]) -> None:
    good["messages"][3]["content"] = "It's C10011."
    assert ("ungrounded_argument", 8) in found(verify(good, ["grounding"]))


_SHOP = toolkit(
    "def order(state, sku, qty, size, price=0, note='', lines=None):\n    return {'ok': True}\n",
    {
        "order": {
            "sku": {"type": "string"},
            "qty": {"type": "integer"},
            "size": {"type": "string", "enum": ["S", "M", "XL2"]},
            "price": {"type": "number"},
            "note": {"type": "string"},
            "lines": {
                "type": "array",
                "items": {"type": "object", "properties": {"code": {"type": "string"}}},
            },
        }
    },
    required={"order": ["sku", "qty", "size"]},
)


_ORDER = {"sku": "SKU-88", "qty": 3, "size": "M"}


def _shop(user_text: str, args: dict[str, Any]) -> dict[str, Any]:
    return recorded_trajectory(
        _SHOP, [("user", user_text), ("call", "order", args), ("assistant", "Ordered.")]
    )


@pytest.mark.parametrize(
    ("text", "args", "ungrounded"),
    [
        ("2 of SKU-88 in XL2", {"sku": "SKU-88", "qty": 2, "size": "XL2"}, []),
        ("SKU-88 please", {"sku": "SKU-88", "qty": 1, "size": "S"}, []),  # 1 never checked
        ("two of SKU-88", {"sku": "SKU-88", "qty": 2, "size": "M"}, ["qty"]),
        ("3 of SKU-8", {"sku": "SKU-88", "qty": 3, "size": "M"}, ["sku"]),
        ("SKU-88 x3 at 20 each", {"sku": "SKU-88", "qty": 3, "size": "M", "price": 20.0}, ["qty"]),
        ("3 x SKU-88 at $19.50", {"sku": "SKU-88", "qty": 3, "size": "M", "price": 19.5}, []),
        ("3 x SKU-88, for ana@x.org", {**_ORDER, "note": "ana@x.org"}, []),
        ("3 x SKU-88", {"sku": "SKU-88", "qty": 3, "size": "M", "note": "to ana@x.org"}, ["note"]),
        ("3 x SKU-88", {"sku": "SKU-88", "qty": 3, "size": "M", "note": "gift wrap"}, []),
        ("3 x SKU-88", {**_ORDER, "lines": [{"code": "Z9"}]}, ["lines[0].code"]),
        ("3 x SKU-88 and Z9", {**_ORDER, "lines": [{"code": "Z9"}]}, []),
        ("3 x SKU-88 for L-21.5", {"sku": "SKU-88", "qty": 3, "size": "M", "price": 21}, ["price"]),
    ],
)  # fmt: skip
def test_grounding_of_ids_and_numbers(text: str, args: dict[str, Any], ungrounded: list[str]):
    report = verify(_shop(text, args), ["grounding"])
    paths = [f.detail.split(": ", 1)[1].split(" = ")[0] for _, f in report.findings]
    assert paths == ungrounded
    assert all(f.message_index == 2 for _, f in report.findings)


def test_env_feedback_does_not_ground(good: dict[str, Any]) -> None:
    good["messages"][3]["content"] = "It's on my card."
    good["messages"].insert(
        4, {"role": "assistant", "content": "<tool_call>{bad json C1001</tool_call>"}
    )
    good["messages"].insert(
        5, {"role": "user", "name": "gem_env", "content": "[gem_env] unreadable: C1001"}
    )
    assert ("ungrounded_argument", 10) in found(verify(good, ["grounding"]))


# -- the API -------------------------------------------------------------------------


def test_verify_rejects_what_is_not_a_trajectory(good: dict[str, Any]) -> None:
    with pytest.raises(NotATrajectoryError, match="read_trajectories"):
        verify(42)  # type: ignore[arg-type]
    with pytest.raises(NotATrajectoryError, match="format"):
        verify({**good, "format": "other@1"})


def test_checks_by_name_and_their_errors(good: dict[str, Any]) -> None:
    assert [c.name for c in verify(good, ["goal", "structure"]).checks] == ["goal", "structure"]
    with pytest.raises(UnknownCheckError, match="did you mean replay"):
        verify(good, ["replya"])
    with pytest.raises(CheckConfigError, match="given twice"):
        verify(good, ["replay", ReplayCheck()])
    with pytest.raises(CheckConfigError, match="sequence"):
        verify(good, "structure")
    with pytest.raises(CheckConfigError, match="judge_model"):
        verify(good, ["judge"])


def test_a_check_emitting_a_foreign_code_is_a_bug_said_loudly(good: dict[str, Any]) -> None:
    class Sloppy(Check):
        name = "sloppy"
        codes = ("sloppy_code",)

        def inspect(self, context: Any) -> list[Finding]:
            return [self.finding("goal_unmet", None, "not mine")]

    with pytest.raises(CheckConfigError, match="not one of its codes"):
        verify(good, [Sloppy()])


def test_a_custom_check_joins_the_report(good: dict[str, Any]) -> None:
    class LongConversation(Check):
        name = "length"
        codes = ("too_long",)

        def inspect(self, context: Any) -> list[Finding]:
            n = len(context.trajectory.messages)
            return [self.finding("too_long", n - 1, f"{n} messages")] if n > 10 else []

    report = verify(good, [*DEFAULT_CHECKS, LongConversation()])
    assert found(report) == {("too_long", 15)}


@pytest.mark.parametrize(
    "check",
    [
        StructureCheck(),
        CallValidityCheck(),
        ReplayCheck(),
        InvariantCheck(),
        GoalCheck(),
        GroundingCheck(),
    ],
)
def test_each_check_runs_alone(good: dict[str, Any], check: Check) -> None:
    result = check.run(good)
    assert result.name == check.name and result.passed
    assert set(check.codes) == set(CODES[check.name])
