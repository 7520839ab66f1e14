"""Effective-theory recursions: closed-form oracles, integration-by-parts derivatives, bad input."""
import numpy as np
import pytest
from scipy.integrate import quad

from theory.activations import get_activation
from theory.effective_theory import (critical_initialization, effective_theory, layer_moments, nngp_ntk)

X2 = np.array([[1.0, 0.5, -0.3], [0.2, 1.0, 0.4]])


def test_linear_vertex_closed_form_two_inputs():
    """Linear, C_W = 1, C_b = 0: V^(l)_(ab)(cd) = (l-1)(K_ac K_bd + K_ad K_bc), G1 = 0."""
    et = effective_theory(X2, 30, depth=5, C_b=0.0, C_W=1.0, activation="linear")
    K = et.K[0]
    base = np.einsum("ac,bd->abcd", K, K) + np.einsum("ad,bc->abcd", K, K)
    for l in range(1, 6):
        assert np.allclose(et.V[l - 1], (l - 1) * base, rtol=1e-9, atol=1e-12)
    assert np.abs(et.G1).max() < 1e-12


def test_relu_at_criticality_single_input():
    C_b, C_W = critical_initialization("relu")
    et = effective_theory(X2[:1], 30, depth=6, C_b=C_b, C_W=C_W, activation="relu")
    K = et.K[0, 0, 0]
    assert np.allclose(et.K[:, 0, 0], K)
    assert np.allclose(et.V[:, 0, 0, 0, 0], 5 * np.arange(6) * K**2, rtol=1e-9)
    assert np.abs(et.G1).max() < 1e-10


@pytest.mark.parametrize("activation,rtol", [("tanh", 2e-5), ("erf", 2e-5), ("relu", 1e-3)])
def test_integration_by_parts_derivatives_match_finite_differences(activation, rtol):
    """<d_c d_d (s_a s_b)> = 2 d<s_a s_b>/dK_cd (c != d counts both orders: dK_01 moves two entries).

    Tolerances are the quadrature's accuracy at order 150 in 2-D: spectral for smooth activations,
    algebraic across the ReLU kink (observed 2.5e-4 relative; the finite difference of the
    closed-form <s s> is exact to ~1e-9).
    """
    K = np.array([[0.8, 0.3], [0.3, 0.6]])
    m = layer_moments(K, activation, order=150, need_d4=False)
    h = 1e-5
    for (c, d) in [(0, 0), (1, 1), (0, 1)]:
        E = np.zeros((2, 2))
        E[c, d] = E[d, c] = h
        up = layer_moments(K + E, activation, order=150, need_d4=False).M2
        dn = layer_moments(K - E, activation, order=150, need_d4=False).M2
        fd = (up - dn) / (2 * h)
        # d<F>/dK_cc = 1/2 <d_c d_c F>; moving K_01 = K_10 together gives <d_0 d_1 F>
        expected = 2.0 * fd if c == d else fd
        assert np.allclose(m.D2[:, :, c, d], expected, rtol=rtol, atol=rtol * 1e-2)


def test_single_input_g1_matches_independent_one_dimensional_integrals():
    """G1' = r [chi G1 + (C_W/8) V <(s^2)''''>]  (docs/THEORY.md C), evaluated with scipy.integrate.quad."""
    act = get_activation("tanh")
    C_b, C_W = 0.1, 1.0
    X = X2[:1]
    et = effective_theory(X, 40, depth=5, C_b=C_b, C_W=C_W, activation="tanh")

    def gauss(f, K):
        return quad(lambda z: f(z) * np.exp(-z * z / (2 * K)) / np.sqrt(2 * np.pi * K), -40, 40, limit=400)[0]

    G1 = 0.0
    for l in range(1, 5):
        K, V = et.K[l - 1, 0, 0], et.V[l - 1, 0, 0, 0, 0]
        s2 = lambda z: act.g(z) ** 2
        chi = C_W / (2 * K**2) * gauss(lambda z: s2(z) * (z * z - K), K)
        d4 = gauss(lambda z: s2(z) * (z**4 - 6 * K * z * z + 3 * K * K), K) / K**4
        G1 = chi * G1 + C_W / 8 * V * d4 if l >= 2 else 0.0
        assert et.G1[l, 0, 0] == pytest.approx(G1, rel=1e-6, abs=1e-12)
        V_next = C_W**2 * (gauss(lambda z: s2(z) ** 2, K) - gauss(s2, K) ** 2) + chi**2 * V
        assert et.V[l, 0, 0, 0, 0] == pytest.approx(V_next, rel=1e-7)


def test_nngp_ntk_equals_the_recursion_and_known_relu_values():
    K, H = nngp_ntk(X2, 4, C_b=0.0, C_W=2.0, activation="relu", lambda_b=0.0, lambda_W=1.0)
    et = effective_theory(X2, 20, depth=4, C_b=0.0, C_W=2.0, activation="relu", lambda_b=0.0, lambda_W=1.0)
    assert np.allclose(K, et.K[-1]) and np.allclose(H, et.H[-1])
    assert K[0, 0] == pytest.approx(2 * X2[0] @ X2[0] / 3)          # ReLU at criticality preserves the diagonal


