"""The statistics helpers reject a wrong prediction and accept a right one at their stated rates.

Rates are checked at a moderate alpha (0.05, 0.1) so that a few hundred repetitions estimate them;
each rate check is itself an exact binomial test at 1e-4.
"""
import numpy as np
import pytest

from twolayer.claims import stats


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


def test_slope_test_false_failure_rate_is_alpha():
    """Welch-t slope test: with 8 replicates per group and lognormal noise its rate is the design's."""
    rng = np.random.default_rng(2)
    x = np.array([100.0, 200, 400, 800])
    n_rep, alpha = 1000, 0.1
    miss = 0
    for _ in range(n_rep):
        groups = [x_ ** -0.5 * (1 + rng.normal(0, 0.1, 8)) for x_ in x]
        miss += not stats.slope_test(x, groups, expected=-0.5, alpha=alpha).passed
    assert _rate_ok(miss, n_rep, alpha)


def test_slope_test_rejects_a_wrong_exponent():
    rng = np.random.default_rng(3)
    x = np.array([100.0, 200, 400, 800, 1600])
    groups = [x_ ** -1.0 * np.exp(rng.normal(0, 0.1, 20)) for x_ in x]
    assert not stats.slope_test(x, groups, expected=-0.5).passed
    assert stats.slope_test(x, groups, expected=-1.0).passed
    assert stats.slope_test(x, groups, upper=0.0).passed          # a decrease is consistent with "<= 0"
    assert not stats.slope_test(x, groups, lower=0.0).passed      # ... and evidence against ">= 0"


def test_slope_test_with_a_jackknifed_statistic():
    rng = np.random.default_rng(7)
    x = np.array([32.0, 64, 128, 256])
    groups = [rng.normal(0, x_ ** -0.5, 400) for x_ in x]
    v = stats.slope_test(x, groups, expected=-0.5, statistic=lambda a, axis=None: np.std(a, axis=axis, ddof=1))
    assert v.passed and 0 < v.details["slope_se"] < 0.05


def test_replicate_fit_test_rate_is_alpha_with_few_replicates_and_unequal_noise():
    """Welch t for a fit coefficient of replicate means: 6 replicates, noise differing 3x between groups
    (the K = 4 state-evolution claim's set-up); a z-test with the estimated SEs would reject ~3x too often."""
    rng = np.random.default_rng(11)
    x = np.array([0.4, 0.2, 0.1])
    sd = np.array([3e-4, 2e-4, 1e-4])
    n_rep, alpha = 2000, 0.05
    miss_c = miss_g = 0
    for _ in range(n_rep):
        cls = 0.025 + 0.02 * x[:, None] + sd[:, None] * rng.standard_normal((3, 6))
        miss_c += not stats.replicate_fit_test(x, cls, degree=1, coef=0, expected=0.025, alpha=alpha).passed
        miss_g += not stats.replicate_fit_goodness_test(x, cls, degree=1, alpha=alpha).passed
    assert _rate_ok(miss_c, n_rep, alpha)
    assert _rate_ok(miss_g, n_rep, alpha)


def test_replicate_fit_tests_detect_an_mdd_shift_and_curvature():
    rng = np.random.default_rng(12)
    x = np.array([0.4, 0.2, 0.1])
    hits, n_rep = 0, 400
    for _ in range(n_rep):
        cls = 0.025 + 0.02 * x[:, None] + 2e-4 * rng.standard_normal((3, 6))
        v = stats.replicate_fit_test(x, cls, degree=1, coef=0, expected=0.025, alpha=1e-3)
        hits += not stats.decide(v.rule, 0.025 + v.mdd)
    assert hits / n_rep > 0.7                   # design: power 0.8 at the MDD (df estimated per run)
    curved = 0.025 + 0.5 * x[:, None] ** 2 + 1e-4 * rng.standard_normal((3, 6))
    assert not stats.replicate_fit_goodness_test(x, curved, degree=1, alpha=1e-3).passed
    with pytest.raises(ValueError, match="replicates"):
        stats.replicate_fit_test(x, [[1.0], [2.0, 3.0], [4.0, 5.0]], degree=1, coef=0, expected=0.0)
    with pytest.raises(ValueError, match="groups"):
        stats.replicate_fit_test(x[:2], np.ones((2, 4)), degree=1, coef=0, expected=0.0)


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
    v = stats.mean_vs_prediction([1.0, 1.1, 0.9, 1.05, 0.95, 1.0], 5.0, name="thing")
    assert not v.passed
    with pytest.raises(AssertionError, match="FAIL.*thing.*MDD"):
        stats.require(v)


