"""Lazy vs mean-field training of two-layer nets: Chizat, Oyallon & Bach, "On lazy training in
differentiable programming", arXiv:1812.07956 (section 2, the 1/alpha scaling); Mei, Montanari &
Nguyen, "A mean field view of the landscape of two-layer neural networks", arXiv:1804.06561.

f(x) = sigma_w (alpha / m) sum_j u_j erf((sigma_w theta_j . x / sqrt(d) + sigma_b b_j) / sqrt 2),
rates (m / alpha^2) eta (theory.scaling_regimes explains why not (m / alpha) eta), alpha = m^a with
a = 1/2 (lazy, = NTK parameterisation) or a = 0 (mean-field). Data and rate: validations/_wide.py.
Each width uses 8192 / m networks, i.e. a fixed pool of 8192 neurons, so the sampling noise of
particle-law statistics does not itself change with width.
"""
from __future__ import annotations

import numpy as np
import pytest

from sims.particle_law import sliced_wasserstein
from theory.scaling_regimes import width_exponents
from validations._wide import WIDTHS, scaled_runs
from validations.plotting import new_figure
from validations.stats import ALPHA, mean_vs_prediction, slope_test

PAPER = dict(paper="Chizat, Oyallon & Bach 2019; Mei, Montanari & Nguyen 2018", arxiv="1812.07956; 1804.06561")
GROUPS = 8


@pytest.mark.claim(ref="arXiv:1812.07956 section 2 (displacement 1/alpha); THEORY.md D", **PAPER)
def test_per_neuron_displacement_scales_as_one_over_alpha(claim, seed):
    """Per-neuron displacement at a fixed time falls like m^-1/2 when alpha = sqrt(m) and stays O(1) when alpha = 1.

    Statistic: log-log slope over widths 64..1024 of the ensemble mean of
    mean_j ||(u_j, theta_j, b_j)_T - (u_j, theta_j, b_j)_0||; two-sided t-tests (Welch degrees of
    freedom, Bonferroni over the two scalings) of the predicted exponents -1/2 and 0. The MDDs
    (reported) are far below 1/2, so the two regimes are told apart and each is distinguished
    from the other's exponent.
    """
    for a in (0.5, 0.0):
        runs = scaled_runs(seed, a)
        e = width_exponents(a)["neuron_displacement"]
        claim.check(slope_test(WIDTHS, [runs[m].neuron_displacement[-1] for m in WIDTHS], expected=e.exponent,
                               alpha=ALPHA / 2, name=f"slope of per-neuron displacement, alpha = m^{a}"))

    def fig():
        f, ax = new_figure(1)
        for a, c in ((0.5, "C0"), (0.0, "C1")):
            runs = scaled_runs(seed, a)
            y = [runs[m].neuron_displacement[-1].mean() for m in WIDTHS]
            ax[0].plot(WIDTHS, y, "o-", color=c, label=f"alpha = m^{a}")
        ax[0].set(xscale="log", yscale="log", xlabel="width m", ylabel="per-neuron displacement")
        ax[0].legend(fontsize=7)
        return f
    claim.figure(fig)


def _pooled(run, which, groups):
    """Particles of each of ``groups`` disjoint groups of members, pooled: list of (k m, d + 2)."""
    p = run.particles(which)
    return [g.reshape(-1, p.shape[-1]) for g in np.array_split(p, groups)]


@pytest.mark.claim(ref="arXiv:1804.06561 Theorem 3 (the particle law follows a width-independent PDE)", **PAPER)
def test_mean_field_particle_law_converges_with_width(claim, seed):
    """In mean-field scaling the neurons' law moves O(1) away from its initial law but agrees between widths m and 2m.

    For each width pair (m, 2m), m = 64..512, and each of 8 disjoint groups of networks (1024
    neurons pooled per group): the sliced 2-Wasserstein distances (256 directions) between the
    trained laws, D_T, and between the initial laws, D_0 (the sampling floor of two independent
    same-law samples of this size). Excess E = D_T^2 - D_0^2: t-test of mean E = 0 per pair
    (Bonferroni over 4), i.e. the law at time T depends on the width no more than sampling
    noise does. Non-triviality: the displacement of the law itself, M = SW2(law_T, law_0) (same
    groups), is O(1): a t-test of its width slope against 0 (alpha split over the 5 assertions), so
    the agreement between widths is not that of a frozen law. At seed 20190618, M^2 ~ 0.030 and the
    excess MDD is <= 0.0034, so a width dependence of ~10% of the squared movement is detected.
    (The lazy law's SW2 displacement is not asserted: its empirical sliced distance falls with
    slope ~ -0.3, not -1/2, because first-order particle moves partly rearrange an unchanged law.)
    """
    runs = scaled_runs(seed, 0.0)
    for m in WIDTHS[:-1]:
        a_t, b_t = _pooled(runs[m], "final", GROUPS), _pooled(runs[2 * m], "final", GROUPS)
        a_0, b_0 = _pooled(runs[m], "initial", GROUPS), _pooled(runs[2 * m], "initial", GROUPS)
        E = [sliced_wasserstein(a_t[g], b_t[g], seed=np.random.SeedSequence([seed, g])) ** 2 - sliced_wasserstein(a_0[g], b_0[g], seed=np.random.SeedSequence([seed, g])) ** 2
             for g in range(GROUPS)]
        claim.check(mean_vs_prediction(E, 0.0, alpha=ALPHA / 5, name=f"excess SW2^2 between widths {m} and {2 * m}"))
    r = scaled_runs(seed, 0.0)
    moved = [np.array([sliced_wasserstein(x, y, seed=np.random.SeedSequence([seed, g])) for g, (x, y) in
                       enumerate(zip(_pooled(r[m], "final", GROUPS), _pooled(r[m], "initial", GROUPS)))])
             for m in WIDTHS]
    claim.check(slope_test(WIDTHS, moved, expected=0.0, alpha=ALPHA / 5,
                           name="slope of SW2(law_T, law_0) vs width, mean-field"))
