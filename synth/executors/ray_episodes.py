"""`RayEpisodeRunner` (``gem-env eval --executor ray``): episodes on Ray workers.

Each worker is an `EpisodeWorker` actor that builds what the local eval builds (the
agent's chat model talking to the same OpenAI-compatible endpoint, the envs, the user
simulator and the reward, by `synth.eval_command.participants`) and runs the episodes
the driver hands it, several at a time. The driver keeps `gem_env.rollouts.run_rollouts`
(the seeds, the one output file, resume, the failures), so an eval on Ray writes the
same rollouts and metrics as a local one. An episode whose worker died more often than
Ray's retries allow fails like any episode that raised: it is not recorded, and a
rerun of the same command runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from synth.executors.ray_cluster import RayConnection, connect_ray

__all__ = ["EpisodeWorker", "RayEpisodeRunner"]

TASK_RETRIES = 3  # times an episode is run again after its worker died


class EpisodeWorker:
    """A Ray actor running episodes (see the module docstring).

    Args:
        args: the `gem-env eval` arguments.
        scenarios: the checked scenarios; toolkit: the ``--toolkit`` spec or None.
        episodes: episodes this worker runs at once.
    """

    def __init__(self, args: argparse.Namespace, scenarios: list[Any], toolkit: Any, episodes: int):
        self.args = args
        self.plan = {"scenarios": scenarios, "toolkit": toolkit}
        self.episodes = episodes
        self.model: Any = None
        self.factories: tuple[Any, Any] | None = None
        self.envs: list[Any] = []
        self.threads = ThreadPoolExecutor(max_workers=episodes, thread_name_prefix="ray-episode")
        self.lock = threading.Lock() if args.user != "llm" else None
        self._starting = asyncio.Lock()

    async def _factories(self) -> tuple[Any, Any]:
        async with self._starting:  # built on first use: again after a restart
            if self.factories is None:
                from synth.eval_command import ORACLE, chat_model, participants

                if self.args.model != ORACLE:
                    self.model = chat_model(self.args)
                self.factories = participants(self.args, self.plan, self.model)
        return self.factories

    async def run(self, scenario: Any, trial: int, seed: int) -> Any:
        """One episode; returns its `gem_env.rollouts.EpisodeResult`."""
        from gem_env.rollouts import arun_episode

        make_env, make_agent = await self._factories()
        loop = asyncio.get_running_loop()
        env = self.envs.pop() if self.envs else await loop.run_in_executor(self.threads, make_env)
        try:
            return await arun_episode(
                env, make_agent(), scenario=scenario, seed=seed,
                executor=self.threads, lock=self.lock,
            )  # fmt: skip
        finally:
            self.envs.append(env)

    def pid(self) -> int:
        """This worker's process id (tests kill it)."""
        return os.getpid()

    async def close(self) -> dict[str, int]:
        """Close the envs and the model; return the model's token usage."""
        for env in self.envs:
            with contextlib.suppress(Exception):  # closing is best effort
                env.close()
        self.envs = []
        self.threads.shutdown(wait=False, cancel_futures=True)
        if self.model is None:
            return {}
        usage = self.model.usage.model_dump()
        await self.model.aclose()
        return usage


class RayEpisodeRunner:
    """Hands episodes to Ray workers; `run` is a `gem_env.rollouts.EpisodeRunner`.

    Args:
        args: the `gem-env eval` arguments (``ray_address``, ``ray_workers``,
            ``concurrency``).
        plan: the checked plan (``scenarios``, ``toolkit``).
    """

    def __init__(self, args: argparse.Namespace, plan: dict[str, Any]):
        self.args = args
        self.plan = plan
        self.connection: RayConnection | None = None
        self.workers: list[Any] = []
        self.in_flight: list[int] = []
        self._ray: Any = None

    def start(self) -> None:
        """Join Ray and start the workers.

        Raises:
            ExecutorError: Ray is missing or the cluster cannot be reached.
        """
        self.connection = connect_ray(getattr(self.args, "ray_address", None))
        ray = self._ray = self.connection.ray
        cpus = self.connection.cpus()
        count = getattr(self.args, "ray_workers", None) or min(cpus, self.args.concurrency)
        per_worker = -(-self.args.concurrency // count)
        actor_class = ray.remote(EpisodeWorker).options(
            num_cpus=min(1.0, cpus / count),
            max_restarts=-1,
            max_task_retries=TASK_RETRIES,
            max_concurrency=per_worker,
        )
        scenarios, toolkit = self.plan["scenarios"], self.plan["toolkit"]
        self.workers = [
            actor_class.remote(self.args, scenarios, toolkit, per_worker) for _ in range(count)
        ]
        self.in_flight = [0] * count

    async def run(self, scenario: Any, trial: int, seed: int) -> Any:
        """Run one episode on the least busy worker (a lost worker raises, so the
        episode is a failure that a rerun retries)."""
        index = min(range(len(self.workers)), key=self.in_flight.__getitem__)
        self.in_flight[index] += 1
        try:
            return await self.workers[index].run.remote(scenario, trial, seed)
        except self._ray.exceptions.RayTaskError as exc:  # the episode itself raised
            cause = getattr(exc, "cause", None)
            raise (cause if isinstance(cause, Exception) else exc) from None
        except self._ray.exceptions.RayError as exc:
            raise RuntimeError(
                f"its Ray worker was lost after {TASK_RETRIES} retries: {exc}"
            ) from None
        finally:
            self.in_flight[index] -= 1

    async def worker_pids(self) -> list[int]:
        """The process id of each worker (for tests that kill one)."""
        return list(await asyncio.gather(*(w.pid.remote() for w in self.workers)))

    async def close(self) -> dict[str, int]:
        """Close the workers (summing the model usage they report) and Ray when this
        runner started it."""
        totals: dict[str, int] = {}
        try:
            for worker in self.workers:
                try:
                    usage = await worker.close.remote()
                except self._ray.exceptions.RayError:
                    continue
                for key, value in usage.items():
                    totals[key] = totals.get(key, 0) + value
        finally:
            for worker in self.workers:
                self._ray.kill(worker)
            self.workers = []
            if self.connection is not None:
                self.connection.close()
        return totals
