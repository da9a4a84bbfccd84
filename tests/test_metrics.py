"""pass@k, pass^k, bootstrap intervals, flip rate and MDD: hand-computed values and properties."""

from __future__ import annotations

import itertools
import math
from statistics import NormalDist

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gem_env.metrics import (
    bootstrap_ci,
    compare_runs,
    compute_metrics,
    flip_rate,
    minimum_detectable_difference,
    pass_at_k,
    pass_hat_k,
    wilson_interval,
)


def test_hand_computed_values() -> None:
    assert pass_at_k(5, 2, 2) == pytest.approx(1 - 3 / 10)  # 1 - C(3,2)/C(5,2)
    assert pass_hat_k(5, 2, 2) == pytest.approx(1 / 10)  # C(2,2)/C(5,2)
    assert pass_at_k(4, 3, 2) == 1.0  # fewer failures than k: some success is certain
    assert pass_hat_k(4, 3, 2) == pytest.approx(3 / 6)
    assert pass_at_k(4, 0, 4) == 0.0 and pass_hat_k(4, 4, 4) == 1.0
    assert pass_at_k(10, 1, 3) == pytest.approx(1 - math.comb(9, 3) / math.comb(10, 3))
    assert flip_rate([True, False, True, False]) == pytest.approx(4 / 6)
    assert flip_rate([True, True, True]) == 0.0
    assert flip_rate([True]) == 0.0


def test_invalid_arguments_are_errors() -> None:
    for n, c, k in [(3, 4, 1), (3, 1, 4), (3, 1, 0), (0, 0, 1)]:
        with pytest.raises(ValueError):
            pass_at_k(n, c, k)
    with pytest.raises(ValueError, match=r"k must be in 1\.\.2"):
        compute_metrics({"a": [True, False], "b": [True, True, True]}, ks=[3])
    with pytest.raises(ValueError):
        compute_metrics({})


def test_minimum_detectable_difference_hand_computed() -> None:
    # (z_0.975 + z_0.8) * sqrt(2 * 0.25 / 100) = 2.801585 * 0.0707107
    assert minimum_detectable_difference(100, 0.25) == pytest.approx(0.198101, abs=1e-5)
    assert minimum_detectable_difference(100, 0.25, paired=True) == pytest.approx(
        0.198101 / math.sqrt(2), abs=1e-5
    )
    # four times the tasks halves the MDD
    assert minimum_detectable_difference(400, 0.25) == pytest.approx(
        minimum_detectable_difference(100, 0.25) / 2
    )


def test_compute_metrics_run_level() -> None:
    outcomes = {
        "a": [True, True, True, True],
        "b": [True, False, True, False],
        "c": [False, False, False, False],
        "d": [0.5, 1.0, 0.0, 1.0],  # rewards: success means reward >= 1.0
    }
    m = compute_metrics(outcomes)
    assert m.ks == [1, 2, 3, 4] and m.n_tasks == 4 and m.trials_per_task == 4
    assert m.pass_at_k[1].value == pytest.approx((1 + 0.5 + 0 + 0.5) / 4)
    assert m.pass_hat_k[2].value == pytest.approx((1 + 1 / 6 + 0 + 1 / 6) / 4)
    assert m.pass_at_k[4].value == pytest.approx(3 / 4)
    assert m.pass_hat_k[4].value == pytest.approx(1 / 4)
    assert m.flip_rate == pytest.approx((0 + 4 / 6 + 0 + 4 / 6) / 4)
    assert m.flaky_tasks == 2
    assert m.mean_reward.value == pytest.approx((1 + 0.5 + 0 + 0.625) / 4)
    task_d = next(t for t in m.tasks if t.task_id == "d")
    assert task_d.successes == 2 and task_d.mean_reward == pytest.approx(0.625)
    for est in [*m.pass_at_k.values(), *m.pass_hat_k.values(), m.mean_reward]:
        assert 0.0 <= est.ci_low <= est.value <= est.ci_high <= 1.0
    assert m.mdd["independent"] > 0
    # JSON round trip of the result model (int keys come back as ints)
    assert type(m).model_validate_json(m.model_dump_json()) == m


