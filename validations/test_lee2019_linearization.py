"""Lee et al., "Wide neural networks of any depth evolve as linear models under gradient descent",
arXiv:1902.06720, with the 1/n rates of Dyer & Gur-Ari, arXiv:1909.11304. docs/THEORY.md D.

Setting (validations/_wide.py): two-layer erf nets in the NTK parameterisation, widths 64..1024
(16x), 128 seeds each, full-batch GD on the sum-normalised MSE at eta = 1/lambda_max(Theta_inf) for 150 steps. The
infinite-width predictions use the closed-form NNGP/NTK kernels (theory.effective_theory.nngp_ntk)
and the *discrete*-GD propagator (I - eta Theta)^t, so no integrator error enters.
"""
from __future__ import annotations

import numpy as np
import pytest

from theory.linearized_dynamics import linearized_gd_moments
from theory.scaling_regimes import width_exponents
from sims.wide_training import train_gd
from validations._backends import cpu_backend, require_backend
from twolayer.seeds import derive_seed
from validations._wide import N_TRAIN, STEPS, WIDTHS, base_eta, base_model, dataset, ntk_runs
from twolayer.claims.plotting import new_figure, theory_vs_sim
from twolayer.claims.stats import ALPHA, fit_coefficient_test, gaussian_covariance_test, mean_vs_prediction, \
    proportion_test, slope_test

PAPER = dict(paper="Lee et al. 2019", arxiv="1902.06720")
DGA = dict(paper="Lee et al. 2019; Dyer & Gur-Ari 2019", arxiv="1902.06720; 1909.11304")


def _prediction(seed, steps):
    X, Y, Xt = dataset(seed)
    K, H = base_model().infinite_width_kernels(np.vstack([X, Xt]))
    return linearized_gd_moments(K, H, Y, steps, n_train=N_TRAIN, eta=base_eta(seed), discrete=True,
                                 return_gain=True)


@pytest.mark.claim(ref="section 2.3, eqs. (14)-(16) (mean and covariance of the trained outputs)",
                   theory=("theory.linearized_dynamics:linearized_gd_moments",
                           "theory.parameterizations:WideMLP.infinite_width_kernels"),
                   sims=("sims.wide_training:train_gd",), **PAPER)
