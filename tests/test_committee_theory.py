"""ODE right-hand side, integration, eps_g and fixed points against closed-form results."""
import numpy as np
import pytest

from theory.committee_fixed_points import (jacobian, max_stable_learning_rate, plateau_small_eta,
                                           stationary_point, symmetric_plateau)
from theory.committee_ode import CommitteeODE
from theory.generalisation_error import generalisation_error


def _random_state(K, M, rng):
    A = rng.normal(size=(K + M, K + M + 2))
    C = A @ A.T / (K + M + 2)
    return C[:K, :K], C[:K, K:], C[K:, K:]


def test_eps_g_erf_matches_the_explicit_asin_formula():
    rng = np.random.default_rng(0)
    Q, R, T = _random_state(3, 2, rng)
    v, vs = rng.normal(size=3), rng.normal(size=2)
    d, dt = np.diag(Q), np.diag(T)
    ref = (np.sum(np.outer(v, v) * np.arcsin(Q / np.sqrt(np.outer(1 + d, 1 + d))))
           + np.sum(np.outer(vs, vs) * np.arcsin(T / np.sqrt(np.outer(1 + dt, 1 + dt))))
           - 2 * np.sum(np.outer(v, vs) * np.arcsin(R / np.sqrt(np.outer(1 + d, 1 + dt))))) / np.pi
    assert generalisation_error(Q, R, T, v, vs) == pytest.approx(ref, rel=1e-12)


@pytest.mark.parametrize("acts", [("relu", "relu"), ("erf", "relu"), ("linear", "erf"), ("tanh", "erf")])
def test_eps_g_matches_monte_carlo_of_a_network(acts):
    """eps_g from order parameters equals 1/2 E(phi - phi*)^2 sampled from explicit weights."""
    from theory.activations import get_activation
    rng = np.random.default_rng(1)
    N, K, M = 60, 3, 2
    w, ws = rng.normal(size=(K, N)), rng.normal(size=(M, N))
    v, vs = rng.normal(size=K), rng.normal(size=M)
    x = rng.normal(size=(400_000, N))
    gs, gt = get_activation(acts[0]).g, get_activation(acts[1]).g
    diff = gs(x @ w.T / np.sqrt(N)) @ v - gt(x @ ws.T / np.sqrt(N)) @ vs
    samples = 0.5 * diff**2
    m, se = samples.mean(), samples.std() / np.sqrt(samples.size)
    th = generalisation_error(w @ w.T / N, w @ ws.T / N, ws @ ws.T / N, v, vs, *acts)
    assert abs(th - m) < 5 * se


def test_rhs_vanishes_at_perfect_learning_without_noise():
    ode = CommitteeODE(K=3, M=3, eta=0.7, eta_v=0.3)
    dQ, dR, dv = ode.rhs(np.eye(3), np.eye(3), np.ones(3))
    assert np.abs(dQ).max() < 1e-14 and np.abs(dR).max() < 1e-14 and np.abs(dv).max() < 1e-14


def test_linear_perceptron_ode_is_the_closed_linear_system():
    """K = M = 1 linear: D = Q - 2R + T obeys dD/da = -2 eta D + eta^2 (D + sigma^2) exactly."""
    eta, sig = 0.3, 0.4
    ode = CommitteeODE(K=1, M=1, eta=eta, sigma=sig, activation="linear")
    Q, R = np.array([[0.5]]), np.array([[0.2]])
    dQ, dR, _ = ode.rhs(Q, R, np.ones(1))
    D = 0.5 - 0.4 + 1.0
    assert dQ[0, 0] - 2 * dR[0, 0] == pytest.approx(-2 * eta * D + eta**2 * (D + sig**2), rel=1e-12)


def test_rk4_and_adaptive_integration_agree():
    ode = CommitteeODE(K=2, M=2, eta=0.8, sigma=0.1)
    Q0, R0 = np.eye(2) * 0.3, np.array([[0.1, 0.02], [0.0, 0.05]])
    al = np.linspace(0, 20, 11)
    a = ode.integrate(Q0, R0, None, al, rtol=1e-11, atol=1e-13)
    b = ode.integrate(Q0, R0, None, al, method="RK4", dt=0.01)
    assert np.abs(a.eps_g - b.eps_g).max() < 1e-9


