"""Stage 1, relevance: keep the segments that describe a multi-step procedure on an app,
a website, a computer or a machine (GEM's filter), with summary, domain, platform and
tags; every drop has a reason (``not_procedural``, ``no_tool_use``)."""

from __future__ import annotations

from typing import Any, ClassVar

from synth.ledger import Outcome
from synth.prompts import render
from synth.stages.answers import RelevanceAnswer
from synth.stages.base import Stage, StageContext, StageResult
from synth.stages.calls import ask_model

__all__ = ["RelevanceStage", "Relevant"]


class Relevant:
    """A kept segment with its relevance answer."""

    def __init__(self, segment: Any, answer: RelevanceAnswer):
        self.segment, self.answer = segment, answer


class RelevanceStage(Stage):
    """Ask the relevance question of one segment."""

    name: ClassVar[str] = "relevance"

    async def run(self, item: Any, ctx: StageContext) -> StageResult:
        """Keep `item` (a segment) when the model says it is relevant."""
        messages = render("relevance", document_id=item.id, document=item.text)
        asked = await ask_model(ctx, self.name, messages, RelevanceAnswer)
        base = {"document_id": item.document_id, "stage": self.name, "segment": item.id}
        raw = asked.raws[-1] if asked.raws else None
        if asked.answer is None:
            row = Outcome(**base, status="failed", reason=asked.reason, error=asked.error,
                          raw_output=raw, attempt=len(asked.raws))  # fmt: skip
            return StageResult(outcomes=[row])
        answer: RelevanceAnswer = asked.answer
        if not answer.relevant:
            reason = "no_tool_use" if answer.procedural else "not_procedural"
            row = Outcome(**base, status="dropped", reason=reason, error=answer.reason)
            return StageResult(outcomes=[row])
        row = Outcome(**base, status="kept", reason="relevant", error=answer.summary)
        return StageResult(items=[Relevant(item, answer)], outcomes=[row])
