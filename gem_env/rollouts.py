"""Rollouts: one episode (`run_episode`), and many in parallel (`run_rollouts`).

An episode is the loop ``agent.act -> env.step`` until the env terminates or
truncates. The env stays synchronous (gymnasium's contract); the async versions run
`env.step` in a thread pool and await the agent, so with many episodes in flight the
model calls of the agents (and of LLM user simulators, which block inside `step`
on their own threads) overlap.

`run_rollouts` runs every scenario `k` times. Trial ``t`` of scenario ``s`` gets the
seed ``trial_seed(s.id, t, base_seed)``, so ``(scenario, seed)`` reproduces an episode
with seeded participants: ``run_episode(env, agent, scenario=s, seed=record_seed)``.
Results stream to a JSONL file (see `gem_env.rollout_store`) and a rerun resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import sys
import threading
import traceback
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from gem_env.errors import GemEnvError
from gem_env.messages import Message
from gem_env.protocols import Agent, reset_agent
from gem_env.rollout_store import DoneEpisode, RolloutStore
from gem_env.scenario import Scenario, load_scenarios
from gem_env.trajectory import Trajectory

__all__ = [
    "EpisodeFailure",
    "EpisodeResult",
    "EpisodeRunner",
    "RolloutRun",
    "arun_episode",
    "run_episode",
    "run_rollouts",
    "trial_seed",
]


def trial_seed(scenario_id: str, trial: int, base_seed: int = 0) -> int:
    """The seed of trial `trial` of `scenario_id`: a stable 31-bit hash of the three."""
    digest = hashlib.sha256(f"{base_seed}:{scenario_id}:{trial}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


class EpisodeResult(BaseModel):
    """A finished episode: its trajectory, the total reward and the last step's info."""

    trajectory: Trajectory
    reward: float = Field(description="Sum of the step rewards (the env pays at the end).")
    info: dict[str, Any] = Field(default_factory=dict, description="Info of the last step.")


# Runs one episode elsewhere: (scenario, trial, seed) -> its result (see run_rollouts).
EpisodeRunner = Callable[[Scenario, int, int], Awaitable[EpisodeResult]]


async def arun_episode(
    env: Any,
    agent: Agent,
    *,
    scenario: Scenario | str | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    lock: threading.Lock | None = None,
) -> EpisodeResult:
    """Run one episode; `env.reset`, `env.step` and `agent.reset` run in `executor`
    (default: the loop's), holding `lock` when one is given.

    Args:
        env: a `ToolUseEnv`, possibly wrapped (e.g. by `gymnasium.make`).
        agent: the agent; it is reset with the episode's scenario, tools and seed.
        scenario: a Scenario or scenario id; None lets the env draw one from its RNG.
        seed: passed to `env.reset` (and so to the user simulator) and to the agent.
        executor: where the synchronous calls run.
        lock: held around each synchronous call (see `run_rollouts`' `serialize_env`).
    """
    loop = asyncio.get_running_loop()

    def locked(fn: Callable[[], Any]) -> Any:
        assert lock is not None
        with lock:
            return fn()

    async def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        job = functools.partial(fn, *args, **kwargs)
        if lock is not None:
            job = functools.partial(locked, job)
        return await loop.run_in_executor(executor, job)

    return await _episode(env, agent, scenario, seed, call)


def run_episode(
    env: Any, agent: Agent, *, scenario: Scenario | str | None = None, seed: int | None = None
) -> EpisodeResult:
    """Synchronous `arun_episode` (the env runs on this thread). Not for use inside an
    event loop: there, ``await arun_episode(...)``."""

    async def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_sync(_episode(env, agent, scenario, seed, call))
    raise GemEnvError("run_episode was called inside an event loop; use `await arun_episode`")


def _run_sync(coroutine: Awaitable[EpisodeResult]) -> EpisodeResult:
    """`asyncio.run` without its SIGINT handler, whose teardown formats the finished
    task's repr, the whole episode result included (about half a millisecond)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()


async def _episode(
    env: Any,
    agent: Agent,
    scenario: Scenario | str | None,
    seed: int | None,
    call: Callable[..., Awaitable[Any]],
) -> EpisodeResult:
    options = {"scenario": scenario} if scenario is not None else None
    observation, info = await call(env.reset, seed=seed, options=options)
    base = env.unwrapped
    chosen = getattr(base, "scenario", None)
    if not isinstance(chosen, Scenario):
        chosen = scenario if isinstance(scenario, Scenario) else None
    if chosen is None:
        raise GemEnvError("the env does not expose the scenario of the episode (env.scenario)")
    tools = info.get("tools") or []
    opening = _first_user_message(base, observation)
    await call(reset_agent, agent, chosen, tools, opening, seed)  # may plan: off the loop
    reward = 0.0
    while True:
        action = await agent.act(_messages(base, observation), tools)
        observation, step_reward, terminated, truncated, info = await call(env.step, action)
        tools = info.get("tools", tools)  # a scenario may reveal tools at a later turn
        reward += float(step_reward)
        if terminated or truncated:
            break
    trajectory = base.trajectory()
    trajectory.provenance.models.setdefault(
        "agent", str(getattr(agent, "name", type(agent).__name__))
    )
    return EpisodeResult(trajectory=trajectory, reward=reward, info=dict(info))


def _first_user_message(base: Any, observation: Any) -> str:
    """The user's opening message of the episode."""
    return next((m.content or "" for m in _messages(base, observation) if m.role == "user"), "")