def test_trained_ensemble_matches_the_infinite_width_linearised_law(claim, seed):
    """Mean and covariance of the trained outputs on test points match the infinite-width linearised law.

    (a) Direct, width 1024, 128 seeds: t-test of the mean of f_T(x) at each of the 4 test points
    against Theta(x,X) Theta^-1 (I - (I - eta Theta)^T) Y, and exact chi^2 tests of the 10 entries
    of the 4x4 covariance against K + A K A^T - A K - K A^T (``gaussian_covariance_test``: the
    predicted law is Gaussian; at width 1024 the excess kurtosis of f_T is O(1/n), measured
    -0.06 +- 0.06 over 12 seeds x 128 members x 4 points, so Var s^2 moves by < 6 %); Bonferroni over 14 tests (half of the claim's alpha; the fits of
    (b) share the other half). Until 2026-12 these were z-tests with delta-method SEs, whose SE
    shrinks with a low sample variance: at 128 seeds and alpha = 3.6e-6 they rejected a true
    variance with probability 4e-4 (224x the design); CI seed 3738325468 hit it (0.143 vs 0.226,
    exact chi^2 p = 8.5e-4, which passes).
    This checks the formulas themselves but is coarse (MDD ~ 0.4 sd of f).
    (b) Paired, all 5 widths: for each member, f^inf_T = f_0 - A_T (f_0(X) - Y) with the
    deterministic infinite-width A_T; D = f_T - f^inf_T has mean and (for Var f_T - Var f^inf_T)
    an excess that vanish as width -> infinity (O(1/n)). A weighted fit a + b/n per test point of
    the mean (variance) of f_T, paired with the same fit of f^inf_T, z-test that the intercepts
    agree (Bonferroni over 8; the SEs are those of the paired differences). Since Cov f^inf is exactly the predicted covariance at any
    width (two-layer: f_0 has covariance K exactly), (b) tests the *whole* deviation of the law of
    f_T from the prediction. Intercept MDD ~ 0.015 (reported per point) against output sd ~ 0.5:
    a shift of the predicted mean or variance by ~3% of sd f_T is detected, ~13x finer than (a).
    (Scaling Theta(x_test, X) by 1.05 shifts the mean intercepts by <= 0.008 and is *not* detected.)
    """
    runs = ntk_runs(seed)
    pred, A = _prediction(seed, runs[WIDTHS[0]].steps)
    big = runs[WIDTHS[-1]]
    fT = big.f[-1][:, N_TRAIN:]
    nt = fT.shape[1]
    n_tests = nt + nt * (nt + 1) // 2
    for p in range(nt):
        claim.check(mean_vs_prediction(fT[:, p], pred.test_mean[-1, p], alpha=ALPHA / (2 * n_tests),
                                       name=f"mean f_T(x_test{p}), width {WIDTHS[-1]}"))
    C = pred.test_cov[-1]
    for p in range(nt):
        for q in range(p, nt):
            claim.check(gaussian_covariance_test(fT[:, p], None if p == q else fT[:, q], C[p, q], var_a=C[p, p],
                                                 var_b=C[q, q], alpha=ALPHA / (2 * n_tests),
                                                 name=f"Cov(f_T(x{p}), f_T(x{q})), width {WIDTHS[-1]}"))
    inv_w = 1.0 / np.array(WIDTHS, float)
    dm, dse, vm, vse, fm, gm, fv, gv = (np.empty((len(WIDTHS), nt)) for _ in range(8))
    for i, m in enumerate(WIDTHS):
        r = runs[m]
        f0, f = r.f[0], r.f[-1]
        finf = f0 - (f0[:, :N_TRAIN] - dataset(seed)[1]) @ A[-1].T
        D = (f - finf)[:, N_TRAIN:]
        dm[i], dse[i] = D.mean(0), D.std(0, ddof=1) / np.sqrt(len(D))
        fc, gc = f[:, N_TRAIN:] - f[:, N_TRAIN:].mean(0), finf[:, N_TRAIN:] - finf[:, N_TRAIN:].mean(0)
        q = fc**2 - gc**2
        vm[i], vse[i] = q.mean(0) * len(q) / (len(q) - 1), q.std(0, ddof=1) / np.sqrt(len(q))
        fm[i], gm[i] = f[:, N_TRAIN:].mean(0), finf[:, N_TRAIN:].mean(0)
        fv[i], gv[i] = f[:, N_TRAIN:].var(0, ddof=1), finf[:, N_TRAIN:].var(0, ddof=1)
    for p in range(nt):
        claim.check(fit_coefficient_test(inv_w, fm[:, p], dse[:, p], degree=1, coef=0, expected=gm[:, p],
                                         alpha=ALPHA / (4 * nt), name=f"n->inf intercept of E f_T(x{p}) vs E f_T^inf"))
        claim.check(fit_coefficient_test(inv_w, fv[:, p], vse[:, p], degree=1, coef=0, expected=gv[:, p],
                                         alpha=ALPHA / (4 * nt), name=f"n->inf intercept of Var f_T(x{p}) vs Var f_T^inf"))

    def fig():
        f, ax = new_figure(2, width=5.5)
        t = runs[WIDTHS[0]].steps
        for p in range(nt):
            theory_vs_sim(ax[0], t, pred.test_mean[:, p], big.f[:, :, N_TRAIN + p].T, color=f"C{p}",
                          label_theory="infinite-width linearised" if p == 0 else "_",
                          label_sim=f"width {WIDTHS[-1]}, 128 seeds" if p == 0 else "_")
        ax[0].set(xlabel="GD step", ylabel="mean f_t(x_test)", title="ensemble mean")
        for p in range(nt):
            ax[1].errorbar(WIDTHS, dm[:, p], yerr=dse[:, p], fmt="o-", color=f"C{p}", ms=3)
        ax[1].axhline(0, color="k", lw=0.8)
        ax[1].set(xscale="log", xlabel="width", ylabel="mean of f_T - f_T^inf", title="paired deviation (-> 0)")
        return f
    claim.figure(fig)


@pytest.mark.claim(ref="Theorem 2.1 (O(n^-1/2) bound); Dyer & Gur-Ari section 3 (O(1/n))",
                   theory=("theory.scaling_regimes:width_exponents",),
                   sims=("sims.wide_training:train_gd",), **DGA)
