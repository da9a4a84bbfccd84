"""The bundled example toolkits: loading, conformance, happy paths and policy refusals."""

from __future__ import annotations

from typing import Any

import pytest

from toolkits import (
    ErrorKind,
    Toolkit,
    ToolkitSpec,
    UnknownExampleError,
    compile_toolkit,
)
from toolkits.examples import example_names, example_path, load_example

EXAMPLES = ["clinic_appointments", "it_helpdesk_accounts", "online_store_returns"]


def _compiled(name: str) -> Toolkit:
    return compile_toolkit(load_example(name), check_state=True, check_invariants=True)


def _ok(tk: Toolkit, name: str, args: dict[str, Any]) -> Any:
    result = tk.call(name, args)
    assert result.ok, f"{name}({args}) failed: {result.error_kind}: {result.error}"
    assert result.state_errors == []
    assert result.invariant_violations == []
    return result.value


def _refused(tk: Toolkit, name: str, args: dict[str, Any], words: str) -> str:
    before = tk.state_hash()
    result = tk.call(name, args)
    assert not result.ok, f"{name}({args}) should have been refused, got {result.value}"
    assert result.error_kind == ErrorKind.tool_error, (result.error_kind, result.error)
    assert tk.state_hash() == before
    assert words.lower() in (result.error or "").lower(), result.error
    return result.error or ""


# --- loader -------------------------------------------------------------------------


def test_example_names_lists_the_bundled_files() -> None:
    names = example_names()
    assert names == sorted(names)
    assert set(EXAMPLES) <= set(names)
    for name in names:
        assert example_path(name).is_file()
        assert example_path(name).suffix == ".json"


def test_load_example_returns_a_spec_named_like_the_file() -> None:
    spec = load_example("clinic_appointments")
    assert isinstance(spec, ToolkitSpec)
    assert spec.name == "clinic_appointments"


def test_unknown_example_suggests_close_matches() -> None:
    with pytest.raises(UnknownExampleError) as info:
        load_example("clinic_appointment")
    assert "'clinic_appointments'" in str(info.value)
    with pytest.raises(KeyError):  # UnknownExampleError is also a KeyError
        example_path("no_such_toolkit_anywhere")


# --- conformance --------------------------------------------------------------------


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_compiles_with_a_valid_initial_state(name: str) -> None:
    spec = load_example(name)
    assert spec.name == name
    assert 6 <= len(spec.tools) <= 12
    assert len(spec.invariants) >= 2
    tk = _compiled(name)
    assert tk.tool_names == spec.tool_names
    assert tk.state_errors() == []
    assert tk.check_invariants() == []


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_parameters_are_closed_and_nested(name: str) -> None:
    spec = load_example(name)
    nested = 0
    for tool in spec.tools:
        params = tool.function.parameters
        assert params.get("additionalProperties") is False, tool.function.name
        for prop in params["properties"].values():
            inner = prop.get("items", prop)
            if inner.get("type") == "object":
                nested += 1
                assert inner.get("additionalProperties") is False, tool.function.name
    assert nested >= 2


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_passes_the_toolkit_checker(name: str) -> None:
    from toolkits import check_toolkit

    report = check_toolkit(load_example(name), examples=15)
    assert report.passed, report


@pytest.mark.parametrize(
    ("name", "tool", "args"),
    [
        ("online_store_returns", "get_order", {"order_id": "ORD-1001"}),
        ("online_store_returns", "search_products", {"query": "tee"}),
        ("it_helpdesk_accounts", "lookup_user", {"query": {"field": "name", "value": "ellis"}}),
        ("it_helpdesk_accounts", "list_licenses", {}),
        (
            "clinic_appointments",
            "check_coverage",
            {"patient_id": "PAT-3001", "specialty": "dermatology"},
        ),
        (
            "clinic_appointments",
            "search_slots",
            {"specialty": "primary_care", "date_from": "2025-03-17", "date_to": "2025-03-21"},
        ),
    ],
)
def test_read_only_tools_answer_without_changing_state(name: str, tool: str, args: dict) -> None:
    tk = _compiled(name)
    before = tk.state_hash()
    value = _ok(tk, tool, args)
    assert isinstance(value, dict) and value
    assert tk.state_hash() == before


