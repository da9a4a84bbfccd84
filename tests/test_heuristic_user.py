"""The heuristic simulated user listens: it says yes to confirmation questions (done
words in them or next to them do not end the episode), reveals a known fact asked for in
other words (synonyms, word forms, camelCase keys, the tool parameter the fact feeds),
and never stops while the agent is still asking.

Every test here fails on the user that stopped at any "cannot" and matched only a
fact's key words.
"""

from __future__ import annotations

from typing import Any

import pytest

from gem_env.messages import Message
from gem_env.participants import HeuristicUser
from gem_env.participants._text import concept_words, key_words
from gem_env.participants.facts import feeds, parameter_slots
from gem_env.protocols import UserReply
from gem_env.scenario import Scenario
from gem_env.scenarios import bundled_scenario


def _scenario(known_info: dict[str, Any], base: str = "store_refund_defective_headphones"):
    data = bundled_scenario(base).model_dump()
    data["user"]["known_info"] = known_info
    return Scenario.model_validate(data)


def _answer(user: HeuristicUser, scenario: Scenario, text: str) -> UserReply:
    return user.reply([Message.user(scenario.user.goal), Message.assistant(text)])


def _fresh(scenario: Scenario, **kwargs: Any) -> HeuristicUser:
    user = HeuristicUser(**kwargs)
    user.reset(scenario, 0)
    return user


# -- 1. confirmation questions ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Shall I cancel it? Please note this cannot be undone.",
        "Do you want me to proceed? This cannot be undone.",
        "Can you confirm you want to cancel RMA-5002? Once cancelled it cannot be reopened.",
        "I will cancel the appointment. Is that OK? I'm unable to undo it later.",
    ],
)
def test_a_confirmation_question_gets_a_yes_before_done_words(text: str) -> None:
    scenario = bundled_scenario("store_cancel_open_return")
    reply = _answer(_fresh(scenario), scenario, text)
    assert reply == UserReply(content="Yes, please go ahead.", stop=False)


def test_done_words_inside_questions_do_not_end_the_episode() -> None:
    scenario = bundled_scenario("store_cancel_open_return")
    user = _fresh(scenario)
    for text in [
        "Is there a reason you cannot use the original card?",
        "Have you completed the return form?",
        "Were you unable to log in?",
    ]:
        reply = _answer(user, scenario, text)
        assert not reply.stop, text
        assert reply.content == "Sorry, I don't know that.", text
    # a question for information is not a yes/no question, nor is a choice
    assert _answer(user, scenario, "Which carrier should we ship with?").content == (
        "Sorry, I don't know that."
    )
    assert not _answer(user, scenario, "Should I refund it or open an exchange?").stop


# -- 2. facts asked for in other words -------------------------------------------------


def test_facts_are_revealed_when_asked_in_other_words() -> None:
    scenario = _scenario(
        {
            "email_address": "omar.haddad@example.com",
            "orderId": "ORD-1005",
            "phone_number": "555-0142",
            "full_name": "Omar Haddad",
            "date_of_birth": "1980-01-02",
            "credit_card_number": "4111-0000-1111-2222",
            "home_address": "18 Birch Lane, Dayton",
        }
    )
    asked = {
        "What is the email on the account?": ("email address", "omar.haddad@example.com"),
        "Could you give me your e-mail?": ("email address", "omar.haddad@example.com"),
        "Which order is it about?": ("order id", "ORD-1005"),
        "What's your order number?": ("order id", "ORD-1005"),
        "What is a good number to reach you?": ("phone number", "555-0142"),
        "Can I have your telephone?": ("phone number", "555-0142"),
        "What is your name?": ("full name", "Omar Haddad"),
        "When were you born?": ("date of birth", "1980-01-02"),
        "What's your birthday?": ("date of birth", "1980-01-02"),
        "Which card number should I refund?": ("credit card number", "4111-0000-1111-2222"),
        "What is your street address?": ("home address", "18 Birch Lane, Dayton"),
    }
    one, two = _fresh(scenario, max_replies=100), _fresh(scenario, max_replies=100)
    for question, (label, value) in asked.items():
        reply = _answer(one, scenario, question)
        assert reply == UserReply(content=f"Sure, here you go:\n- {label}: {value}"), question
        assert _answer(two, scenario, question) == reply  # deterministic
    # a compound is one thing: the email address is not the home address
    assert one.requested_facts("What is the email address on the account?") == [
        ("email address", "omar.haddad@example.com")
    ]


