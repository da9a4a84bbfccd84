"""`RayDocumentExecutor` (``gem-env run --executor ray``): documents on Ray workers.

Each worker is a `DocumentWorker` actor that builds, once, what the local executor
builds in the driver (`synth.executors.local.StageRuntime`: the stage backends from
the config, the model-call cache at the config's path, a checker process), and
processes the documents the driver hands it, several at a time. Results come back to
the driver, which stays the one writer of the outputs and the ledger, so a run on Ray
commits the same rows as a local one, and a killed driver resumes the same way.

A worker killed mid-document (a node lost, the OOM killer) is restarted by Ray, which
runs its in-flight documents again (their model calls come from the cache); a
document whose worker died more often than ``max_task_retries`` comes back with no
final row and stays for a rerun. Model servers are shared: every worker talks to the
same OpenAI-compatible endpoint, and an in-process model (vLLM, llama.cpp) is hosted
in Ray actors (`synth.executors.ray_hosted`) instead of loaded in every worker.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from synth.backends.errors import BackendError
from synth.config import RunConfig
from synth.document_work import DocumentResult, left_for_rerun
from synth.executors.options import ExecutorError
from synth.executors.ray_cluster import RayConnection, connect_ray
from synth.executors.ray_hosted import HOSTED_KINDS, HostedModels, start_hosted_models
from synth.executors.ray_pool import RayActorPool, close_actors
from synth.readers import Document, ReadProblem

__all__ = ["DocumentWorker", "RayDocumentExecutor", "worker_config"]

TASK_RETRIES = 3  # times a document is run again after its worker died


class DocumentWorker:
    """A Ray actor processing documents (see the module docstring).

    Args:
        config: the run config, with absolute paths (`worker_config`).
        hosted: the hosted models of an in-process backend, or None (the worker
            builds its stage backends from the config).
    """

    def __init__(self, config: RunConfig, hosted: HostedModels | None = None):
        self.config = config
        self.hosted = hosted
        self.runtime: Any = None
        self.backends: dict[str, Any] = {}
        self._starting = asyncio.Lock()

    async def _runtime(self) -> Any:
        async with self._starting:  # built on first use: again after a restart
            if self.runtime is None:
                from synth.executors.local import StageRuntime
                from synth.stage_backends import make_stage_backends

                if self.hosted is not None:
                    self.backends = self.hosted.backends()
                else:
                    self.backends = make_stage_backends(self.config)
                self.runtime = StageRuntime(self.config, self.backends)
        return self.runtime

    async def process(self, item: Document | ReadProblem) -> DocumentResult:
        """Process one document here."""
        return await (await self._runtime()).process(item)

    def pid(self) -> int:
        """This worker's process id (tests kill it)."""
        return os.getpid()

    async def close(self) -> dict[str, float]:
        """Close the runtime and the backends; return the cache counters."""
        if self.runtime is None:
            return {}
        runtime, self.runtime = self.runtime, None
        stats = await runtime.close()
        for backend in {id(b): b for b in self.backends.values()}.values():
            await backend.aclose()
        return stats


def worker_config(config: RunConfig) -> RunConfig:
    """`config` with the paths a worker opens made absolute (a Ray worker does not run
    in the driver's directory)."""
    return config.model_copy(
        update={"out": str(Path(config.out).resolve()), "cache": str(config.cache_path().resolve())}
    )


class RayDocumentExecutor:
    """Documents spread over Ray workers (see the module docstring).

    Args:
        config: the run config (``ray_address``, ``ray_workers``, ``concurrency``).
        workers: the number of workers (default ``config.ray_workers``, else the
            cluster's CPUs, at most ``config.concurrency``).
        hosted_kinds: the backend kinds hosted in Ray actors instead of built in every
            worker (tests host the heuristic backend to exercise the proxy).
        task_retries: times a document is run again after its worker died.
    """

    def __init__(
        self,
        config: RunConfig,
        *,
        workers: int | None = None,
        hosted_kinds: tuple[str, ...] = HOSTED_KINDS,
        task_retries: int = TASK_RETRIES,
    ):
        self.config = worker_config(config)
        self.wanted = workers or config.ray_workers
        self.hosted_kinds = hosted_kinds
        self.task_retries = task_retries
        self.connection: RayConnection | None = None
        self.hosted: HostedModels | None = None
        self.pool: RayActorPool | None = None
        self.model_names: dict[str, str] = {}

    @property
    def workers(self) -> list[Any]:
        """The worker actors (empty before `start` and after `close`)."""
        return self.pool.actors if self.pool is not None else []

    @property
    def in_flight(self) -> list[int]:
        """Documents in flight per worker."""
        return self.pool.in_flight if self.pool is not None else []

    async def start(self) -> None:
        """Join Ray, start the hosted models and the workers.

        Raises:
            ExecutorError: Ray missing or unreachable, or a hosted model cannot load.
        """
        from synth.cache import ModelCallCache

        # Create the cache (and its WAL mode) once here: workers opening a new database
        # at the same moment race on setting the journal mode ("database is locked").
        ModelCallCache(self.config.cache_path()).close()
        self.connection = connect_ray(self.config.ray_address)
        if self.config.backend in self.hosted_kinds:
            try:
                self.hosted = await start_hosted_models(
                    self.connection.ray, self.config, self.connection.gpus()
                )
            except BackendError as exc:
                raise ExecutorError(f"backend {self.config.backend}: {exc}") from None
            self.model_names = {s: d["name"] for s, d in self.hosted.described.items()}
        self.pool = RayActorPool(
            self.connection, DocumentWorker, count=self.wanted,
            concurrency=self.config.concurrency, task_retries=self.task_retries,
            make_args=lambda _share: (self.config, self.hosted),
        )  # fmt: skip

    async def process(self, item: Document | ReadProblem) -> DocumentResult:
        """Process `item` on the least busy worker; a lost one comes back for a rerun."""
        if self.pool is None:
            await self.start()
        assert self.pool is not None
        try:
            return await self.pool.call("process", item)
        except self.pool.ray.exceptions.RayError as exc:
            return left_for_rerun(item, "worker_lost", _short(exc, self.task_retries))

    async def worker_pids(self) -> list[int]:
        """The process id of each worker (for tests that kill one)."""
        return await self.pool.pids() if self.pool is not None else []

    async def close(self) -> dict[str, float]:
        """Close every worker (summing their cache counters), the hosted models, and
        Ray when this executor started it."""
        try:
            totals = await self.pool.close() if self.pool is not None else {}
            if self.hosted is not None and self.connection is not None:
                await close_actors(self.connection.ray, self.hosted.every_actor())
        finally:
            if self.connection is not None:
                self.connection.close()
        return totals


def _short(exc: BaseException, retries: int) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return (
        f"its Ray worker was lost ({type(exc).__name__}: {first[:300]}) after {retries} "
        "retries; rerun the same command to process it again"
    )