def test_relu_ntk_diagonal_grows_linearly_with_depth():
    """At criticality (C_W = 2, C_b = 0, lambda_b = 0, lambda_W = 1): H^(l)_aa = l |x|^2/n0."""
    x = X2[:1]
    K, H = nngp_ntk(x, 5, C_b=0.0, C_W=2.0, activation="relu", lambda_b=0.0, lambda_W=1.0)
    assert H[0, 0] == pytest.approx(5 * (x[0] @ x[0]) / 3, rel=1e-12)


@pytest.mark.parametrize("kwargs,match", [
    (dict(hidden_widths=(10, 0)), "hidden_widths"), (dict(hidden_widths=(10,), C_W=0.0), "C_W"),
    (dict(hidden_widths=(10,), C_b=-1.0), "C_b"), (dict(hidden_widths=(10,), activation="softplus"), "activation"),
    (dict(hidden_widths=10), "depth"), (dict(hidden_widths=(10,), depth=3), "depth"),
    (dict(hidden_widths=(10,), lambda_W=-1.0), "lambda_W"),
])
def test_bad_parameters_are_named(kwargs, match):
    base = dict(C_b=0.0, C_W=1.0)
    base.update(kwargs)
    with pytest.raises(ValueError, match=match):
        effective_theory(X2, **base)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="positive definite"):
        effective_theory(np.array([[1.0, 2.0], [2.0, 4.0]]), (5,), C_b=0.0, C_W=1.0)
    with pytest.raises(ValueError, match="X"):
        effective_theory(np.ones(3), (5,), C_b=0.0, C_W=1.0)
    with pytest.raises(ValueError, match="at most 3"):
        effective_theory(np.eye(4), (5,), C_b=0.0, C_W=1.0)
    with pytest.raises(ValueError, match="depth"):
        nngp_ntk(X2, 0, C_b=0.0, C_W=1.0)


def test_quadrature_that_does_not_converge_is_an_error():
    """E[exp(z^2)^2] diverges for K >= 1/4: the recursion must refuse, naming the activation."""
    from theory.activations import Activation
    wild = Activation("wild", lambda x: np.exp(np.asarray(x) ** 2), lambda x: 2 * x * np.exp(np.asarray(x) ** 2),
                      None)
    with pytest.raises(ValueError, match="wild.*did not converge"):
        effective_theory(X2[:1], (10,), C_b=0.0, C_W=3.0, activation=wild)


# --- the NTK mean's 1/n correction (theory.ntk_correction) ------------------------------------
from theory.ntk_correction import ntk_mean_correction  # noqa: E402


@pytest.mark.parametrize("activation,C_b,C_W", [("tanh", 0.1, 1.0), ("erf", 0.2, 1.3), ("relu", 0.3, 1.7)])
def test_ntk_correction_carries_the_books_kernel_recursions(activation, C_b, C_W):
    """Its g and v (E G - K and Var G) equal G1/n and V/n of theory.effective_theory, unequal widths."""
    x = np.array([0.7, -0.2, 1.1])
    widths = (5, 9, 4, 12)
    c = ntk_mean_correction(x, widths, C_b=C_b, C_W=C_W, activation=activation, lambda_b=0.4, lambda_W=1.3)
    et = effective_theory(x[None], widths, C_b=C_b, C_W=C_W, activation=activation, lambda_b=0.4, lambda_W=1.3)
    n_prev = np.array((3,) + widths, float)
    np.testing.assert_allclose(c.K, et.K[:, 0, 0], rtol=1e-10)
    np.testing.assert_allclose(c.H, et.H[:, 0, 0], rtol=1e-10)
    np.testing.assert_allclose(c.g * n_prev, et.G1[:, 0, 0], rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(c.v * n_prev, et.V[:, 0, 0, 0, 0], rtol=1e-7, atol=1e-12)
    assert c.h[0] == 0 and c.h[1] == 0                   # one hidden layer: E NTK = H exactly
    assert c.ntk_mean(5) == pytest.approx(c.H[4] + c.h[4])


def test_ntk_correction_scaling_and_zeros():
    """h is exactly 1/n for equal widths; zero for linear and ReLU (scale invariance) at any C_b."""
    x = np.array([1.0, 0.5, -0.3])
    a = ntk_mean_correction(x, 10, depth=5, C_b=0.1, C_W=1.0, activation="tanh")
    b = ntk_mean_correction(x, 40, depth=5, C_b=0.1, C_W=1.0, activation="tanh")
    np.testing.assert_allclose(a.h, 4 * b.h, rtol=1e-12)
    assert a.h[-1] < 0
    for act, C_b, C_W in (("relu", 0.0, 2.0), ("relu", 0.5, 1.5), ("linear", 0.2, 1.0)):
        c = ntk_mean_correction(x, (7, 3, 11), C_b=C_b, C_W=C_W, activation=act)
        assert np.max(np.abs(c.h)) < 1e-12 * np.max(c.H), (act, c.h)
    with pytest.raises(ValueError, match="one input"):
        ntk_mean_correction(np.ones((2, 3)), 10, depth=3, C_b=0.1, C_W=1.0, activation="tanh")
    with pytest.raises(ValueError, match="hidden_widths"):
        ntk_mean_correction(x, (10, 0), C_b=0.1, C_W=1.0)
    with pytest.raises(ValueError, match="C_W"):
        ntk_mean_correction(x, 10, depth=3, C_b=0.1, C_W=0.0)
    with pytest.raises(ValueError, match="lambda_b"):
        ntk_mean_correction(x, 10, depth=3, C_b=0.1, C_W=1.0, lambda_b=-1.0)
