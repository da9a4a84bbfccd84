"""`RayActorPool`: the workers of a Ray executor, one actor class, calls sent to the
least busy; shared by the document executor and the episode runner.

Actors restart when their process dies (``max_restarts=-1``) and Ray runs their
in-flight calls again up to ``task_retries`` times. Each actor has the share of the
run's concurrency it serves at once (`share`) and a CPU share of the cluster.
"""

from __future__ import annotations

import asyncio
from typing import Any

from synth.executors.ray_cluster import RayConnection

__all__ = ["RayActorPool", "close_actors"]


class RayActorPool:
    """`count` actors of `actor_class` (see the module docstring).

    Args:
        connection: the joined Ray.
        actor_class: a plain class; it is made a Ray actor here.
        count: the actors wanted (None: the cluster's CPUs, at most `concurrency`).
        concurrency: the calls in flight over the whole pool.
        task_retries: times a call is run again after its actor died.
        make_args: ``share -> constructor arguments`` of each actor.
    """

    def __init__(
        self,
        connection: RayConnection,
        actor_class: type,
        *,
        count: int | None,
        concurrency: int,
        task_retries: int,
        make_args: Any,
    ):
        self.ray = connection.ray
        cpus = connection.cpus()
        count = count or min(cpus, concurrency)
        self.share = -(-concurrency // count)  # calls in flight per actor
        remote = self.ray.remote(actor_class).options(
            num_cpus=min(1.0, cpus / count),
            max_restarts=-1,
            max_task_retries=task_retries,
            max_concurrency=self.share,
        )
        self.actors = [remote.remote(*make_args(self.share)) for _ in range(count)]
        self.in_flight = [0] * count

    async def call(self, method: str, *args: Any) -> Any:
        """``actor.method(*args)`` on the least busy actor (Ray's errors propagate)."""
        index = min(range(len(self.actors)), key=self.in_flight.__getitem__)
        self.in_flight[index] += 1
        try:
            return await getattr(self.actors[index], method).remote(*args)
        finally:
            self.in_flight[index] -= 1

    async def pids(self) -> list[int]:
        """The process id of each actor (its ``pid`` method; tests kill one)."""
        return list(await asyncio.gather(*(a.pid.remote() for a in self.actors)))

    async def close(self) -> dict[str, float]:
        """`close_actors` on the pool; it is empty afterwards."""
        actors, self.actors = self.actors, []
        return await close_actors(self.ray, actors)


async def close_actors(ray: Any, actors: list[Any]) -> dict[str, float]:
    """Call each actor's ``close`` (skipping dead ones), sum the dicts they return,
    then kill them all."""
    totals: dict[str, float] = {}
    try:
        for actor in actors:
            try:
                counts = await actor.close.remote()
            except ray.exceptions.RayError:
                continue  # a dead actor has nothing left to close
            for key, value in (counts or {}).items():
                totals[key] = totals.get(key, 0) + value
    finally:
        for actor in actors:
            ray.kill(actor)
    return totals
