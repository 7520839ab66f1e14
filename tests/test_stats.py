"""The statistics helpers reject a wrong prediction and accept a right one at their stated rates.

Rates are checked at a moderate alpha (0.05, 0.1) so that a few hundred repetitions estimate them;
each rate check is itself an exact binomial test at 1e-4.
"""
import numpy as np
import pytest

from validations import stats


def _rate_ok(k, n, p):
    lo, hi = stats.proportion_ci(k, n, 1e-4)
    return lo <= p <= hi


def test_mean_test_false_failure_rate_is_alpha():
    rng = np.random.default_rng(0)
    n_rep, alpha = 2000, 0.05
    fails = sum(not stats.mean_vs_prediction(rng.normal(1.0, 2.0, 12), 1.0, alpha=alpha).passed
                for _ in range(n_rep))
    assert _rate_ok(fails, n_rep, alpha)


def test_mean_test_detects_its_mdd_with_the_stated_power():
    rng = np.random.default_rng(1)
    n, alpha, sd = 12, 0.05, 2.0
    mdd = stats.mean_vs_prediction(rng.normal(0, sd, n), 0.0, alpha=alpha).mdd  # scale of the MDD
    # MDD computed from the sample SD; use the population value for the truth
    from scipy import stats as sps
    true_mdd = (sps.t.isf(alpha / 2, n - 1) + sps.t.ppf(stats.POWER, n - 1)) * sd / np.sqrt(n)
    n_rep = 1500
    rejections = sum(not stats.mean_vs_prediction(rng.normal(true_mdd, sd, n), 0.0, alpha=alpha).passed
                     for _ in range(n_rep))
    # noncentral-t power at the MDD is close to 0.8 (slightly below because SE is estimated)
    assert 0.7 < rejections / n_rep < 0.85
    assert mdd > 0


def test_systematic_allowance_widens_the_tolerance():
    x = np.full(10, 1.0) + np.linspace(-1e-3, 1e-3, 10)
    assert not stats.mean_vs_prediction(x, 1.01).passed
    v = stats.mean_vs_prediction(x, 1.01, systematic=0.02, systematic_reason="test")
    assert v.passed and v.details["systematic_reason"] == "test"


def test_slope_ci_covers_the_true_slope_at_its_rate():
    rng = np.random.default_rng(2)
    x = np.array([100.0, 200, 400, 800])
    n_rep, alpha, miss = 200, 0.1, 0
    for _ in range(n_rep):
        groups = [x_ ** -0.5 * np.exp(rng.normal(0, 0.3, 10)) for x_ in x]
        v = stats.slope_test(x, groups, expected=-0.5, alpha=alpha, n_boot=2000, seed=int(rng.integers(1 << 30)),
                             statistic=np.median)
        miss += not v.passed
    # percentile bootstrap with 10 replicates per group under-covers a little; 2x alpha is the bound
    assert miss / n_rep < 2 * alpha


def test_slope_test_rejects_a_wrong_exponent():
    rng = np.random.default_rng(3)
    x = np.array([100.0, 200, 400, 800, 1600])
    groups = [x_ ** -1.0 * np.exp(rng.normal(0, 0.1, 20)) for x_ in x]
    assert not stats.slope_test(x, groups, expected=-0.5).passed
    assert stats.slope_test(x, groups, expected=-1.0, upper=0.0).passed


def test_paired_trajectory_accepts_truth_and_rejects_offset():
    rng = np.random.default_rng(4)
    th = np.linspace(1, 0, 30)
    sim = th + rng.normal(0, 0.05, (40, 30))
    assert stats.paired_trajectory(sim, th).passed
    assert not stats.paired_trajectory(sim + 0.1, th).passed


def test_clopper_pearson_coverage():
    rng = np.random.default_rng(5)
    p, n, alpha = 0.3, 40, 0.1
    ks = rng.binomial(n, p, 2000)
    cover = np.mean([stats.proportion_ci(int(k), n, alpha)[0] <= p <= stats.proportion_ci(int(k), n, alpha)[1]
                     for k in ks])
    assert cover >= 1 - alpha - 0.02          # exact intervals are conservative
    assert stats.proportion_ci(0, 10, 0.05)[0] == 0.0 and stats.proportion_ci(10, 10, 0.05)[1] == 1.0


def test_verdict_message_and_require():
    v = stats.mean_vs_prediction([1.0, 1.1, 0.9], 5.0, name="thing")
    assert not v.passed
    with pytest.raises(AssertionError, match="FAIL.*thing.*MDD"):
        stats.require(v)


@pytest.mark.parametrize("call", [
    lambda: stats.mean_vs_prediction([1.0], 0.0), lambda: stats.mean_vs_prediction([1.0, np.nan], 0.0),
    lambda: stats.mean_vs_prediction([1.0, 2.0], 0.0, alpha=2.0), lambda: stats.proportion_ci(5, 3),
    lambda: stats.slope_test([1.0], [[1.0, 2.0]]),
])
def test_bad_inputs(call):
    with pytest.raises(ValueError):
        call()