# --- online_store_returns -----------------------------------------------------------

_ADDRESS = {
    "name": "Maya Chen",
    "street": "12 Elm Street",
    "city": "Austin",
    "postal_code": "78701",
    "country": "US",
}


def _store_refund_path(tk: Toolkit) -> None:
    found = _ok(tk, "find_orders", {"email": "Maya.Chen@example.com"})
    assert "ORD-1001" in [o["order_id"] for o in found["orders"]]
    order = _ok(tk, "get_order", {"order_id": "ORD-1001"})
    headphones = next(line for line in order["lines"] if line["sku"] == "SKU-HP-200")
    assert headphones["within_return_window"] and headphones["returnable_quantity"] == 1
    rma = _ok(
        tk,
        "create_rma",
        {
            "order_id": "ORD-1001",
            "items": [
                {"line_id": "L2", "quantity": 1, "reason": "changed_mind", "condition": "opened"}
            ],
            "resolution": "refund",
        },
    )
    rma_id = rma["rma_id"]
    label = _ok(
        tk, "issue_return_label", {"rma_id": rma_id, "carrier": "UPS", "ship_from": _ADDRESS}
    )
    assert label["tracking_number"]
    _ok(tk, "receive_return", {"rma_id": rma_id})
    _ok(tk, "issue_refund", {"rma_id": rma_id})


def test_store_refund_of_opened_electronics_deducts_fees() -> None:
    tk = _compiled("online_store_returns")
    _store_refund_path(tk)
    state = tk.state
    (rma,) = [r for r in state["rmas"].values() if r["order_id"] == "ORD-1001"]
    assert rma["status"] == "refunded"
    price = 12999
    fee = price * state["policy"]["restocking_fee_percent"] // 100
    shipping = state["policy"]["return_shipping_fee_cents"]
    refund = state["refunds"][-1]
    assert refund["amount_cents"] == price - fee - shipping
    assert refund["method"] == "card"
    assert state["orders"]["ORD-1001"]["items"][1]["rma_qty"] == 1


def test_store_replay_is_deterministic() -> None:
    first, second = _compiled("online_store_returns"), _compiled("online_store_returns")
    _store_refund_path(first)
    _store_refund_path(second)
    assert first.state_hash() == second.state_hash()


def test_store_exchange_ships_same_price_replacement() -> None:
    tk = _compiled("online_store_returns")
    stock_before = tk.state["products"]["SKU-TEE-BLK-L"]["stock"]
    rma = _ok(
        tk,
        "create_rma",
        {
            "order_id": "ORD-1001",
            "items": [
                {"line_id": "L1", "quantity": 1, "reason": "wrong_size", "condition": "unopened"}
            ],
            "resolution": "exchange",
        },
    )
    assert rma["shipping_fee_cents"] == 0 and rma["refund_due_cents"] == 0
    rma_id = rma["rma_id"]
    _refused(
        tk,
        "ship_exchange",
        {"rma_id": rma_id, "replacements": [{"line_id": "L1", "sku": "SKU-TEE-BLK-L"}]},
        "label",
    )
    _ok(tk, "issue_return_label", {"rma_id": rma_id, "carrier": "USPS", "ship_from": _ADDRESS})
    _refused(
        tk,
        "ship_exchange",
        {"rma_id": rma_id, "replacements": [{"line_id": "L1", "sku": "SKU-HP-200"}]},
        "same price",
    )
    _ok(
        tk,
        "ship_exchange",
        {"rma_id": rma_id, "replacements": [{"line_id": "L1", "sku": "SKU-TEE-BLK-L"}]},
    )
    state = tk.state
    assert state["rmas"][rma_id]["status"] == "exchanged"
    assert state["products"]["SKU-TEE-BLK-L"]["stock"] == stock_before - 1