@pytest.mark.parametrize("call", [
    lambda: stats.mean_vs_prediction([1.0], 0.0), lambda: stats.mean_vs_prediction([1.0, np.nan], 0.0),
    lambda: stats.mean_vs_prediction([1.0, 2.0], 0.0, alpha=2.0), lambda: stats.proportion_ci(5, 3),
    lambda: stats.slope_test([1.0], [[1.0, 2.0]], expected=0.0),
    lambda: stats.slope_test([1.0, 2.0], [[1.0, 2.0], [1.0, 3.0]]),                      # no null given
    lambda: stats.slope_test([1.0, 2.0], [[1.0, 2.0], [1.0, 3.0]], expected=0.0, upper=1.0),
    lambda: stats.proportion_test(3, 10),
    lambda: stats.proportion_test(3, 10, upper=1.5),
    lambda: stats.mean_vs_prediction([1.0, 2.0, 3.0], [1.0, 2.0]),
    lambda: stats.deterministic_bound("x", 1.0, 0.0, below=-1.0),
    lambda: stats.gaussian_covariance_test([1.0, 2.0, 3.0], None, 1.0),
    lambda: stats.gaussian_covariance_test([1.0, 2.0, 3.0, 5.0], None, -1.0),
    lambda: stats.gaussian_covariance_test([1.0, 2.0, 3.0, 5.0], [1.0, 2.0, 3.0, 4.0], 0.1),
    lambda: stats.gaussian_covariance_test([1.0, 2.0, 3.0, 5.0], [1.0, 2.0, 3.0, 4.0], 2.0, var_a=1.0, var_b=1.0),
    lambda: stats.gaussian_covariance_test([1.0, 2.0, 3.0, np.nan], None, 1.0),
])
def test_bad_inputs(call):
    with pytest.raises(ValueError):
        call()


def test_one_sided_proportion_fails_only_on_evidence_against_the_claim():
    # claim p <= 0.25; observed 0.22 with n = 100 is no evidence against it (the old "prove it" form failed here)
    assert stats.proportion_test(22, 100, upper=0.25).passed
    assert not stats.proportion_test(60, 100, upper=0.25).passed
    assert stats.proportion_test(45, 100, lower=0.5).passed
    assert not stats.proportion_test(10, 100, lower=0.5).passed
    v = stats.proportion_test(22, 100, upper=0.25)
    assert v.null == "one-sided" and v.p_value == pytest.approx(1 - __import__("scipy").stats.binom.cdf(21, 100, 0.25))


def test_one_sided_test_rate_at_the_boundary_is_alpha():
    rng = np.random.default_rng(8)
    n_rep, alpha = 2000, 0.05
    fails = sum(not stats.one_sided_test(rng.normal(1.0, 0.1), 0.1, 1.0, "<=", alpha=alpha).passed
                for _ in range(n_rep))
    assert _rate_ok(fails, n_rep, alpha)


def test_decide_reproduces_every_verdict_and_its_shifts():
    rng = np.random.default_rng(9)
    x = rng.normal(0.0, 1.0, 30)
    vs = [stats.mean_vs_prediction(x, 0.1), stats.proportion_test(40, 100, p0=0.45),
          stats.proportion_test(40, 100, upper=0.5), stats.paired_trajectory(rng.normal(0, 1, (8, 5)), np.zeros(5)),
          stats.slope_test([1.0, 2, 4], [rng.normal(1, 0.1, 9) for _ in range(3)], expected=0.0),
          stats.fit_coefficient_test([0.1, 0.2, 0.3, 0.4], [1.0, 1.1, 1.2, 1.31], [0.01] * 4, degree=1, coef=1,
                                     expected=1.0),
          stats.deterministic_bound("b", np.array([1.0, 1.1]), 1.0, below=0.0, above=0.2),
          stats.gaussian_covariance_test(x, None, 1.0),
          stats.gaussian_covariance_test(x, x + rng.normal(0, 1, 30), 1.0, var_a=1.0, var_b=2.0)]
    import json
    for v in vs:
        d = json.loads(json.dumps(v.to_dict()))
        assert stats.decide(d["rule"], d["rule"]["prediction"]) == v.passed, v.name
        for lab, shift in stats.STANDARD_SHIFTS.items():
            p = stats.shifted_prediction(d["rule"], d["rule"]["prediction"], shift)
            assert (None if p is None else stats.decide(d["rule"], p)) == v.details["shifted"][lab], (v.name, lab)


def test_a_shift_by_the_mdd_is_rejected_at_the_stated_power():
    rng = np.random.default_rng(10)
    n_rep, rej = 1000, 0
    for _ in range(n_rep):
        rej += not stats.mean_vs_prediction(rng.normal(0.0, 1.0, 40), 0.0, alpha=0.01).details["shifted"]["+mdd"]
    assert 0.75 < rej / n_rep < 0.9


