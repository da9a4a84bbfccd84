"""`Pipeline`: runs the stages over a corpus: concurrency, ordering of writes, resume.

Documents stream from `synth.readers.read_corpus` through a bounded queue to
`config.concurrency` workers, each handing one document at a time to the executor:
the local one runs `synth.document_work.process_document` in this event loop, the Ray
one (`synth.executors.ray_documents`, ``--executor ray``) on a Ray worker. Either way
this module is the one writer: a document's outputs are written when its result comes
back, then its one final ledger row (the commit point). A run killed at any moment
resumes with the same command, skipping committed documents and dropping the partial
lines of the others (`synth.outputs.RunOutputs.open`), so the final output has every
document exactly once. Model calls go through the SQLite cache, so a resumed run pays
for no call twice. Stages never write files; this module does.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from synth.backends.base import LLMBackend
from synth.config import RunConfig
from synth.document_work import DocumentResult, document_id
from synth.executors.base import DocumentExecutor
from synth.executors.local import LocalDocumentExecutor
from synth.ledger import Ledger
from synth.outputs import RunOutputs
from synth.readers import Document, ReadProblem, read_corpus
from synth.stages.extraction import Extracted
from synth.stages.grounding import Grounded

__all__ = ["Pipeline", "RunSummary"]

_SYNC_SECONDS = 1.0  # how often committed documents are fsynced


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
            `synth.run_command.validate` first).
        backends: a backend per stage (``relevance``, ``extraction``, ``grounding``),
            checked; the local executor wraps them in the model-call cache, the Ray
            one builds its own on each worker from the config.
        progress: a callable ``(stage, status) -> None`` told of every outcome (the CLI's
            progress bars), or None.
        executor: where documents are processed (default: `LocalDocumentExecutor`).
    """

    def __init__(
        self,
        config: RunConfig,
        backends: dict[str, LLMBackend],
        *,
        progress: Callable[[str, str], None] | None = None,
        executor: DocumentExecutor | None = None,
    ):
        self.config = config
        self.out = Path(config.out)
        self.raw_backends = backends
        self.progress = progress
        self.executor = executor or LocalDocumentExecutor(config, backends)
        self.uncommitted: list[str] = []  # documents left for a rerun (backend unavailable)
        self.counters: dict[str, dict[str, float]] = {}
        self._synced = time.monotonic()

    async def run(self) -> RunSummary:
        """Process every document of the corpus not yet committed; return the summary."""
        started = time.perf_counter()
        self.out.mkdir(parents=True, exist_ok=True)
        ledger = Ledger.open(self.out / "outcomes.jsonl")
        outputs = RunOutputs.open(self.out, ledger.final)
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
                if ledger.done(document_id(item)):
                    summary.resumed += 1
                    self._tell("read", "resumed")
                    continue
                await queue.put(item)
            for _ in range(self.config.concurrency):
                await queue.put(None)

        async def work() -> None:
            while (item := await queue.get()) is not None:
                result = await self.executor.process(item)
                self._commit(result, ledger, outputs)
                summary.processed += 1

        stats: dict[str, float] = {}
        try:
            await self.executor.start()
            await asyncio.gather(produce(), *(work() for _ in range(self.config.concurrency)))
        finally:
            try:
                stats = await self.executor.close()
            finally:
                outputs.close()  # outputs synced before the ledger
                ledger.close()
                for backend in self.raw_backends.values():
                    await backend.aclose()
        summary.counters = self.counters
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

    def _commit(self, result: DocumentResult, ledger: Ledger, outputs: RunOutputs) -> None:
        """Record a document's rows; when it is final, write its outputs, then commit it."""
        for stage, status in result.events:
            self._tell(stage, status)
        for stage, row in result.counters.items():
            mine = self.counters.setdefault(stage, {})
            for key, amount in row.items():
                mine[key] = mine.get(key, 0) + amount
        for row in result.rows:
            ledger.record(row)
        if result.final is None:
            self.uncommitted.append(result.document_id)  # backend down, or a bug: rerun
            return
        if result.document is not None:
            self._write(result.document, result.extracted, result.grounded, outputs)
        ledger.record(result.final)
        self._maybe_sync(outputs, ledger)

    def _model_name(self, stage: str) -> str:
        """The model of `stage`: the driver's backend, or (a model hosted on Ray) the
        executor's."""
        if stage in self.raw_backends:
            return self.raw_backends[stage].name
        names = getattr(self.executor, "model_names", {})
        return names.get(stage) or self.config.stage(stage).model or self.config.backend

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
                "model": self._model_name("extraction"),
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