def test_a_fact_is_revealed_when_the_agent_asks_for_the_parameter_it_feeds() -> None:
    refund = bundled_scenario("store_refund_defective_headphones")
    reply = _answer(_fresh(refund), refund, "Where does the parcel ship from?")
    assert "42 Harbor Street" in reply.content and not reply.stop
    assert "maya.chen@example.com" not in reply.content
    late = bundled_scenario("clinic_late_cancel_and_waitlist")  # cancel_appointment(reason)
    assert _fresh(late).requested_facts("What is the reason?") == [("cancel reason", "illness")]
    # tools given explicitly (a toolkit the scenario does not name)
    tools = [
        {
            "type": "function",
            "function": {
                "name": "open_case",
                "parameters": {
                    "type": "object",
                    "properties": {"contact": {"description": "Email to send the receipt to"}},
                },
            },
        }
    ]
    custom = _scenario({"email": "omar.haddad@example.com"})
    data = custom.model_dump()
    data["toolkit"] = None
    custom = Scenario.model_validate(data)
    assert _fresh(custom).requested_facts("Which contact should I use?") == []
    assert _fresh(custom, tools=tools).requested_facts("Which contact should I use?") == [
        ("email", "omar.haddad@example.com")
    ]


def test_a_choice_question_that_offers_the_users_value_is_answered() -> None:
    scenario = bundled_scenario("store_refund_defective_headphones")
    reply = _answer(_fresh(scenario), scenario, "Would you like a refund or store credit?")
    assert reply.content == "Sure, here you go:\n- preferred resolution: refund"


def test_the_text_helpers_behind_the_matching() -> None:
    assert key_words("orderId") == "order id" and key_words("badge_last_4") == "badge last 4"
    assert concept_words("Could you give me the e-mail address?") == ["give", "email"]
    assert "phone" in concept_words("A number where we can reach you?")
    assert feeds("return_address", "ship_from", "Address the parcel ships from")
    assert feeds("preferred_resolution", "resolution")
    assert feeds("badge_last_4", "badge_last4")
    assert not feeds("order_id", "line_id", "Order line id, e.g. L1")
    nested = {"items": {"items": {"properties": {"reason": {"type": "string"}}}}}
    slots = parameter_slots([{"function": {"parameters": {"properties": nested}}}])
    assert slots == [("items", ""), ("reason", "")]


# -- 3. it never stops while the agent is still asking ---------------------------------


def test_the_user_answers_while_the_agent_asks_and_stops_when_it_is_done() -> None:
    scenario = bundled_scenario("store_cancel_open_return")  # knows only the email
    user = _fresh(scenario)
    asking = [
        "I couldn't find an order under that name. Could you tell me the order number?",
        "I'm unable to see a phone number on file. What number can I reach you at?",
        "I cannot open a return without your email. Please provide your email.",
    ]
    replies = [_answer(user, scenario, text) for text in asking]
    assert [r.stop for r in replies] == [False, False, False]
    assert replies[0].content == replies[1].content == "Sorry, I don't know that."
    assert "maya.chen@example.com" in replies[2].content
    # it still stops on a report, a refusal and the agent's stop marker
    report = "All done. Return RMA-5002 is cancelled. Is there anything else I can help with?"
    assert _answer(user, scenario, report).stop
    assert _answer(user, scenario, "I'm sorry, but I can't help with that.").stop
    assert _answer(user, scenario, "Thanks for calling. ###STOP###").stop
    # ... and at its reply budget, even while asked
    tired = _fresh(scenario, max_replies=1)
    assert not _answer(tired, scenario, "What is your email?").stop
    assert _answer(tired, scenario, "What is your order number?").stop
