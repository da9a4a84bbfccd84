"""The outcome ledger, ``outcomes.jsonl`` (DESIGN.md section 3.4): append-only, synced,
exactly one final outcome per input document.

Every stage a document passes through adds a row (``{"document_id", "stage", "status":
"kept" | "dropped" | "failed", "reason", "error", "raw_output", "at"}``); the last row
of a document carries ``"final": true`` and, when kept, the ids of its trajectories.
A final row is the commit point of a document: the pipeline writes a document's other
outputs first and its final row last, so after a kill `Ledger.open` tells which
documents are done (their outputs are complete) and which must run again (their
partial outputs are dropped by the pipeline). A torn last line (a kill mid-write) is
cut off when the ledger is opened.
"""

from __future__ import annotations

import datetime as _dt
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from synth.id_index import IdIndex

__all__ = ["Ledger", "Outcome", "iter_rows"]

Status = Literal["kept", "dropped", "failed"]
Stage = Literal["read", "relevance", "extraction", "grounding", "refinement", "synthesis"]
RAW_LIMIT = 20_000  # characters of raw model output kept per row


class Outcome(BaseModel):
    """One ledger row."""

    model_config = ConfigDict(extra="allow")

    document_id: str
    stage: Stage
    status: Status
    reason: str = Field(default="", description="Short stable code, e.g. not_procedural.")
    error: str = Field(default="", description="Human-readable detail.")
    raw_output: str | None = Field(default=None, description="The model's raw text, cut.")
    at: str = Field(default_factory=lambda: _dt.datetime.now(_dt.timezone.utc).isoformat())
    final: bool = False
    segment: str | None = Field(default=None, description="Segment id, for a split document.")
    trajectories: list[str] | None = Field(default=None, description="Kept trajectory ids.")
    attempt: int | None = Field(default=None, description="Model attempt number (1-based).")


class Ledger:
    """An append-only ``outcomes.jsonl`` (see the module docstring). Thread-safe."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self.final = IdIndex()  # the documents with a final row (hashed ids only: a run
        # over millions of documents keeps neither rows nor id strings in memory)
        self._file: Any = None

    @classmethod
    def open(cls, path: str | Path) -> Ledger:
        """Open (creating) the ledger, cut a torn last line, and load the final rows."""
        ledger = cls(Path(path))
        ledger.path.parent.mkdir(parents=True, exist_ok=True)
        if ledger.path.exists():
            data = ledger.path.read_bytes()
            keep = data if data.endswith(b"\n") or not data else data[: data.rfind(b"\n") + 1]
            if keep != data:
                ledger.path.write_bytes(keep)
            for line in keep.decode("utf-8", "replace").splitlines():
                if '"final":true' not in line:
                    continue  # only final rows matter here (cheap: no parse)
                try:
                    row = Outcome.model_validate_json(line)
                except ValueError:
                    continue  # a damaged line: not a commit
                if row.final:
                    ledger.final.add(row.document_id)
        ledger._file = ledger.path.open("a", encoding="utf-8")
        return ledger

    def done(self, document_id: str) -> bool:
        """Whether the document already has its final outcome."""
        return document_id in self.final

    def record(self, outcome: Outcome) -> None:
        """Append one row (flushed: a killed process loses nothing written; `sync` makes
        it durable against a machine crash too). A final row commits the document."""
        if outcome.raw_output is not None and len(outcome.raw_output) > RAW_LIMIT:
            outcome = outcome.model_copy(update={"raw_output": outcome.raw_output[:RAW_LIMIT]})
        line = outcome.model_dump_json(exclude_none=True) + "\n"
        with self._lock:
            if outcome.final and outcome.document_id in self.final:
                raise ValueError(f"document {outcome.document_id!r} already has a final outcome")
            self._file.write(line)
            self._file.flush()
            if outcome.final:
                self.final.add(outcome.document_id)

    def sync(self) -> None:
        """fsync the file (the pipeline syncs the outputs first, then the ledger, about
        once a second: after a machine crash a committed document has its outputs)."""
        with self._lock:
            if self._file is not None:
                os.fsync(self._file.fileno())

    def close(self) -> None:
        """Sync and close the file; idempotent."""
        self.sync()
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def rows(self) -> list[Outcome]:
        """Every readable row, in order (for tests and small runs; `iter_rows` streams)."""
        return list(iter_rows(self.path))


def iter_rows(path: Path) -> Iterator[Outcome]:
    """The readable rows of a ledger file, streamed in order."""
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                yield Outcome.model_validate_json(line)
            except ValueError:
                continue
