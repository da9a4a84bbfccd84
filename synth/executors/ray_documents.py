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
from synth.executors.base import ExecutorError
from synth.executors.ray_cluster import RayConnection, connect_ray
from synth.executors.ray_hosted import HOSTED_KINDS, HostedModels, start_hosted_models
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
        self.workers: list[Any] = []
        self.in_flight: list[int] = []
        self.model_names: dict[str, str] = {}
        self._ray: Any = None

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
        ray = self._ray = self.connection.ray
        cpus = self.connection.cpus()
        count = self.wanted or min(cpus, self.config.concurrency)
        if self.config.backend in self.hosted_kinds:
            try:
                self.hosted = await start_hosted_models(ray, self.config, self.connection.gpus())
            except BackendError as exc:
                raise ExecutorError(f"backend {self.config.backend}: {exc}") from None
            self.model_names = {s: d["name"] for s, d in self.hosted.described.items()}
        per_worker = -(-self.config.concurrency // count)  # documents in flight per worker
        actor_class = ray.remote(DocumentWorker).options(
            num_cpus=min(1.0, cpus / count),
            max_restarts=-1,
            max_task_retries=self.task_retries,
            max_concurrency=per_worker,
        )
        self.workers = [actor_class.remote(self.config, self.hosted) for _ in range(count)]
        self.in_flight = [0] * count

    async def process(self, item: Document | ReadProblem) -> DocumentResult:
        """Process `item` on the least busy worker; a lost one comes back for a rerun."""
        if not self.workers:
            await self.start()
        index = min(range(len(self.workers)), key=self.in_flight.__getitem__)
        self.in_flight[index] += 1
        try:
            return await self.workers[index].process.remote(item)
        except self._ray.exceptions.RayError as exc:
            return left_for_rerun(item, "worker_lost", _short(exc, self.task_retries))
        finally:
            self.in_flight[index] -= 1

    async def worker_pids(self) -> list[int]:
        """The process id of each worker (for tests that kill one)."""
        return list(await asyncio.gather(*(w.pid.remote() for w in self.workers)))

    async def close(self) -> dict[str, float]:
        """Close every worker (summing their cache counters), the hosted models, and
        Ray when this executor started it."""
        totals: dict[str, float] = {}
        try:
            for worker in self.workers:
                try:
                    stats = await worker.close.remote()
                except self._ray.exceptions.RayError:
                    continue  # a dead worker has nothing left to close
                for key, value in stats.items():
                    totals[key] = totals.get(key, 0) + value
            if self.hosted is not None:
                for actor in self.hosted.every_actor():
                    try:
                        await actor.close.remote()
                    except self._ray.exceptions.RayError:
                        continue
        finally:
            for actor in self.workers + (self.hosted.every_actor() if self.hosted else []):
                self._ray.kill(actor)
            self.workers = []
            if self.connection is not None:
                self.connection.close()
        return totals


def _short(exc: BaseException, retries: int) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return (
        f"its Ray worker was lost ({type(exc).__name__}: {first[:300]}) after {retries} "
        "retries; rerun the same command to process it again"
    )
