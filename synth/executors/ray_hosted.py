"""In-process models under Ray: the engine lives in a Ray actor, workers hold a proxy.

An in-process backend (vLLM, llama.cpp) cannot be built in every document worker: it
would load the weights once per worker. Under ``--executor ray`` each distinct model
of the run gets `HostedModel` actors instead (vLLM: one per GPU of the cluster, each
reserving that GPU; llama.cpp: one), and every worker's stage backend is a
`HostedBackend` that sends its calls to them, round-robin. The answers, the cache
signature and the token counts are the engine's, so the cache and the ledger do not
tell a hosted model from a local one.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from synth.backends.base import LLMBackend
from synth.backends.errors import BackendUnavailableError
from synth.backends.openai_chat import TokenUsage
from synth.config import STAGES, RunConfig
from synth.stage_backends import make_stage_backends

__all__ = ["HOSTED_KINDS", "HostedBackend", "HostedModel", "HostedModels", "start_hosted_models"]

HOSTED_KINDS = ("vllm", "llama-cpp")  # backends that load weights into the process


class HostedModel:
    """A Ray actor holding one in-process backend (the model of one stage and of any
    stage naming the same model)."""

    def __init__(self, config: RunConfig, stage: str):
        self.backend = make_stage_backends(config)[stage]

    async def check(self) -> dict[str, Any]:
        """Load the model; return its name, kind and cache signature."""
        await self.backend.check()
        return {"name": self.backend.name, "kind": self.backend.kind,
                "signature": self.backend.signature()}  # fmt: skip

    async def complete(self, messages: list[dict[str, Any]], options: dict[str, Any]) -> Any:
        """The backend's answer, and the token usage this call added."""
        before = self.backend.usage.model_copy()
        answer = await self.backend.complete(messages, **options)
        after = self.backend.usage
        return answer, {
            "requests": after.requests - before.requests,
            "prompt_tokens": after.prompt_tokens - before.prompt_tokens,
            "completion_tokens": after.completion_tokens - before.completion_tokens,
        }

    async def close(self) -> None:
        """Release the engine."""
        await self.backend.aclose()


@dataclass
class HostedModels:
    """The hosted actors of a run, per stage, with what `HostedModel.check` said."""

    actors: dict[str, list[Any]] = field(default_factory=dict)
    described: dict[str, dict[str, Any]] = field(default_factory=dict)

    def backends(self) -> dict[str, LLMBackend]:
        """A proxy backend per stage (built in each worker)."""
        return {
            stage: HostedBackend(self.actors[stage], self.described[stage]) for stage in self.actors
        }

    def every_actor(self) -> list[Any]:
        """Each actor once."""
        return list({id(a): a for rows in self.actors.values() for a in rows}.values())


class HostedBackend(LLMBackend):
    """A stage backend whose calls go to `HostedModel` actors (round-robin)."""

    kind = "hosted"

    def __init__(self, actors: list[Any], described: dict[str, Any]):
        self.actors = actors
        self.name = described["name"]
        self.kind = described["kind"]  # type: ignore[misc]
        self._signature = described["signature"]
        self.usage = TokenUsage()
        self._next = itertools.cycle(range(len(actors)))

    async def complete(self, messages: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
        """The hosted engine's answer (errors are the engine's own).

        Raises:
            BackendUnavailableError: the actor died and Ray could not restart it.
        """
        from ray.exceptions import RayActorError

        actor = self.actors[next(self._next)]
        try:
            answer, usage = await actor.complete.remote(messages, options)
        except RayActorError as exc:
            raise BackendUnavailableError(f"the hosted model {self.name} is gone: {exc}") from None
        self.usage.requests += usage["requests"]
        self.usage.prompt_tokens += usage["prompt_tokens"]
        self.usage.completion_tokens += usage["completion_tokens"]
        return answer

    def signature(self) -> dict[str, Any]:
        """The hosted backend's own cache signature."""
        return self._signature


async def start_hosted_models(ray: Any, config: RunConfig, gpus: int) -> HostedModels:
    """Start the actors of each distinct model of the run and load them.

    Raises:
        BackendError: a model cannot be loaded (the engine's own message).
    """
    hosted = HostedModels()
    copies = max(1, gpus) if config.backend == "vllm" else 1
    options: dict[str, Any] = {"num_cpus": 0, "max_restarts": -1, "max_task_retries": 2}
    if config.backend == "vllm" and gpus:
        options["num_gpus"] = 1
    actor_class = ray.remote(HostedModel).options(**options)
    by_model: dict[Any, str] = {}
    for stage in STAGES:
        model = config.stage(stage).model
        if model in by_model:  # stages naming the same model share its actors
            first = by_model[model]
            hosted.actors[stage] = hosted.actors[first]
            hosted.described[stage] = hosted.described[first]
            continue
        by_model[model] = stage
        actors = [actor_class.remote(config, stage) for _ in range(copies)]
        described = [await actor.check.remote() for actor in actors]
        hosted.actors[stage] = actors
        hosted.described[stage] = described[0]
    return hosted
