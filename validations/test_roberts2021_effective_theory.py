"""Roberts, Yaida & Hanin, "The Principles of Deep Learning Theory", arXiv:2106.10165.

Claims about deep MLPs at initialisation: the kernel K (ch. 4.1, eq. 4.21 recursion), the
four-point vertex V (ch. 4.3, eq. 4.90), the 1/n kernel correction (ch. 4.4), the NTK mean
(ch. 8, eq. 8.12) and its 1/n correction (theory.ntk_correction), checked against ensembles of networks. Conventions: theory.effective_theory
(activations as theory.activations: "erf" is erf(x/sqrt 2)). Estimators use every neuron of every
member (RYH section 4.1): the mean and covariance of the empirical kernel G^(l) over members.
Ensembles use the exact weight-free sampler (sims.mlp_init, method="marginal": pre-activations and
backpropagated products drawn from their exact conditional laws; same law as drawing weights, see
tests/test_mlp_init.py).
"""
from __future__ import annotations

import numpy as np
import pytest

from sims.mlp_init import reduced_kernel_sampler, sample_init_ensemble
from theory.effective_theory import critical_initialization, effective_theory, nngp_ntk
from theory.ntk_correction import ntk_mean_correction
from twolayer.claims.plotting import new_figure, theory_vs_sim
from twolayer.seeds import derive_seed
from twolayer.claims.stats import (ALPHA, covariance_with_se, fit_coefficient_test, fit_goodness_test,
                               mean_vs_prediction, slope_test, variance_with_se)

PAPER = dict(paper="Roberts, Yaida & Hanin 2021", arxiv="2106.10165")
X1 = np.array([[1.0, 0.5, -0.3]])
X2 = np.array([[1.0, 0.5, -0.3], [0.2, 1.0, 0.4]])


def _crit(activation):
    C_b, C_W = critical_initialization(activation)
    return (0.1 if activation in ("tanh", "erf") else C_b), C_W   # C_b > 0: a non-trivial K* = 0-class flow


# ------------------------------------------------------------------------------------------------
# 1. kernel per layer
# ------------------------------------------------------------------------------------------------
@pytest.mark.claim(ref="ch. 4.1, kernel recursion (4.21); ch. 4.4, NLO metric",
                   theory=("theory.effective_theory:effective_theory",),
                   sims=("sims.mlp_init:sample_init_ensemble",), **PAPER)
@pytest.mark.parametrize("activation", ["tanh", "relu", "linear", "erf"])
@pytest.mark.parametrize("n_inputs", [1, 2])
def test_kernel_per_layer_matches_recursion(claim, seed, activation, n_inputs):
    """The ensemble mean of the empirical kernel of every layer equals K + G1/n (one and two inputs).

    Depth 4, widths 64, 20 000 members. For every layer l = 2..4 and every entry (a <= b): t-test
    of the member mean of G^(l)_ab against K^(l) + G1^(l)/n (alpha split over the assertions). The
    neglected O(1/n^2) terms (about 1e-4 K at n = 64) are far below the SE (~3e-3 K). MDD about
    1 % of K; a wrong C_W (by 2 %) or a missing G1 for tanh at depth 4 (~0.5 %) sits at that edge.
    """
    X = X1 if n_inputs == 1 else X2
    C_b, C_W = _crit(activation)
    widths = (64, 64, 64)
    et = effective_theory(X, widths, C_b=C_b, C_W=C_W, activation=activation)
    ens = sample_init_ensemble(X, widths, C_b=C_b, C_W=C_W, activation=activation, n_members=20000,
                               seed=derive_seed(seed, "roberts2021", "kernel_per_layer", activation, n_inputs),
                               method="marginal")
    pairs = [(a, b) for a in range(n_inputs) for b in range(a, n_inputs)]
    n_tests = 3 * len(pairs)
    for l in (2, 3, 4):
        pred = et.kernel_mean(l)
        for a, b in pairs:
            claim.check(mean_vs_prediction(ens.G[:, l - 1, a, b], pred[a, b], alpha=ALPHA / n_tests,
                                           name=f"{activation} layer {l} K[{a},{b}]"))

    def fig():
        f, ax = new_figure(1)
        ls = np.arange(1, 5)
        for (a, b), c in zip(pairs, ("C0", "C1", "C2")):
            theory_vs_sim(ax[0], ls, [et.kernel_mean(l)[a, b] for l in ls], ens.G[:, :, a, b],
                          label_theory=f"K[{a}{b}] recursion", label_sim=f"ensemble [{a}{b}]", color=c)
        ax[0].set(xlabel="layer", ylabel="kernel", title=f"{activation}, width 64")
        return f
    claim.figure(fig)


