"""`Pipeline`: runs the stages over a corpus: concurrency, ordering of writes, resume.

Documents stream from `synth.readers.read_corpus` through a bounded queue to
`config.concurrency` workers; each document is segmented, and each segment goes
relevance -> extraction -> grounding. A document's outputs are written when all its
segments are done, then its one final ledger row (the commit point): a run killed at
any moment resumes with the same command, skipping committed documents and dropping
the partial lines of the others (`synth.outputs.RunOutputs.open`), so the final output
has every document exactly once. Model calls go through the SQLite cache, so a resumed
run pays for no call twice. Stages never write files; this module does.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synth.backends.base import LLMBackend
from synth.cache import CachedBackend, ModelCallCache
from synth.config import STAGES, RunConfig
from synth.ledger import Ledger, Outcome
from synth.outputs import RunOutputs
from synth.readers import Document, ReadProblem, read_corpus
from synth.segments import segment
from synth.stages.base import StageContext
from synth.stages.calls import UNAVAILABLE
from synth.stages.extraction import Extracted, ExtractionStage
from synth.stages.extraction_check import CheckerPool
from synth.stages.grounding import Grounded, GroundingStage
from synth.stages.relevance import RelevanceStage

__all__ = ["Pipeline", "RunSummary"]

_SYNC_SECONDS = 1.0  # how often committed documents are fsynced
# How far a segment got, to pick the stage and reason of a document's final outcome.
_PROGRESS = {"read": 0, "relevance": 1, "extraction": 2, "grounding": 3}


@dataclass
class RunSummary:
    """What a run did: documents seen, skipped (already committed) and processed."""

    documents: int = 0
    resumed: int = 0
    processed: int = 0
    uncommitted: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    counters: dict[str, dict[str, float]] = field(default_factory=dict)


class Pipeline:
    """Text to verified trajectories (see the module docstring).

    Args:
        config: the run config (already validated: `synth.run_command` calls
            `synth.validate.validate` first).
        backends: a backend per stage (``relevance``, ``extraction``, ``grounding``);
            they are wrapped in the model-call cache here.
        progress: a callable ``(stage, status) -> None`` told of every outcome (the CLI's
            progress bars), or None.
    """

    def __init__(
        self,
        config: RunConfig,
        backends: dict[str, LLMBackend],
        *,
        progress: Callable[[str, str], None] | None = None,
    ):
        self.config = config
        self.out = Path(config.out)
        self.raw_backends = backends
        self.progress = progress
        self.stages = (RelevanceStage(), ExtractionStage(), GroundingStage())
        self.uncommitted: list[str] = []  # documents left for a rerun (backend unavailable)
        self._synced = time.monotonic()

    async def run(self) -> RunSummary:
        """Process every document of the corpus not yet committed; return the summary."""
        started = time.perf_counter()
        self.out.mkdir(parents=True, exist_ok=True)
        ledger = Ledger.open(self.out / "outcomes.jsonl")
        outputs = RunOutputs.open(self.out, ledger.final)
        cache = ModelCallCache(self.config.cache_path())
        backends: dict[str, LLMBackend] = {}
        for stage in STAGES:
            backends[stage] = CachedBackend(self.raw_backends[stage], cache)
        checker = CheckerPool(workers=1)
        ctx = StageContext(self.config, backends, checker)
        summary = RunSummary()
        queue: asyncio.Queue[Document | ReadProblem | None] = asyncio.Queue(
            maxsize=2 * self.config.concurrency
        )

        async def produce() -> None:
            count = 0
            for item in read_corpus(
                self._corpus(), text_field=self.config.text_field, id_field=self.config.id_field
            ):
                if self.config.limit is not None and count >= self.config.limit:
                    break
                count += 1
                summary.documents += 1
                if ledger.done(_document_id(item)):
                    summary.resumed += 1
                    self._tell("read", "resumed")
                    continue
                await queue.put(item)
            for _ in range(self.config.concurrency):
                await queue.put(None)

        async def work() -> None:
            while (item := await queue.get()) is not None:
                await self._document(item, ctx, ledger, outputs)
                summary.processed += 1

        try:
            await asyncio.gather(produce(), *(work() for _ in range(self.config.concurrency)))
        finally:
            await checker.aclose()
            outputs.close()  # outputs synced before the ledger
            ledger.close()
            stats = {"hits": cache.hits, "misses": cache.misses}
            cache.close()
            for backend in self.raw_backends.values():
                await backend.aclose()
        summary.counters = ctx.counters
        summary.uncommitted = list(self.uncommitted)
        summary.counters.setdefault("cache", {}).update(stats)
        summary.wall_s = time.perf_counter() - started
        return summary

    def _corpus(self) -> str | Path:
        if self.config.corpus is not None:
            return self.config.corpus
        from synth.corpus import sample_corpus_path

        return sample_corpus_path()

    def _tell(self, stage: str, status: str) -> None:
        if self.progress is not None:
            self.progress(stage, status)

    async def _document(
        self, item: Document | ReadProblem, ctx: StageContext, ledger: Ledger, outputs: RunOutputs
    ) -> None:
        """Run one document through the stages, write its outputs, commit it."""
        if isinstance(item, ReadProblem):
            final = Outcome(document_id=_document_id(item), stage="read", status="failed",
                            reason="read_error", error=item.error, raw_output=item.raw,
                            final=True)  # fmt: skip
            ledger.record(final)
            self._maybe_sync(outputs, ledger)
            self._tell("read", "failed")
            return
        started = time.perf_counter()
        segments = segment(item, max_chars=self.config.segment_chars)
        rows: list[Outcome] = []
        extracted: list[Extracted] = []
        grounded: list[Grounded] = []
        last: list[Outcome] = []  # the furthest row of each segment
        for piece in segments:
            items: list[Any] = [piece]
            furthest: Outcome | None = None
            for stage in self.stages:
                if not items:
                    break
                stage_started = time.perf_counter()
                next_items: list[Any] = []
                for current in items:
                    try:
                        result = await stage.run(current, ctx)
                    except Exception as exc:
                        result_rows = [Outcome(document_id=item.id, stage=stage.name,
                                               status="failed", reason="internal_error",
                                               error=f"{type(exc).__name__}: {exc}",
                                               segment=piece.id)]  # fmt: skip
                        rows += result_rows
                        furthest = result_rows[-1]
                        continue
                    rows += result.outcomes
                    if result.outcomes:
                        furthest = result.outcomes[-1]
                    next_items += result.items
                ctx.count(stage.name, "wall_s", time.perf_counter() - stage_started)
                ctx.count(stage.name, "in")
                if stage.name == "extraction":
                    extracted += [x for x in next_items if isinstance(x, Extracted)]
                if stage.name == "grounding":
                    grounded += [x for x in next_items if isinstance(x, Grounded)]
                    next_items = []
                self._tell(stage.name, furthest.status if furthest else "failed")
                items = next_items
            if furthest is not None:
                last.append(furthest)
        for row in rows:
            ledger.record(row)
        if any(row.reason in (UNAVAILABLE, "internal_error") for row in rows):
            self.uncommitted.append(item.id)  # backend down, or a bug: a rerun retries it
            return
        self._write(item, extracted, grounded, outputs)
        ledger.record(_final(item.id, last, grounded, time.perf_counter() - started))
        self._maybe_sync(outputs, ledger)

    def _maybe_sync(self, outputs: RunOutputs, ledger: Ledger) -> None:
        """Make the committed documents durable about once a second (outputs first)."""
        now = time.monotonic()
        if now - self._synced >= _SYNC_SECONDS:
            self._synced = now
            outputs.sync()
            ledger.sync()

    def _write(
        self,
        document: Document,
        extracted: list[Extracted],
        grounded: list[Grounded],
        outputs: RunOutputs,
    ) -> None:
        workflows, scenarios = [], []
        for x in extracted:
            toolkit = dict(x.toolkit)
            toolkit["provenance"] = {
                "document_id": document.id,
                "span": list(x.segment.span),
                "model": self.raw_backends["extraction"].name,
            }
            relative = outputs.write_toolkit(toolkit)
            ids = []
            for raw in x.scenarios:
                scenario = {**raw, "id": f"{x.segment.id}:{raw['id']}", "toolkit": relative}
                scenario["document_id"] = document.id
                scenarios.append(scenario)
                ids.append(scenario["id"])
            workflow = x.workflow.model_dump(mode="json")
            workflows.append(
                {
                    "document_id": document.id,
                    "segment": list(x.segment.span),
                    "workflow_id": f"{x.segment.id}:workflow",
                    **workflow,
                    "toolkit": relative,
                    "scenarios": ids,
                }
            )
        kept = [json.loads(g.trajectory.to_json_line()) for g in grounded if g.passed]
        rejected = [json.loads(g.trajectory.to_json_line()) for g in grounded if not g.passed]
        outputs.append("workflows.jsonl", workflows)
        outputs.append("scenarios.jsonl", scenarios)
        outputs.append("trajectories.jsonl", kept)
        outputs.append("rejected.jsonl", rejected)


def _document_id(item: Document | ReadProblem) -> str:
    """The id the ledger knows an input document by."""
    if isinstance(item, Document):
        return item.id
    if "duplicate document id" in item.error:
        return f"{item.document_id}#line{item.line}"
    return item.document_id


def _final(
    document_id: str, last: list[Outcome], grounded: list[Grounded], wall_s: float
) -> Outcome:
    """The one final outcome of a document, from how far each segment got."""
    kept = [g.trajectory.id for g in grounded if g.passed]
    parts = "; ".join(
        f"{row.segment or document_id}: {row.stage} {row.status} {row.reason}" for row in last
    )
    if kept:
        return Outcome(document_id=document_id, stage="grounding", status="kept",
                       reason="verified", trajectories=kept, final=True,
                       error=parts if len(last) > 1 else "", wall_s=round(wall_s, 3))  # fmt: skip
    if not last:
        return Outcome(document_id=document_id, stage="read", status="dropped",
                       reason="empty", error="the document has no text to process",
                       final=True)  # fmt: skip
    best = max(last, key=lambda r: (_PROGRESS.get(r.stage, 0), r.status == "failed"))
    status = "dropped" if all(r.status == "dropped" for r in last) else "failed"
    reason = "no_trajectory" if best.status == "kept" else best.reason  # nothing grounded
    return Outcome(document_id=document_id, stage=best.stage, status=status,
                   reason=reason, error=parts if len(last) > 1 else best.error,
                   raw_output=best.raw_output, final=True,
                   wall_s=round(wall_s, 3))  # fmt: skip