def test_batched_integration_equals_individual_runs():
    ode_b = CommitteeODE(K=2, M=1, eta=0.5, eta_v=0.5, T=np.array([[[1.0]], [[1.2]]]), v_star=np.array([[1.0], [0.8]]))
    Q0 = np.array([np.eye(2) * 0.2, np.eye(2) * 0.4])
    R0 = np.array([[[0.1], [0.0]], [[0.0], [0.2]]])
    al = np.linspace(0, 5, 6)
    tb = ode_b.integrate(Q0, R0, np.ones(2), al, rtol=1e-11, atol=1e-13)
    for i in range(2):
        o = CommitteeODE(K=2, M=1, eta=0.5, eta_v=0.5, T=ode_b.T[i], v_star=ode_b.v_star[i])
        t = o.integrate(Q0[i], R0[i], np.ones(2), al, rtol=1e-11, atol=1e-13)
        assert np.abs(t.eps_g - tb.eps_g[i]).max() < 1e-9


def test_pack_unpack_round_trip():
    ode = CommitteeODE(K=3, M=2, eta=0.1, eta_v=0.1)
    rng = np.random.default_rng(2)
    Q, R, _ = _random_state(3, 2, rng)
    v = rng.normal(size=3)
    Q2, R2, v2 = ode.unpack(ode.pack(Q, R, v))
    assert np.allclose(Q, Q2) and np.allclose(R, R2) and np.allclose(v, v2)


@pytest.mark.parametrize("kwargs,name", [
    (dict(K=0, M=1, eta=0.1), "K"), (dict(K=1, M=-1, eta=0.1), "M"), (dict(K=1, M=1, eta=-0.1), "eta"),
    (dict(K=1, M=1, eta=0.1, sigma=-1.0), "sigma"), (dict(K=1, M=1, eta=np.nan), "eta"),
    (dict(K=1, M=1, eta=0.1, activation="foo"), "activation"), (dict(K=2, M=2, eta=0.1, T=np.eye(3)), "T"),
    (dict(K=2, M=2, eta=0.1, v_star=np.ones(3)), "v_star"),
])
def test_bad_ode_parameters_are_named(kwargs, name):
    with pytest.raises(ValueError, match=name):
        CommitteeODE(**kwargs)


def test_bad_integration_inputs():
    ode = CommitteeODE(K=2, M=2, eta=0.1)
    with pytest.raises(ValueError, match="Q"):
        ode.integrate(np.eye(3), np.eye(2), None, [0, 1])
    with pytest.raises(ValueError, match="alphas"):
        ode.integrate(np.eye(2), np.eye(2), None, [1, 0])
    with pytest.raises(ValueError, match="method"):
        ode.integrate(np.eye(2), np.eye(2), None, [0, 1], method="euler-ish")


def test_plateau_tends_to_the_small_eta_closed_form():
    for K in (2, 3, 4):
        q, r, eps = plateau_small_eta(K)
        fp = symmetric_plateau(K, 1e-4)
        assert fp.q_diag == pytest.approx(q, rel=1e-3) and fp.r == pytest.approx(r, rel=1e-3)
        assert fp.eps_g == pytest.approx(eps, rel=1e-3)
        assert fp.escape_rate > 0   # a saddle: SGD eventually leaves it


def test_max_stable_learning_rate_of_linear_networks_is_two_over_K():
    for K in (1, 2, 3):
        assert max_stable_learning_rate(K, "linear") == pytest.approx(2.0 / K, rel=1e-6)


def test_erf_max_stable_learning_rate_is_a_sign_change_of_the_jacobian():
    eta = max_stable_learning_rate(2)
    for f, sign in ((0.98, -1), (1.02, 1)):
        ode = CommitteeODE(K=2, M=2, eta=f * eta)
        ev = np.linalg.eigvals(jacobian(ode, ode.pack(np.eye(2), np.eye(2))))
        assert np.sign(ev.real.max()) == sign


