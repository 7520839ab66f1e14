"""Closed-form Gaussian integrals against quadrature and Monte Carlo (hypothesis over covariances)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from theory import gaussian_integrals as gi
from theory.activations import get_activation


def cov_strategy(d):
    """Random valid covariance matrices A A^T + eps I with entries of A in [-1.2, 1.2]."""
    return st.lists(st.floats(-1.2, 1.2), min_size=d * d, max_size=d * d).map(
        lambda v: (np.reshape(v, (d, d)) @ np.reshape(v, (d, d)).T) + 0.05 * np.eye(d))


def gh_reference(f, C, order):
    """Gauss--Hermite value at ``order`` and an error estimate: 10x its change from 2/3 of the order.

    Near-singular covariances (hypothesis finds them) converge slowly; the tolerance follows the
    reference's own convergence, never a fixed number picked to pass.
    """
    hi = gi.gauss_hermite_expectation(f, C, order)
    lo = gi.gauss_hermite_expectation(f, C, max(2, (2 * order) // 3))
    return hi, 10 * abs(hi - lo) + 1e-9


@settings(max_examples=40, deadline=None)
@given(cov_strategy(2))
def test_erf_I2_J2_match_quadrature(C):
    a = get_activation("erf")
    q2, e2 = gh_reference(lambda z: a.g(z[..., 0]) * a.g(z[..., 1]), C, 90)
    qj, ej = gh_reference(lambda z: a.dg(z[..., 0]) * a.dg(z[..., 1]), C, 90)
    assert gi.erf_I2(C[0, 0], C[0, 1], C[1, 1]) == pytest.approx(q2, abs=e2)
    assert gi.erf_J2(C[0, 0], C[0, 1], C[1, 1]) == pytest.approx(qj, abs=ej)


@settings(max_examples=30, deadline=None)
@given(cov_strategy(3))
def test_erf_I3_matches_quadrature(C):
    a = get_activation("erf")
    q, err = gh_reference(lambda z: a.dg(z[..., 0]) * z[..., 1] * a.g(z[..., 2]), C, 60)
    val = gi.erf_I3(C[0, 0], C[0, 1], C[0, 2], C[1, 2], C[2, 2])
    assert val == pytest.approx(q, abs=err)


@settings(max_examples=12, deadline=None)
@given(cov_strategy(4))
def test_erf_I4_matches_quadrature(C):
    # near-singular covariances (hypothesis finds them) need a high order: 36^4 nodes
    a = get_activation("erf")
    f = lambda z: a.dg(z[..., 0]) * a.dg(z[..., 1]) * a.g(z[..., 2]) * a.g(z[..., 3])
    q, err = gh_reference(f, C, 36)
    val = gi.erf_I4(C[0, 0], C[0, 1], C[0, 2], C[0, 3], C[1, 1], C[1, 2], C[1, 3], C[2, 2], C[2, 3], C[3, 3])
    if err > 1e-5:
        # large, nearly rank-one covariances make erf(a xi) almost a step: tensor quadrature converges
        # slowly there, so the reference becomes Monte Carlo (5 SE: false failure ~6e-7)
        q, se = gi.monte_carlo_expectation(f, C, 1_000_000, 0)
        err = 5 * se
    assert val == pytest.approx(q, abs=err)


@settings(max_examples=15, deadline=None)
@given(cov_strategy(3), st.integers(0, 2**31 - 1))
def test_relu_closed_forms_match_monte_carlo(C, seed):
    """ReLU I2, J2, I3 (Stein) agree with MC within 5 standard errors (false-failure ~ 6e-7 each)."""
    r = get_activation("relu")
    n = 200_000
    m, se = gi.monte_carlo_expectation(lambda z: r.g(z[:, 0]) * r.g(z[:, 2]), C, n, seed)
    assert abs(gi.relu_I2(C[0, 0], C[0, 2], C[2, 2]) - m) < 5 * se + 1e-12
    m, se = gi.monte_carlo_expectation(lambda z: r.dg(z[:, 0]) * r.dg(z[:, 2]), C, n, seed + 1)
    assert abs(gi.relu_J2(C[0, 0], C[0, 2], C[2, 2]) - m) < 5 * se + 1e-12
    m, se = gi.monte_carlo_expectation(lambda z: r.dg(z[:, 0]) * z[:, 1] * r.g(z[:, 2]), C, n, seed + 2)
    assert abs(gi.relu_I3(C[0, 0], C[0, 1], C[0, 2], C[1, 2], C[2, 2]) - m) < 5 * se + 1e-12


def _entries(C):
    return [C[..., 0, 0], C[..., 0, 1], C[..., 0, 2], C[..., 0, 3], C[..., 1, 1], C[..., 1, 2], C[..., 1, 3],
            C[..., 2, 2], C[..., 2, 3], C[..., 3, 3]]


def _relu_I4_by_adaptive_quadrature(C):
    """E[step(a) step(b) relu(c) relu(d)] = int_{c, d > 0} c d phi(c, d) P(a > 0, b > 0 | c, d): 2-D
    adaptive quadrature of scipy's bivariate normal CDF -- an independent route."""
    from scipy import integrate, stats
    Scd, X = C[2:, 2:], C[:2, 2:]
    A = X @ np.linalg.inv(Scd)
    pdf = stats.multivariate_normal(np.zeros(2), Scd)
    cdf = stats.multivariate_normal(np.zeros(2), C[:2, :2] - A @ X.T)
    f = lambda d, c: c * d * pdf.pdf([c, d]) * cdf.cdf(A @ np.array([c, d]))
    return integrate.dblquad(f, 0, 9 * np.sqrt(C[2, 2]), 0, 9 * np.sqrt(C[3, 3]), epsabs=1e-11, epsrel=1e-9)[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_relu_I4_matches_adaptive_quadrature(seed):
    """The interpolation integral against an independent 2-D adaptive quadrature (~1e-13 relative)."""
    W = np.random.default_rng(seed).standard_normal((4, 6))
    C = W @ W.T / 6
    assert gi.relu_I4(*_entries(C)) == pytest.approx(_relu_I4_by_adaptive_quadrature(C), rel=1e-9)


def test_relu_I4_on_repeated_fields_is_its_exact_reduction():
    """Tuples of the ODE repeat fields: (a, a, a, a) gives E[relu(a)^2] = C_aa/2, (a, b, a, b)
    gives E[relu(a) relu(b)] (the arc-cosine kernel), (c, -c) gives 0."""
    W = np.random.default_rng(4).standard_normal((3, 5))
    B = W @ W.T / 5
    sub = lambda idx: B[np.ix_(idx, idx)]
    assert gi.relu_I4(*_entries(sub([0, 0, 0, 0]))) == pytest.approx(B[0, 0] / 2, rel=1e-10)
    assert gi.relu_I4(*_entries(sub([0, 1, 0, 1]))) == pytest.approx(gi.relu_I2(B[0, 0], B[0, 1], B[1, 1]), rel=1e-10)
    C = sub([0, 1, 2, 2])
    C[3, :] *= -1
    C[:, 3] *= -1
    assert abs(gi.relu_I4(*_entries(C))) < 1e-10 * C[2, 2]


def test_relu_I4_converges_on_singular_and_nearly_singular_covariances():
    """300 covariances, a third of rank 1 to 3 (and a third nearly so): the default path rule is
    within 1e-9 sqrt(C33 C44) of a 5x finer one (measured on this set: 8e-11; on another set of
    300, 4.6e-9, for a nearly anti-correlated a, b -- the hardest case of the t-integral)."""
    rng = np.random.default_rng(5)
    ranks = rng.integers(1, 6, 300)
    Cs = np.array([(lambda W: W @ W.T / W.shape[1])(rng.standard_normal((4, k))) for k in ranks])
    Cs[::3] += 1e-6 * np.eye(4)
    fine = gi.relu_I4(*_entries(Cs), n_nodes=241)
    err = np.abs(gi.relu_I4(*_entries(Cs)) - fine) / np.sqrt(Cs[:, 2, 2] * Cs[:, 3, 3])
    assert err.max() < 1e-9


@settings(max_examples=10, deadline=None)
@given(cov_strategy(4), st.integers(0, 2**31 - 1))
def test_relu_I4_matches_monte_carlo(C, seed):
    """5 SE (false failure ~ 6e-7 per example)."""
    r = get_activation("relu")
    m, se = gi.monte_carlo_expectation(lambda z: r.dg(z[:, 0]) * r.dg(z[:, 1]) * r.g(z[:, 2]) * r.g(z[:, 3]), C,
                                       200_000, seed)
    assert abs(gi.relu_I4(*_entries(C)) - m) < 5 * se + 1e-12


def test_relu_I4_broadcasts_and_takes_scalars():
    W = np.random.default_rng(6).standard_normal((2, 4, 5))
    Cs = W @ np.swapaxes(W, 1, 2) / 5
    both = gi.relu_I4(*_entries(Cs))
    assert both.shape == (2,) and isinstance(gi.relu_I4(*_entries(Cs[0])), float)
    assert both[1] == gi.relu_I4(*_entries(Cs[1]))
    with pytest.raises(ValueError, match="n_nodes"):
        gi.relu_I4(*_entries(Cs[0]), n_nodes=1)


def test_relu_I4_deduplication_of_symmetric_tuples_changes_no_number():
    """Above 64 tuples, rows equal under a <-> b or c <-> d are evaluated once, in a canonical order:
    the numbers of one call per tuple within the rule's accuracy (measured: 6e-11 relative at most,
    on repeated, i.e. singular, tuples where the two orders of a pair round differently)."""
    rng = np.random.default_rng(7)
    W = rng.standard_normal((5, 8))
    B = W @ W.T / 8
    idx = [(i, k, c, d) for i in range(3) for k in range(3) for c in range(5) for d in range(5)]
    Cs = np.array([B[np.ix_(t, t)] for t in idx])
    together = gi.relu_I4(*_entries(Cs))
    one_by_one = np.array([gi.relu_I4(*_entries(C)) for C in Cs])
    np.testing.assert_allclose(together, one_by_one, rtol=1e-9, atol=1e-15)
    assert gi._canonical_I4_rows(np.array(_entries(Cs)).T).shape == (len(idx), 10)


@pytest.mark.parametrize("pair", [("erf", "linear"), ("relu", "linear"), ("erf", "relu"), ("linear", "erf")])
def test_mixed_I2_closed_forms_match_quadrature(pair):
    a, b = (get_activation(n) for n in pair)
    C = np.array([[1.3, 0.4], [0.4, 0.7]])
    q = gi.gauss_hermite_expectation(lambda z: a.g(z[..., 0]) * b.g(z[..., 1]), C, 200)
    assert gi.I2(*pair, 1.3, 0.4, 0.7) == pytest.approx(q, rel=1e-4)


def test_generic_quadrature_path_for_tanh_is_consistent_with_monte_carlo():
    t = get_activation("tanh")
    C = np.array([[1.0, 0.3, 0.2, 0.1], [0.3, 0.8, 0.1, 0.2], [0.2, 0.1, 1.2, 0.4], [0.1, 0.2, 0.4, 0.9]])
    val = gi.I4("tanh", "tanh", "tanh", C[0, 0], C[0, 1], C[0, 2], C[0, 3], C[1, 1], C[1, 2], C[1, 3], C[2, 2],
                C[2, 3], C[3, 3], order=12)
    m, se = gi.monte_carlo_expectation(lambda z: t.dg(z[:, 0]) * t.dg(z[:, 1]) * t.g(z[:, 2]) * t.g(z[:, 3]),
                                       C, 400_000, 3)
    assert abs(val - m) < 5 * se


def test_degenerate_covariance_stays_finite():
    """A student unit equal to a teacher unit puts the asin argument at 1 +- rounding; the clip keeps it finite."""
    q = 1.0 + 1e-16
    vals = [gi.erf_I2(1.0, q, 1.0), gi.erf_I4(1.0, 1.0, 1.0, q, 1.0, 1.0, q, 1.0, q, 1.0),
            gi.relu_I2(1.0, q, 1.0), gi.relu_J2(1.0, q, 1.0)]
    assert np.all(np.isfinite(vals))
    assert gi.erf_I2(1.0, 1.0, 1.0) == pytest.approx(1.0 / 3.0)   # (2/pi) asin(1/2)


def test_psd_sqrt_rejects_bad_covariances():
    with pytest.raises(ValueError, match="positive semi-definite"):
        gi.psd_sqrt(np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="symmetric"):
        gi.psd_sqrt(np.array([[1.0, 0.5], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="cov must be finite"):
        gi.psd_sqrt(np.array([[np.nan, 0.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="shape"):
        gi.psd_sqrt(np.ones(3))


def test_unknown_activation_is_named():
    with pytest.raises(ValueError, match="activation='softsign'"):
        gi.I2("softsign", "erf", 1.0, 0.0, 1.0)
