"""Scenario validity (DESIGN.md section 5, `gem-env check-scenario`): a reward must be
earned by doing what the goal needs.

`check_scenario(scenario, toolkit)` returns a `ScenarioReport` whose findings carry
stable codes (`SCENARIO_CODES`):

- ``assertion_error``: a goal assertion does not compile, or fails on the initial state
  with an error that no later state can fix (an undefined name, a method that does not
  exist, a resource limit). A lookup of something not yet there (``KeyError``,
  ``IndexError``, ``TypeError`` on a None) is not an error: the goal may create it.
- ``required_output_given``: a required output is already said by the system prompt,
  the user's opening message or one of the user's known facts; saying it shows nothing.
- ``pays_do_nothing``: an agent that makes no call and says nothing would be paid
  (every assertion holds on the initial state and no required output is asked for).
- ``pays_echo``: an agent that makes no call and repeats the system prompt and the
  user's words (the opening message and every known fact) would be paid.
- ``goal_already_met``: every assertion holds on the initial state and no required
  output needs what only a tool result holds: one that no public text says and some
  tool result the search saw does (as JSON, or said aloud: cents as dollars). Without
  the search, any required output not given counts as such.
- ``unreachable_goal``: the bounded search of `gem_env.participants.planner.Planner`
  (the oracle's, which uses only facts an agent can get) finds no calls after which
  every assertion holds, the assertions over `calls` included.

The do-nothing and echo verdicts are exact for the goal reward (`gem_env.goals`): an
agent that makes no call leaves the initial state and an empty `calls`. The search is
the only expensive part (``search=False`` skips it: the static checks take
milliseconds).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from gem_env.goal_calls import bind_calls
from gem_env.goals import said
from gem_env.participants._text import say
from gem_env.participants.explain import summary
from gem_env.participants.planner import Planner
from gem_env.scenario import Scenario, named_toolkit
from toolkits import (
    CompiledToolkit,
    CompileError,
    compile_expression,
    compile_toolkit,
    load_toolkit,
)
from toolkits.spec import ToolkitSpec
from toolkits.trust import Isolation

__all__ = ["SCENARIO_CODES", "ScenarioFinding", "ScenarioReport", "check_scenario"]

SCENARIO_CODES = (
    "assertion_error",
    "required_output_given",
    "pays_do_nothing",
    "pays_echo",
    "goal_already_met",
    "unreachable_goal",
)

# Errors of an assertion on the initial state that a later state may fix: what it looks
# up is not there yet (an appointment the agent will book, a label not yet issued).
_NOT_YET = ("KeyError", "IndexError", "TypeError")


class ScenarioFinding(BaseModel):
    """One reason a scenario is not valid."""

    code: str = Field(description="One of SCENARIO_CODES.")
    detail: str = Field(description="What is wrong and what to change.")
    assertion: int | None = Field(default=None, description="Index of the goal assertion.")
    output: int | None = Field(default=None, description="Index of the required output.")


class ScenarioReport(BaseModel):
    """The verdict on one scenario: valid when it has no finding."""

    id: str
    passed: bool
    findings: list[ScenarioFinding] = Field(default_factory=list)
    searched: bool = Field(description="Whether the bounded search ran (reachability).")
    calls_tried: int = Field(default=0, description="Tool calls the search made.")


def check_scenario(
    scenario: Scenario | dict[str, Any],
    toolkit: CompiledToolkit | ToolkitSpec | dict[str, Any] | str | Path | None = None,
    *,
    search: bool = True,
    max_calls: int = 20_000,
    isolation: Isolation = "auto",
) -> ScenarioReport:
    """Check one scenario against its toolkit (see the module docstring for the codes).

    Args:
        scenario: the scenario (a dict is validated).
        toolkit: the toolkit (compiled, spec, dict or path); None: the one the scenario
            names (a bundled example or a toolkit file). A compiled toolkit is reset and used as is.
        search: run the bounded search for reachability (and for the tool results a
            required output may come from).
        max_calls: the search budget, in tool calls.
        isolation: how a toolkit compiled here runs (``"auto"``: a model-written one in
            a worker process).

    Raises:
        ValueError: no toolkit given and the scenario names none.
        SpecError / CompileError / UnknownExampleError: the toolkit is invalid.
        StateError: the scenario's initial state does not fit the toolkit.
    """
    if not isinstance(scenario, Scenario):
        scenario = Scenario.model_validate(scenario)
    compiled = _compiled(scenario, toolkit, isolation)
    try:
        return _check(scenario, compiled, search, max_calls)
    finally:
        if compiled is not toolkit:
            compiled.close()


def _check(
    scenario: Scenario, toolkit: CompiledToolkit, search: bool, max_calls: int
) -> ScenarioReport:
    findings: list[ScenarioFinding] = []
    toolkit.reset(scenario.initial_state)
    holds = []
    for i, assertion in enumerate(scenario.goal_assertions):
        verdict, problem = _initially(toolkit, assertion.expr)
        holds.append(verdict)
        if problem is not None:
            findings.append(ScenarioFinding(code="assertion_error", detail=problem, assertion=i))
    user = scenario.user
    facts = {key: say(value) for key, value in user.known_info.items()}
    given = [
        ("the system prompt", scenario.system_prompt),
        ("the user's opening message", user.goal),
    ]
    given += [(f"the user's known fact {key!r}", text) for key, text in facts.items()]
    required = scenario.required_outputs
    free = []  # indexes of the required outputs no public text says
    for j, text in enumerate(required):
        where = [name for name, public in given if said(text, public)]
        if where:
            findings.append(
                ScenarioFinding(
                    code="required_output_given",
                    detail=f"required output {text!r} is already said by {where[0]}: an agent "
                    "that repeats it shows nothing; ask for a value only a tool result holds",
                    output=j,
                )
            )
        else:
            free.append(j)
    all_hold = all(holds)
    if all_hold and all(said(text, "") for text in required):
        findings.append(_paid("pays_do_nothing", "makes no call and says nothing", required))
    echo = "\n".join(public for _, public in given)
    if all_hold and required and all(said(text, echo) for text in required):
        findings.append(
            _paid("pays_echo", "makes no call and repeats the prompt and the user", required)
        )
    report = ScenarioReport(id=scenario.id, passed=True, searched=search)
    results: list[str] = []
    if search and not any(f.code == "assertion_error" for f in findings):
        planner = Planner(toolkit, scenario, max_calls=max_calls)
        plan = planner.plan()
        report.calls_tried = plan.calls_tried
        seen = [*planner.reads, *plan.calls]
        results = [c.content for c in seen] + [summary(c.value) for c in seen]
        if not plan.goal_met:
            why = (
                "no sequence of calls found"
                if plan.reason != "goal_already_holds"
                else ("the goal holds, but no read meets the assertions over calls")
            )
            findings.append(
                ScenarioFinding(
                    code="unreachable_goal",
                    detail=f"{why} within {max_calls} tool calls of bounded search "
                    f"({plan.calls_tried} tried, from facts an agent can get: the prompt, "
                    "the user's known facts, tool results); check the assertions' values "
                    "and that the user knows what the calls need",
                )
            )
    evidence = [j for j in free if not search or any(said(required[j], r) for r in results)]
    paid = any(f.code.startswith("pays_") for f in findings)
    if all_hold and not paid and not evidence:
        findings.append(
            ScenarioFinding(
                code="goal_already_met",
                detail="every goal assertion holds on the initial state and no required "
                "output needs what only a tool result holds: add an assertion over a read "
                "the agent must make (`calls`) or a required output a tool returns",
            )
        )
    report.findings = findings
    report.passed = not findings
    return report


def _initially(toolkit: CompiledToolkit, expr: str) -> tuple[bool, str | None]:
    """Whether an assertion holds on the initial state (no calls made), and the problem
    when it cannot be a goal (None when it can)."""
    try:
        compile_expression(expr, "_goal_", path="goal_assertion")
    except CompileError as exc:
        return False, f"does not compile: {exc}"
    try:
        result = toolkit.evaluate(f"bool({bind_calls(expr, [])})")
    except CompileError as exc:
        return False, f"does not compile: {exc}"
    if result.ok:
        return result.content == "true", None
    error = result.error or ""
    if error.startswith(_NOT_YET):
        return False, None
    return False, f"does not evaluate on the initial state: {error}"


def _paid(code: str, who: str, required: Sequence[str]) -> ScenarioFinding:
    said_too = (
        f", and the prompt and the user's words already say every required output "
        f"({', '.join(map(repr, required))})"
        if required
        else ", and no output is required"
    )
    return ScenarioFinding(
        code=code,
        detail=f"an agent that {who} would be paid: every goal assertion already holds on "
        f"the initial state{said_too}; make the goal need a change of state, a read "
        "(an assertion over `calls`) or a value only a tool result holds",
    )


def _compiled(
    scenario: Scenario,
    toolkit: CompiledToolkit | ToolkitSpec | dict[str, Any] | str | Path | None,
    isolation: Isolation,
) -> CompiledToolkit:
    if isinstance(toolkit, CompiledToolkit):
        return toolkit
    if toolkit is None:
        if not scenario.toolkit:
            raise ValueError(
                f"scenario {scenario.id!r} names no toolkit: pass toolkit=... "
                "(on the command line: --toolkit FILE)"
            )
        spec = named_toolkit(scenario.toolkit)
    else:
        spec = load_toolkit(toolkit)
    return compile_toolkit(spec, isolation=isolation)