def test_no_variance_is_not_certainty() -> None:
    # every task passes every trial: the bootstrap would say [1.000, 1.000] and the MDD 0
    m = compute_metrics({f"t{i}": [True] * 4 for i in range(20)})
    z2 = NormalDist().inv_cdf(0.975) ** 2
    for est in [*m.pass_at_k.values(), *m.pass_hat_k.values(), m.mean_reward]:
        assert est.value == 1.0 and est.interval == "wilson"
        assert est.ci_low == pytest.approx(20 / (20 + z2)) and est.ci_high == 1.0  # 0.839
    assert m.mdd["independent"] is None
    data = m.model_dump(mode="json")
    assert data["mdd"] == {"independent": None, "alpha": 0.05, "power": 0.8}
    assert data["pass_at_k"]["1"]["interval"] == "wilson"
    assert type(m).model_validate_json(m.model_dump_json()) == m
    # every task fails: [0, 0.161]
    none = compute_metrics({f"t{i}": [False] * 4 for i in range(20)})
    assert none.pass_at_k[1].ci_low == 0.0
    assert none.pass_at_k[1].ci_high == pytest.approx(1 - 20 / (20 + z2))
    assert none.mdd["independent"] is None
    # one task: nothing is known of the variance across tasks
    one = compute_metrics({"a": [True, False, True, True]})
    assert one.mdd["independent"] is None and one.pass_at_k[1].interval == "wilson"
    low, high = one.pass_at_k[1].ci_low, one.pass_at_k[1].ci_high
    assert low is not None and high is not None and low < 0.2 and high > 0.95


def test_equal_fractional_values_get_the_wilson_interval() -> None:
    m = compute_metrics({f"t{i}": [True, False] for i in range(10)})  # 0.5 everywhere
    est = m.pass_at_k[1]
    assert est.value == 0.5 and est.interval == "wilson"
    assert (est.ci_low, est.ci_high) == pytest.approx(wilson_interval(0.5, 10))
    assert est.ci_low < 0.3 and est.ci_high > 0.7
    assert m.mdd["independent"] is None


def test_no_variance_outside_0_1_has_no_interval() -> None:
    m = compute_metrics({"a": [2.0, 2.0], "b": [2.0, 2.0]})  # rewards above the threshold
    assert m.pass_at_k[1].interval == "wilson"
    assert m.mean_reward.value == 2.0
    assert (m.mean_reward.ci_low, m.mean_reward.ci_high, m.mean_reward.interval) == (
        None,
        None,
        None,
    )


def test_variance_keeps_the_bootstrap() -> None:
    m = compute_metrics({"a": [True, True], "b": [False, True], "c": [False, False]})
    assert all(est.interval == "bootstrap" for est in m.pass_at_k.values())
    assert m.mdd["independent"] is not None and m.mdd["independent"] > 0


def test_old_metrics_json_still_reads() -> None:
    m = compute_metrics({"a": [True, False], "b": [True, True]})
    data = m.model_dump(mode="json")
    for est in [*data["pass_at_k"].values(), *data["pass_hat_k"].values(), data["mean_reward"]]:
        del est["interval"]  # written before the field existed
    again = type(m).model_validate(data)
    assert again.pass_at_k[1].interval == "bootstrap" and again.pass_at_k[1] == m.pass_at_k[1]


def test_wilson_interval_hand_computed() -> None:
    assert wilson_interval(0.8, 10) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    assert wilson_interval(1.0, 20) == pytest.approx((0.8389, 1.0), abs=1e-4)
    low90, high90 = wilson_interval(0.5, 10, confidence=0.9)
    low95, high95 = wilson_interval(0.5, 10)
    assert low95 < low90 < 0.5 < high90 < high95
    for bad in [(1.5, 10), (0.5, 0)]:
        with pytest.raises(ValueError):
            wilson_interval(*bad)


@given(st.integers(1, 50), st.data())
def test_wilson_contains_the_proportion(n: int, data) -> None:
    c = data.draw(st.integers(0, n))
    low, high = wilson_interval(c / n, n)
    assert 0.0 <= low <= c / n <= high <= 1.0 and high - low > 0


def test_bootstrap_is_seeded_and_sensible() -> None:
    values = [0.0, 1.0, 1.0, 0.0, 1.0, 0.5, 0.25, 1.0]
    assert bootstrap_ci(values, seed=3) == bootstrap_ci(values, seed=3)
    low, high = bootstrap_ci(values, confidence=0.95)
    low90, high90 = bootstrap_ci(values, confidence=0.90)
    assert low <= low90 <= sum(values) / len(values) <= high90 <= high
    assert bootstrap_ci([0.7, 0.7, 0.7]) == (pytest.approx(0.7), pytest.approx(0.7))
    assert bootstrap_ci([0.3]) == (pytest.approx(0.3), pytest.approx(0.3))