def test_store_gift_card_order_refunds_as_store_credit() -> None:
    tk = _compiled("online_store_returns")
    lamp = {"line_id": "L3", "quantity": 1, "reason": "changed_mind", "condition": "unopened"}
    _refused(
        tk,
        "create_rma",
        {"order_id": "ORD-1004", "items": [lamp], "resolution": "refund"},
        "store credit",
    )
    rma_id = _ok(
        tk, "create_rma", {"order_id": "ORD-1004", "items": [lamp], "resolution": "store_credit"}
    )["rma_id"]
    _ok(tk, "issue_return_label", {"rma_id": rma_id, "carrier": "FEDEX", "ship_from": _ADDRESS})
    _ok(tk, "receive_return", {"rma_id": rma_id})
    refund = _ok(tk, "issue_refund", {"rma_id": rma_id})
    state = tk.state
    assert refund["method"] == "store_credit"
    assert (
        state["customers"]["CUS-203"]["store_credit_cents"] == refund["amount_cents"] == 5900 - 599
    )
    assert state["products"]["SKU-LAMP-OAK"]["stock"] == 5  # unopened: restocked


@pytest.mark.parametrize(
    ("order_id", "item", "words"),
    [
        (
            "ORD-1002",
            {"line_id": "L1", "reason": "defective", "condition": "opened"},
            "return window",
        ),
        (
            "ORD-1005",
            {"line_id": "L1", "reason": "changed_mind", "condition": "unopened"},
            "15-day",
        ),
        (
            "ORD-1004",
            {"line_id": "L1", "reason": "changed_mind", "condition": "unopened"},
            "final-sale",
        ),
        ("ORD-1004", {"line_id": "L2", "reason": "wrong_size", "condition": "opened"}, "hygiene"),
        (
            "ORD-1003",
            {"line_id": "L1", "reason": "changed_mind", "condition": "unopened"},
            "delivery",
        ),
    ],
)
def test_store_return_policy_refusals(order_id: str, item: dict, words: str) -> None:
    tk = _compiled("online_store_returns")
    args = {"order_id": order_id, "items": [{**item, "quantity": 1}], "resolution": "store_credit"}
    _refused(tk, "create_rma", args, words)


def test_store_final_sale_defective_item_is_returnable() -> None:
    tk = _compiled("online_store_returns")
    scarf = {"line_id": "L1", "quantity": 1, "reason": "defective", "condition": "opened"}
    rma = _ok(
        tk, "create_rma", {"order_id": "ORD-1004", "items": [scarf], "resolution": "store_credit"}
    )
    assert rma["refund_due_cents"] == 1800


def test_store_refund_waits_for_receipt_and_received_rma_cannot_be_cancelled() -> None:
    tk = _compiled("online_store_returns")
    tee = {"line_id": "L1", "quantity": 2, "reason": "wrong_size", "condition": "unopened"}
    rma_id = _ok(
        tk, "create_rma", {"order_id": "ORD-1001", "items": [tee], "resolution": "refund"}
    )["rma_id"]
    _refused(tk, "issue_refund", {"rma_id": rma_id}, "after the return is received")
    _ok(tk, "issue_return_label", {"rma_id": rma_id, "carrier": "UPS", "ship_from": _ADDRESS})
    _ok(tk, "receive_return", {"rma_id": rma_id})
    _refused(tk, "cancel_rma", {"rma_id": rma_id}, "not yet received")


def test_store_cancelled_rma_frees_the_quantity() -> None:
    tk = _compiled("online_store_returns")
    tee = {"line_id": "L1", "quantity": 2, "reason": "wrong_size", "condition": "unopened"}
    args = {"order_id": "ORD-1001", "items": [tee], "resolution": "refund"}
    rma_id = _ok(tk, "create_rma", args)["rma_id"]
    _refused(tk, "create_rma", args, "only 0 of 2")
    _ok(tk, "cancel_rma", {"rma_id": rma_id})
    _ok(tk, "create_rma", args)


# --- it_helpdesk_accounts -----------------------------------------------------------

_JORDAN = {"date_of_birth": "1988-04-12", "badge_last4": "4821"}


def _open(tk: Toolkit, employee_id: str, category: str = "password") -> str:
    ticket = _ok(
        tk,
        "open_ticket",
        {"employee_id": employee_id, "category": category, "summary": "Caller needs help"},
    )
    return ticket["ticket_id"]


