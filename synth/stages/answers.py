"""What each stage asks a model for: pydantic models whose JSON Schema is sent as the
structured-output schema (`response_format`), and into which every answer is parsed.

These are the contract between the stages, the prompt templates (which describe the
same fields) and every backend, the offline heuristic one included (`synth.heuristic`
returns these models). The workflow fields follow DESIGN.md section 3.5; the toolkit is
a `gem-env/toolkit@1` document (section 3.1) and each scenario a section 3.2 scenario.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ExtractionAnswer",
    "RelevanceAnswer",
    "WorkflowAnswer",
    "WorkflowRule",
    "WorkflowStep",
    "answer_schema",
]


class RelevanceAnswer(BaseModel):
    """GEM's relevance decision for one text segment, with tags."""

    model_config = ConfigDict(extra="ignore")

    relevant: bool = Field(
        description="True when the text describes a multi-step procedure carried out by "
        "operating an app, a website, a computer or a machine (not a recipe, a craft, a "
        "workout, travel tips, or text that is no procedure)."
    )
    procedural: bool | None = Field(
        default=None,
        description="Whether the text is a procedure at all (steps to follow), whether or "
        "not it operates a system: a recipe is procedural, a news item is not.",
    )
    reason: str = Field(
        default="",
        description="Why, in one sentence; for a drop, what the text is instead.",
    )
    summary: str = Field(default="", description="What the procedure achieves, in one line.")
    domain: str = Field(default="", description="Field of the procedure, e.g. retail, IT, health.")
    platform: str = Field(
        default="", description="What is operated: e.g. web app, mobile app, router, printer."
    )
    tags: list[str] = Field(default_factory=list, description="Task tags, e.g. ['returns'].")


class WorkflowStep(BaseModel):
    """One step of the procedure, in the text's own words."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(description="Short unique id, e.g. 's1'.")
    text: str = Field(description="The step as the text says it (a span or close paraphrase).")
    tool: str | None = Field(
        default=None,
        description="The tool that performs the step; null for a step outside the system "
        "(the user's physical action).",
    )
    depends_on: list[str] = Field(default_factory=list, description="Ids of earlier steps.")
    condition: str | None = Field(
        default=None, description="A condition the step needs, as the text says it."
    )


class WorkflowRule(BaseModel):
    """A condition from the text and what makes it executable."""

    model_config = ConfigDict(extra="ignore")

    text: str = Field(description="The condition, as the text says it.")
    enforced_by: dict[str, Any] | None = Field(
        default=None,
        description='{"tool": name} (a precondition that raises ToolError), '
        '{"invariant": index} (an invariant of the toolkit), or null (policy only).',
    )


class WorkflowAnswer(BaseModel):
    """The workflow of a procedure (DESIGN.md section 3.5, without the ids the pipeline adds)."""

    model_config = ConfigDict(extra="ignore")

    description: str = Field(description="What the workflow achieves.")
    steps: list[WorkflowStep] = Field(min_length=1)
    execution_graph: str = Field(
        default="", description="GEM's notation: (login)->(search)->(book, notify)."
    )
    rules: list[WorkflowRule] = Field(default_factory=list)


class ExtractionAnswer(BaseModel):
    """The workflow, the toolkit that executes it, and scenarios to ground on it."""

    model_config = ConfigDict(extra="ignore")

    workflow: WorkflowAnswer
    toolkit: dict[str, Any] = Field(
        description="A gem-env/toolkit@1 document: format, name, description, domain, "
        "tools (OpenAI function tools), state_schema, initial_state, source (Python: one "
        "function per tool, def <tool>(state, <params>), raising ToolError on a broken "
        "condition), invariants."
    )
    scenarios: list[dict[str, Any]] = Field(
        min_length=1,
        description="gem-env scenarios: id, system_prompt (the policy from the text), user "
        "{goal, persona, known_info}, goal_assertions [{description, expr}] over the final "
        "state (and `calls`), required_outputs, max_turns.",
    )


def answer_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema a backend is asked to answer with, as an OpenAI ``response_format``."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": model.__name__,
            "schema": model.model_json_schema(),
            "strict": False,
        },
    }