@pytest.mark.parametrize("L", [0, 1, 3])
def test_linear_first_layer_stationary_error_is_exact(L):
    M, eta, sig = 2, 0.1, 0.5
    K = M + L
    ode = CommitteeODE(K=K, M=M, eta=eta, sigma=sig, activation="linear")
    Q0 = np.eye(K) * 0.01
    Q0[:M, :M] += np.eye(M)
    R0 = np.zeros((K, M))
    R0[:M, :M] = np.eye(M)
    sp = stationary_point(ode, Q0, R0, alpha_max=500)
    assert sp.converged
    assert sp.eps_g == pytest.approx(K * eta * sig**2 / (2 * (2 - K * eta)), rel=1e-8)


def test_erf_stationary_error_approaches_the_small_eta_formula_linearly_in_eta():
    """Goldt et al. eq. (15): eps* = eta sigma^2 M/(sqrt3 2 pi) + O(eta^2) for L = 0."""
    M, sig = 2, 0.5
    rel = []
    for eta in (0.02, 0.04):
        ode = CommitteeODE(K=M, M=M, eta=eta, sigma=sig)
        sp = stationary_point(ode, np.eye(M) * 1.01, np.eye(M), alpha_max=3000)
        assert sp.converged
        rel.append(sp.eps_g / (eta * sig**2 * M / np.sqrt(3) / (2 * np.pi)) - 1)
    assert abs(rel[1]) < 0.05 and rel[1] / rel[0] == pytest.approx(2.0, rel=0.1)


@pytest.mark.parametrize("K,M,eta,sigma,B", [(3, 1, 0.2, 0.5, 1), (2, 2, 0.3, 0.4, 1), (4, 2, 0.1, 0.5, 1),
                                             (2, 2, 1.5, 0.4, 4), (3, 1, 0.8, 0.5, 2)])
def test_linear_asymptotic_error_is_the_odes_stationary_point(K, M, eta, sigma, B):
    """Also for mini-batches (B > 1), at learning rates where plain SGD (K eta >= 2) diverges."""
    from theory.committee_fixed_points import asymptotic_error_linear, stationary_point
    ode = CommitteeODE(K=K, M=M, eta=eta, sigma=sigma, activation="linear", batch_size=B)
    R0 = np.zeros((K, M))
    R0[0, 0] = 0.1
    sp = stationary_point(ode, 0.2 * np.eye(K), R0, alpha_max=500)
    assert sp.converged and sp.eps_g == pytest.approx(asymptotic_error_linear(K, eta, sigma, B), rel=1e-9)
    with pytest.raises(ValueError, match="diverges"):
        asymptotic_error_linear(K, 2.0 * B / K, sigma, B)


def test_the_mini_batch_ode_divides_the_eta_squared_terms_by_B():
    """dQ = drift + eta^2 term / B, and dR, dv carry no eta^2 term: dQ(1) - dQ(2) = 2 (dQ(2) - dQ(4))."""
    Q = np.array([[0.8, 0.1], [0.1, 0.6]])
    R = np.array([[0.4, 0.1], [0.0, 0.3]])
    v = np.array([0.9, 1.1])
    out = {B: CommitteeODE(K=2, M=2, eta=0.7, eta_v=0.2, sigma=0.3, batch_size=B).rhs(Q, R, v) for B in (1, 2, 4)}
    assert np.allclose(out[1][0] - out[2][0], 2 * (out[2][0] - out[4][0]), rtol=1e-12, atol=1e-15)
    assert np.abs(out[1][0] - out[2][0]).max() > 1e-3
    for B in (2, 4):
        assert np.array_equal(out[1][1], out[B][1]) and np.array_equal(out[1][2], out[B][2])


