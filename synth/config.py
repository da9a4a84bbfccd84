"""The run config of `gem-env run`: one pydantic model, a TOML file, flag overrides.

`RunConfig` holds everything a run depends on: the corpus and how to read it, the
backend (kind, model, server) and per-stage overrides (model, temperature, max tokens,
attempts), concurrency, the repair budget, the grounding trials and the output
directory. `load_config(path, overrides)` reads a TOML file (``--config``) and applies
the flags on top; `RunConfig.signature()` is the part that decides the outputs (it is
written to ``stats.json`` and a resumed run must match it).

GEM used a small model for filtering and a large one for extraction, so each stage may
name its own model: ``[stages.relevance] model = "small"``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["ConfigError", "RunConfig", "StageConfig", "load_config"]

BackendKind = Literal["heuristic", "openai", "vllm", "llama-cpp"]
STAGES = ("relevance", "extraction", "grounding")


class ConfigError(ValueError):
    """The run config is invalid; the message names the field and what to write."""


class StageConfig(BaseModel):
    """Per-stage settings; unset fields fall back to the run's."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(default=None, description="Model of this stage (default: --model).")
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1)
    attempts: int = Field(default=1, ge=1, le=10, description="Tries per model call answer.")


class RunConfig(BaseModel):
    """Everything `gem-env run` needs (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    corpus: str | None = Field(
        default=None, description="JSONL/Parquet file, directory or hf:NAME; None: the sample."
    )
    text_field: str = "text"
    id_field: str = "id"
    out: str = Field(default="runs/default", description="Output directory (resumable).")
    limit: int | None = Field(default=None, ge=1, description="First N documents only.")
    backend: BackendKind = "heuristic"
    model: str | None = Field(default=None, description="Model name (openai, vllm).")
    base_url: str | None = Field(default=None, description="OpenAI-compatible API root.")
    api_key: str | None = Field(default=None, description="API key (default $OPENAI_API_KEY).")
    model_path: str | None = Field(default=None, description="GGUF file (llama-cpp).")
    temperature: float = Field(default=0.0, ge=0, le=2)
    max_tokens: int = Field(default=4096, ge=1)
    request_timeout: float = Field(default=120.0, gt=0)
    concurrency: int = Field(default=4, ge=1, description="Documents in flight.")
    executor: Literal["local", "ray"] = Field(
        default="local", description="Where documents run: this process, or a Ray cluster."
    )
    ray_address: str | None = Field(
        default=None, description="Ray cluster to join (default $RAY_ADDRESS, else a local one)."
    )
    ray_workers: int | None = Field(
        default=None, ge=1, description="Ray workers (default: CPUs, at most concurrency)."
    )
    repair_attempts: int = Field(default=2, ge=0, le=10, description="Repairs per extraction.")
    check_examples: int = Field(default=20, ge=1, description="Property-test examples per tool.")
    trials: int = Field(default=1, ge=1, description="Grounded episodes per scenario.")
    episode_timeout: float = Field(
        default=900.0, gt=0, description="Seconds an episode (with its planning) may take."
    )
    segment_chars: int = Field(default=6000, ge=500, description="Longest segment.")
    seed: int = 0
    cache: str | None = Field(default=None, description="SQLite cache (default OUT/cache.sqlite).")
    stages: dict[str, StageConfig] = Field(default_factory=dict)

    def stage(self, name: str) -> StageConfig:
        """The settings of stage `name`, with the run's defaults filled in."""
        own = self.stages.get(name, StageConfig())
        return StageConfig(
            model=own.model or self.model,
            temperature=self.temperature if own.temperature is None else own.temperature,
            max_tokens=own.max_tokens or self.max_tokens,
            attempts=own.attempts,
        )

    def cache_path(self) -> Path:
        """Where model calls are cached."""
        return Path(self.cache) if self.cache else Path(self.out) / "cache.sqlite"

    def signature(self) -> str:
        """A hash of the fields that decide the outputs (not paths, keys or concurrency)."""
        decides = self.model_dump(
            exclude={
                "out",
                "api_key",
                "concurrency",
                "cache",
                "request_timeout",
                "limit",
                "executor",
                "ray_address",
                "ray_workers",
            }
        )
        text = json.dumps(decides, sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_toml(self) -> str:
        """The config as TOML (what ``--print-config`` prints; loadable by ``--config``)."""
        lines = []
        data = self.model_dump(exclude={"stages"}, exclude_none=True)
        for key, value in data.items():
            if key == "api_key":
                continue  # never printed
            lines.append(f"{key} = {_toml_value(value)}")
        for name, stage in self.stages.items():
            lines.append(f"\n[stages.{name}]")
            for key, value in stage.model_dump(exclude_none=True).items():
                lines.append(f"{key} = {_toml_value(value)}")
        return "\n".join(lines) + "\n"


def load_config(path: str | Path | None, overrides: dict[str, Any]) -> RunConfig:
    """The config of TOML file `path` (None: defaults), with `overrides` (flags: None
    values are unset flags and ignored) on top.

    Raises:
        ConfigError: the file is missing or not TOML, a key is unknown, a value is invalid,
            or a stage name is not one of relevance, extraction, grounding.
    """
    data: dict[str, Any] = {}
    if path is not None:
        file = Path(path)
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"no config file at {file}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: not TOML: {exc}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read {file}: {exc}") from None
    data.update({k: v for k, v in overrides.items() if v is not None})
    unknown = sorted(set(data.get("stages", {})) - set(STAGES))
    if unknown:
        raise ConfigError(f"unknown stage(s) {unknown} under [stages]: use {', '.join(STAGES)}")
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"]) or "config"
            problems.append(f"{where}: {error['msg']}")
        source = f"{path}: " if path is not None else ""
        raise ConfigError(source + "; ".join(problems)) from None


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))