# ------------------------------------------------------------------------------------------------
# 2. four-point vertex
# ------------------------------------------------------------------------------------------------
@pytest.mark.claim(ref="ch. 4.3, V recursion (4.90); exact linear/ReLU single-input forms",
                   theory=("theory.effective_theory:effective_theory",),
                   sims=("sims.mlp_init:reduced_kernel_sampler",), **PAPER)
@pytest.mark.parametrize("activation", ["linear", "relu"])
def test_vertex_of_linear_and_relu_nets_matches_closed_forms(claim, seed, activation):
    """Var of the empirical kernel equals the exact finite-width law and, as n grows, V/n with V = c (l-1) K^2.

    Single input, exact reduced sampler (2 000 000 members, cost independent of width), depth 6.
    (a) At n = 16: Var(G^(l)) = K^2 [(1 + c/n)^(l-1) - 1] (c = 2 linear, 5 ReLU at criticality),
        one t-test per layer on the squared deviations (delta-method SE, which the t-test uses).
    (b) n Var(G^(6)) over n = 16..256, weighted fit a + b/n + c/n^2 + d/n^3: intercept
    a = V^(6) = 5 c K^2, and a chi^2 test of that fit (1 degree of freedom; alpha split over 7).
    The fit carries the next order on purpose: the exact law n Var = K^2 [5c + 10c^2/n + 10c^3/n^2
    + 5c^4/n^3 + c^5/n^4] has an n^-3 term that a quadratic fit pushes into the intercept, by
    +0.40 SE for ReLU (c = 5; +0.05 SE linear). The calibration audit saw it: Stouffer z = +3.7 over
    60 seeds (+0.40 sqrt 60 = 3.1 predicted). With the cubic term, the omitted c^5/n^4 biases the
    intercept by < 0.01 SE (computed from the exact law at the measured SEs). MDD: about 0.5 % of
    Var at n = 16; the intercept's MDD is about 1.6 % of V (ReLU) and 1.2 % (linear).
    """
    C_b, C_W = critical_initialization(activation)
    c = 2.0 if activation == "linear" else 5.0
    et = effective_theory(X1, 16, depth=6, C_b=C_b, C_W=C_W, activation=activation)
    K = et.K[0, 0, 0]
    assert np.allclose(et.V[:, 0, 0, 0, 0], c * np.arange(6) * K**2, rtol=1e-10)   # closed form oracle
    G = reduced_kernel_sampler(float(X1[0] @ X1[0]), 3, (16,) * 5, C_b=C_b, C_W=C_W, activation=activation,
                               n_members=2_000_000,
                               seed=derive_seed(seed, "roberts2021", "vertex_closed_form", activation, "n16"))
    for l in range(2, 7):
        exact = K**2 * ((1 + c / 16) ** (l - 1) - 1)
        dev2 = (G[:, l - 1] - G[:, l - 1].mean()) ** 2 * G.shape[0] / (G.shape[0] - 1)
        claim.check(mean_vs_prediction(dev2, exact, alpha=ALPHA / 7, name=f"{activation} Var G^({l}) at n=16"))
    ns = np.array([16, 32, 64, 128, 256])
    vals, ses = [], []
    for n in ns:
        Gn = reduced_kernel_sampler(float(X1[0] @ X1[0]), 3, (int(n),) * 5, C_b=C_b, C_W=C_W, activation=activation,
                                    n_members=2_000_000, seed=derive_seed(seed, "roberts2021", "vertex_closed_form", activation, int(n)))
        v, s = variance_with_se(Gn[:, -1])
        vals.append(n * v)
        ses.append(n * s)
    claim.check(fit_coefficient_test(1.0 / ns, np.array(vals), np.array(ses), degree=3, coef=0, expected=et.V[5, 0, 0, 0, 0],
                                     alpha=ALPHA / 7, name=f"{activation}: n Var G^(6) -> V^(6) (intercept)"))
    claim.check(fit_goodness_test(1.0 / ns, np.array(vals), np.array(ses), degree=3, alpha=ALPHA / 7,
                                  name=f"{activation}: n Var G^(6)"))

    def fig():
        f, ax = new_figure(1)
        theory_vs_sim(ax[0], 1.0 / ns, K**2 * ((1 + c / ns) ** 5 - 1) * ns, sim_mean=vals, sim_se=ses,
                      label_theory="exact finite width", label_sim="reduced sampler")
        ax[0].axhline(et.V[5, 0, 0, 0, 0], color="k", ls=":", label="V^(6) (leading order)")
        ax[0].legend(fontsize=7)
        ax[0].set(xlabel="1/n", ylabel="n Var G^(6)", title=f"{activation}: four-point vertex")
        return f
    claim.figure(fig)


