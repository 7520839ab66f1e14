"""Mixture integrals, mixture ODE, state evolution and random-features theory (Refinetti et al. 2021)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import multivariate_normal, norm

from sims.gaussian_mixture import GaussianMixture, xor_mixture
from sims.mixture_sgd import random_feature_matrix
from theory.activations import get_activation
from theory.mixture_integrals import bivariate_normal_cdf, expect_1, expect_2, expect_diag
from theory.mixture_ode import MixtureODE
from theory.mixture_state_evolution import StateEvolutionError, state_evolution, xor_symmetric_ansatz
from theory._rf_numba import expand, pcg, project
from theory.random_features import GaussianEquivalentFeatures, rf_population_readout


@pytest.mark.parametrize("h,k,r", [(0.3, -1.2, 0.5), (0.0, 0.7, -0.8), (0.0, 0.0, 0.3), (-2.0, 0.0, 0.95),
                                   (1.5, 2.5, -0.2)])
def test_bivariate_cdf_matches_scipy_including_zero_arguments(h, k, r):
    ref = multivariate_normal(cov=[[1, r], [r, 1]]).cdf([h, k])
    assert bivariate_normal_cdf(h, k, r) == pytest.approx(ref, abs=1e-7)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_relu_pair_closed_forms_match_adaptive_quadrature(seed):
    rng = np.random.default_rng(seed)
    m = rng.normal(size=2)
    A = rng.normal(size=(2, 2))
    C = A @ A.T + 0.1 * np.eye(2)
    d = multivariate_normal(m, C)
    for ij, f in (((0, 0), lambda a, b: a * b), ((1, 0), lambda a, b: b), ((1, 1), lambda a, b: 1.0)):
        ref, _ = integrate.dblquad(lambda b, a: f(a, b) * d.pdf([a, b]), 0, 15, 0, 15, epsabs=1e-11)
        assert expect_2("relu", ij, m[0], m[1], C[0, 0], C[0, 1], C[1, 1]) == pytest.approx(ref, abs=1e-9)
    # delta(a) relu(b): derivative in the mean of a of E[Theta(a) relu(b)]
    eps = 1e-5
    fd = (expect_2("relu", (1, 0), m[0] + eps, m[1], C[0, 0], C[0, 1], C[1, 1])
          - expect_2("relu", (1, 0), m[0] - eps, m[1], C[0, 0], C[0, 1], C[1, 1])) / (2 * eps)
    assert expect_2("relu", (2, 0), m[0], m[1], C[0, 0], C[0, 1], C[1, 1]) == pytest.approx(fd, rel=1e-6)


@pytest.mark.parametrize("act", ["relu", "erf", "tanh"])
def test_one_field_and_diagonal_forms_match_quadrature(act):
    """ReLU closed forms to 1e-9; Gauss-Hermite (order 96) is ~1e-9 for tanh (poles at +-i pi/2)."""
    a = get_activation(act)
    m, s2 = 0.4, 0.7
    tol = 1e-9 if act != "tanh" else 1e-8
    pdf = lambda x: np.exp(-(x - m) ** 2 / (2 * s2)) / np.sqrt(2 * np.pi * s2)  # noqa: E731
    for i, f in ((0, a.g), (1, a.dg)):
        ref, _ = integrate.quad(lambda x: f(x) * pdf(x), -30, 30, points=[0.0], limit=200)
        assert expect_1(act, i, m, s2) == pytest.approx(ref, abs=tol)
    for ij in ((0, 0), (1, 0), (1, 1)):
        fa, fb = (a.g, a.dg)[ij[0]], (a.g, a.dg)[ij[1]]
        ref, _ = integrate.quad(lambda x: fa(x) * fb(x) * pdf(x), -30, 30, points=[0.0], limit=200)
        assert expect_diag(act, ij, m, s2) == pytest.approx(ref, abs=tol)


def _state(mix, K, seed, scale=0.7):
    rng = np.random.default_rng(seed)
    w = scale * rng.normal(size=(K, mix.N)) + 0.5 * mix.means[rng.integers(0, 4, K)]
    return mix.means @ w.T / mix.N, w @ w.T / mix.N, rng.normal(size=K)


@pytest.mark.parametrize("act", ["relu", "erf"])
def test_mixture_rhs_matches_monte_carlo_of_its_definition(act):
    """Stein reductions checked against direct sampling of (lambda, nu) | cluster (z-tests, 6 SE)."""
    mix = xor_mixture(60, 0.2, rho=0.4)
    K, eta, reg = 3, 0.7, 0.1
    ode = MixtureODE.from_mixture(mix, K, eta, reg=reg, activation=act, n_mc=1 << 16)
    R, Q, v = _state(mix, K, 1)
    dR, dQ, dv = ode.rhs(R, Q, v)
    a = get_activation(act)
    n = 400_000
    rng = np.random.default_rng(5)
    C = mix.n_clusters
    cov = ode.Delta * np.block([[Q, R.T], [R, ode.T]])
    L = np.linalg.cholesky(cov + 1e-12 * np.eye(K + C))
    accR, accQ, accv = [], [], []
    for al in range(C):
        f = np.array([*R[al], *ode.T[al]]) + rng.standard_normal((n, K + C)) @ L.T
        lam, nu = f[:, :K], f[:, K:]
        e = ode.labels[al] - a.g(lam) @ v
        gp = a.dg(lam)
        vR = eta * v[None, None, :] * (nu[:, :, None] * (gp * e[:, None])[:, None, :])        # (n, C, K)
        s = (gp * e[:, None])[:, None, :] * lam[:, :, None]                                     # (n, k, l) g'_l lambda_k e
        vQ = eta * (s * v[None, None, :] + np.swapaxes(s * v[None, None, :], 1, 2)) \
            + eta**2 * ode.Delta * np.outer(v, v)[None] * (gp[:, :, None] * gp[:, None, :] * (e**2)[:, None, None])
        vv = eta * a.g(lam) * e[:, None]
        accR.append(ode.probs[al] * vR)
        accQ.append(ode.probs[al] * vQ)
        accv.append(ode.probs[al] * vv)
    for acc, th, corr in ((accR, dR, -eta * reg * R), (accQ, dQ, -2 * eta * reg * Q), (accv, dv, -eta * reg * v)):
        samples = sum(acc)                       # same n per cluster: sum of weighted per-cluster samples
        mc = samples.mean(0) + corr
        se = np.sqrt(sum(np.var(x, axis=0) for x in acc) / n)
        assert np.all(np.abs(th - mc) <= 6 * se + 2e-3 * eta**2), (th, mc, se)


def test_rhs_batches_and_bad_input_is_named():
    mix = xor_mixture(40, 0.1)
    ode = MixtureODE.from_mixture(mix, 2, 0.3)
    R, Q, v = _state(mix, 2, 0)
    one = ode.rhs(R, Q, v)
    two = ode.rhs(np.stack([R, R]), np.stack([Q, Q]), np.stack([v, v]))
    for x, y in zip(one, two):
        np.testing.assert_allclose(y[1], x, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="R0 must have shape"):
        ode.integrate(R[:, :1], Q, v, [0, 1])
    with pytest.raises(ValueError, match="eta"):
        MixtureODE.from_mixture(mix, 2, 0.0)
    with pytest.raises(ValueError, match="Delta"):
        MixtureODE(ode.T, ode.labels, ode.probs, -1.0, 2, 0.1)
    with pytest.raises(ValueError, match="probs"):
        MixtureODE(ode.T, ode.labels, [0.5, 0.5, 0.5, -0.5], 0.1, 2, 0.1)
    with pytest.raises(ValueError, match="Q must be finite"):
        ode.errors(R, Q * np.nan, v)


def test_errors_of_the_bayes_network_and_odd_networks():
    from theory.bayes_error import xor_bayes_error
    mix = xor_mixture(50, 0.1)
    ode = MixtureODE.from_mixture(mix, 4, 0.1)
    r = 1.3
    R = r * np.array([[1, -1, 0, 0], [-1, 1, 0, 0], [0, 0, 1, -1], [0, 0, -1, 1.0]])
    Q = r * R + 1e-12 * np.eye(4)
    mse, cls, se = ode.errors(R, Q, np.array([-1, -1, 1, 1.0]))
    assert abs(cls - xor_bayes_error(0.1)) <= 4 * se
    odd = MixtureODE.from_mixture(mix, 4, 0.1, activation="erf")
    Rr, Qr, vr = _state(mix, 4, 3)
    assert odd.errors(Rr, Qr, vr)[1] == 0.5            # antithetic QMC: exactly 1/2


def test_state_evolution_xor_ansatz_is_a_fixed_point_of_the_full_ode():
    mix = xor_mixture(50, 0.1)
    ode = MixtureODE.from_mixture(mix, 4, 0.5, reg=0.05, n_mc=1 << 12, n_mc_class=1 << 12)
    E = xor_symmetric_ansatz(ode)
    R, Q, v = ode.unpack(E @ np.array([1.0, 1, 1.2, 1.2, -0.8, -0.8, 0, -1, 1]))
    res = state_evolution(ode, R, Q, v, ansatz=E, tol=1e-4)
    assert res.converged and res.residual <= 1e-4 and "converged" in res.report()
    assert res.v[0] < 0 < res.v[2]
    with pytest.raises(StateEvolutionError, match="NOT converged"):
        state_evolution(ode, R, Q, v, ansatz=E, tol=1e-14, max_relax=1)
    flagged = state_evolution(ode, R, Q, v, ansatz=E, tol=1e-14, max_relax=1, raise_on_failure=False)
    assert not flagged.converged
    with pytest.raises(ValueError, match="K = 4"):
        xor_symmetric_ansatz(MixtureODE.from_mixture(mix, 3, 0.5))


def test_rf_structured_solver_equals_dense_and_ge_moments():
    mix = xor_mixture(60, 0.2, rho=0.3)
    F = random_feature_matrix(90, 60, seed=1)
    feat = GaussianEquivalentFeatures(mix.centres, 0.2, F)
    cg_ = rf_population_readout(feat, mix.labels, mix.probs, rtol=1e-12)
    de = rf_population_readout(feat, mix.labels, mix.probs, method="dense")
    np.testing.assert_allclose(cg_.w, de.w, rtol=1e-8, atol=1e-10)
    assert cg_.eps_mse == pytest.approx(de.eps_mse, rel=1e-10) and cg_.eps_class == pytest.approx(de.eps_class, rel=1e-8)
    assert cg_.eps_mse <= 0.5 * 4 * 0.3 * 0.7 + 1e-12       # never worse than predicting the mean label
    # exact covariances agree with the GE ones on the diagonal and to O(1/D) off it
    ex = feat.exact_cov(0)
    ge = feat.ge_cov(0)
    np.testing.assert_allclose(np.diag(ex), np.diag(ge), rtol=1e-12)
    assert np.max(np.abs(ex - ge)) < 0.2 * 0.1
    with pytest.raises(ValueError, match="share D"):
        GaussianEquivalentFeatures(mix.centres, 0.2, F[:, :10])
    with pytest.raises(ValueError, match="method"):
        rf_population_readout(feat, mix.labels, mix.probs, method="lu")
    with pytest.raises(ValueError, match="rtol"):
        rf_population_readout(feat, mix.labels, mix.probs, rtol=0.0)


@pytest.mark.parametrize("P,D,k", [(1, 1, 1), (3, 5, 2), (7, 33, 3), (203, 17, 5), (401, 64, 4)])
def test_rf_numba_products_match_numpy(P, D, k):
    """The k-column products of the structured CG (row blocks of 4 and of 200, remainders) equal
    NumPy's to round-off; a dropped remainder row or block would show as an O(1) error."""
    rng = np.random.default_rng(P + D + k)
    A = rng.standard_normal((P, D))
    U = rng.standard_normal((k, P))
    T = np.full((k, D), np.nan)
    Y = np.full((k, P), np.nan)
    project(A, U, T)
    expand(A, T, Y)
    np.testing.assert_allclose(T, U @ A, rtol=1e-12, atol=1e-12 * np.sqrt(P))
    np.testing.assert_allclose(Y, T @ A.T, rtol=1e-12, atol=1e-12 * np.abs(T).max() * np.sqrt(D))


