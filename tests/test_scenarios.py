"""The bundled example scenarios: valid, on their toolkits, and well-posed.

A scenario whose id contains ``refuse`` asks for something the policy forbids: its goal
assertions say the relevant state is unchanged, so they hold initially. Every other
scenario needs work: at least one assertion is false initially.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from gem_env.errors import GemEnvError, ScenarioError
from gem_env.goal_calls import bind_calls, uses_calls
from gem_env.scenario import Scenario, load_scenarios
from gem_env.scenarios import bundled_scenario, bundled_scenarios, scenario_files
from toolkits import Toolkit, ToolkitSpec
from toolkits.examples import example_names, load_example

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = bundled_scenarios()


@functools.cache
def _spec(name: str) -> ToolkitSpec:
    return load_example(name)


def _ids(scenarios: list[Scenario]) -> list[str]:
    return [s.id for s in scenarios]


def test_every_example_toolkit_has_at_least_four_scenarios_one_of_them_a_refusal() -> None:
    assert {p.stem for p in scenario_files()} == set(example_names())
    for name in example_names():
        mine = bundled_scenarios(name)
        assert len(mine) >= 4, name
        assert all(s.toolkit == name for s in mine)
        assert any("refuse" in s.id for s in mine), f"{name} has no policy-refusal scenario"
        assert any("refuse" not in s.id for s in mine)


def test_files_load_with_the_public_loader_and_ids_are_unique() -> None:
    loaded = [s for path in scenario_files() for s in load_scenarios(path)]
    assert _ids(loaded) == _ids(SCENARIOS)
    assert len(set(_ids(loaded))) == len(loaded)
    load_scenarios([s.model_dump() for s in loaded])  # duplicates across files would raise


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_ids(SCENARIOS))
def test_scenario_is_well_posed_on_its_toolkit(scenario: Scenario) -> None:
    toolkit = Toolkit(_spec(scenario.toolkit or ""))
    toolkit.reset(scenario.initial_state)  # an override must be valid against the schema
    assert not toolkit.check_invariants()
    assert scenario.system_prompt.strip() and "olicy" in scenario.system_prompt
    assert scenario.user.goal.strip() and scenario.user.persona.strip()
    assert scenario.user.known_info, "the user must know facts to reveal when asked"
    assert scenario.goal_assertions
    assert scenario.max_turns >= 8
    initially = []
    for assertion in scenario.goal_assertions:
        assert assertion.description
        expr = bind_calls(assertion.expr, [])  # no call made yet
        result = toolkit.evaluate(f"bool({expr})")
        assert result.ok, f"{assertion.expr!r} does not evaluate: {result.error}"
        initially.append((uses_calls(assertion.expr), toolkit.holds(expr)[0]))
    if "refuse" in scenario.id:
        state_only = [held for over_calls, held in initially if not over_calls]
        assert all(state_only), "a refusal scenario leaves the state as it is"
        evidence = [held for over_calls, held in initially if over_calls]
        assert evidence or scenario.required_outputs, "a refusal needs evidence of a read"
        assert not evidence or not all(evidence), "the evidence needs a call the agent makes"
    else:
        assert scenario.required_outputs
        assert not all(held for _, held in initially), (
            "the goal must not hold before the agent acts"
        )


def test_a_scenario_overrides_the_initial_state() -> None:
    overriding = [s for s in SCENARIOS if s.initial_state is not None]
    assert overriding
    for s in overriding:
        assert s.initial_state != load_example(s.toolkit or "").initial_state


def test_lookup_by_toolkit_and_id_with_suggestions() -> None:
    first = SCENARIOS[0]
    assert bundled_scenario(first.id) == first
    with pytest.raises(GemEnvError, match="Did you mean"):
        bundled_scenarios("clinic_appointment")
    with pytest.raises(GemEnvError, match="no bundled scenario"):
        bundled_scenario(first.id + "x")


def test_scenarios_are_package_data() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    section = text.split("[tool.setuptools.package-data]", 1)[1].split("\n[", 1)[0]
    assert 'gem_env = ["scenarios/*.json"]' in section


def test_a_file_is_one_json_document_however_many_lines_unless_it_is_jsonl(
    tmp_path: Path,
) -> None:
    items = [s.model_dump(exclude_none=True) for s in SCENARIOS[:2]]
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps({"scenarios": items}, indent=2), encoding="utf-8")
    assert _ids(load_scenarios(pretty)) == _ids(SCENARIOS[:2])
    lines = pretty.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].rstrip().removesuffix(",")  # the comma ending `"id": ...,`
    pretty.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenarios(pretty)
    (problem,) = info.value.problems
    assert (problem.line, problem.col, problem.message) == (5, 7, "Expecting ',' delimiter")
    assert info.value.source == str(pretty)
    assert f"{pretty}:5:7: Expecting ',' delimiter" in str(info.value)

    jsonl = tmp_path / "s.jsonl"
    jsonl.write_text(json.dumps(items[0]) + "\n\n" + json.dumps({"id": "x"}) + "\n")
    with pytest.raises(ScenarioError) as info:
        load_scenarios(jsonl)
    assert [(p.line, p.path) for p in info.value.problems] == [
        (3, "system_prompt"),
        (3, "user"),
    ]