@pytest.mark.claim(ref="ch. 4.3, V recursion (4.90), two inputs",
                   theory=("theory.effective_theory:effective_theory",),
                   sims=("sims.mlp_init:sample_init_ensemble",), **PAPER)
@pytest.mark.parametrize("activation", ["tanh", "erf", "relu"])
def test_vertex_two_inputs_matches_recursion(claim, seed, activation):
    """n Cov(G_ab, G_cd) of layer 3 tends to V^(3)_(ab)(cd) as n grows (two inputs).

    Widths n in (32, 64, 128, 256), 20 000 members each; weighted fit of n Cov against 1/n
    (a + b/n); z-test of the intercept and chi^2 test of the fit for (00)(00), (00)(11) and
    (01)(01) (alpha split in 6). MDD (reported) about 5-10 % of V.
    """
    C_b, C_W = _crit(activation)
    ns = np.array([32, 64, 128, 256])
    comps = [((0, 0), (0, 0)), ((0, 0), (1, 1)), ((0, 1), (0, 1))]
    vals = {c: [] for c in comps}
    ses = {c: [] for c in comps}
    for n in ns:
        ens = sample_init_ensemble(X2, (int(n), int(n)), C_b=C_b, C_W=C_W, activation=activation, n_members=20000,
                                   seed=derive_seed(seed, "roberts2021", "vertex_two_inputs", activation, int(n)),
                                   method="marginal")
        G3 = ens.G[:, 2]
        for (a, b), (c, d) in comps:
            cv, se = covariance_with_se(G3[:, a, b], G3[:, c, d])
            vals[((a, b), (c, d))].append(n * cv)
            ses[((a, b), (c, d))].append(n * se)
    et = effective_theory(X2, (64, 64), C_b=C_b, C_W=C_W, activation=activation)
    for (a, b), (c, d) in comps:
        y, sy = np.array(vals[((a, b), (c, d))]), np.array(ses[((a, b), (c, d))])
        claim.check(fit_coefficient_test(1.0 / ns, y, sy, degree=1, coef=0, expected=et.V[2, a, b, c, d], alpha=ALPHA / 6,
                                         name=f"{activation}: V^(3)_({a}{b})({c}{d})"))
        claim.check(fit_goodness_test(1.0 / ns, y, sy, degree=1, alpha=ALPHA / 6,
                                      name=f"{activation}: n Cov, ({a}{b})({c}{d})"))

    def fig():
        f, ax = new_figure(1)
        for comp, col in zip(comps, ("C0", "C1", "C2")):
            (a, b), (c, d) = comp
            theory_vs_sim(ax[0], 1.0 / ns, np.full(ns.size, et.V[2, a, b, c, d]), sim_mean=vals[comp], sim_se=ses[comp],
                          label_theory=f"V ({a}{b})({c}{d})", label_sim="n Cov (ensemble)", color=col)
        ax[0].set(xlabel="1/n", ylabel="n Cov(G, G), layer 3", title=f"{activation}: vertex, two inputs")
        return f
    claim.figure(fig)


