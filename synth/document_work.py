"""One document's work, apart from writing it: `process_document` and `DocumentResult`.

`process_document` runs a document through the stages and returns everything the
driver needs to commit it (the ledger rows, the checked toolkits, the grounded
trajectories, the counters and the progress events) without touching a file, so the
same function runs in the driver's event loop (the local executor) or on a Ray worker
(`synth.executors.ray_documents`), whose result is shipped back to the one writer.
`final_outcome` turns how far each segment got into the document's one final row.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

from synth.ledger import Outcome
from synth.readers import Document, ReadProblem
from synth.segments import segment
from synth.stages.base import Stage, StageContext
from synth.stages.calls import UNAVAILABLE
from synth.stages.extraction import Extracted
from synth.stages.grounding import Grounded

__all__ = ["DocumentResult", "document_id", "final_outcome", "process_document"]

# How far a segment got, to pick the stage and reason of a document's final outcome.
_PROGRESS = {"read": 0, "relevance": 1, "extraction": 2, "grounding": 3}
# Reasons that leave a document uncommitted: a rerun of the same command retries it.
RETRY_REASONS = frozenset({UNAVAILABLE, "internal_error", "worker_lost"})


@dataclass
class DocumentResult:
    """What processing one input item produced (picklable: Ray ships it to the driver).

    Attributes:
        document_id: the id the ledger knows the item by.
        rows: the ledger rows of every stage attempt, in order (no final row).
        final: the document's final row, or None when it is left for a rerun.
        document: the document (None for a corpus line that could not be read).
        extracted: the toolkits that passed their checks, with workflow and scenarios.
        grounded: the grounded trajectories, verified or not.
        counters: this document's share of the per-stage counters.
        events: ``(stage, status)`` per stage outcome, for the progress bars.
    """

    document_id: str
    rows: list[Outcome] = field(default_factory=list)
    final: Outcome | None = None
    document: Document | None = None
    extracted: list[Extracted] = field(default_factory=list)
    grounded: list[Grounded] = field(default_factory=list)
    counters: dict[str, dict[str, float]] = field(default_factory=dict)
    events: list[tuple[str, str]] = field(default_factory=list)


def document_id(item: Document | ReadProblem) -> str:
    """The id the ledger knows an input item by."""
    if isinstance(item, Document):
        return item.id
    if "duplicate document id" in item.error:
        return f"{item.document_id}#line{item.line}"
    return item.document_id


def left_for_rerun(item: Document | ReadProblem, reason: str, error: str) -> DocumentResult:
    """The result of an item whose processing was lost (e.g. its Ray worker died
    more often than the retries allow): one non-final row, so a rerun retries it."""
    doc_id = document_id(item)
    row = Outcome(document_id=doc_id, stage="read", status="failed", reason=reason, error=error)
    return DocumentResult(document_id=doc_id, rows=[row], events=[("read", "failed")])


async def process_document(
    item: Document | ReadProblem, ctx: StageContext, stages: tuple[Stage, ...]
) -> DocumentResult:
    """Run one item through `stages` (each segment: relevance -> extraction ->
    grounding); never raises for what a document or a model holds."""
    doc_id = document_id(item)
    if isinstance(item, ReadProblem):
        final = Outcome(document_id=doc_id, stage="read", status="failed",
                        reason="read_error", error=item.error, raw_output=item.raw,
                        final=True)  # fmt: skip
        return DocumentResult(document_id=doc_id, final=final, events=[("read", "failed")])
    ctx = dataclasses.replace(ctx, counters={})  # this document's counters
    result = DocumentResult(document_id=doc_id, document=item, counters=ctx.counters)
    started = time.perf_counter()
    last: list[Outcome] = []  # the furthest row of each segment
    for piece in segment(item, max_chars=ctx.config.segment_chars):
        items: list[Any] = [piece]
        furthest: Outcome | None = None
        for stage in stages:
            if not items:
                break
            stage_started = time.perf_counter()
            next_items: list[Any] = []
            for current in items:
                try:
                    outcome = await stage.run(current, ctx)
                except Exception as exc:
                    furthest = Outcome(document_id=doc_id, stage=stage.name, status="failed",
                                       reason="internal_error",
                                       error=f"{type(exc).__name__}: {exc}",
                                       segment=piece.id)  # fmt: skip
                    result.rows.append(furthest)
                    continue
                result.rows += outcome.outcomes
                if outcome.outcomes:
                    furthest = outcome.outcomes[-1]
                next_items += outcome.items
            ctx.count(stage.name, "wall_s", time.perf_counter() - stage_started)
            ctx.count(stage.name, "in")
            if stage.name == "extraction":
                result.extracted += [x for x in next_items if isinstance(x, Extracted)]
            if stage.name == "grounding":
                result.grounded += [x for x in next_items if isinstance(x, Grounded)]
                next_items = []
            result.events.append((stage.name, furthest.status if furthest else "failed"))
            items = next_items
        if furthest is not None:
            last.append(furthest)
    if not any(row.reason in RETRY_REASONS for row in result.rows):
        result.final = final_outcome(doc_id, last, result.grounded, time.perf_counter() - started)
    return result


def final_outcome(
    doc_id: str, last: list[Outcome], grounded: list[Grounded], wall_s: float
) -> Outcome:
    """The one final outcome of a document, from how far each segment got."""
    kept = [g.trajectory.id for g in grounded if g.passed]
    parts = "; ".join(
        f"{row.segment or doc_id}: {row.stage} {row.status} {row.reason}" for row in last
    )
    if kept:
        return Outcome(document_id=doc_id, stage="grounding", status="kept",
                       reason="verified", trajectories=kept, final=True,
                       error=parts if len(last) > 1 else "", wall_s=round(wall_s, 3))  # fmt: skip
    if not last:
        return Outcome(document_id=doc_id, stage="read", status="dropped",
                       reason="empty", error="the document has no text to process",
                       final=True)  # fmt: skip
    best = max(last, key=lambda r: (_PROGRESS.get(r.stage, 0), r.status == "failed"))
    status = "dropped" if all(r.status == "dropped" for r in last) else "failed"
    reason = "no_trajectory" if best.status == "kept" else best.reason  # nothing grounded
    return Outcome(document_id=doc_id, stage=best.stage, status=status,
                   reason=reason, error=parts if len(last) > 1 else best.error,
                   raw_output=best.raw_output, final=True,
                   wall_s=round(wall_s, 3))  # fmt: skip
