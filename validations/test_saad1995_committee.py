"""Saad & Solla, "On-line learning in soft committee machines", Phys. Rev. E 52, 4225 (1995).

Claims about the symmetric plateau and the largest stable learning rate of online SGD of a
K = M erf soft committee machine (first layer trained, v = v* = 1, orthonormal teacher T = I).
Conventions: docs/DESIGN.md section 3 (g = erf(x/sqrt 2), eta/sqrt(N) steps, alpha = steps/N).
Simulation uses the exact order-parameter chain (``method="gram"``, same law as explicit-weight
SGD at every N, see tests/test_sims_teacher_student.py) so that N = 5000 costs no more than N = 50.
"""
from __future__ import annotations

import numpy as np
import pytest

from sims.teacher_student import TeacherStudent, simulate_sgd
from theory.committee_fixed_points import max_stable_learning_rate, plateau_small_eta, symmetric_plateau
from theory.committee_ode import CommitteeODE
from validations.plotting import new_figure, theory_vs_sim
from validations.stats import ALPHA, mean_vs_prediction, negative_control, proportion_test

PAPER = dict(paper="Saad & Solla 1995", arxiv="cond-mat/9507079")

PLATEAU_CASES = [
    pytest.param(2, 0.25, 5000, 400, id="K2-eta0.25"),
    pytest.param(2, 0.75, 5000, 200, id="K2-eta0.75"),
    pytest.param(3, 0.5, 5000, 300, id="K3-eta0.5"),
    pytest.param(3, 0.25, 10000, 900, marks=pytest.mark.slow, id="K3-eta0.25-slow"),
]


@pytest.mark.claim(ref="section IV, symmetric fixed point (plateau); Fig. 2", **PAPER)
@pytest.mark.parametrize("K,eta,N,alpha_max", PLATEAU_CASES)
def test_plateau_height_matches_symmetric_fixed_point(claim, seed, K, eta, N, alpha_max):
    """SGD's plateau height equals eps_g at the ODE's symmetric fixed point, at small and finite eta.

    Statistic: per seed, the mean of eps_SGD over the recorded times at which that seed's own ODE
    (started from its measured initial order parameters) is within delta = 0.5 % of the fixed
    point -- the plateau as the theory sees it for that initial condition; the selection depends
    on the initial condition only, never on the SGD outcome. Prediction, per seed: eps_g of the
    fixed point plus that seed's ODE offset from it inside the same window (deterministic, <= 0.5 %
    of eps_p), i.e. the ODE's own window average; paired t-test over seeds. An earlier version
    compared with eps_p itself and added the largest offset as a systematic allowance; because
    the ODEs approach the plateau from one side, that allowance sat on one side too, and a shift
    of the prediction by its stated MDD in that direction was never detected (audit: 20 of 40).
    The O(1/N) finite-size bias (~1e-4 relative at N = 5000) is far below the SE. MDD (power 0.8)
    is reported; it is below 1 % of eps_p, so the test rejects e.g. the eta -> 0 plateau height
    (13 % lower at eta = 0.25) or a 1 % error in I4; the first of these is asserted as a negative
    control on the same samples. Reported: the largest |ODE - eps_p| inside the windows.
    """
    fp = symmetric_plateau(K, eta)
    p = TeacherStudent(N=N, K=K, M=K, eta=eta, orthonormal_teacher=True, init_std=0.1)
    alphas = np.linspace(0.0, alpha_max, 151)
    tr = simulate_sgd(p, alphas=alphas, n_seeds=16, seed=seed, method="gram")
    Q0, R0, v0, T = tr.initial_order_parameters()
    ode = tr.ode().integrate(Q0, R0, v0, tr.alphas, rtol=1e-9, atol=1e-12)
    delta = 5e-3
    rel = np.abs(ode.eps_g / fp.eps_g - 1.0)
    near = rel < delta
    ok = near.sum(axis=1) >= 3
    assert ok.sum() >= 8, f"only {ok.sum()} seeds have a plateau window; lengthen alpha_max"
    used = np.nonzero(ok)[0]
    sim = np.array([tr.eps_g[s, near[s]].mean() for s in used])
    offset = np.array([ode.eps_g[s, near[s]].mean() - fp.eps_g for s in used])   # the ODE's own, per seed
    v = mean_vs_prediction(sim, fp.eps_g + offset, name=f"plateau eps_g K={K} eta={eta} (paired with each seed's ODE)")
    v.details["max_ode_offset_from_fixed_point"] = float(max(np.abs(ode.eps_g[s, near[s]] - fp.eps_g).max() for s in used))
    v.details["fixed_point_eps_g"] = float(fp.eps_g)
    claim.check(v)
    # negative control on the same samples: the eta -> 0 plateau height must be rejected
    wrong = mean_vs_prediction(sim, plateau_small_eta(K)[2] + offset)
    claim.check(negative_control(wrong, f"negative control: eta->0 height {plateau_small_eta(K)[2]:.5g} rejected"))

    def fig():
        f, ax = new_figure(1)
        theory_vs_sim(ax[0], tr.alphas, ode.eps_g.mean(0), tr.eps_g, label_theory="ODE (same init)",
                      label_sim="SGD (16 seeds)", logy=True)
        ax[0].axhline(fp.eps_g, color="k", ls=":", lw=1, label="symmetric fixed point")
        ax[0].axhline(plateau_small_eta(K)[2], color="C3", ls="--", lw=1, label="eta -> 0 plateau")
        ax[0].set(xlabel="alpha", ylabel="eps_g", title=f"Plateau K=M={K}, eta={eta}, N={N}")
        ax[0].legend(fontsize=7)
        return f
    claim.figure(fig)