def test_active_shift_moves_the_prediction_and_not_the_data():
    x = np.linspace(-1, 1, 21) * 0.1
    try:
        stats.set_shift("rel:0.5")
        assert not stats.mean_vs_prediction(x + 1.0, 1.0).passed
        assert "rel:+0.5" in stats.mean_vs_prediction(x + 1.0, 1.0).details["shift"]
    finally:
        stats.set_shift(None)
    assert stats.mean_vs_prediction(x + 1.0, 1.0).passed
    with pytest.raises(ValueError, match="TWOLAYER_SHIFT"):
        stats.set_shift("sideways")


def test_pit_is_uniform_under_the_null():
    rng = np.random.default_rng(11)
    u = [stats.mean_vs_prediction(rng.normal(2.0, 3.0, 6), 2.0).pit for _ in range(3000)]
    from scipy import stats as sps
    assert sps.kstest(u, "uniform").pvalue > 1e-3


def test_fit_goodness_rate_and_power():
    rng = np.random.default_rng(12)
    x = 1.0 / np.array([8.0, 12, 16, 24, 32, 48])
    se = np.full(6, 0.01)
    fails = sum(not stats.fit_goodness_test(x, 1 + 0.5 * x + rng.normal(0, 0.01, 6), se, degree=1, alpha=0.05).passed
                for _ in range(2000))
    assert _rate_ok(fails, 2000, 0.05)
    assert not stats.fit_goodness_test(x, 1 + 0.5 * x + 40 * x**2, se, degree=1).passed


def test_paired_fit_equals_the_fit_of_the_differences():
    x = 1.0 / np.array([64.0, 128, 256, 512])
    y = np.array([1.02, 1.011, 1.004, 1.003])
    e = np.array([1.001, 0.999, 1.0, 1.002])
    se = np.full(4, 0.002)
    a = stats.fit_coefficient_test(x, y, se, degree=1, coef=0, expected=e)
    b = stats.fit_coefficient_test(x, y - e, se, degree=1, coef=0, expected=0.0)
    assert a.passed == b.passed and a.statistic - a.prediction == pytest.approx(b.statistic, abs=1e-12)


def test_deterministic_bounds_and_controls():
    v = stats.deterministic_bound("loss", np.array([1.0, 1.0 + 1e-5]), np.array([1.0, 1.0]), below=1e-13, above=1e-4)
    assert v.passed and v.null == "deterministic" and v.details["shifted"]["+5%"] is False
    assert not stats.deterministic_bound("loss", np.array([1.0 - 1e-9]), 1.0, below=1e-13).passed
    assert stats.exact_agreement("count", 3, 3).passed and not stats.exact_agreement("count", 2, 3).passed
    wrong = stats.mean_vs_prediction(np.linspace(0, 1, 10), 5.0)
    c = stats.negative_control(wrong)
    assert c.passed and c.null == "control" and not wrong.passed


_C2 = np.array([[0.22, -0.1], [-0.1, 0.3]])


def _gaussian_pairs(rng, n):
    return rng.standard_normal((n, 2)) @ np.linalg.cholesky(_C2).T


@pytest.mark.parametrize("entry", ["variance", "covariance"])
def test_gaussian_covariance_test_rate_power_and_pit(entry):
    rng = np.random.default_rng(12)
    n_rep, alpha, n = 1500, 0.05, 40
    fails, up, down, pits = 0, 0, 0, []
    for _ in range(n_rep):
        x = _gaussian_pairs(rng, n)
        v = (stats.gaussian_covariance_test(x[:, 0], None, _C2[0, 0], alpha=alpha) if entry == "variance" else
             stats.gaussian_covariance_test(x[:, 0], x[:, 1], _C2[0, 1], var_a=_C2[0, 0], var_b=_C2[1, 1], alpha=alpha))
        fails += not v.passed
        up += not v.details["shifted"]["+mdd"]
        down += not v.details["shifted"]["-mdd"]
        pits.append(v.pit)
        assert v.passed == (v.details["accepted"][0] <= v.statistic <= v.details["accepted"][1])
    assert _rate_ok(fails, n_rep, alpha)
    # the MDD is the larger of the two one-sided detectable shifts: each direction has power >= POWER
    assert min(up, down) / n_rep > stats.POWER - 0.04
    from scipy import stats as sps
    assert sps.kstest(pits, "uniform").pvalue > 1e-4


def test_plug_in_variance_z_test_is_anti_conservative_where_the_exact_test_is_not():
    # the reason for gaussian_covariance_test: a low sample variance comes with a low plug-in SE
    rng = np.random.default_rng(13)
    n_rep, alpha, n = 4000, 1e-3, 20
    plug = exact = 0
    for _ in range(n_rep):
        x = rng.normal(0.0, 1.0, n)
        s2, se = stats.variance_with_se(x)
        plug += not stats.estimate_vs_prediction(s2, se, 1.0, alpha=alpha).passed
        exact += not stats.gaussian_covariance_test(x, None, 1.0, alpha=alpha).passed
    assert _rate_ok(exact, n_rep, alpha)
    assert not _rate_ok(plug, n_rep, alpha) and plug > 5 * alpha * n_rep
