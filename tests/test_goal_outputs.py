"""Required outputs: word-bounded, case- and whitespace-insensitive, numbers as numbers.

`gem_env.goals.said` is the rule; `output_outcomes` (used by `GoalReward` and the
verifier's goal check) applies it to the assistant messages. The messages here are
hand-written; none is LLM output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gem_env.goals import output_outcomes, said
from gem_env.messages import Message
from verifiers import verify

FIXTURE = Path(__file__).parent / "fixtures" / "trajectory-library_loans.jsonl"


# -- the examples of the rule (a substring match got the first group wrong) -----------

WRONG_BEFORE = [  # (required, message, said?): the old substring match disagreed
    ("$45.00", "45", True),
    ("$45.00", "$45", True),
    ("1,000", "1000", True),
    ("$50", "$500", False),
    ("RMA-5", "RMA-5002", False),
]
KEPT = [  # the old match agreed; they pin the number rule down
    ("45", "45.00", True),
    ("45", "$45.00", True),
    ("$50", "50.5", False),
]


@pytest.mark.parametrize(("required", "message", "expected"), WRONG_BEFORE + KEPT)
def test_the_examples_of_the_rule(required: str, message: str, expected: bool) -> None:
    assert said(required, message) is expected
    # the same inside a sentence, and through output_outcomes
    sentence = f"Your total is {message}, as agreed."
    assert said(required, sentence) is expected
    [outcome] = output_outcomes([Message.assistant(sentence)], [required])
    assert outcome.text == required and outcome.found is expected


@pytest.mark.parametrize(
    ("required", "message"),
    [
        ("RMA-5002", "Your return RMA-5002 is open."),
        ("store credit", "I issued STORE\n   Credit for it."),
        ("WL-42", "(waitlist WL-42)"),
        ("09:30", "Booked for 09:30."),
        ("09:30", "start 2025-03-21T09:30, Dr. Herrera"),  # the T of an ISO date-time
        ("1,000", "a limit of $1,000.00"),
        ("1000", "a limit of 1,000"),
        ("1,234,567", "1234567"),
        ("45.5", "45.50"),
        ("$0.50", "a fee of 0.5 dollars"),
        ("INC-20417", "ticket INC-20417."),
        ("refund of $45.00", "a REFUND  of 45"),
    ],
)
def test_said(required: str, message: str) -> None:
    assert said(required, message)


@pytest.mark.parametrize(
    ("required", "message"),
    [
        ("cancelled", "uncancelled"),  # inside a word
        ("final sale", "finalsale"),
        ("RMA-5002", "RMA-50021"),
        ("$50", "$50.50"),
        ("$50", "$5,000"),
        ("45", "145"),
        ("45", "45.001"),
        ("45", "4.5"),
        ("9:30", "09:30"),
        ("09:30", "x09:30"),
        ("007", "7"),  # leading zeros make a code, not a number
        ("100", "1,00"),
        ("WL-42", "WL-42.5"),
    ],
)
def test_not_said(required: str, message: str) -> None:
    assert not said(required, message)


def test_only_assistant_messages_count() -> None:
    messages = [
        Message.system("Refunds over $50 need approval."),
        Message.user("I paid $45."),
        Message.assistant("Let me look."),
    ]
    outcomes = output_outcomes(messages, ["$50", "$45", "look"])
    assert [(o.text, o.found) for o in outcomes] == [("$50", False), ("$45", False), ("look", True)]


def test_each_message_is_matched_on_its_own() -> None:
    # a text split across two messages is not said
    messages = [Message.assistant("store"), Message.assistant("credit")]
    assert not output_outcomes(messages, ["store credit"])[0].found


@pytest.fixture
def good() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8").splitlines()[0])


def test_the_verifier_uses_the_rule(good: dict[str, Any]) -> None:
    # the fixture's agent says "Done: loan L-41, due back on day 221."
    assert verify(good, ["goal"]).passed
    good["scenario"]["required_outputs"] = ["loan L-4"]  # a prefix of the loan id
    report = verify(good, ["goal"])
    assert [(f.code, f.message_index) for _, f in report.findings] == [
        ("missing_required_output", None)
    ]
    good["scenario"]["required_outputs"] = ["DAY 221.00", "l-41"]  # the same number, case
    assert verify(good, ["goal"]).passed