def _messages(base: Any, observation: Any) -> list[Message]:
    """The conversation so far: from the env when it exposes it, else from the observation."""
    messages = getattr(base, "messages", None)
    if messages is None:
        text = observation["messages"] if isinstance(observation, dict) else observation
        messages = json.loads(text)
    return [m if isinstance(m, Message) else Message.model_validate(m) for m in messages]


# -- the driver -----------------------------------------------------------------------


class EpisodeFailure(BaseModel):
    """An episode that raised (e.g. the model server failed); it is not recorded, so a
    rerun retries it."""

    scenario_id: str
    trial: int
    seed: int
    error: str = Field(description="Type and message of the exception.")


class RolloutRun(BaseModel):
    """What `run_rollouts` did: outcomes of every requested (scenario, trial) it has."""

    out_path: str | None
    k: int
    base_seed: int
    ran: int = Field(description="Episodes run now.")
    resumed: int = Field(description="Episodes found in the output file and skipped.")
    repaired_lines: int = Field(default=0, description="Truncated/duplicate lines dropped.")
    failures: list[EpisodeFailure] = Field(default_factory=list)
    not_run: int = Field(default=0, description="Episodes left pending after max_failures.")
    rewards: dict[str, list[float | None]] = Field(
        description="Scenario id -> reward per trial (None: the trial failed)."
    )

    @property
    def complete(self) -> bool:
        """Every (scenario, trial) has a reward."""
        return not self.failures and all(
            r is not None for rows in self.rewards.values() for r in rows
        )

    def outcomes(self) -> dict[str, list[float]]:
        """Scenario id -> rewards of the trials that finished (input to `compute_metrics`)."""
        return {sid: [r for r in rows if r is not None] for sid, rows in self.rewards.items()}


