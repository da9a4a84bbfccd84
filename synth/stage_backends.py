"""`make_stage_backends`: the backend of each pipeline stage, built from the run config
(one backend per distinct model), as the driver's check and every Ray worker build them."""

from __future__ import annotations

from typing import Any

from synth.backends.base import LLMBackend
from synth.config import STAGES, RunConfig

__all__ = ["make_stage_backends"]


def make_stage_backends(
    config: RunConfig, *, make: Any = None, skip_kinds: tuple[str, ...] = ()
) -> dict[str, LLMBackend]:
    """A backend per stage (stages naming the same model share one); nothing is
    contacted or loaded here (call each backend's ``check``).

    Args:
        config: the run config.
        make: the factory (default `synth.backends.factory.make_backend`).
        skip_kinds: build nothing when the run's backend is of one of these kinds
            (an empty dict: the caller supplies hosted backends instead).

    Raises:
        BackendConfigError: a wrong kind or a missing option (see `make_backend`).
    """
    if make is None:
        from synth.backends.factory import make_backend as make
    if config.backend in skip_kinds:
        return {}
    backends: dict[str, LLMBackend] = {}
    made: dict[tuple[Any, ...], LLMBackend] = {}
    for stage in STAGES:
        settings = config.stage(stage)
        key = (config.backend, settings.model)
        if key not in made:
            made[key] = make(
                config.backend,
                model=settings.model,
                base_url=config.base_url,
                api_key=config.api_key,
                model_path=config.model_path,
                timeout=config.request_timeout,
                max_concurrency=2 * config.concurrency,
            )
        backends[stage] = made[key]
    return backends