def test_rf_products_do_not_depend_on_the_thread_count():
    import numba
    rng = np.random.default_rng(3)
    A = rng.standard_normal((1003, 50))
    U = rng.standard_normal((3, 1003))
    out = []
    n0 = numba.get_num_threads()
    for n in sorted({1, n0}):
        numba.set_num_threads(n)
        try:
            T = np.empty((3, 50))
            Y = np.empty((3, 1003))
            project(A, U, T)
            expand(A, T, Y)
            out.append((T, Y))
        finally:
            numba.set_num_threads(n0)
    for T, Y in out[1:]:
        assert np.array_equal(T, out[0][0]) and np.array_equal(Y, out[0][1])


@pytest.mark.parametrize("rho", [0.5, 0.3])
def test_rf_lowrank_components_reproduce_the_cluster_sum(rho):
    """sum_r diag(beta_r) G diag(beta_r) = sum_alpha p_alpha B_alpha G B_alpha; on the XOR mixture
    with ReLU features three components suffice (b at -mu is 1 - b at +mu), a six-cluster circle
    (three antipodal pairs) needs four, five clusters at random means need all five, and
    per-cluster covariances keep one component per cluster."""
    from sims.gaussian_mixture import circle_mixture
    D, P = 30, 45
    F = random_feature_matrix(P, D, seed=2)
    rand = GaussianMixture(np.random.default_rng(1).standard_normal((5, D)), np.array([1, -1, 1, -1, 1]),
                           Delta=0.2, rho=rho)
    for mix, k in ((xor_mixture(D, 0.2, rho=rho), 3), (circle_mixture(D, 3, 0.2, rho=rho), 4), (rand, 5)):
        feat = GaussianEquivalentFeatures(mix.centres, 0.2, F)
        A3, starts, beta = feat.lowrank_components(mix.probs)
        assert beta.shape == (k, P) and list(starts) == [0, k]
        G = feat.input_cov(0)
        want = sum(p * np.outer(b, b) * G for p, b in zip(mix.probs, feat.b))
        got = sum(np.outer(b, b) * (A3[0] @ A3[0].T) for b in beta)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
        w = np.random.default_rng(4).standard_normal(P)
        np.testing.assert_allclose(feat.quad_forms(w), [w @ feat.ge_cov(a) @ w for a in range(len(mix.probs))],
                                   rtol=1e-12)
    rng = np.random.default_rng(5)
    B = rng.standard_normal((4, D, D)) / np.sqrt(D)
    aniso = GaussianMixture(xor_mixture(D, 0.2).means, np.array([-1, -1, 1, 1]),
                            cov=B @ B.transpose(0, 2, 1) + 0.1 * np.eye(D))
    feat = GaussianEquivalentFeatures.from_mixture(aniso, F)
    A3, starts, beta = feat.lowrank_components(aniso.probs)
    assert A3.shape == (4, P, D) and list(starts) == [0, 1, 2, 3, 4]
    np.testing.assert_allclose(beta, np.sqrt(aniso.probs)[:, None] * feat.b)


