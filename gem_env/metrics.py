"""Metrics of repeated trials: pass@k, pass^k, confidence intervals, flip rate, MDD.

This module owns the statistics of an evaluation run; it knows nothing of envs or
models. Its input is, per task, the outcomes of n independent trials (successes as
booleans, or rewards with a success threshold).

Definitions (n trials of a task, c of them successful, k <= n):

- pass@k = 1 - C(n-c, k) / C(n, k): the unbiased estimator of the probability that at
  least one of k trials succeeds (Chen et al. 2021, "Evaluating Large Language Models
  Trained on Code").
- pass^k = C(c, k) / C(n, k): the unbiased estimator of the probability that all k
  trials succeed (Yao et al. 2024, tau-bench). It measures reliability.
- flip rate of a task = c (n - c) / C(n, 2): the fraction of unordered trial pairs
  whose outcomes disagree; an unbiased estimator of 2 p (1 - p), the probability that
  two fresh trials disagree. 0 for a task that always or never succeeds; undefined
  (reported as 0) for n < 2.

Run-level values are means over tasks. Confidence intervals are percentile bootstrap
intervals resampling tasks (seeded): tasks are the independent units (trials of one
task share its difficulty, so counting trials as independent would overstate precision).
The minimum detectable difference (MDD) is the smallest true difference in a run-level
metric that a two-sided test at level `alpha` detects with probability `power`, given
the across-task variance observed:
``MDD = (z_{1-alpha/2} + z_{power}) * sqrt(2 * s^2 / n_tasks)`` for two independent runs
over `n_tasks` tasks each (or ``sqrt(s_d^2 / n_tasks)`` for a paired comparison on the
same tasks, with `s_d^2` the variance of per-task differences).

No variance across tasks (every task passes every trial, or every task has the same
value) is not certainty, and is not reported as such:

- The bootstrap cannot see uncertainty its resamples do not vary: every resample of
  identical values has the same mean, so it would claim ``[1.000, 1.000]``. A metric
  whose per-task values are all equal gets the Wilson score interval instead, with
  the tasks as the n independent units: its per-task values (pass@k, pass^k, a reward
  in [0, 1]) are proportions, and the Wilson interval is the one for a proportion that
  keeps its coverage at the boundary, where a Wald or bootstrap interval collapses to
  a point (at 20 of 20 tasks it is ``[0.839, 1]``, close to the "rule of three"). The
  binomial variance p (1 - p) it uses is the largest a [0, 1] value of mean p can
  have, so it is conservative for fractional per-task values. `Estimate.interval`
  says which interval was used; a mean reward outside [0, 1] with no variance has no
  interval (``ci_low`` and ``ci_high`` are None).
- The MDD is a function of the observed variance; with none observed (or one task,
  where it is undefined) the data do not estimate the noise floor, and the MDD is
  None ("n/a" in tables) rather than 0. The same holds for `compare_runs` when the
  per-task differences do not vary; such a comparison is not called detectable.

JSON of `EvalMetrics` (``metrics.json`` of ``gem-env eval``) is backward compatible:
``ci_low``, ``ci_high`` and the values of ``mdd`` may be null, and ``Estimate`` has a
new field ``interval`` ("bootstrap", "wilson" or null; files without it read as
"bootstrap", which is what they used).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

__all__ = [
    "Estimate",
    "EvalMetrics",
    "RunComparison",
    "TaskMetrics",
    "bootstrap_ci",
    "compare_runs",
    "compute_metrics",
    "flip_rate",
    "minimum_detectable_difference",
    "pass_at_k",
    "pass_hat_k",
    "wilson_interval",
]


def _check(n: int, c: int, k: int) -> None:
    if n < 1 or not 0 <= c <= n:
        raise ValueError(f"need n >= 1 and 0 <= c <= n, got n={n}, c={c}")
    if not 1 <= k <= n:
        raise ValueError(f"k must be in 1..n (n={n} trials), got k={k}")


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one task: 1 - C(n-c, k) / C(n, k).

    Args:
        n: trials run; c: successful trials; k: the budget of attempts (1 <= k <= n).
    """
    _check(n, c, k)
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """tau-bench pass^k of one task: C(c, k) / C(n, k) (all k trials succeed)."""
    _check(n, c, k)
    return math.comb(c, k) / math.comb(n, k)


def flip_rate(outcomes: Sequence[bool]) -> float:
    """Fraction of unordered trial pairs with different outcomes: c (n - c) / C(n, 2).

    Returns 0.0 when there are fewer than two trials.
    """
    n = len(outcomes)
    if n < 2:
        return 0.0
    c = sum(1 for o in outcomes if o)
    return c * (n - c) / math.comb(n, 2)


