"""`gem_env.check_scenario` and `gem-env check-scenario`: each code fires on a scenario
built to trip it, every bundled scenario passes, and no agent that skips the task is
paid on a bundled scenario (real episodes, both rewards)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import gem_env
from gem_env.env import ToolUseEnv
from gem_env.messages import Message
from gem_env.participants import HeuristicUser
from gem_env.rewards import GoalReward
from gem_env.rollouts import run_episode
from gem_env.scenario import Scenario
from gem_env.scenario_check import SCENARIO_CODES, check_scenario
from gem_env.scenarios import bundled_scenario, bundled_scenarios
from synth.cli import main
from verifiers import VerifierReward

SCENARIOS = bundled_scenarios()
IDS = [s.id for s in SCENARIOS]
CLINIC = "clinic_appointments"
PROMPT = (
    "You are the front desk of Lakeside Family Clinic.\nPolicy:\n"
    "- Identify the patient by last name and date of birth.\n"
    "- Patients with an unpaid balance over $100 cannot book."
)


def _scenario(**fields: Any) -> Scenario:
    """A clinic scenario for Ruth Adler (PAT-3005, balance 15000 cents) with `fields`."""
    base: dict[str, Any] = {
        "id": "built",
        "toolkit": CLINIC,
        "system_prompt": PROMPT,
        "user": {
            "goal": "Please book me a check-up.",
            "known_info": {"last_name": "Adler", "date_of_birth": "1949-01-09"},
        },
        "goal_assertions": [
            {
                "description": "unchanged",
                "expr": "state['patients']['PAT-3005']['balance_cents'] == 15000",
            }
        ],
        "required_outputs": [],
    }
    base.update(fields)
    return Scenario.model_validate(base)


def _codes(scenario: Scenario, **options: Any) -> list[str]:
    return [f.code for f in check_scenario(scenario, **options).findings]


# -- each code fires ---------------------------------------------------------------------


def test_an_assertion_that_does_not_compile_or_evaluate_is_assertion_error() -> None:
    bad = [
        {"expr": "state['patients'] =="},  # syntax
        {"expr": "undefined_helper(state) == 1"},  # NameError: no state can fix it
        {"expr": "state['patients']['PAT-3005'].itemz() == []"},  # no such method
    ]
    report = check_scenario(_scenario(goal_assertions=bad, required_outputs=["$150.00"]))
    errors = [f for f in report.findings if f.code == "assertion_error"]
    assert [f.assertion for f in errors] == [0, 1, 2] and not report.passed
    assert "does not compile" in errors[0].detail and "NameError" in errors[1].detail


def test_an_assertion_that_never_ends_is_an_assertion_error_not_a_hang() -> None:
    forever = [{"expr": "sum(1 for _ in range(10**12)) > 0"}]
    (finding,) = check_scenario(_scenario(goal_assertions=forever), search=False).findings
    assert finding.code == "assertion_error" and "initial state" in finding.detail


def test_a_lookup_of_what_the_goal_creates_is_not_an_assertion_error() -> None:
    later = [{"expr": "state['appointments']['APT-9999']['status'] == 'booked'"}]
    codes = _codes(_scenario(goal_assertions=later), search=False)
    assert "assertion_error" not in codes  # a KeyError now: the agent may create it


@pytest.mark.parametrize(
    ("where", "text"),
    [("system prompt", "Lakeside"), ("opening message", "check-up"), ("known fact", "1949-01-09")],
)
def test_a_required_output_the_agent_is_given_is_required_output_given(
    where: str, text: str
) -> None:
    report = check_scenario(_scenario(required_outputs=["$150.00", text]), search=False)
    given = [f for f in report.findings if f.code == "required_output_given"]
    assert [f.output for f in given] == [1] and where.split()[0] in given[0].detail


def test_a_goal_that_holds_with_nothing_to_say_pays_the_do_nothing_agent() -> None:
    assert _codes(_scenario(), search=False) == ["pays_do_nothing"]


def test_a_goal_that_holds_with_outputs_from_the_prompt_pays_the_echo_agent() -> None:
    codes = _codes(_scenario(required_outputs=["unpaid balance"]), search=False)
    assert codes == ["required_output_given", "pays_echo"]


def test_a_goal_that_holds_with_outputs_no_tool_gives_is_goal_already_met() -> None:
    assert _codes(_scenario(required_outputs=["zebra crossing"])) == ["goal_already_met"]
    # the balance only find_patient shows ($150.00 from balance_cents 15000): valid
    assert check_scenario(_scenario(required_outputs=["$150.00"])).passed


def test_a_goal_no_call_reaches_is_unreachable_goal() -> None:
    never = [{"expr": "state['patients']['PAT-3005']['balance_cents'] == 1"}]  # no tool sets it
    report = check_scenario(_scenario(goal_assertions=never), max_calls=500)
    assert [f.code for f in report.findings] == ["unreachable_goal"]
    assert report.searched and 0 < report.calls_tried <= 500 + 50


def test_evidence_over_calls_is_reachable_only_when_a_read_shows_it() -> None:
    read = (
        "any(c['name'] == 'find_patient' and c['ok'] and any(m['patient_id'] == 'PAT-3005' "
        "for m in c['result']['matches']) for c in calls)"
    )
    assert check_scenario(_scenario(goal_assertions=[{"expr": read}])).passed
    wrong = read.replace("PAT-3005", "PAT-0000")  # no read can show it
    assert _codes(_scenario(goal_assertions=[{"expr": wrong}])) == ["unreachable_goal"]


def test_every_code_has_a_test_here() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    assert all(f'"{code}"' in source for code in SCENARIO_CODES)


# -- bundled scenarios ---------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_every_bundled_scenario_is_valid(scenario: Scenario) -> None:
    report = gem_env.check_scenario(scenario)
    assert report.passed, [f"{f.code}: {f.detail}" for f in report.findings]


class DoNothing:
    """Makes no call and ends the episode."""

    name = "do_nothing"

    def reset(self, view: Any, tools: list[dict[str, Any]], seed: int | None) -> None:
        pass

    async def act(self, messages: list[Message], tools: list[dict[str, Any]]) -> Message:
        return Message.assistant("###STOP###")


class Echo:
    """Makes no call and repeats the system prompt and everything the user said."""

    name = "echo"

    def reset(self, view: Any, tools: list[dict[str, Any]], seed: int | None) -> None:
        pass

    async def act(self, messages: list[Message], tools: list[dict[str, Any]]) -> Message:
        said = [m.content or "" for m in messages if m.role in ("system", "user")]
        return Message.assistant("\n".join(said))


@pytest.mark.parametrize("reward", [GoalReward, VerifierReward])
@pytest.mark.parametrize("agent", [DoNothing, Echo])
def test_agents_that_skip_the_task_earn_nothing_on_any_bundled_scenario(
    agent: type, reward: type
) -> None:
    env = ToolUseEnv(scenarios=SCENARIOS, user=HeuristicUser(), reward=reward())
    paid = [s.id for s in SCENARIOS if run_episode(env, agent(), scenario=s, seed=0).reward > 0]
    assert paid == []


# -- the command ---------------------------------------------------------------------------


def test_cli_bundled_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-scenario", "--bundled", "--no-search"]) == 0
    out = capsys.readouterr()
    assert out.out.count("PASS ") == len(SCENARIOS) and "0 invalid" in out.err


def test_cli_reports_findings_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = bundled_scenario("clinic_refuse_booking_with_unpaid_balance").model_dump()
    bad = _scenario(id="loophole", required_outputs=["billing"]).model_dump()
    bad["system_prompt"] += " Send them to billing."
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    assert main(["check-scenario", str(path), "--json"]) == 1
    out = capsys.readouterr()
    reports = [json.loads(line) for line in out.out.splitlines()]
    assert [(r["id"], r["passed"]) for r in reports] == [(good["id"], True), ("loophole", False)]
    assert {f["code"] for f in reports[1]["findings"]} == {"required_output_given", "pays_echo"}
    assert "1 invalid" in out.err and "pays_echo 1" in out.err


def test_cli_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.json"
    path.write_text('[{"id": "x", "system_prompt": "p",\n "user": {"goal": "g"},, }]')
    assert main(["check-scenario", str(path)]) == 2
    assert f"{path}:2:" in capsys.readouterr().err  # the syntax error, located
    assert main(["check-scenario"]) == 2
    assert "FILE or --bundled" in capsys.readouterr().err
    nameless = tmp_path / "n.json"
    nameless.write_text(json.dumps([_scenario(toolkit=None).model_dump()]))
    assert main(["check-scenario", str(nameless)]) == 2
    assert "--toolkit" in capsys.readouterr().err