def test_helpdesk_unlock_and_reset_password() -> None:
    tk = _compiled("it_helpdesk_accounts")
    found = _ok(tk, "lookup_user", {"query": {"field": "username", "value": "JEllis"}})
    (user,) = found["matches"]
    assert user["status"] == "locked"
    employee_id = user["employee_id"]
    ticket_id = _open(tk, employee_id)
    assert _ok(tk, "verify_identity", {"employee_id": employee_id, "answers": _JORDAN})["verified"]
    _ok(tk, "unlock_account", {"employee_id": employee_id, "ticket_id": ticket_id})
    _ok(
        tk,
        "reset_password",
        {"employee_id": employee_id, "ticket_id": ticket_id, "new_password": "Copper-Kettle-2025"},
    )
    _ok(
        tk,
        "close_ticket",
        {"ticket_id": ticket_id, "resolution": {"code": "resolved", "note": "Unlocked and reset"}},
    )
    state = tk.state
    account = state["users"][employee_id]
    assert account["status"] == "active" and account["failed_logins"] == 0
    assert account["password"]["must_change"] is True
    assert account["password"]["last_changed"] == state["now"]
    assert len(account["password"]["history"]) == 5
    ticket = state["tickets"][ticket_id]
    assert ticket["status"] == "closed"
    assert [a["action"] for a in ticket["actions"]] == ["unlock_account", "reset_password"]


def test_helpdesk_approved_license_is_provisioned() -> None:
    tk = _compiled("it_helpdesk_accounts")
    args = {"employee_id": "EMP-1088", "license_id": "LIC-ADOBECC", "ticket_id": "INC-20416"}
    _refused(tk, "provision_license", args, "approval")
    _refused(
        tk,
        "close_ticket",
        {"ticket_id": "INC-20416", "resolution": {"code": "resolved", "note": "Done"}},
        "pending",
    )
    _refused(
        tk,
        "record_approval_decision",
        {"approval_id": "APR-311", "manager_id": "EMP-1007", "decision": "approved"},
        "manager",
    )
    _ok(
        tk,
        "record_approval_decision",
        {"approval_id": "APR-311", "manager_id": "EMP-1015", "decision": "approved"},
    )
    _ok(tk, "provision_license", {**args, "approval_id": "APR-311"})
    _refused(tk, "deprovision_license", {**args, "license_id": "LIC-M365"}, "core")
    state = tk.state
    assert "EMP-1088" in state["licenses"]["LIC-ADOBECC"]["assigned"]
    assert "LIC-ADOBECC" in state["users"]["EMP-1088"]["licenses"]
    assert state["approvals"]["APR-311"]["status"] == "used"


def test_helpdesk_privileged_group_needs_manager_approval() -> None:
    tk = _compiled("it_helpdesk_accounts")
    ticket_id = _open(tk, "EMP-1007", "access")
    add = {"employee_id": "EMP-1007", "group": "domain-admins", "ticket_id": ticket_id}
    _refused(tk, "add_to_group", add, "requires manager approval")
    approval = _ok(
        tk,
        "request_approval",
        {
            "employee_id": "EMP-1007",
            "ticket_id": ticket_id,
            "change": {"kind": "group_membership", "target": "domain-admins"},
            "justification": "ERP migration weekend",
        },
    )
    assert approval["approver"] == "EMP-1001"
    _refused(tk, "add_to_group", {**add, "approval_id": approval["approval_id"]}, "pending")
    decision = {
        "approval_id": approval["approval_id"],
        "manager_id": "EMP-1001",
        "decision": "approved",
    }
    _ok(tk, "record_approval_decision", decision)
    _ok(tk, "add_to_group", {**add, "approval_id": approval["approval_id"]})
    _ok(tk, "add_to_group", {**add, "group": "wiki-editors"})  # not privileged: no approval
    assert {"domain-admins", "wiki-editors"} <= set(tk.state["users"]["EMP-1007"]["groups"])