def test_ntk_change_and_linearisation_gap_shrink_like_one_over_width(claim, seed):
    """sup_t ||Theta_t - Theta_0||_F and sup_t RMS|f_t - f_t^lin| fall with width with slope ~ -1.

    Statistic: the ensemble mean (128 seeds per width, every GD step in the sup) at widths
    64..1024, fitted as log y = c + e log n + d/n: e is the asymptotic exponent, d/n the next
    order of the 1/n expansion. Two-sided t-test of e (OLS coefficient, Welch degrees of freedom)
    against Dyer & Gur-Ari's -1, alpha split over the 2 quantities. Without d, the plain log-log
    slope over these widths is -0.972 +- 0.004 (NTK change; -0.977 for the gap; 20-seed audit):
    the next order, not a wrong exponent, and a test without it fails one seed in a few. The MDD
    of e (reported, ~0.17) is far below the distance to Lee et al.'s bound -1/2, so a tight bound
    fails; a 5 % error in the exponent (0.05) is out of reach at 128 seeds per width (the GPU
    version, 256 seeds up to width 16384, halves the MDD).
    """
    runs = ntk_runs(seed)
    _check_ntk_slopes(claim, seed, runs, WIDTHS)


@pytest.mark.claim(ref="Theorem 2.1 / eq. (9): ||theta_t - theta_0|| = O(1) in NTK parameterisation",
                   theory=("theory.scaling_regimes:width_exponents",),
                   sims=("sims.wide_training:train_gd",), **PAPER)
def test_parameter_displacement_stays_order_one_in_ntk_parameterisation(claim, seed):
    """||theta_T - theta_0|| (all trainable entries, NTK coordinates) does not change with width.

    The ensemble mean at widths 64..1024 fitted as log y = c + e log n + d/n (the 1/n correction
    of an O(1) quantity; without it the slope is -0.007 +- 0.002 over 20 seeds); two-sided t-test
    of the exponent e = 0 (Welch degrees of freedom). The alternatives (mean-field or standard
    parameterisation at a fixed rate: +1/2) fail by far; the MDD of e is reported (~0.1). A
    relative shift of the prediction 0 is no shift at all.
    """
    runs = ntk_runs(seed)
    e = width_exponents(0.5)["parameter_displacement"]
    claim.check(slope_test(WIDTHS, [runs[m].param_distance[-1] for m in WIDTHS], expected=e.exponent, correction=1.0,
                           name="exponent of ||theta_T - theta_0|| in width (1/n corrected)"))

    def fig():
        f, ax = new_figure(1)
        n = np.array(WIDTHS, float)
        y, se = _mean_se([runs[m].param_distance[-1] for m in WIDTHS])
        ax[0].errorbar(n, y, yerr=se, fmt="o", mfc="white", capsize=2, color="C0",
                       label="||theta_T - theta_0||, mean +- SE")
        ax[0].plot(n, np.full(n.size, y[-1]) * (n / n[-1]) ** e.exponent, "-", color="C0", lw=1.2,
                   label=f"prediction: exponent {e.exponent:g} (NTK parameterisation)")
        ax[0].plot(n, y[0] * np.sqrt(n / n[0]), ":", color="C3", lw=1.0, label="alternative: exponent +1/2")
        ax[0].set(xscale="log", yscale="log", xlabel="width n", ylabel="parameter displacement")
        ax[0].legend(fontsize=7)
        return f
    claim.figure(fig)


@pytest.mark.claim(ref="section 2 (linearised GD): movement grows with the learning rate",
                   theory=("theory.linearized_dynamics:linearized_gd_moments",),
                   sims=("sims.wide_training:train_gd",), **PAPER)
