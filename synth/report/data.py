"""Load a run directory (DESIGN.md section 3.7) into plain, JSON-ready dicts for the report.

Every reader is tolerant: a missing file gives an empty section, a corrupt line is
skipped and counted in ``problems``. Long texts (tool results, errors, toolkit sources,
source spans) are cut so that a report of thousands of trajectories stays small.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["RUN_FILES", "cut", "funnel", "is_run_directory", "load_run"]

# A directory holding any of these is a run directory (or an eval output directory).
RUN_FILES = (
    "outcomes.jsonl",
    "trajectories.jsonl",
    "rejected.jsonl",
    "stats.json",
    "run.json",
    "metrics.json",
)
TEXT_LIMIT = 4000  # a message's text, a tool result
ERROR_LIMIT = 300  # an outcome's error
SOURCE_LIMIT = 16000  # a toolkit's source
SPAN_LIMIT = 6000  # a document's source span
CORPUS_SECONDS = 15.0  # at most this long reading the corpus for source spans


def is_run_directory(path: Path) -> bool:
    """Whether `path` is a directory holding the output of `gem-env run` or `eval`."""
    return path.is_dir() and (
        any((path / name).is_file() for name in RUN_FILES) or (path / "toolkits").is_dir()
    )


def cut(text: Any, limit: int) -> str:
    """`text` as a string of at most about `limit` characters, marked when cut."""
    text = "" if text is None else text if isinstance(text, str) else json.dumps(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n... [{len(text) - limit} more characters cut]"


def load_run(run_dir: Path) -> dict[str, Any]:
    """Everything the report shows of `run_dir`, as plain dicts and lists.

    Returns:
        A dict with ``stats`` (``stats.json`` or None), ``funnel`` (``documents`` and
        ``stages``, from ``stats.json`` or computed from ``outcomes.jsonl``),
        ``outcomes`` (the final row of each document), ``trajectories`` (kept and
        rejected, compact), ``sources`` (source spans by ``"doc|start|end"``),
        ``toolkits``, ``workflows``, ``metrics`` (``metrics.json`` or None) and
        ``problems`` (what could not be read).
    """
    problems: list[str] = []
    stats = _json_file(run_dir / "stats.json", problems)
    trajectories = [
        *_converted(run_dir / "trajectories.jsonl", problems, lambda t: _trajectory(t, "kept")),
        *_converted(run_dir / "rejected.jsonl", problems, lambda t: _trajectory(t, "rejected")),
    ]
    config = (stats or {}).get("config") or {}
    return {
        "run_dir": str(run_dir),
        "stats": stats,
        "funnel": funnel(run_dir, stats, problems),
        "outcomes": _outcomes(run_dir / "outcomes.jsonl", problems),
        "trajectories": trajectories,
        "sources": _sources(config, trajectories, problems),
        "toolkits": _toolkits(run_dir / "toolkits", problems),
        "workflows": _converted(run_dir / "workflows.jsonl", problems, _workflow),
        "metrics": _json_file(run_dir / "metrics.json", problems),
        "problems": problems,
    }


# -- files ------------------------------------------------------------------------------


def _json_file(path: Path, problems: list[str]) -> Any:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, json.JSONDecodeError) as exc:
        problems.append(f"{path.name}: cannot read: {exc}")
        return None


def _jsonl(path: Path, problems: list[str]) -> Iterator[dict[str, Any]]:
    """The JSON objects of a JSONL file; unreadable lines are skipped and counted."""
    if not path.is_file():
        return
    bad = 0
    try:
        with path.open("r", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    record = None
                if isinstance(record, dict):
                    yield record
                else:
                    bad += 1
    except OSError as exc:
        problems.append(f"{path.name}: cannot read: {exc}")
    if bad:
        problems.append(f"{path.name}: {bad} unreadable line(s) skipped")


def _converted(
    path: Path, problems: list[str], convert: Callable[[dict[str, Any]], dict[str, Any]]
) -> list[dict[str, Any]]:
    """`convert` of each record of a JSONL file; records of an unexpected shape are counted."""
    out, bad = [], 0
    for record in _jsonl(path, problems):
        try:
            out.append(convert(record))
        except (AttributeError, TypeError, ValueError, KeyError):
            bad += 1
    if bad:
        problems.append(f"{path.name}: {bad} record(s) of an unexpected shape skipped")
    return out


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# -- funnel and outcomes ----------------------------------------------------------------


def funnel(run_dir: Path, stats: Any, problems: list[str]) -> dict[str, Any]:
    """``stats``' documents and stages, else computed (read-only) from the ledger.

    Args:
        run_dir: the run directory.
        stats: the parsed ``stats.json``, or None.
        problems: what cannot be read is appended here.

    Returns:
        ``{"documents", "stages", "computed"}``; ``computed`` is True when built from
        ``outcomes.jsonl``.
    """
    stats = _dict(stats)
    documents, stages = _dict(stats.get("documents")), _dict(stats.get("stages"))
    if documents and stages and all(isinstance(row, dict) for row in stages.values()):
        return {"documents": stats["documents"], "stages": stats["stages"], "computed": False}
    if stats:
        problems.append("stats.json: not the shape `gem-env run` writes; funnel recomputed")
    empty: dict[str, Any] = {"documents": {}, "stages": {}, "computed": True}
    if not (run_dir / "outcomes.jsonl").is_file():
        return empty
    try:
        from synth.stats import _funnel as ledger_funnel

        documents, stages = ledger_funnel(run_dir / "outcomes.jsonl", {})
    except Exception as exc:  # the report renders whatever it can
        problems.append(f"outcomes.jsonl: cannot compute the funnel: {exc}")
        return empty
    return {"documents": documents, "stages": stages, "computed": True}


def _outcomes(path: Path, problems: list[str]) -> list[dict[str, Any]]:
    """The final row of each document, in ledger order (a later final row replaces one)."""
    finals: dict[str, dict[str, Any]] = {}
    for row in _jsonl(path, problems):
        if not row.get("final") or not isinstance(row.get("document_id"), str):
            continue
        finals.pop(row["document_id"], None)
        finals[row["document_id"]] = {
            "document_id": row["document_id"],
            "stage": row.get("stage"),
            "status": row.get("status"),
            "reason": row.get("reason"),
            "error": cut(row.get("error"), ERROR_LIMIT) if row.get("error") else "",
            "wall_s": row.get("wall_s"),
        }
    return list(finals.values())


# -- trajectories -----------------------------------------------------------------------


def _trajectory(t: dict[str, Any], status: str) -> dict[str, Any]:
    provenance = _dict(t.get("provenance"))
    verification = _dict(t.get("verification"))
    scenario = _dict(t.get("scenario"))
    toolkit = _dict(t.get("toolkit"))
    span = provenance.get("span")
    if not (isinstance(span, list) and len(span) == 2 and all(isinstance(i, int) for i in span)):
        span = None
    findings = [
        {
            "check": check.get("name"),
            "code": f.get("code"),
            "message_index": f.get("message_index"),
            "detail": cut(f.get("detail"), ERROR_LIMIT),
        }
        for check in _list(verification.get("checks"))
        if isinstance(check, dict)
        for f in _list(check.get("findings"))
        if isinstance(f, dict)
    ]
    return {
        "id": str(t.get("id", "")),
        "status": status,
        "document_id": provenance.get("document_id"),
        "span": span,
        "segment": provenance.get("segment"),
        "created_by": provenance.get("created_by"),
        "models": provenance.get("models"),
        "toolkit": toolkit.get("name"),
        "scenario": scenario.get("id"),
        "goal": cut(_dict(scenario.get("user")).get("goal"), ERROR_LIMIT),
        "termination": t.get("termination"),
        "passed": verification.get("passed"),
        "checks": [
            {"name": c.get("name"), "passed": c.get("passed")}
            for c in _list(verification.get("checks"))
            if isinstance(c, dict)
        ],
        "findings": findings,
        "messages": [_message(m) for m in _list(t.get("messages")) if isinstance(m, dict)],
    }


def _message(m: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"role": m.get("role"), "content": cut(m.get("content"), TEXT_LIMIT)}
    calls = []
    for call in _list(m.get("tool_calls")):
        call = _dict(call)
        function = _dict(call.get("function"))
        calls.append(
            {
                "id": call.get("id"),
                "name": function.get("name"),
                "arguments": cut(function.get("arguments"), TEXT_LIMIT),
            }
        )
    if calls:
        out["tool_calls"] = calls
    if m.get("tool_call_id"):
        out["tool_call_id"] = m["tool_call_id"]
    return out


def _sources(
    config: dict[str, Any], trajectories: list[dict[str, Any]], problems: list[str]
) -> dict[str, str]:
    """The source text of each trajectory's span, when the corpus is a readable local file.

    ``config`` is ``stats.json``'s; no corpus there means the bundled sample corpus. A
    Hugging Face dataset (``hf:NAME``) or a path that is gone is skipped."""
    wanted: dict[str, set[tuple[int, int]]] = {}
    for t in trajectories:
        span = t.get("span")
        if isinstance(t.get("document_id"), str) and span:
            wanted.setdefault(t["document_id"], set()).add((span[0], span[1]))
    if not wanted:
        return {}
    try:
        from synth.readers import Document, read_corpus

        corpus = config.get("corpus")
        if corpus is None:
            from synth.corpus import sample_corpus_path

            corpus = sample_corpus_path()
        elif str(corpus).startswith("hf:") or not Path(corpus).exists():
            return {}
        sources: dict[str, str] = {}
        remaining = set(wanted)
        deadline = time.monotonic() + CORPUS_SECONDS
        for item in read_corpus(
            corpus,
            text_field=config.get("text_field") or "text",
            id_field=config.get("id_field") or "id",
        ):
            if isinstance(item, Document) and item.id in remaining:
                remaining.discard(item.id)
                for start, end in wanted[item.id]:
                    sources[f"{item.id}|{start}|{end}"] = cut(item.text[start:end], SPAN_LIMIT)
                if not remaining:
                    break
            if time.monotonic() > deadline:
                problems.append(
                    f"corpus: stopped reading {corpus} after {CORPUS_SECONDS:g} s; "
                    f"{len(remaining)} document(s) without source span"
                )
                break
        return sources
    except Exception as exc:  # the source span is optional
        problems.append(f"corpus: source spans not shown: {exc}")
        return {}


# -- toolkits and workflows -------------------------------------------------------------


def _toolkits(root: Path, problems: list[str]) -> list[dict[str, Any]]:
    if not root.is_dir():
        return []
    toolkits = []
    for path in sorted(root.glob("*.json")):
        spec = _json_file(path, problems)
        if not isinstance(spec, dict):
            continue
        tools = []
        for tool in _list(spec.get("tools")):
            function = _dict(_dict(tool).get("function"))
            tools.append(
                {
                    "name": function.get("name"),
                    "description": function.get("description"),
                    "parameters": function.get("parameters"),
                }
            )
        toolkits.append(
            {
                "file": f"toolkits/{path.name}",
                "name": spec.get("name"),
                "description": spec.get("description"),
                "domain": spec.get("domain"),
                "document_id": _dict(spec.get("provenance")).get("document_id"),
                "tools": tools,
                "invariants": [_dict(i) for i in _list(spec.get("invariants"))],
                "initial_state": cut(json.dumps(spec.get("initial_state"), indent=1), 4000),
                "source": cut(spec.get("source"), SOURCE_LIMIT),
            }
        )
    return toolkits


def _workflow(w: dict[str, Any]) -> dict[str, Any]:
    return {
        "document_id": w.get("document_id"),
        "workflow_id": w.get("workflow_id"),
        "description": w.get("description"),
        "segment": w.get("segment"),
        "steps": [_dict(step) for step in _list(w.get("steps"))],
        "rules": [_dict(rule) for rule in _list(w.get("rules"))],
        "execution_graph": w.get("execution_graph"),
        "toolkit": w.get("toolkit"),
        "scenarios": _list(w.get("scenarios")),
    }