# ------------------------------------------------------------------------------------------------
# 3. 1/n correction of the kernel
# ------------------------------------------------------------------------------------------------
KFIT = [pytest.param("tanh", (16, 24, 32, 48, 64, 96), 400_000, 1, id="tanh"),
        pytest.param("relu", (16, 24, 32, 48, 64, 96), 400_000, 1, id="relu"),
        pytest.param("tanh", (8, 12, 16, 24, 32, 48), 1_000_000, 2, marks=pytest.mark.slow, id="tanh-quadratic-slow")]


@pytest.mark.claim(ref="ch. 4.4, NLO metric G^{1}; zero for ReLU/linear (scale invariance)",
                   theory=("theory.effective_theory:effective_theory",),
                   sims=("sims.mlp_init:sample_init_ensemble",), **PAPER)
@pytest.mark.parametrize("activation,ns,n_members,degree", KFIT)
def test_kernel_finite_width_correction_fit(claim, seed, activation, ns, n_members, degree):
    """A fit of the ensemble kernel over six widths gives intercept K and slope G1 (zero for ReLU).

    Single input, depth 4, widths n in (16, ..., 96), 400 000 members each (exact marginal
    sampler). Weighted fit of E[G^(4)] = a + b/n; z-tests of a = K^(4) and b = G1^(4), and a chi^2
    test of the fit (alpha split in 3). G1^(4) = -0.034 for tanh (C_b = 0.1, C_W = 1), 0 for ReLU;
    the slope's MDD is 0.007 (20 % of |G1|), so a missing or sign-flipped correction is rejected.
    Neglected O(1/n^2) terms that the data resolve fail the chi^2 test; the slow variant fits
    a + b/n + c/n^2 over n = 8..48 with 10^6 members.
    """
    C_b, C_W = _crit(activation)
    ns = np.array(ns)
    means, ses = [], []
    for n in ns:
        ens = sample_init_ensemble(X1, (int(n),) * 3, C_b=C_b, C_W=C_W, activation=activation, n_members=n_members,
                                   seed=derive_seed(seed, "roberts2021", "kernel_fit", activation, degree, n_members, int(n)),
                                   method="marginal", memory_budget_mb=128)
        g = ens.G[:, 3, 0, 0]
        means.append(g.mean())
        ses.append(g.std(ddof=1) / np.sqrt(g.size))
    et = effective_theory(X1, 16, depth=4, C_b=C_b, C_W=C_W, activation=activation)
    x = 1.0 / ns
    claim.check(fit_coefficient_test(x, np.array(means), np.array(ses), degree=degree, coef=0, expected=et.K[3, 0, 0],
                                     alpha=ALPHA / 3, name=f"{activation}: intercept -> K^(4)"))
    claim.check(fit_coefficient_test(x, np.array(means), np.array(ses), degree=degree, coef=1, expected=et.G1[3, 0, 0],
                                     alpha=ALPHA / 3, name=f"{activation}: slope -> G1^(4)"))
    claim.check(fit_goodness_test(x, np.array(means), np.array(ses), degree=degree, alpha=ALPHA / 3,
                                  name=f"{activation}: E G^(4)"))

    def fig():
        f, ax = new_figure(1)
        xx = np.linspace(0, x.max(), 50)
        theory_vs_sim(ax[0], xx, et.K[3, 0, 0] + et.G1[3, 0, 0] * xx, label_theory="K + G1/n")
        theory_vs_sim(ax[0], x, None, sim_mean=means, sim_se=ses, label_sim="ensemble mean")
        ax[0].set(xlabel="1/n", ylabel="E G^(4)", title=f"{activation}: 1/n correction of the kernel")
        return f
    claim.figure(fig)


