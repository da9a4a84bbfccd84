"""An external suite's own accuracy beside pass@k: for BFCL, the share of entries whose
first trial passes BFCL's checks, per category (`gem-env eval` prints it when the
scenarios come from `gem-env suite`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["suite_accuracy"]


def suite_accuracy(
    scenarios: Sequence[Any], rewards: dict[str, list[float]], threshold: float = 1.0
) -> dict[str, Any] | None:
    """``{"bfcl": {category: {"entries", "correct", "accuracy"}, "all": {...}}}`` over the
    scenarios with BFCL metadata and a finished first trial, or None when there are none.
    Entries the suite could not build are not among the scenarios (its entries.jsonl
    lists them), so the accuracy is over built entries."""
    counts: dict[str, list[int]] = {}
    for scenario in scenarios:
        meta = (scenario.model_extra or {}).get("bfcl")
        trials = rewards.get(scenario.id)
        if not isinstance(meta, dict) or not trials:
            continue
        correct = int(trials[0] >= threshold)
        for key in (str(meta.get("category", "?")), "all"):
            row = counts.setdefault(key, [0, 0])
            row[0] += 1
            row[1] += correct
    if not counts:
        return None
    return {
        "bfcl": {
            key: {"entries": n, "correct": c, "accuracy": c / n}
            for key, (n, c) in sorted(counts.items())
        }
    }
