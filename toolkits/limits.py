"""Resource limits of one sandboxed tool call."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Limits(BaseModel):
    """Bounds applied to every tool call, invariant and assertion run in the sandbox.

    `max_steps` is the deterministic budget: one step is a loop iteration, a function
    or lambda call, or a unit of data built by a guarded operation (one container item
    or 64 string characters). Exceeding any bound makes the call an error result and
    rolls the state back. `timeout_seconds` and `max_memory_mb` are safety nets for
    pathological code between steps; unlike the other limits they depend on the machine.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_steps: int = Field(default=1_000_000, ge=100, description="Step budget per call.")
    max_depth: int = Field(
        default=100, ge=4, description="Maximum nesting of sandbox function calls."
    )
    max_string_length: int = Field(
        default=1_000_000, ge=1_000, description="Longest string a guarded operation may build."
    )
    max_container_length: int = Field(
        default=100_000,
        ge=100,
        description="Most items a guarded operation may build, and longest range().",
    )
    max_int_bits: int = Field(
        default=4_096, ge=64, description="Largest integer (in bits) `*`, `**` and `<<` may build."
    )
    max_output_chars: int = Field(
        default=200_000, ge=100, description="Longest canonical JSON a tool may return."
    )
    max_state_depth: int = Field(
        default=64, ge=4, description="Deepest nesting of containers stored in the state."
    )
    timeout_seconds: float = Field(default=5.0, gt=0, description="Wall-clock safety net per call.")
    max_memory_mb: int = Field(
        default=1_024,
        ge=16,
        description="Growth of process memory allowed during one call (safety net).",
    )