# ------------------------------------------------------------------------------------------------
# 4. NTK mean and fluctuations
# ------------------------------------------------------------------------------------------------
@pytest.mark.claim(ref="ch. 8, NTK mean recursion (8.12); fluctuations O(n^-1/2)",
                   theory=("theory.effective_theory:effective_theory",),
                   sims=("sims.mlp_init:sample_init_ensemble",), **PAPER)
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_ntk_mean_and_fluctuations(claim, seed, activation):
    """The ensemble NTK tends to the H recursion as 1/n -> 0 and its fluctuations shrink like n^-1/2.

    Two inputs, depth 3, lambda_b = lambda_W = 1, widths (32, 64, 128, 256), 4000 members each
    (weight-free exact NTK sampler; layerwise NTK averaged over 4 output neurons). (a) Weighted fit of the mean
    NTK[0,1] against 1/n (a + b/n): z-test of a = H^(3)_01, and a chi^2 test of the fit. (b) The
    standard deviation of one output neuron's NTK[0,0] across members (jackknife SEs), fitted as
    log sd = c + e log n + d/n, two-sided t-test of the exponent e = -1/2 (Welch degrees of
    freedom; alpha split in 3). The 1/n term is the next order of the width expansion: without it
    the ReLU slope over n = 32..256 is -0.507 +- 0.002 (20-seed audit, 2.9 SE from -1/2). MDDs
    reported (intercept ~1 % of H, exponent ~0.15: an n^-1/4 or n^-1 law fails).
    """
    C_b, C_W = _crit(activation)
    ns = np.array([32, 64, 128, 256])
    means, ses, fluct = [], [], []
    for n in ns:
        ens = sample_init_ensemble(X2, (int(n), int(n)), C_b=C_b, C_W=C_W, activation=activation, n_members=4000,
                                   seed=derive_seed(seed, "roberts2021", "ntk_fluctuations", activation, int(n)),
                                   ntk=True, n_out=4, method="marginal")
        t = ens.ntk[:, 0, 1]
        means.append(t.mean())
        ses.append(t.std(ddof=1) / np.sqrt(t.size))
        fluct.append(ens.ntk0[:, 0, 0])
    et = effective_theory(X2, (64, 64), C_b=C_b, C_W=C_W, activation=activation)
    claim.check(fit_coefficient_test(1.0 / ns, np.array(means), np.array(ses), degree=1, coef=0, expected=et.H[2, 0, 1],
                                     alpha=ALPHA / 3, name=f"{activation}: mean NTK_01 -> H^(3)_01"))
    claim.check(fit_goodness_test(1.0 / ns, np.array(means), np.array(ses), degree=1, alpha=ALPHA / 3,
                                  name=f"{activation}: mean NTK_01"))
    claim.check(slope_test(ns, fluct, expected=-0.5, alpha=ALPHA / 3, correction=1.0,
                           statistic=lambda a, axis=None: np.std(a, axis=axis, ddof=1),
                           name=f"{activation}: exponent of sd(NTK_00) in n (1/n corrected)"))

    def fig():
        f, ax = new_figure(2)
        theory_vs_sim(ax[0], 1.0 / ns, np.full(ns.size, et.H[2, 0, 1]), sim_mean=means, sim_se=ses,
                      label_theory="H^(3)_01", label_sim="ensemble mean")
        ax[0].set(xlabel="1/n", ylabel="NTK_01", title=f"{activation}: NTK mean")
        sd = np.array([f.std() for f in fluct])
        theory_vs_sim(ax[1], ns, sd[0] * (ns / ns[0]) ** -0.5, sim_mean=sd, sim_se=sd / np.sqrt(2 * 4000), logx=True,
                      logy=True, label_theory="n^-1/2", label_sim="sd of NTK_00")
        ax[1].set(xlabel="n", ylabel="sd", title="NTK fluctuations")
        return f
    claim.figure(fig)


NTKFIT = [pytest.param("tanh", 0.1, 1.0, 2, id="tanh"), pytest.param("relu", 0.0, 2.0, 1, id="relu")]


@pytest.mark.claim(ref="ch. 8 NTK mean; its 1/n correction (derived in theory.ntk_correction; ReLU: none, "
                       "Guillen, Misof & Gerken arXiv:2508.11522)",
                   theory=("theory.ntk_correction:ntk_mean_correction",),
                   sims=("sims.mlp_init:sample_init_ensemble",), **PAPER)
