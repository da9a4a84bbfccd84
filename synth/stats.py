"""``stats.json`` (DESIGN.md section 3.7) and the funnel summary printed at the end.

Built from the run directory alone: the ledger (every row, of this run and the runs it
resumed), the kept and rejected trajectories, and the model-call counters, which are
added to those of earlier runs (kept in ``stats.json``), so a resumed run reports the
whole run's cost.
"""

from __future__ import annotations

import collections
import json
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from synth.config import STAGES, RunConfig
from synth.ledger import iter_rows

__all__ = ["GEM_COMPLEXITY", "funnel_text", "write_stats"]

# GEM's reported means for its synthesized trajectories, for comparison.
GEM_COMPLEXITY = {"messages": 30.05, "distinct_tools": 5.01, "tool_calls": 7.83}


def write_stats(out: Path, config: RunConfig, counters: dict[str, dict[str, float]]) -> dict:
    """Compute ``stats.json`` for run directory `out`, write it, and return it."""
    path = out / "stats.json"
    previous = _previous_counters(path, config)
    merged = _merge(previous, counters)
    finals, stages = _funnel(out / "outcomes.jsonl", merged)
    complexity, n = _complexity(_records(out / "trajectories.jsonl"))
    codes: collections.Counter[str] = collections.Counter()
    rejected = 0
    for t in _records(out / "rejected.jsonl"):
        rejected += 1
        codes.update(
            f["code"]
            for c in (t.get("verification") or {}).get("checks", [])
            for f in c.get("findings", [])
        )
    total_calls = sum(s["model_calls"] for s in stages.values())
    total_tokens = sum(s["tokens"]["prompt"] + s["tokens"]["completion"] for s in stages.values())
    total_wall = sum(s["wall_s"] for s in stages.values())
    stats = {
        "config": {**config.model_dump(exclude={"api_key"}), "signature": config.signature()},
        "documents": finals,
        "stages": stages,
        "trajectories": {
            "kept": n,
            "rejected": rejected,
            "per_kept": {
                "model_calls": round(total_calls / n, 2) if n else None,
                "tokens": round(total_tokens / n, 1) if n else None,
                "wall_s": round(total_wall / n, 3) if n else None,
            },
            "complexity": complexity,
            "gem_reference": GEM_COMPLEXITY,
            "verification_codes": dict(codes.most_common()),
        },
        "cache": {k: int(v) for k, v in merged.get("cache", {}).items()},
        "counters": merged,
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return stats


def funnel_text(stats: dict[str, Any]) -> str:
    """The funnel as printed at the end of a run."""
    docs = stats["documents"]
    lines = [
        f"documents {docs['total']}: {docs['kept']} kept, {docs['dropped']} dropped, "
        f"{docs['failed']} failed"
    ]
    for stage in ("relevance", "extraction", "grounding"):
        row = stats["stages"][stage]
        reasons = ", ".join(f"{k} {v}" for k, v in list(row["reasons"].items())[:4])
        lines.append(
            f"  {stage:<10} in {row['in']:>4}  kept {row['kept']:>4}  dropped {row['dropped']:>4}"
            f"  failed {row['failed']:>4}" + (f"  ({reasons})" if reasons else "")
        )
    t = stats["trajectories"]
    lines.append(f"trajectories: {t['kept']} verified, {t['rejected']} rejected")
    c = t["complexity"]
    if c.get("messages"):
        lines.append(
            "complexity (mean/median): "
            + ", ".join(
                f"{k} {c[k]['mean']}/{c[k]['median']}"
                for k in ("messages", "distinct_tools", "tool_calls", "user_turns")
            )
            + f"  [GEM means: {GEM_COMPLEXITY['messages']} / {GEM_COMPLEXITY['distinct_tools']}"
            f" / {GEM_COMPLEXITY['tool_calls']}]"
        )
    per = t["per_kept"]
    if per["model_calls"] is not None:
        lines.append(
            f"per kept trajectory: {per['model_calls']} model calls, {per['tokens']} tokens, "
            f"{per['wall_s']} s"
        )
    return "\n".join(lines)


def _funnel(path: Path, counted: dict[str, dict[str, float]]) -> tuple[dict, dict]:
    """The documents' final outcomes and each stage's funnel, streamed from the ledger.

    A stage counts the last row of each segment (repairs retry), of committed documents
    only: the rows of a document are held until its final row (a killed run's partial
    rows are replaced by those of the run that committed it)."""
    documents = {"total": 0, "kept": 0, "dropped": 0, "failed": 0}
    reasons: collections.Counter[str] = collections.Counter()
    per_stage = {s: collections.Counter() for s in ("read", *STAGES)}
    stage_reasons = {s: collections.Counter() for s in ("read", *STAGES)}
    pending: dict[str, dict[tuple[Any, str], Any]] = {}
    for row in iter_rows(path) if path.exists() else ():
        if not row.final:
            pending.setdefault(row.document_id, {})[(row.segment, row.stage)] = row
            continue
        documents["total"] += 1
        documents[row.status] += 1
        if row.status != "kept":
            reasons[row.reason] += 1
        rows = list(pending.pop(row.document_id, {}).values())
        if row.stage == "read":
            rows.append(row)
        for r in rows:
            if r.stage in per_stage:
                per_stage[r.stage][r.status] += 1
                if r.status != "kept":
                    stage_reasons[r.stage][r.reason] += 1
    documents["final_reasons"] = dict(reasons.most_common())
    stages: dict[str, Any] = {}
    for stage, status in per_stage.items():
        row = counted.get(stage, {})
        stages[stage] = {
            "in": sum(status.values()),
            "kept": status.get("kept", 0),
            "dropped": status.get("dropped", 0),
            "failed": status.get("failed", 0),
            "reasons": dict(stage_reasons[stage].most_common()),
            "model_calls": int(row.get("model_calls", 0)),
            "tokens": {
                "prompt": int(row.get("prompt_tokens", 0)),
                "completion": int(row.get("completion_tokens", 0)),
            },
            "wall_s": round(row.get("wall_s", 0.0), 3),
        }
    return documents, stages


def _complexity(trajectories: Iterator[dict[str, Any]]) -> tuple[dict[str, Any], int]:
    """Means and medians of the kept trajectories' sizes, and how many there are."""
    columns: dict[str, list[int]] = {
        "messages": [],
        "distinct_tools": [],
        "tool_calls": [],
        "user_turns": [],
    }
    for t in trajectories:
        messages = t.get("messages", [])
        calls = [c for m in messages for c in (m.get("tool_calls") or [])]
        columns["messages"].append(len(messages))
        columns["tool_calls"].append(len(calls))
        columns["distinct_tools"].append(len({c["function"]["name"] for c in calls}))
        columns["user_turns"].append(sum(1 for m in messages if m.get("role") == "user"))
    n = len(columns["messages"])
    if not n:
        return {}, 0
    summary = {
        k: {"mean": round(statistics.fmean(v), 2), "median": statistics.median(v)}
        for k, v in columns.items()
    }
    return summary, n


def _records(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON lines of an output file, streamed (unreadable lines skipped)."""
    if not path.exists():
        return
    with path.open("r", encoding="utf-8") as handle:
        for line in handle:
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue


def _previous_counters(path: Path, config: RunConfig) -> dict[str, dict[str, float]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    if data.get("config", {}).get("signature") != config.signature():
        return {}
    return data.get("counters", {})


def _merge(a: dict[str, dict[str, float]], b: dict[str, dict[str, float]]) -> dict:
    out = {k: dict(v) for k, v in a.items()}
    for stage, row in b.items():
        mine = out.setdefault(stage, {})
        for key, value in row.items():
            mine[key] = mine.get(key, 0) + value
    return out