def test_compare_runs_paired() -> None:
    a = compute_metrics({f"t{i}": [i % 2 == 0] * 4 for i in range(20)})
    b = compute_metrics({f"t{i}": [True] * 4 for i in range(20)})
    cmp = compare_runs(a, b)
    assert cmp.shared_tasks == 20 and cmp.difference == pytest.approx(0.5)
    assert cmp.detectable and 0 < cmp.mdd < 0.5
    same = compare_runs(a, a)
    assert same.difference == 0 and not same.detectable and same.mdd is None
    # every task moves by the same amount: the differences have no variance, no MDD
    worse = compute_metrics({f"t{i}": [False] * 4 for i in range(20)})
    uniform = compare_runs(worse, b)
    assert uniform.difference == 1.0 and uniform.mdd is None and not uniform.detectable
    # one shared task used to be "detectable" against an MDD of 0
    single = compare_runs(compute_metrics({"t0": [False]}), compute_metrics({"t0": [True]}))
    assert single.mdd is None and not single.detectable


trials = st.lists(st.booleans(), min_size=1, max_size=8)


@given(trials)
def test_pass_at_1_and_pass_hat_1_are_the_success_rate(outcomes: list[bool]) -> None:
    n, c = len(outcomes), sum(outcomes)
    assert pass_at_k(n, c, 1) == pytest.approx(c / n)
    assert pass_hat_k(n, c, 1) == pytest.approx(c / n)


@given(trials)
def test_monotone_in_k_and_ordered(outcomes: list[bool]) -> None:
    n, c = len(outcomes), sum(outcomes)
    at = [pass_at_k(n, c, k) for k in range(1, n + 1)]
    hat = [pass_hat_k(n, c, k) for k in range(1, n + 1)]
    assert all(0.0 <= x <= 1.0 for x in at + hat)
    assert all(x <= y + 1e-12 for x, y in itertools.pairwise(at))  # pass@k grows with k
    assert all(x + 1e-12 >= y for x, y in itertools.pairwise(hat))  # pass^k shrinks with k
    assert all(h <= a + 1e-12 for h, a in zip(hat, at))


@given(trials, st.data())
def test_estimators_equal_the_mean_over_all_k_subsets(outcomes: list[bool], data) -> None:
    n = len(outcomes)
    k = data.draw(st.integers(1, n))
    subsets = list(itertools.combinations(outcomes, k))
    any_rate = sum(any(s) for s in subsets) / len(subsets)
    all_rate = sum(all(s) for s in subsets) / len(subsets)
    pairs = list(itertools.combinations(outcomes, 2))
    flips = sum(x != y for x, y in pairs) / len(pairs) if pairs else 0.0
    assert pass_at_k(n, sum(outcomes), k) == pytest.approx(any_rate)
    assert pass_hat_k(n, sum(outcomes), k) == pytest.approx(all_rate)
    assert flip_rate(outcomes) == pytest.approx(flips)


@given(st.dictionaries(st.text(min_size=1, max_size=4), trials, min_size=1, max_size=6))
def test_run_metrics_are_means_with_intervals_around_them(outcomes) -> None:
    n_min = min(len(v) for v in outcomes.values())
    m = compute_metrics(outcomes, n_boot=200)
    rates = [sum(v) / len(v) for v in outcomes.values()]
    assert m.pass_at_k[1].value == pytest.approx(sum(rates) / len(rates))
    for k in range(1, n_min + 1):
        assert m.pass_hat_k[k].value <= m.pass_at_k[k].value + 1e-12
        for est in (m.pass_at_k[k], m.pass_hat_k[k]):
            assert est.ci_low <= est.value + 1e-12 and est.value <= est.ci_high + 1e-12


def test_the_eval_table_does_not_print_false_certainty() -> None:
    import io
    from pathlib import Path

    from synth.eval_command import _print_table

    def table(outcomes) -> str:  # type: ignore[no-untyped-def]
        report = {
            "model": "m",
            "k": 2,
            "user": "heuristic",
            "usage": None,
            "episodes": {"ran": 4, "resumed": 0},
        }
        stream = io.StringIO()
        _print_table(report, compute_metrics(outcomes), Path("out"), stream)
        return stream.getvalue()

    perfect = table({"a": [True, True], "b": [True, True]})
    assert "[1.000, 1.000]" not in perfect and "0.000 (alpha" not in perfect
    assert "pass@1       1.000  95% CI [0.342, 1.000] (Wilson: no variance across tasks)" in perfect
    assert "another run: n/a (no variance) (alpha 0.05, power 0.8)" in perfect
    above = table({"a": [2.0, 2.0], "b": [2.0, 2.0]})
    assert "mean reward  2.000  95% CI n/a (no variance)" in above
    mixed = table({"a": [True, False], "b": [True, True], "c": [False, False]})
    assert "(Wilson" not in mixed and "n/a" not in mixed