def test_helpdesk_refuses_changes_before_identity_verification() -> None:
    tk = _compiled("it_helpdesk_accounts")
    ticket_id = _open(tk, "EMP-1042")
    args = {"employee_id": "EMP-1042", "ticket_id": ticket_id}
    _refused(tk, "unlock_account", args, "not verified")
    wrong = {"employee_id": "EMP-1042", "answers": {**_JORDAN, "badge_last4": "0000"}}
    for remaining in (2, 1, 0):
        result = _ok(tk, "verify_identity", wrong)
        assert result == {
            "employee_id": "EMP-1042",
            "verified": False,
            "attempts_remaining": remaining,
        }
    _refused(tk, "verify_identity", {"employee_id": "EMP-1042", "answers": _JORDAN}, "blocked")
    _refused(tk, "unlock_account", args, "not verified")


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("Short1!", "at least 12 characters"),
        ("alllowercaseletters", "3 of"),
        ("Jellis-2025-Secure", "username"),
        ("Autumn2024!Ledger", "last 5 passwords"),
    ],
)
def test_helpdesk_password_policy(password: str, words: str) -> None:
    tk = _compiled("it_helpdesk_accounts")
    ticket_id = _open(tk, "EMP-1042")
    args = {"employee_id": "EMP-1042", "ticket_id": ticket_id, "new_password": password}
    _ok(tk, "verify_identity", {"employee_id": "EMP-1042", "answers": _JORDAN})
    _refused(tk, "reset_password", args, "unlock")
    _ok(tk, "unlock_account", {"employee_id": "EMP-1042", "ticket_id": ticket_id})
    _refused(tk, "reset_password", args, words)


def test_helpdesk_license_pool_is_finite() -> None:
    tk = _compiled("it_helpdesk_accounts")
    ticket_id = _open(tk, "EMP-1007", "software")
    args = {"employee_id": "EMP-1007", "license_id": "LIC-FIGMA", "ticket_id": ticket_id}
    _refused(tk, "provision_license", args, "no free")
    free_ticket = _open(tk, "EMP-1088", "software")
    _ok(
        tk,
        "deprovision_license",
        {"employee_id": "EMP-1088", "license_id": "LIC-FIGMA", "ticket_id": free_ticket},
    )
    assert _ok(tk, "provision_license", args)["seats_free"] == 0


# --- clinic_appointments ------------------------------------------------------------


def test_clinic_book_with_referral_and_reschedule() -> None:
    tk = _compiled("clinic_appointments")
    (match,) = _ok(tk, "find_patient", {"last_name": "garcia", "date_of_birth": "1979-06-02"})[
        "matches"
    ]
    patient_id = match["patient_id"]
    coverage = _ok(tk, "check_coverage", {"patient_id": patient_id, "specialty": "dermatology"})
    assert coverage["referral_required"] and coverage["valid_referral_id"] == "REF-88120"
    slots = _ok(
        tk,
        "search_slots",
        {"specialty": "dermatology", "date_from": "2025-03-17", "date_to": "2025-03-24"},
    )["slots"]
    slot_id = slots[0]["slot_id"]
    booked = _ok(
        tk,
        "book_appointment",
        {
            "patient_id": patient_id,
            "slot_id": slot_id,
            "visit": {"type": "consultation", "reason": "Rash"},
        },
    )
    _ok(tk, "reschedule_appointment", {"appointment_id": "APT-7002", "new_slot_id": "SLT-0105"})
    state = tk.state
    appt = state["appointments"][booked["appointment_id"]]
    assert appt["status"] == "booked" and appt["referral_id"] == "REF-88120"
    assert appt["copay_cents"] == state["plans"]["PLN-HMO1"]["copay_cents"]["dermatology"]
    assert state["slots"][slot_id]["appointment_id"] == booked["appointment_id"]
    assert state["appointments"]["APT-7002"]["slot_id"] == "SLT-0105"
    assert state["slots"]["SLT-0103"] == {
        **state["slots"]["SLT-0103"],
        "status": "open",
        "appointment_id": None,
    }
    booked_ids = [
        a["appointment_id"]
        for a in _ok(
            tk, "get_patient_appointments", {"patient_id": patient_id, "status": "booked"}
        )["appointments"]
    ]
    assert sorted(booked_ids) == sorted(["APT-7002", booked["appointment_id"]])