def test_erf_small_eta_asymptotic_error_is_the_leading_order():
    """eps_g*(eta) / formula - 1 is O(eta): it halves with eta (Goldt et al. eq. (15), L = 0)."""
    from theory.committee_fixed_points import asymptotic_error_small_eta, stationary_point
    rel = []
    for eta in (0.02, 0.01):
        ode = CommitteeODE(K=2, M=2, eta=eta, sigma=0.5, activation="erf")
        sp = stationary_point(ode, np.eye(2), 0.999 * np.eye(2), alpha_max=3000)
        assert sp.converged
        rel.append(sp.eps_g / asymptotic_error_small_eta(2, 0, eta, 0.5) - 1)
    assert 0 < rel[1] < rel[0] < 0.02 and rel[0] / rel[1] == pytest.approx(2.0, rel=0.1)


@pytest.mark.parametrize("M,L,eta,B", [(2, 0, 0.2, 1), (2, 1, 0.05, 1), (2, 1, 0.2, 1), (1, 1, 0.3, 1), (3, 1, 0.1, 1),
                                       (2, 2, 0.1, 1), (2, 1, 0.6, 4)])
def test_asymptotic_error_is_the_full_odes_stationary_point(M, L, eta, B):
    """One call (symmetric ansatz, continuation in eta) = the full ODE integrated from a start near
    the teacher, then polished. For L <= 1 the start is generic (unequal extra units) and the point
    is the attractor; for L = 2 the symmetric state is a saddle: the ODE from a symmetric start
    (which stays symmetric) ends there with the extra units merged, while from a generic start it
    leaves it for a lower error (extra units in cancelling pairs)."""
    from theory.committee_fixed_points import asymptotic_error, stationary_point
    K = M + L
    a = asymptotic_error(M, L, eta, 0.5, batch_size=B)
    ode = CommitteeODE(K=K, M=M, eta=eta, sigma=0.5, batch_size=B)
    rng = np.random.default_rng(3)
    W = rng.standard_normal((K, 40)) * 0.05
    W[:M, :M] += np.eye(M) * np.sqrt(40)
    Q0, R0 = W @ W.T / 40, W[:, :M] / np.sqrt(40)
    generic = stationary_point(ode, Q0, R0, alpha_max=600 / eta)
    assert generic.converged and a.residual < 1e-11 * eta
    if L <= 1:
        assert a.stable and a.eps_g == pytest.approx(generic.eps_g, rel=1e-7)
        return
    Qs = np.eye(K)
    Qs[M:, M:] *= 1e-2
    Rs = np.eye(K, M)
    symmetric = stationary_point(ode, Qs, Rs, alpha_max=600 / eta)
    assert symmetric.converged and a.eps_g == pytest.approx(symmetric.eps_g, rel=1e-7)
    assert a.params["f"] == pytest.approx(a.params["e"], rel=1e-6) and a.growth_rate > 0
    assert generic.eps_g < a.eps_g * 0.9


def test_asymptotic_error_tends_to_the_small_eta_formula_and_is_exact_for_linear_nets():
    from theory.committee_fixed_points import asymptotic_error, asymptotic_error_linear, asymptotic_error_small_eta
    for M, L in ((2, 0), (2, 1), (2, 3)):
        rel = [asymptotic_error(M, L, eta, 0.5, batch_size=2).eps_g / asymptotic_error_small_eta(M, L, eta, 0.5, 2) - 1
               for eta in (0.02, 0.01)]
        assert 0 < rel[1] < rel[0] < 0.02 and rel[0] / rel[1] == pytest.approx(2.0, rel=0.1)
    for M, L, eta in ((2, 1, 0.3), (1, 2, 0.2)):
        a = asymptotic_error(M, L, eta, 0.4, activation="linear")
        assert a.eps_g == pytest.approx(asymptotic_error_linear(M + L, eta, 0.4), rel=1e-9)


def test_asymptotic_error_falls_back_to_the_odes_symmetric_state_and_flags_a_saddle():
    """M = 3, L = 1, eta = sigma = 0.5: the branch from eta -> 0 leaves the network states; the
    integrated symmetric state is a root, and a saddle for symmetry-breaking perturbations."""
    from theory.committee_fixed_points import asymptotic_error
    a = asymptotic_error(3, 1, 0.5, 0.5)
    assert a.method.startswith("ODE integration") and a.residual < 1e-11 * 0.5
    assert a.growth_rate > 0 and not a.stable