@pytest.mark.claim(ref="section V, maximal learning rate from the linearisation at R = Q = I", **PAPER)
def test_max_stable_learning_rate_separates_convergence(claim, seed):
    """SGD converges just below the ODE's largest stable learning rate and does not just above it.

    eta_max (K = M = 2, erf) is where the largest real part of the Jacobian's eigenvalues at the
    perfect-learning fixed point crosses zero. SGD (sigma = 0, N = 2000, 24 seeds) starts close
    to the teacher (w = w* + 0.2 xi). Convergence of a seed: eps_g(alpha_end) < eps_g(0) / 10,
    with alpha_end the time at which the ODE at 0.9 eta_max has decayed a hundredfold.
    Assertions (alpha split in two), one-sided exact binomial tests that fail only on evidence
    against the claim: at 0.9 eta_max the converged fraction is >= 1/2, at 1.1 eta_max it is
    <= 1/2. Power: a true converged fraction below 1/2 - MDD at 0.9 eta_max (or above 1/2 + MDD
    at 1.1 eta_max) fails with probability 0.8 (MDD ~ 0.44 with 24 seeds, exact binomial); a
    threshold that is 10 % off in either direction puts one of the two rates near 0 or 1 and
    fails. A 5 % error in eta_max is out of reach of this design: SGD at 0.945 (1.155) eta_max still
    converges (diverges), so the rates do not move; resolving it needs rates measured at
    +-2 % around the threshold, where the decay time diverges.
    """
    K = 2
    eta_max = max_stable_learning_rate(K)
    base = TeacherStudent(N=2000, K=K, M=K, eta=1.0, orthonormal_teacher=True, init_overlap=1.0, init_std=0.2)
    Q0 = np.eye(K) * (1 + 0.04)
    R0 = np.eye(K)
    lo = CommitteeODE(K=K, M=K, eta=0.9 * eta_max)
    grid = np.linspace(0, 400, 401)
    e = lo.integrate(Q0, R0, None, grid).eps_g
    below = np.nonzero(e < e[0] / 100)[0]
    assert below.size, "ODE at 0.9 eta_max did not decay within alpha = 400"
    alpha_end = float(grid[below[0]])
    results = {}
    for j, factor in enumerate((0.9, 1.1)):
        tr = simulate_sgd(base.with_(eta=factor * eta_max), alphas=np.linspace(0, alpha_end, 61), n_seeds=24,
                          seed=np.random.SeedSequence([seed, j]), method="gram", on_divergence="flag")
        final = np.where(np.isfinite(tr.eps_g[:, -1]), tr.eps_g[:, -1], np.inf)
        conv = final < tr.eps_g[:, 0] / 10
        results[factor] = (tr, int(conv.sum()))
    k_lo, k_hi = results[0.9][1], results[1.1][1]
    claim.check(proportion_test(k_lo, 24, lower=0.5, alpha=ALPHA / 2,
                                name=f"converged fraction at 0.9 eta_max (eta_max={eta_max:.4f})"))
    claim.check(proportion_test(k_hi, 24, upper=0.5, alpha=ALPHA / 2, name="converged fraction at 1.1 eta_max"))

    def fig():
        f, ax = new_figure(1)
        for c, (factor, (tr, _)) in zip(("C0", "C3"), results.items()):
            ode = CommitteeODE(K=K, M=K, eta=factor * eta_max).integrate(Q0, R0, None, tr.alphas)
            theory_vs_sim(ax[0], tr.alphas, ode.eps_g, np.where(np.isfinite(tr.eps_g), tr.eps_g, np.nan),
                          label_theory=f"ODE {factor} eta_max", label_sim=f"SGD {factor} eta_max", logy=True, color=c)
        ax[0].set(xlabel="alpha", ylabel="eps_g", title=f"Stability threshold eta_max = {eta_max:.3f} (K=M=2)")
        return f
    claim.figure(fig)