def test_clinic_referral_unlocks_hmo_specialist_booking() -> None:
    tk = _compiled("clinic_appointments")
    book = {
        "patient_id": "PAT-3004",
        "slot_id": "SLT-0402",
        "visit": {"type": "new_patient", "reason": "Back pain"},
    }
    _refused(tk, "book_appointment", book, "requires a valid referral")
    referral = {
        "referral_id": "REF-90211",
        "specialty": "physical_therapy",
        "referring_physician": "Dr. Amara Okafor",
        "valid_until": "2025-06-17",
    }
    _ok(tk, "record_referral", {"patient_id": "PAT-3004", "referral": referral})
    _refused(
        tk, "record_referral", {"patient_id": "PAT-3001", "referral": referral}, "already on file"
    )
    result = _ok(tk, "book_appointment", book)
    assert result["copay_cents"] == 3000 and result["payment"] == "insurance"


def test_clinic_out_of_network_requires_self_pay() -> None:
    tk = _compiled("clinic_appointments")
    book = {
        "patient_id": "PAT-3001",
        "slot_id": "SLT-0302",
        "visit": {"type": "consultation", "reason": "Palpitations"},
    }
    _refused(tk, "book_appointment", book, "out of network")
    result = _ok(tk, "book_appointment", {**book, "payment": "self_pay"})
    assert result["copay_cents"] == tk.state["policy"]["self_pay_rate_cents"]["cardiology"]


@pytest.mark.parametrize(
    ("tool", "args", "words"),
    [
        (
            "reschedule_appointment",
            {"appointment_id": "APT-7001", "new_slot_id": "SLT-0302"},
            "24 hours",
        ),
        (
            "book_appointment",
            {
                "patient_id": "PAT-3005",
                "slot_id": "SLT-0104",
                "visit": {"type": "follow_up", "reason": "Check"},
            },
            "unpaid balance",
        ),
        (
            "book_appointment",
            {
                "patient_id": "PAT-3002",
                "slot_id": "SLT-0101",
                "visit": {"type": "follow_up", "reason": "Check"},
            },
            "in the past",
        ),
        (
            "book_appointment",
            {
                "patient_id": "PAT-3002",
                "slot_id": "SLT-0201",
                "visit": {"type": "annual_physical", "reason": "Yearly"},
            },
            "primary care only",
        ),
        (
            "reschedule_appointment",
            {"appointment_id": "APT-7002", "new_slot_id": "SLT-0201"},
            "the appointment is primary_care",
        ),
        ("cancel_appointment", {"appointment_id": "APT-6998", "reason": "illness"}, "cancelled"),
    ],
)
def test_clinic_policy_refusals(tool: str, args: dict, words: str) -> None:
    tk = _compiled("clinic_appointments")
    _refused(tk, tool, args, words)


def test_clinic_late_cancellation_charges_the_fee() -> None:
    tk = _compiled("clinic_appointments")
    fee = tk.state["policy"]["late_cancel_fee_cents"]
    late = _ok(tk, "cancel_appointment", {"appointment_id": "APT-7001", "reason": "illness"})
    early = _ok(
        tk, "cancel_appointment", {"appointment_id": "APT-7002", "reason": "schedule_conflict"}
    )
    state = tk.state
    assert late["late_cancellation_fee_cents"] == fee and early["late_cancellation_fee_cents"] == 0
    assert state["patients"]["PAT-3002"]["balance_cents"] == fee
    assert state["patients"]["PAT-3001"]["balance_cents"] == 0
    assert state["slots"]["SLT-0301"]["status"] == "open"


def test_clinic_waitlist_limits() -> None:
    tk = _compiled("clinic_appointments")

    def request(specialty: str) -> dict:
        window = {
            "earliest_date": "2025-03-20",
            "latest_date": "2025-04-30",
            "time_of_day": "morning",
        }
        return {"patient_id": "PAT-3004", "request": {"specialty": specialty, **window}}

    _refused(tk, "add_to_waitlist", request("primary_care"), "already on the primary_care waitlist")
    entry = _ok(tk, "add_to_waitlist", request("cardiology"))
    _refused(tk, "add_to_waitlist", request("dermatology"), "at most 2")
    _ok(tk, "remove_from_waitlist", {"entry_id": entry["entry_id"]})
    _ok(tk, "add_to_waitlist", request("dermatology"))
    past = request("cardiology")
    past["request"]["earliest_date"] = "2025-03-01"
    _ok(tk, "remove_from_waitlist", {"entry_id": "WL-41"})
    _refused(tk, "add_to_waitlist", past, "in the past")
