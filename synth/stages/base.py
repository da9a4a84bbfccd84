"""The `Stage` base: one job per stage, no file I/O (the pipeline owns outputs).

A stage's `run(item, ctx)` returns a `StageResult`: the items it keeps for the next
stage and the ledger rows (`synth.ledger.Outcome`) of what it did, including every
model attempt with its raw output. Model mistakes are outcomes, never exceptions;
a stage raises only for a bug or a developer error.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from synth.backends.base import LLMBackend
from synth.config import RunConfig
from synth.ledger import Outcome

__all__ = ["Stage", "StageContext", "StageResult"]


@dataclass
class StageResult:
    """What a stage kept (for the next stage) and what it records."""

    items: list[Any] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)


@dataclass
class StageContext:
    """What stages share in a run: the config, a backend per stage (cached), the
    process pool that checks model-written toolkits, and per-stage counters."""

    config: RunConfig
    backends: dict[str, LLMBackend]
    checker: Any  # synth.stages.extraction_check.CheckerPool
    counters: dict[str, dict[str, float]] = field(default_factory=dict)

    def count(self, stage: str, key: str, amount: float = 1) -> None:
        """Add `amount` to counter `key` of `stage` (model calls, tokens, wall time)."""
        row = self.counters.setdefault(stage, {})
        row[key] = row.get(key, 0) + amount


class Stage(ABC):
    """One stage of the pipeline (relevance, extraction, grounding, ...)."""

    name: ClassVar[str]

    @abstractmethod
    async def run(self, item: Any, ctx: StageContext) -> StageResult:
        """Process one item; never raises for what a model or a document holds."""
