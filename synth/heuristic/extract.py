"""`extract`: a procedure's workflow, the toolkit that executes it and a scenario, from
the text alone (no model).

A text from which no toolkit can be made raises `ExtractionError`, a `ValueError`
whose `reason` is a stable code for the outcome ledger and whose message says what was
found: ``no_steps`` (no instruction at all), ``no_action_steps`` (only waits and steps
by hand), ``extractor_error`` (a defect of this extractor on that text, with the
exception; never anything else escapes). `relevance` may still call such a text
relevant: the pipeline records the extraction outcome.
"""

from __future__ import annotations

import builtins
import keyword

from synth.heuristic.design import Design, design
from synth.heuristic.features import summary_of, tags_of
from synth.heuristic.rules import condition_rule, extract_rules
from synth.heuristic.scenario_writer import write_scenario
from synth.heuristic.steps import extract_steps
from synth.heuristic.toolkit_writer import write_toolkit
from synth.stages.answers import ExtractionAnswer, WorkflowAnswer, WorkflowRule, WorkflowStep

__all__ = ["ExtractionError", "extract"]

_MAX_TEXT = 200_000
_RESERVED = (
    set(dir(builtins)) | set(keyword.kwlist) | {"state", "confirmation", "done", "todo", "step"}
)


class ExtractionError(ValueError):
    """No toolkit can be made from the text.

    Attributes:
        reason: a stable code for the ledger (``no_steps``, ``no_action_steps``,
            ``extractor_error``).
    """

    def __init__(self, reason: str, message: str):
        super().__init__(f"{reason}: {message}")
        self.reason = reason


def _safe_names(d: Design) -> None:
    """Rename tools and parameters that would shadow Python names in the sandbox."""
    renamed: dict[str, str] = {}
    for t in d.tools:
        if t.name in _RESERVED or t.name.startswith("get_"):
            new = f"{t.name}_step"
            renamed[t.name] = new
            t.name = new
        for p in t.params:
            if p.name in _RESERVED or not p.name.isidentifier():
                p.name = f"{p.name}_value" if p.name.isidentifier() else "value"
    for t in d.tools:
        if t.requires in renamed:
            t.requires = renamed[t.requires]
    for i, name in list(d.step_tool.items()):
        if name in renamed:
            d.step_tool[i] = renamed[name]
    for i, name in list(d.rule_tool.items()):
        if name in renamed:
            d.rule_tool[i] = renamed[name]


def _workflow(d: Design) -> WorkflowAnswer:
    steps = []
    for i, s in enumerate(d.steps):
        steps.append(
            WorkflowStep(
                id=f"s{i + 1}",
                text=s.span.text,
                tool=d.step_tool.get(i),
                depends_on=[f"s{i}"] if i else [],
                condition=s.condition,
            )
        )
    graph = "->".join(f"({t.name})" for t in d.tools)
    rules = [
        WorkflowRule(
            text=r.span.text, enforced_by={"tool": d.rule_tool[i]} if d.rule_tool.get(i) else None
        )
        for i, r in enumerate(d.rules)
    ]
    return WorkflowAnswer(
        description=d.summary or "A procedure", steps=steps, execution_graph=graph, rules=rules
    )


def extract(text: str, document_id: str) -> ExtractionAnswer:
    """The workflow, toolkit and scenario of a procedure text (see the module docstring).

    Raises:
        ExtractionError: the text has no action step to make a tool of.
    """
    try:
        return _extract(text, document_id)
    except ExtractionError:
        raise
    except Exception as exc:  # a defect of the heuristics must not stop a pipeline
        raise ExtractionError("extractor_error", f"{type(exc).__name__}: {exc}") from exc


def _extract(text: str, document_id: str) -> ExtractionAnswer:
    text = (text or "")[:_MAX_TEXT]
    steps = extract_steps(text)
    if not steps:
        raise ExtractionError(
            "no_steps", "the text has no instruction (imperative step) to make a tool of"
        )
    rules = [
        condition_rule(text, s.span, s.condition, i) for i, s in enumerate(steps) if s.condition
    ]
    rules += extract_rules(text, [s.span for s in steps])
    rules = rules[:10]
    domain, platform, _ = tags_of(text)
    summary = summary_of(text, steps)
    d = design(steps, rules, text, (domain, platform), summary)
    if not d.tools:
        raise ExtractionError(
            "no_action_steps", "every step is a wait or done by hand; no tool to make"
        )
    _safe_names(d)
    toolkit = write_toolkit(d, document_id)
    scenario = write_scenario(d, document_id)
    return ExtractionAnswer(workflow=_workflow(d), toolkit=toolkit, scenarios=[scenario])