def bootstrap_ci(
    values: Sequence[float] | np.ndarray,
    *,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of `values` (resampling the values).

    Deterministic for a given seed. A single value gives a zero-width interval.
    """
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        raise ValueError("bootstrap_ci needs at least one value")
    lows, highs = _bootstrap(data[None, :], confidence, n_boot, seed)
    return lows[0], highs[0]


def _bootstrap(
    rows: np.ndarray, confidence: float, n_boot: int, seed: int
) -> tuple[list[float], list[float]]:
    """Intervals of the means of each row of `rows` (metrics x tasks), one shared resample."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    n_tasks = rows.shape[1]
    rng = np.random.default_rng(seed)
    index = rng.integers(0, n_tasks, size=(n_boot, n_tasks))
    means = rows[:, index].mean(axis=2)  # metrics x n_boot
    tail = (1 - confidence) / 2 * 100
    low = np.percentile(means, tail, axis=1)
    high = np.percentile(means, 100 - tail, axis=1)
    # the sample mean is always inside its interval (percentiles can miss it by rounding)
    center = rows.mean(axis=1)
    low, high = np.minimum(low, center), np.maximum(high, center)
    return [float(x) for x in low], [float(x) for x in high]


def wilson_interval(proportion: float, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion observed over `n` independent units.

    ``(p + z^2/2n -+ z sqrt(p (1 - p)/n + z^2/4n^2)) / (1 + z^2/n)``, z the two-sided
    normal quantile of `confidence`. Unlike the Wald or bootstrap interval it does not
    collapse to a point when the observed proportion is 0 or 1: with all of n units
    successful it is ``[n / (n + z^2), 1]``.
    """
    if n < 1:
        raise ValueError("wilson_interval needs n >= 1")
    if not 0 <= proportion <= 1:
        raise ValueError(f"a proportion must be in [0, 1], got {proportion}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    z2n = z * z / n
    center = (proportion + z2n / 2) / (1 + z2n)
    half = z * math.sqrt(proportion * (1 - proportion) / n + z2n / (4 * n)) / (1 + z2n)
    # the observed proportion is inside (rounding could push an end past it or past [0, 1])
    return max(0.0, min(center - half, proportion)), min(1.0, max(center + half, proportion))


def minimum_detectable_difference(
    n_tasks: int, variance: float, *, alpha: float = 0.05, power: float = 0.8, paired: bool = False
) -> float:
    """Smallest true difference of a mean-over-tasks metric detectable between two runs.

    Args:
        n_tasks: tasks in each run.
        variance: across-task variance of the per-task metric (sample variance, ddof=1);
            for `paired`, the variance of per-task differences between the runs.
        alpha: two-sided significance level. power: probability of detection.
        paired: both runs on the same tasks, compared task by task.
    """
    if n_tasks < 1:
        raise ValueError("n_tasks must be at least 1")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError("alpha and power must be in (0, 1)")
    z = NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(power)
    factor = 1.0 if paired else 2.0
    return z * math.sqrt(factor * max(variance, 0.0) / n_tasks)


class Estimate(BaseModel):
    """A run-level value with its confidence interval (see the module docstring)."""

    value: float = Field(description="Mean over tasks.")
    ci_low: float | None = Field(description="Lower end of the interval; None: undefined.")
    ci_high: float | None = Field(description="Upper end of the interval; None: undefined.")
    interval: Literal["bootstrap", "wilson"] | None = Field(
        default="bootstrap",
        description="bootstrap (tasks resampled), wilson (no variance across tasks: the "
        "Wilson score interval over the tasks), or None (no variance and not a proportion).",
    )


class TaskMetrics(BaseModel):
    """Per-task results of n trials."""

    task_id: str
    trials: int = Field(description="Trials run (n).")
    successes: int = Field(description="Successful trials (c).")
    mean_reward: float
    pass_at_k: dict[int, float] = Field(description="k -> unbiased pass@k.")
    pass_hat_k: dict[int, float] = Field(description="k -> pass^k.")
    flip_rate: float = Field(description="Fraction of trial pairs that disagree.")


class EvalMetrics(BaseModel):
    """Run-level metrics: means over tasks with intervals, and the per-task rows."""

    n_tasks: int
    trials_per_task: int = Field(description="Smallest n over tasks; k ranges up to it.")
    ks: list[int]
    confidence: float
    success_threshold: float = Field(description="A trial succeeds when reward >= this.")
    pass_at_k: dict[int, Estimate]
    pass_hat_k: dict[int, Estimate]
    mean_reward: Estimate
    flip_rate: float = Field(description="Mean per-task flip rate.")
    flaky_tasks: int = Field(description="Tasks with both successes and failures.")
    mdd: dict[str, float | None] = Field(
        description="Minimum detectable difference of pass@1 between two runs of this size: "
        "'independent' (None when pass@1 does not vary across tasks, or with one task: "
        "undefined) and 'alpha', 'power' used."
    )
    tasks: list[TaskMetrics]


def compute_metrics(
    outcomes: Mapping[str, Sequence[bool | float]],
    ks: Sequence[int] | None = None,
    *,
    success_threshold: float = 1.0,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
    power: float = 0.8,
) -> EvalMetrics:
    """Compute every metric of a run from per-task trial outcomes.

    Args:
        outcomes: task id -> outcomes of its trials (booleans, or rewards compared with
            `success_threshold`). Every task needs at least one trial.
        ks: the k values; default 1..n (n = fewest trials of any task).
        success_threshold: a reward at or above it is a success (booleans: True = 1.0).
        confidence, n_boot, seed: the bootstrap over tasks.
        alpha, power: for the minimum detectable difference of pass@1.
    """
    if not outcomes:
        raise ValueError("no tasks to compute metrics over")
    rewards = {tid: [float(x) for x in trials] for tid, trials in outcomes.items()}
    empty = [tid for tid, trials in rewards.items() if not trials]
    if empty:
        raise ValueError(f"tasks without trials: {', '.join(empty[:5])}")
    n_min = min(len(trials) for trials in rewards.values())
    ks = sorted(set(ks)) if ks is not None else list(range(1, n_min + 1))
    bad = [k for k in ks if not 1 <= k <= n_min]
    if bad:
        raise ValueError(f"k must be in 1..{n_min} (fewest trials of any task), got {bad}")

    tasks: list[TaskMetrics] = []
    for tid, trials in rewards.items():
        wins = [r >= success_threshold for r in trials]
        n, c = len(trials), sum(wins)
        tasks.append(
            TaskMetrics(
                task_id=tid,
                trials=n,
                successes=c,
                mean_reward=sum(trials) / n,
                pass_at_k={k: pass_at_k(n, c, k) for k in ks},
                pass_hat_k={k: pass_hat_k(n, c, k) for k in ks},
                flip_rate=flip_rate(wins),
            )
        )

    rows = [[t.pass_at_k[k] for t in tasks] for k in ks]
    rows += [[t.pass_hat_k[k] for t in tasks] for k in ks]
    rows.append([t.mean_reward for t in tasks])
    matrix = np.asarray(rows, dtype=float)
    lows, highs = _bootstrap(matrix, confidence, n_boot, seed)
    estimates = [_estimate(matrix[i], lows[i], highs[i], confidence) for i in range(len(rows))]
    pass1 = np.asarray([t.successes / t.trials for t in tasks])
    variance = float(pass1.var(ddof=1)) if len(tasks) > 1 else 0.0
    mdd = (
        minimum_detectable_difference(len(tasks), variance, alpha=alpha, power=power)
        if variance > 0
        else None
    )
    return EvalMetrics(
        n_tasks=len(tasks),
        trials_per_task=n_min,
        ks=list(ks),
        confidence=confidence,
        success_threshold=success_threshold,
        pass_at_k=dict(zip(ks, estimates[: len(ks)])),
        pass_hat_k=dict(zip(ks, estimates[len(ks) : 2 * len(ks)])),
        mean_reward=estimates[-1],
        flip_rate=float(np.mean([t.flip_rate for t in tasks])),
        flaky_tasks=sum(1 for t in tasks if 0 < t.successes < t.trials),
        mdd={
            "independent": mdd,
            "alpha": alpha,
            "power": power,
        },
        tasks=tasks,
    )


def _estimate(values: np.ndarray, low: float, high: float, confidence: float) -> Estimate:
    """The bootstrap interval of the mean of `values`, or (no variance) Wilson's."""
    value = float(values.mean())
    if np.ptp(values) > 0:
        return Estimate(value=value, ci_low=low, ci_high=high, interval="bootstrap")
    if 0 <= value <= 1:
        low, high = wilson_interval(value, values.size, confidence=confidence)
        return Estimate(value=value, ci_low=low, ci_high=high, interval="wilson")
    return Estimate(value=value, ci_low=None, ci_high=None, interval=None)


class RunComparison(BaseModel):
    """Two runs on the same tasks, compared task by task on pass@1."""

    shared_tasks: int
    difference: float = Field(description="pass@1 of run b minus pass@1 of run a (shared tasks).")
    mdd: float | None = Field(
        description="Paired minimum detectable difference at alpha and power; None when "
        "the per-task differences do not vary (or one task is shared): undefined."
    )
    detectable: bool = Field(
        description="|difference| >= mdd: larger than the noise floor (False without an mdd)."
    )
    alpha: float
    power: float


def compare_runs(
    a: EvalMetrics, b: EvalMetrics, *, alpha: float = 0.05, power: float = 0.8
) -> RunComparison:
    """Compare pass@1 of two runs on their shared tasks, with the paired MDD (None when
    the per-task differences have no variance: the data do not estimate the noise)."""
    rate_a = {t.task_id: t.successes / t.trials for t in a.tasks}
    rate_b = {t.task_id: t.successes / t.trials for t in b.tasks}
    shared = sorted(set(rate_a) & set(rate_b))
    if not shared:
        raise ValueError("the two runs share no task")
    diffs = np.asarray([rate_b[t] - rate_a[t] for t in shared])
    variance = float(diffs.var(ddof=1)) if len(shared) > 1 else 0.0
    mdd = (
        minimum_detectable_difference(len(shared), variance, alpha=alpha, power=power, paired=True)
        if variance > 0
        else None
    )
    difference = float(diffs.mean())
    return RunComparison(
        shared_tasks=len(shared),
        difference=difference,
        mdd=mdd,
        detectable=mdd is not None and difference != 0 and abs(difference) >= mdd,
        alpha=alpha,
        power=power,
    )