async def run_rollouts(
    make_env: Callable[[], Any],
    agent_factory: Callable[[], Agent],
    scenarios: Sequence[Scenario] | str | Path,
    k: int,
    *,
    concurrency: int = 8,
    out_path: str | Path | None = None,
    progress: bool = True,
    resume: bool = True,
    base_seed: int = 0,
    max_failures: int | None = None,
    serialize_env: bool = True,
    episode_runner: EpisodeRunner | None = None,
) -> RolloutRun:
    """Run every scenario `k` times with at most `concurrency` episodes in flight.

    Args:
        make_env: builds one env (called once per worker, `concurrency` times at most);
            each env must accept every scenario in ``reset(options={"scenario": s})``.
        agent_factory: builds a fresh agent for each episode.
        scenarios: Scenarios, or a scenarios file.
        k: trials per scenario.
        concurrency: episodes in flight.
        out_path: the JSONL results file (None: nothing written, nothing resumed).
        progress: show a progress bar on stderr.
        resume: skip the (scenario, trial) pairs already in `out_path`.
        base_seed: mixed into every trial seed.
        max_failures: stop starting episodes after this many failed (None: never).
        serialize_env: run the synchronous work (env resets and steps, agent resets)
            one call at a time. It is CPU-bound under the GIL, so nothing is lost, and
            CPython 3.11's AST compiler (used by the sandbox for goal assertions) is not
            thread-safe. Set False when the user simulator waits on a model server
            (`LLMUser`), so that its calls overlap too.
        episode_runner: runs an episode elsewhere: ``await episode_runner(scenario,
            trial, seed)`` returns its `EpisodeResult` (e.g. on a Ray worker, see
            ``synth.executors.ray_episodes``). No env is built here then; the results,
            the output file, resume and failures are handled here as for local episodes.

    Episodes that raise are reported in `RolloutRun.failures` and not written, so a
    rerun retries them. Errors building the first env are raised before any episode.
    """
    if k < 1 or concurrency < 1:
        raise ValueError(f"k and concurrency must be at least 1 (k={k}, concurrency={concurrency})")
    if not isinstance(scenarios, Sequence) or isinstance(scenarios, str):
        scenarios = load_scenarios(scenarios)
    scenarios = load_scenarios(list(scenarios))  # validates, and rejects duplicate ids
    store = RolloutStore(out_path) if out_path is not None else None
    done: dict[tuple[str, int], DoneEpisode] = (
        store.open(resume=resume, base_seed=base_seed) if store else {}
    )
    wanted = [(s, t) for s in scenarios for t in range(k)]  # scenario-major order
    pending = [(s, t) for s, t in wanted if (s.id, t) not in done]
    resumed = len(wanted) - len(pending)  # (the file may hold other scenarios or trials)
    rewards: dict[str, list[float | None]] = {
        s.id: [done[(s.id, t)].reward if (s.id, t) in done else None for t in range(k)]
        for s in scenarios
    }
    failures: list[EpisodeFailure] = []
    workers = min(concurrency, len(pending))
    executor = ThreadPoolExecutor(max_workers=max(workers, 1), thread_name_prefix="gem-env-step")
    loop = asyncio.get_running_loop()
    envs: list[Any] = []
    queue: asyncio.Queue[tuple[Scenario, int]] = asyncio.Queue()
    for item in pending:
        queue.put_nowait(item)
    bar = _progress(len(wanted), resumed, progress)

    building = asyncio.Lock()  # envs are built one at a time (compiling is CPU-bound)
    env_lock = threading.Lock() if serialize_env else None

    def build() -> Any:
        if env_lock is None:
            return make_env()
        with env_lock:
            return make_env()

    async def worker(env: Any) -> None:
        if env is None and episode_runner is None:
            try:
                async with building:
                    env = await loop.run_in_executor(executor, build)
            except Exception:  # the first env was built: run with one worker fewer
                return
            envs.append(env)
        while not queue.empty():
            scenario, trial = queue.get_nowait()
            seed = trial_seed(scenario.id, trial, base_seed)
            try:
                if episode_runner is not None:
                    result = await episode_runner(scenario, trial, seed)
                else:
                    result = await arun_episode(
                        env,
                        agent_factory(),
                        scenario=scenario,
                        seed=seed,
                        executor=executor,
                        lock=env_lock,
                    )
            except Exception as exc:
                failures.append(
                    EpisodeFailure(
                        scenario_id=scenario.id, trial=trial, seed=seed, error=_error(exc)
                    )
                )
                if max_failures is not None and len(failures) >= max_failures:
                    while not queue.empty():  # give up: the rest stays pending for a rerun
                        queue.get_nowait()
            else:
                rewards[scenario.id][trial] = result.reward
                if store is not None:
                    store.append(_record(result, scenario.id, trial, seed, base_seed))
            bar.update(1)

    try:
        if workers and episode_runner is not None:
            await asyncio.gather(*(worker(None) for _ in range(workers)))
        elif workers:  # the first env is built before any episode: a bad config fails here
            envs.append(await loop.run_in_executor(executor, build))
            await asyncio.gather(worker(envs[0]), *(worker(None) for _ in range(workers - 1)))
    finally:
        bar.close()
        executor.shutdown(wait=False, cancel_futures=True)
        for env in envs:
            _close(env)
        if store is not None:
            store.close()
    return RolloutRun(
        out_path=str(out_path) if out_path is not None else None,
        k=k,
        base_seed=base_seed,
        ran=sum(1 for rows in rewards.values() for r in rows if r is not None) - resumed,
        resumed=resumed,
        repaired_lines=store.repaired if store else 0,
        not_run=sum(1 for rows in rewards.values() for r in rows if r is None) - len(failures),
        failures=sorted(failures, key=lambda f: (f.scenario_id, f.trial)),
        rewards=rewards,
    )


def _record(
    result: EpisodeResult, scenario_id: str, trial: int, seed: int, base_seed: int
) -> dict[str, Any]:
    record = result.trajectory.model_dump(mode="json", exclude_none=True)
    record["rollout"] = {
        "scenario_id": scenario_id,
        "trial": trial,
        "seed": seed,
        "base_seed": base_seed,
        "reward": result.reward,
        "info": result.info,
    }
    return record


def _error(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    if not str(exc):
        text += " at " + "".join(traceback.format_tb(exc.__traceback__, limit=-1)).strip()
    return text


def _close(env: Any) -> None:
    with contextlib.suppress(Exception):  # closing is best effort
        env.close()


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, initial: int, enabled: bool) -> Any:
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(
        total=total, initial=initial, desc="rollouts", unit="ep", file=sys.stderr, leave=True
    )
