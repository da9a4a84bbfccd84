"""Stage 2, extraction: workflow, toolkit and scenarios from a relevant segment, then
compile, `check_toolkit` and `check_scenario` in a worker process; on failure a repair
loop sends the exact errors back to the model (``repair_attempts`` times, default 2).
Every attempt is a ledger row with its raw output."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from synth.ledger import Outcome
from synth.prompts import render, template_parts
from synth.stages.answers import ExtractionAnswer, RelevanceAnswer, WorkflowAnswer
from synth.stages.base import Stage, StageContext, StageResult
from synth.stages.calls import ask_model

__all__ = ["Extracted", "ExtractionStage"]

_PREVIOUS_LIMIT = 12_000  # characters of the previous answer sent back for repair


@dataclass
class Extracted:
    """A checked extraction: the toolkit (normalized) and the scenarios that passed."""

    segment: Any
    relevance: RelevanceAnswer
    workflow: WorkflowAnswer
    toolkit: dict[str, Any]
    scenarios: list[dict[str, Any]]
    attempts: int


class ExtractionStage(Stage):
    """Extract and check, with repair rounds."""

    name: ClassVar[str] = "extraction"

    async def run(self, item: Any, ctx: StageContext) -> StageResult:
        """Extract from `item` (a `Relevant`); keep an `Extracted` when the checks pass."""
        segment = item.segment
        base = {"document_id": segment.document_id, "stage": self.name, "segment": segment.id}
        messages = render("extraction", document_id=segment.id, document=segment.text)
        outcomes: list[Outcome] = []
        rounds = 1 + ctx.config.repair_attempts
        previous = None  # the raw answer of the round before
        for attempt in range(1, rounds + 1):
            tag = "extraction" if attempt == 1 else "repair"
            asked = await ask_model(ctx, self.name, messages, ExtractionAnswer, tag=tag)
            raw = asked.raws[-1] if asked.raws else ""
            if asked.answer is None:
                errors, reason = [asked.error], asked.reason
            else:
                answer: ExtractionAnswer = asked.answer
                verdict = await ctx.checker.check(
                    answer.model_dump(mode="json"),
                    examples=ctx.config.check_examples,
                    seed=ctx.config.seed,
                )
                if verdict.ok and verdict.toolkit is not None:
                    passed = f"{len(verdict.scenarios)} scenario(s) passed"
                    outcomes.append(Outcome(**base, status="kept", reason="checked",
                                            attempt=attempt, error=passed))  # fmt: skip
                    kept = Extracted(segment, item.answer, answer.workflow, verdict.toolkit,
                                     verdict.scenarios, attempt)  # fmt: skip
                    return StageResult(items=[kept], outcomes=outcomes)
                errors, reason = verdict.errors, verdict.reason
            outcomes.append(Outcome(**base, status="failed", reason=reason,
                                    error="; ".join(errors)[:4000], raw_output=raw,
                                    attempt=attempt))  # fmt: skip
            if attempt < rounds:
                if raw and raw == previous:
                    break  # the same answer again: another round would not change it
                previous = raw
                messages = _repair_messages(segment, attempt, errors, raw)
                ctx.count(self.name, "repairs")
        return StageResult(outcomes=outcomes)


def _repair_messages(
    segment: Any, attempt: int, errors: list[str], raw: str
) -> list[dict[str, Any]]:
    system, _ = template_parts("extraction")
    instructions = system.split("\n", 1)[1] if "\n" in system else system
    listed = "\n".join(f"- {e}" for e in errors[:20]) or "- (no detail)"
    return render(
        "repair",
        extraction_system=instructions,
        document_id=segment.id,
        document=segment.text,
        attempt=attempt,
        errors=listed,
        previous=raw[:_PREVIOUS_LIMIT],
    )
