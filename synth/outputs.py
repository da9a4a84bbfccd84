"""The run directory (DESIGN.md section 3.7): the JSONL outputs, the toolkit files, and
their repair on resume.

`RunOutputs` appends lines to ``trajectories.jsonl``, ``rejected.jsonl``,
``workflows.jsonl`` and ``scenarios.jsonl`` and writes ``toolkits/<name>-<hash8>.json``
(content-addressed, so a rewrite is harmless). Each output line belongs to one input
document; a document's lines are written before its final ledger row, which commits
them. `RunOutputs.open(out, committed)` drops the lines of documents without a final
row (a run killed mid-document) and any torn last line, so a resumed run appends
without duplicates.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Container
from pathlib import Path
from typing import Any

__all__ = ["OUTPUT_FILES", "RunOutputs", "toolkit_file_name"]

OUTPUT_FILES = ("trajectories.jsonl", "rejected.jsonl", "workflows.jsonl", "scenarios.jsonl")


def toolkit_file_name(toolkit: dict[str, Any]) -> str:
    """``toolkits/<name>-<hash8>.json``: the file of a toolkit, by its content."""
    text = json.dumps(toolkit, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    name = str(toolkit.get("name") or "toolkit")
    safe = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in name)[:60]
    return f"toolkits/{safe}-{digest}.json"


class RunOutputs:
    """Appends the outputs of a run (thread-safe; see the module docstring)."""

    def __init__(self, out: Path):
        self.out = out
        self._lock = threading.Lock()
        self._files: dict[str, Any] = {}

    @classmethod
    def open(cls, out: str | Path, committed: Container[str]) -> RunOutputs:
        """Open the output files for appending, dropping uncommitted lines first."""
        outputs = cls(Path(out))
        outputs.out.mkdir(parents=True, exist_ok=True)
        (outputs.out / "toolkits").mkdir(exist_ok=True)
        for name in OUTPUT_FILES:
            path = outputs.out / name
            if path.exists():
                _keep_committed(path, committed)
            outputs._files[name] = path.open("a", encoding="utf-8")
        return outputs

    def write_toolkit(self, toolkit: dict[str, Any]) -> str:
        """Write a toolkit file (once per content); return its path relative to the run."""
        relative = toolkit_file_name(toolkit)
        path = self.out / relative
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(toolkit, indent=1, ensure_ascii=False) + "\n", "utf-8")
            os.replace(tmp, path)
        return relative

    def append(self, name: str, records: list[dict[str, Any]]) -> None:
        """Append records (each holding its document id) to output file `name`."""
        if not records:
            return
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        with self._lock:
            handle = self._files[name]
            handle.write(text)
            handle.flush()

    def sync(self) -> None:
        """fsync every output file (before the ledger: see `synth.ledger.Ledger.sync`)."""
        with self._lock:
            for handle in self._files.values():
                os.fsync(handle.fileno())

    def close(self) -> None:
        """Sync and close every file; idempotent."""
        self.sync()
        with self._lock:
            for handle in self._files.values():
                handle.close()
            self._files = {}


def document_of_line(record: dict[str, Any]) -> str | None:
    """The input document an output line belongs to."""
    if isinstance(record.get("document_id"), str):
        return record["document_id"]
    provenance = record.get("provenance")
    if isinstance(provenance, dict) and isinstance(provenance.get("document_id"), str):
        return provenance["document_id"]
    return None


def _keep_committed(path: Path, committed: Container[str]) -> None:
    kept, dropped = [], 0
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if not line.endswith("\n"):
                dropped += 1  # a torn last line
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                dropped += 1
                continue
            if isinstance(record, dict) and document_of_line(record) in committed:
                kept.append(line)
            else:
                dropped += 1
    if dropped:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text("".join(kept), encoding="utf-8")
        os.replace(tmp, path)
