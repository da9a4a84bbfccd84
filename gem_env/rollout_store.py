"""The rollout results file: one JSON record per episode, appended durably, resumable.

A record is a `gem-env/trajectory@1` object (so `gem-env verify` reads the file as it
is) with one extra key, ``rollout``::

    {"format": "gem-env/trajectory@1", "id": ..., "messages": [...], ...,
     "rollout": {"scenario_id": "s1", "trial": 0, "seed": 123, "reward": 1.0,
                 "base_seed": 0, "info": {...}}}

Each record is written as one line, flushed and fsynced, so a kill loses at most the
line being written. `RolloutStore.open()` reads what is there: a truncated or
corrupt line and duplicates of a (scenario, trial) pair are dropped (the file is
rewritten atomically without them), and the pairs already done are returned so the
driver skips them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from gem_env.errors import GemEnvError

Key = tuple[str, int]


@dataclass(frozen=True)
class DoneEpisode:
    """What resuming needs of a finished episode (not the whole trajectory)."""

    scenario_id: str
    trial: int
    seed: int | None
    reward: float
    base_seed: int | None = None


class RolloutStore:
    """Append-only JSONL of episode records with crash repair (see module docstring)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.repaired = 0  # lines dropped by the last open()
        self._file: IO[str] | None = None

    def open(self, *, resume: bool = True, base_seed: int | None = None) -> dict[Key, DoneEpisode]:
        """Open for appending; return the episodes already in the file (empty if not resuming).

        Raises:
            GemEnvError: the file holds results made with another `base_seed`, which
                would mix two different runs; use another output path.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        done: dict[Key, DoneEpisode] = {}
        if not resume or not self.path.exists():
            self._file = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 (kept open)
            return done
        keep: list[tuple[int, int, bool]] = []  # (start, end, ends with newline) of good lines
        dropped = 0
        with open(self.path, "rb") as f:
            data_start = 0
            for raw in f:
                start, data_start = data_start, data_start + len(raw)
                if not raw.strip():
                    continue
                episode = _summary(raw)
                if episode is None or (episode.scenario_id, episode.trial) in done:
                    dropped += 1
                    continue
                seen = episode.base_seed
                if base_seed is not None and seen is not None and seen != base_seed:
                    raise GemEnvError(
                        f"{self.path} holds rollouts made with seed {seen}, not {base_seed}; "
                        "use another output path (or the same seed) to resume"
                    )
                done[(episode.scenario_id, episode.trial)] = episode
                keep.append((start, data_start, raw.endswith(b"\n")))
        no_newline = bool(keep) and not keep[-1][2]
        if dropped or no_newline:
            self._rewrite(keep)
        self.repaired = dropped
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (kept open)
        return done

    def _rewrite(self, keep: list[tuple[int, int, bool]]) -> None:
        tmp = self.path.with_name(self.path.name + ".repair")
        with open(self.path, "rb") as src, open(tmp, "wb") as dst:
            for start, end, _ in keep:
                src.seek(start)
                line = src.read(end - start).rstrip(b"\r\n")
                dst.write(line + b"\n")
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(tmp, self.path)

    def append(self, record: dict[str, Any]) -> None:
        """Write one record as a line; flush and fsync before returning."""
        if self._file is None:
            raise RuntimeError("RolloutStore.append before open()")
        line = json.dumps(record, ensure_ascii=False, default=_jsonable)
        self._file.write(line + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        """Close the file."""
        if self._file is not None:
            self._file.close()
            self._file = None


def read_rollouts(path: str | Path) -> list[dict[str, Any]]:
    """Every complete record of a rollouts file, in file order (corrupt lines skipped)."""
    records = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and isinstance(record.get("rollout"), dict):
                records.append(record)
    return records


def _summary(raw: bytes) -> DoneEpisode | None:
    try:
        record = json.loads(raw)
        meta = record["rollout"]
        return DoneEpisode(
            scenario_id=str(meta["scenario_id"]),
            trial=int(meta["trial"]),
            seed=meta.get("seed"),
            reward=float(meta["reward"]),
            base_seed=meta.get("base_seed"),
        )
    except (ValueError, KeyError, TypeError):
        return None


def _jsonable(value: Any) -> Any:
    """Fallback for values of `info` that JSON does not know (numpy scalars, enums, ...)."""
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return str(value)
