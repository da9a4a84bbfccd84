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
from synth.executors.ray_pool import RayActorPool

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
                from synth.eval_participants import ORACLE, chat_model, participants

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
        self.pool: RayActorPool | None = None

    @property
    def in_flight(self) -> list[int]:
        """Episodes in flight per worker."""
        return self.pool.in_flight if self.pool is not None else []

    def start(self) -> None:
        """Join Ray and start the workers.

        Raises:
            ExecutorError: Ray is missing or the cluster cannot be reached.
        """
        self.connection = connect_ray(getattr(self.args, "ray_address", None))
        scenarios, toolkit = self.plan["scenarios"], self.plan["toolkit"]
        self.pool = RayActorPool(
            self.connection, EpisodeWorker, count=getattr(self.args, "ray_workers", None),
            concurrency=self.args.concurrency, task_retries=TASK_RETRIES,
            make_args=lambda share: (self.args, scenarios, toolkit, share),
        )  # fmt: skip

    async def run(self, scenario: Any, trial: int, seed: int) -> Any:
        """Run one episode on the least busy worker (a lost worker raises, so the
        episode is a failure that a rerun retries)."""
        assert self.pool is not None, "call start() first"
        errors = self.pool.ray.exceptions
        try:
            return await self.pool.call("run", scenario, trial, seed)
        except errors.RayTaskError as exc:  # the episode itself raised
            cause = getattr(exc, "cause", None)
            raise (cause if isinstance(cause, Exception) else exc) from None
        except errors.RayError as exc:
            raise RuntimeError(
                f"its Ray worker was lost after {TASK_RETRIES} retries: {exc}"
            ) from None

    async def worker_pids(self) -> list[int]:
        """The process id of each worker (for tests that kill one)."""
        return await self.pool.pids() if self.pool is not None else []

    async def close(self) -> dict[str, int]:
        """Close the workers (summing the model usage they report) and Ray when this
        runner started it."""
        try:
            totals = await self.pool.close() if self.pool is not None else {}
        finally:
            if self.connection is not None:
                self.connection.close()
        return {key: int(value) for key, value in totals.items()}
