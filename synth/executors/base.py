"""The `DocumentExecutor` protocol: how the pipeline hands a document to be processed.

An executor turns one input item into a `synth.document_work.DocumentResult`; it never
writes an output (the pipeline, its driver, is the one writer). `process` never raises
for what a document holds: a result whose work was lost (a dead worker) comes back
with no final row, so the document is left for a rerun.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from synth.document_work import DocumentResult
from synth.readers import Document, ReadProblem

__all__ = ["DocumentExecutor"]


@runtime_checkable
class DocumentExecutor(Protocol):
    """Processes documents for the pipeline (see the module docstring)."""

    async def start(self) -> None:
        """Acquire workers, backends and checker processes before the first document."""

    async def process(self, item: Document | ReadProblem) -> DocumentResult:
        """The result of one item (safe to call concurrently)."""

    async def close(self) -> dict[str, float]:
        """Release everything; return the model-call cache counters (hits, misses)."""
