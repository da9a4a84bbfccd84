"""`LocalDocumentExecutor`: documents processed in the driver's own event loop."""

from __future__ import annotations

from synth.backends.base import LLMBackend
from synth.cache import CachedBackend, ModelCallCache
from synth.config import STAGES, RunConfig
from synth.document_work import DocumentResult, process_document
from synth.readers import Document, ReadProblem
from synth.stages.base import Stage, StageContext
from synth.stages.extraction import ExtractionStage
from synth.stages.extraction_check import CheckerPool
from synth.stages.grounding import GroundingStage
from synth.stages.relevance import RelevanceStage

__all__ = ["LocalDocumentExecutor", "StageRuntime", "pipeline_stages"]


def pipeline_stages() -> tuple[Stage, ...]:
    """The stages every segment goes through, in order."""
    return (RelevanceStage(), ExtractionStage(), GroundingStage())


class StageRuntime:
    """What processing documents needs in one process: the stage backends wrapped in
    the model-call cache, the toolkit checker pool, and the stages.

    Args:
        config: the run config (its cache path must be reachable from this process).
        backends: a backend per stage; not closed here (their owner closes them).
    """

    def __init__(self, config: RunConfig, backends: dict[str, LLMBackend]):
        self.cache = ModelCallCache(config.cache_path())
        cached = {stage: CachedBackend(backends[stage], self.cache) for stage in STAGES}
        self.checker = CheckerPool(workers=1)
        self.ctx = StageContext(config, cached, self.checker)
        self.stages = pipeline_stages()

    async def process(self, item: Document | ReadProblem) -> DocumentResult:
        """`process_document` with this runtime's context."""
        return await process_document(item, self.ctx, self.stages)

    async def close(self) -> dict[str, float]:
        """Stop the checkers, close the cache; return its hit and miss counts."""
        try:
            await self.checker.aclose()
        finally:
            stats = {"hits": self.cache.hits, "misses": self.cache.misses}
            self.cache.close()
        return stats


class LocalDocumentExecutor:
    """Documents processed in this process, `config.concurrency` at a time (the
    pipeline's workers bound that)."""

    def __init__(self, config: RunConfig, backends: dict[str, LLMBackend]):
        self.config = config
        self.backends = backends
        self.runtime: StageRuntime | None = None

    async def start(self) -> None:
        """Open the cache and the checker pool."""
        self.runtime = StageRuntime(self.config, self.backends)

    async def process(self, item: Document | ReadProblem) -> DocumentResult:
        """Process `item` here."""
        if self.runtime is None:
            await self.start()
        assert self.runtime is not None
        return await self.runtime.process(item)

    async def close(self) -> dict[str, float]:
        """Close the runtime (idempotent)."""
        if self.runtime is None:
            return {}
        runtime, self.runtime = self.runtime, None
        return await runtime.close()