@pytest.mark.parametrize("activation,C_b,C_W,degree", NTKFIT)
def test_ntk_mean_finite_width_correction_fit(claim, seed, activation, C_b, C_W, degree):
    """The 1/n coefficient of the NTK mean (one input) equals the derived correction h; zero for ReLU.

    Depth 4, widths n in (8, 12, 16, 24, 32, 48), 400 000 members each (exact weight-free sampler,
    one output neuron), lambda_b = 0, lambda_W = 1 (the bias learning rate only adds O(1) noise:
    with lambda_b = 1 the same test needs ~50x more members). Weighted fit E[NTK^(4)] = a + b/n
    (+ c/n^2 for tanh); z-tests of a = H^(4) and b = n h^(4), and a chi^2 test of the fit (alpha
    split in 3).

    tanh (C_b = 0.1, C_W = 1): n h = -0.103. The NTK mean has a 1/n^2 term that this range of
    widths resolves only in aggregate: pooled over 12 seeds the degree-1 slope is -0.1043 +- 0.0011
    (1.2 SE below n h) and c = -0.065 +- 0.032; over the 20 seeds of the audit the degree-1 slope
    sat 0.75 SE per seed below n h (Stouffer z = -3.4), which inflates this assertion's chance
    failures about tenfold. So the fit carries the next order, c/n^2, and the slope's MDD (reported)
    grows from 0.018 to ~0.07: a missing correction (b = 0) or a wrong sign is still rejected, a
    25 % error in h no longer is. ReLU at criticality (C_b = 0): every order vanishes -- with
    lambda_b = 0 the recursion E Theta^(l+1) = lambda_W E G^(l) + C_W E[1{z > 0} Theta^(l)], and the
    sign of z_j^(l) flips with row j of W^(l) while Theta_jj^(l) does not, so
    E[1{z_j > 0} Theta_jj] = E Theta_jj / 2 and E G^(l) = K^(l) at any width: the mean is exactly
    width-independent. The degree-1 fit is then exact; n h = 0, MDD of the slope ~0.16 (8 % of H).
    Any 1/n^2 term the data resolve fails the chi^2 test.
    """
    ns = np.array([8, 12, 16, 24, 32, 48])
    means, ses = [], []
    for n in ns:
        ens = sample_init_ensemble(X1, (int(n),) * 3, C_b=C_b, C_W=C_W, activation=activation, n_members=400_000,
                                   seed=derive_seed(seed, "roberts2021", "ntk_fit", activation, f"{C_b:g}", f"{C_W:g}", degree, int(n)),
                                   ntk=True, method="marginal",
                                   lambda_b=0.0, lambda_W=1.0, memory_budget_mb=128)
        t = ens.ntk[:, 0, 0]
        means.append(t.mean())
        ses.append(t.std(ddof=1) / np.sqrt(t.size))
    c = ntk_mean_correction(X1, 1, depth=4, C_b=C_b, C_W=C_W, activation=activation, lambda_b=0.0, lambda_W=1.0)
    x, means, ses = 1.0 / ns, np.array(means), np.array(ses)
    claim.check(fit_coefficient_test(x, means, ses, degree=degree, coef=0, expected=c.H[3], alpha=ALPHA / 3,
                                     name=f"{activation}: intercept -> H^(4)"))
    claim.check(fit_coefficient_test(x, means, ses, degree=degree, coef=1, expected=c.h[3], alpha=ALPHA / 3,
                                     name=f"{activation}: slope -> n h^(4) (NTK mean 1/n correction)"))
    claim.check(fit_goodness_test(x, means, ses, degree=degree, alpha=ALPHA / 3, name=f"{activation}: E NTK^(4)"))

    def fig():
        f, ax = new_figure(1)
        xx = np.linspace(0, x.max(), 50)
        theory_vs_sim(ax[0], xx, c.H[3] + c.h[3] * xx, label_theory="H + n h / n")
        theory_vs_sim(ax[0], x, None, sim_mean=means, sim_se=ses, label_sim="ensemble mean")
        ax[0].set(xlabel="1/n", ylabel="E NTK^(4)", title=f"{activation}: 1/n correction of the NTK mean")
        return f
    claim.figure(fig)