def test_displacement_grows_with_the_learning_rate(claim, seed):
    """With the same initialisation, a larger rate moves the parameters further in the same number of steps.

    Width 256, 64 paired seeds, rates (0.25, 0.5, 1) x 1/lambda_max(Theta_inf), 20 GD steps (before
    convergence). Sign test per consecutive pair: the number of members whose ||theta_T - theta_0||
    increases; one-sided exact binomial test of the claim P(increase) >= 1/2, failing only on
    evidence that the displacement falls with the rate (Bonferroni over 2 pairs). Power: a true
    probability of increase below 1/2 - 0.28 (the exact MDD with 64 pairs) fails with probability
    0.8. The truth lies far above the bound: 64 of 64 members move further at the larger rate,
    for both pairs, at each of 6 claim seeds (2026-12-03), so a 5 % move of the bound is not a test.
    Until 2026-12-03 this claim measured something else: train_gd's 2-record grid recorded step 1,
    not step 20, and the three calls, given one SeedSequence object, drew different members
    (SeedSequence.spawn is stateful; :func:`twolayer.seeds.as_seed_sequence` now copies). It
    reported 60/64 and 56/64 at the default seed.
    """
    X, Y, Xt = dataset(seed)
    eta = base_eta(seed)
    ss = derive_seed(seed, "lee2019", "rate_displacement")   # the same members at every rate (paired)
    d = [train_gd(base_model("ntk", 256), X, Y, eta=eta * s, n_steps=20, n_seeds=64, seed=ss, backend=cpu_backend(),
                  n_records=2).param_distance[-1] for s in (0.25, 0.5, 1.0)]
    for i in range(2):
        k = int(np.sum(d[i + 1] > d[i]))
        claim.check(proportion_test(k, 64, lower=0.5, alpha=ALPHA / 2, name=f"P(displacement up), rate x{2 ** i}->x{2 ** (i + 1)}"))

    def fig():
        f, ax = new_figure(1)
        rates = np.array([0.25, 0.5, 1.0])
        D = np.array(d)                                          # (3 rates, 64 members)
        for j in range(min(24, D.shape[1])):
            ax[0].plot(rates, D[:, j], "-", color="0.8", lw=0.6, zorder=0)
        m, se = _mean_se(list(D))
        ax[0].errorbar(rates, m, yerr=se, fmt="o-", mfc="white", capsize=2, color="C0",
                       label="mean +- SE over 64 paired members (grey: 24 of them)")
        ax[0].set(xscale="log", yscale="log", xlabel="rate / (1 / lambda_max)", ylabel="||theta_T - theta_0|| (20 steps)",
                  title="claim: the displacement rises with the rate")
        ax[0].legend(fontsize=7)
        return f
    claim.figure(fig)


def _check_ntk_slopes(claim, seed, runs, widths):
    pred = width_exponents(0.5)
    for key, attr in (("ntk_change", "sup_ntk_change"), ("linearization_gap", "sup_lin_gap")):
        e = pred[key]
        claim.check(slope_test(widths, [getattr(runs[m], attr) for m in widths], expected=e.exponent, correction=1.0,
                               alpha=ALPHA / 2,
                               name=f"exponent of {e.quantity} (1/n corrected), widths {widths[0]}..{widths[-1]}"))

    def fig():
        f, ax = new_figure(1)
        n = np.array(widths, float)
        for attr, c in (("sup_ntk_change", "C0"), ("sup_lin_gap", "C1")):
            y, se = _mean_se([getattr(runs[m], attr) for m in widths])
            ax[0].errorbar(n, y, yerr=se, fmt="o", mfc="white", capsize=2, color=c, label=f"{attr}, mean +- SE")
            ax[0].plot(n, y[0] * n[0] / n, "--", color=c, lw=0.9, label="prediction 1/n (Dyer & Gur-Ari)")
            ax[0].plot(n, y[0] * np.sqrt(n[0] / n), ":", color=c, lw=0.9, label="n^-1/2 (Lee et al. bound)")
        ax[0].set(xscale="log", yscale="log", xlabel="width n", ylabel="sup over GD steps")
        ax[0].legend(fontsize=6)
        return f
    claim.figure(fig)


def _mean_se(samples):
    """Means and standard errors of a list of per-member arrays: two (k,) arrays."""
    m = np.array([np.mean(x) for x in samples])
    se = np.array([np.std(x, ddof=1) / np.sqrt(np.size(x)) for x in samples])
    return m, se


@pytest.mark.slow
@pytest.mark.claim(ref="Theorem 2.1; Dyer & Gur-Ari section 3 (CPU, widths 128..4096)",
                   theory=("theory.scaling_regimes:width_exponents",),
                   sims=("sims.wide_training:train_gd",), **DGA)
def test_ntk_change_slope_up_to_width_4096(claim, seed):
    """Slow version of the slope claim: widths 128..4096 (32x), 128 seeds, same assertions."""
    widths = (128, 256, 512, 1024, 2048, 4096)
    _check_ntk_slopes(claim, seed, ntk_runs(seed, widths, 128), widths)


@pytest.mark.gpu
@pytest.mark.claim(ref="Theorem 2.1; Dyer & Gur-Ari section 3 (GPU: widths 256..16384)",
                   theory=("theory.scaling_regimes:width_exponents",),
                   sims=("sims.wide_training:train_gd",), **DGA)
def test_ntk_change_slope_on_gpu_up_to_width_16384(claim, seed):
    """GPU version of the slope claim: widths 256..16384 (64x), 256 seeds, same assertions."""
    require_backend("torch:cuda")
    widths = (256, 1024, 4096, 16384)
    _check_ntk_slopes(claim, seed, ntk_runs(seed, widths, 256, "torch:cuda", STEPS), widths)