def test_rf_cg_reports_failure_instead_of_a_number():
    mix = xor_mixture(20, 0.2)
    feat = GaussianEquivalentFeatures(mix.centres, 0.2, random_feature_matrix(30, 20, seed=1))
    feat.d = feat.d.copy()
    feat.d[0, 3] = np.nan
    with pytest.raises(RuntimeError, match="did not converge"):
        rf_population_readout(feat, mix.labels, mix.probs)
    A3, starts, beta = feat.lowrank_components(mix.probs)
    ok = pcg(A3, starts, beta, np.ones(30), np.zeros((4, 30)), mix.probs, 0.0, np.ones(30), np.ones(30), 1e-14, 1)
    assert ok[1] == 1 and not ok[2]


def test_ge_features_with_general_covariances():
    """Anisotropic clusters: Delta I given as cov reproduces the isotropic path; per-cluster
    covariances give a structured product equal to the dense one and exact covariances that match
    Monte Carlo of the features (max |z| over pairs below a Bonferroni bound)."""
    D, P = 12, 9
    mix = xor_mixture(D, 0.2)
    F = random_feature_matrix(P, D, seed=5)
    iso = GaussianEquivalentFeatures(mix.centres, 0.2, F)
    viacov = GaussianEquivalentFeatures(mix.centres, None, F, cov=0.2 * np.eye(D))
    for name in ("mean", "var", "b", "d", "s2"):
        np.testing.assert_allclose(getattr(viacov, name), getattr(iso, name), rtol=1e-12)
    np.testing.assert_allclose(viacov.exact_cov(1), iso.exact_cov(1), rtol=1e-10, atol=1e-14)
    rng = np.random.default_rng(6)
    B = rng.standard_normal((4, D, D)) / np.sqrt(D)
    cov = B @ B.transpose(0, 2, 1) + 0.1 * np.eye(D)
    aniso = GaussianMixture(mix.means, mix.labels, cov=cov)
    feat = GaussianEquivalentFeatures.from_mixture(aniso, F)
    assert feat.s2.shape == (4, P)
    V = rng.standard_normal((4, P))
    dense = np.stack([feat.ge_cov(a) @ V[a] for a in range(4)])
    np.testing.assert_allclose(feat.cov_matvec(V), dense, rtol=1e-12, atol=1e-14)
    cg_ = rf_population_readout(feat, aniso.labels, aniso.probs, rtol=1e-12)
    de = rf_population_readout(feat, aniso.labels, aniso.probs, method="dense")
    assert cg_.eps_mse == pytest.approx(de.eps_mse, rel=1e-10)
    n = 200_000
    X, _, c = aniso.sample(n, seed=7)
    Z = np.maximum(X @ F.T / np.sqrt(D), 0)
    iu = np.triu_indices(P, 1)
    q = norm.isf(1e-3 / (2 * 4 * (iu[0].size + P)))
    for a in range(4):
        Za = Z[c == a]
        m = Za.shape[0]
        assert np.all(np.abs(Za.mean(0) - feat.mean[a]) <= q * Za.std(0, ddof=1) / np.sqrt(m))
        Zc = Za - Za.mean(0)
        prod = Zc[:, iu[0]] * Zc[:, iu[1]]
        z = (prod.mean(0) - feat.exact_cov(a)[iu]) / (prod.std(0, ddof=1) / np.sqrt(m))
        assert np.max(np.abs(z)) <= q, np.max(np.abs(z))
    with pytest.raises(ValueError, match="exactly one"):
        GaussianEquivalentFeatures(mix.centres, 0.2, F, cov=cov)
    with pytest.raises(ValueError, match="cov must have shape"):
        GaussianEquivalentFeatures(mix.centres, None, F, cov=cov[:2])
    bad = cov.copy()
    bad[0] = -np.eye(D)
    with pytest.raises(ValueError, match=r"cov must be positive definite.*batch index \(0,\)"):
        GaussianEquivalentFeatures(mix.centres, None, F, cov=bad)


def test_rf_readout_takes_a_feature_matrix_in_any_memory_layout():
    from sims.mixture_sgd import random_feature_matrix
    from theory.random_features import GaussianEquivalentFeatures, rf_population_readout
    mix = xor_mixture(20, 0.1)
    F = random_feature_matrix(30, 20, seed=1)
    a = rf_population_readout(GaussianEquivalentFeatures(mix.centres, 0.1, F), mix.labels, mix.probs)
    b = rf_population_readout(GaussianEquivalentFeatures(mix.centres, 0.1, np.asfortranarray(F)), mix.labels,
                              mix.probs[::-1][::-1])
    assert abs(a.eps_mse - b.eps_mse) < 1e-12