# ------------------------------------------------------------------------------------------------
# 5. infinite-width closed forms
# ------------------------------------------------------------------------------------------------
@pytest.mark.claim(ref="NNGP (Lee et al. 2018) and NTK (Jacot et al. 2018) closed forms; RYH ch. 4, 8",
                   theory=("theory.effective_theory:nngp_ntk",),
                   sims=("sims.mlp_init:sample_init_ensemble",), **PAPER)
@pytest.mark.parametrize("activation", ["relu", "erf"])
@pytest.mark.heavy
def test_infinite_width_nngp_and_ntk_closed_forms(claim, seed, activation):
    """Wide ensembles converge to the closed-form NNGP kernel and NTK (two inputs, depth 3).

    NNGP: E G^(3)_01 at n in (256, 512, 1024, 2048), 20 000 members; NTK: mean NTK_01 at the same
    widths, 4000 members (both from the exact weight-free sampler). Weighted fits against 1/n
    (a + b/n); z-tests of a against the closed forms of theory.effective_theory.nngp_ntk
    (arc-cosine for ReLU, asin for erf) and chi^2 tests of both fits, alpha split in 4. MDDs
    reported (< 1 % of the kernels).
    """
    C_b, C_W = (0.1, 1.0) if activation == "erf" else (0.1, 2.0)
    K_inf, H_inf = nngp_ntk(X2, 3, C_b=C_b, C_W=C_W, activation=activation)
    ns = np.array([256, 512, 1024, 2048])
    m, s = [], []
    for n in ns:
        ens = sample_init_ensemble(X2, (int(n), int(n)), C_b=C_b, C_W=C_W, activation=activation, n_members=20000,
                                   seed=derive_seed(seed, "roberts2021", "infinite_width_nngp", activation, int(n)),
                                   method="marginal")
        g = ens.G[:, 2, 0, 1]
        m.append(g.mean())
        s.append(g.std(ddof=1) / np.sqrt(g.size))
    claim.check(fit_coefficient_test(1.0 / ns, np.array(m), np.array(s), degree=1, coef=0, expected=K_inf[0, 1],
                                     alpha=ALPHA / 4, name=f"{activation}: NNGP K^(3)_01"))
    claim.check(fit_goodness_test(1.0 / ns, np.array(m), np.array(s), degree=1, alpha=ALPHA / 4,
                                  name=f"{activation}: E G^(3)_01"))
    nt = ns
    tm, ts = [], []
    for n in nt:
        ens = sample_init_ensemble(X2, (int(n), int(n)), C_b=C_b, C_W=C_W, activation=activation, n_members=4000,
                                   seed=derive_seed(seed, "roberts2021", "infinite_width_ntk", activation, int(n)),
                                   ntk=True, n_out=4, method="marginal")
        t = ens.ntk[:, 0, 1]
        tm.append(t.mean())
        ts.append(t.std(ddof=1) / np.sqrt(t.size))
    claim.check(fit_coefficient_test(1.0 / nt, np.array(tm), np.array(ts), degree=1, coef=0, expected=H_inf[0, 1],
                                     alpha=ALPHA / 4, name=f"{activation}: NTK H^(3)_01"))
    claim.check(fit_goodness_test(1.0 / nt, np.array(tm), np.array(ts), degree=1, alpha=ALPHA / 4,
                                  name=f"{activation}: mean NTK_01"))

    def fig():
        f, ax = new_figure(2)
        theory_vs_sim(ax[0], 1.0 / ns, np.full(ns.size, K_inf[0, 1]), sim_mean=m, sim_se=s, label_theory="NNGP closed form",
                      label_sim="ensemble")
        ax[0].set(xlabel="1/n", ylabel="K_01", title=f"{activation}: NNGP kernel")
        theory_vs_sim(ax[1], 1.0 / nt, np.full(nt.size, H_inf[0, 1]), sim_mean=tm, sim_se=ts, label_theory="NTK closed form",
                      label_sim="ensemble")
        ax[1].set(xlabel="1/n", ylabel="NTK_01", title=f"{activation}: NTK")
        return f
    claim.figure(fig)
