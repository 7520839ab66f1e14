"""Infinite-width linearised dynamics (theory.linearized_dynamics) and scaling predictions."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from theory.effective_theory import nngp_ntk
from theory.linearized_dynamics import eta_critical, linearized_gd_moments
from theory.scaling_regimes import width_exponents

RNG = np.random.default_rng(3)
XA = RNG.standard_normal((9, 5))
K, H = nngp_ntk(XA, 2, C_b=0.1, C_W=1.5, activation="erf", lambda_b=0.1, lambda_W=1.5)
Y = np.cos(XA[:6, 0])


@given(st.floats(0.0, 50.0), st.sampled_from(["sum", "mean"]), st.booleans())
@settings(max_examples=30, deadline=None)
def test_covariance_is_the_affine_image_of_the_nngp(t, loss, discrete):
    """f_t = f_0 - A (f_0(X) - Y) = B f_0 + A Y with B = I - [A, 0]: Cov = B K B^T, mean = A Y."""
    eta = 0.9 * float(eta_critical(H[:6, :6], loss=loss)[0])
    steps = np.round(t) if discrete else t
    pred, A = linearized_gd_moments(K, H, Y, [steps], n_train=6, eta=eta, loss=loss, discrete=discrete,
                                    return_gain=True)
    B = np.eye(9)
    B[:, :6] -= A[0]
    np.testing.assert_allclose(pred.cov[0], B @ K @ B.T, atol=1e-10)
    np.testing.assert_allclose(pred.mean[0], A[0] @ Y, atol=1e-12)


def test_training_set_gain_is_one_minus_the_propagator():
    eta = 0.3 * float(eta_critical(H[:6, :6])[0])
    _, A = linearized_gd_moments(K, H, Y, [0, 7], n_train=6, eta=eta, discrete=True, return_gain=True)
    np.testing.assert_allclose(A[0], 0.0, atol=1e-14)
    np.testing.assert_allclose(A[1, :6], np.eye(6) - np.linalg.matrix_power(np.eye(6) - eta * H[:6, :6], 7), atol=1e-12)
    from scipy.linalg import expm
    _, Af = linearized_gd_moments(K, H, Y, [2.5], n_train=6, eta=eta, return_gain=True)
    np.testing.assert_allclose(Af[0, :6], np.eye(6) - expm(-eta * 2.5 * H[:6, :6]), atol=1e-12)


def test_long_time_limit_is_kernel_regression_and_small_steps_approach_the_flow():
    p = linearized_gd_moments(K, H, Y, [1e6], n_train=6, eta=1.0)
    np.testing.assert_allclose(p.mean[0, :6], Y, atol=1e-9)
    np.testing.assert_allclose(p.test_mean[0], H[6:, :6] @ np.linalg.solve(H[:6, :6], Y), atol=1e-9)
    np.testing.assert_allclose(p.cov[0, :6, :6], 0.0, atol=1e-8)
    # GD with rate eta/k for k*T steps -> flow at time T, error O(1/k)
    errs = []
    flow = linearized_gd_moments(K, H, Y, [1.0], n_train=6, eta=0.2).test_mean[0]
    for k in (10, 20, 40):
        gd = linearized_gd_moments(K, H, Y, [k], n_train=6, eta=0.2 / k, discrete=True).test_mean[0]
        errs.append(np.abs(gd - flow).max())
    assert errs[0] / errs[1] == pytest.approx(2, rel=0.1) and errs[1] / errs[2] == pytest.approx(2, rel=0.1)


def test_mean_loss_rescales_time_and_singular_ntk_is_fine():
    a = linearized_gd_moments(K, H, Y, [3.0], n_train=6, eta=0.6, loss="mean")
    b = linearized_gd_moments(K, H, Y, [3.0], n_train=6, eta=0.1, loss="sum")
    np.testing.assert_allclose(a.mean, b.mean, atol=1e-12)
    Xd = XA.copy()
    Xd[1] = Xd[0]  # a repeated training point: singular training-set NTK
    Kd, Hd = nngp_ntk(Xd, 2, C_b=0.1, C_W=1.5, activation="erf", lambda_b=0.1, lambda_W=1.5)
    p = linearized_gd_moments(Kd, Hd, Y, [0.0, 2.0], n_train=6, eta=0.05)
    assert np.all(np.isfinite(p.mean)) and np.all(np.isfinite(p.cov))


def test_eta_critical_and_bad_input():
    crit, emax = eta_critical(np.diag([1.0, 3.0]))
    assert crit == pytest.approx(0.5) and emax == pytest.approx(2 / 3)
    crit, emax = eta_critical(np.diag([1.0, 3.0]), loss="mean")
    assert crit == pytest.approx(1.0)
    with pytest.raises(ValueError, match="loss"):
        eta_critical(np.eye(2), loss="l1")
    with pytest.raises(ValueError, match="theta must be positive semi-definite"):
        linearized_gd_moments(K, -H, Y, [1.0], n_train=6)
    with pytest.raises(ValueError, match="Y must have shape"):
        linearized_gd_moments(K, H, Y[:3], [1.0], n_train=6)
    with pytest.raises(ValueError, match="times"):
        linearized_gd_moments(K, H, Y, [-1.0], n_train=6)
    with pytest.raises(ValueError, match="diverges"):
        linearized_gd_moments(K, H, Y, [3], n_train=6, eta=1.01 * float(eta_critical(H[:6, :6])[1]), discrete=True)
    with pytest.raises(ValueError, match="n_train"):
        linearized_gd_moments(K, H, Y, [1.0], n_train=10)


def test_nngp_ntk_per_layer_hyperparameters():
    K1, H1 = nngp_ntk(XA, 3, C_b=[0.1, 0.1, 0.0], C_W=[1.5, 1.5, 0.2], activation="relu",
                      lambda_b=[0.1, 0.1, 0.0], lambda_W=[1.5, 1.5, 0.2])
    K2, H2 = nngp_ntk(XA, 2, C_b=0.1, C_W=1.5, activation="relu", lambda_b=0.1, lambda_W=1.5)
    from theory.gaussian_integrals import I2, J2
    d = np.diag(K2)
    np.testing.assert_allclose(K1, 0.2 * I2("relu", "relu", d[:, None], K2, d[None, :]), atol=1e-12)
    np.testing.assert_allclose(H1, 0.2 * I2("relu", "relu", d[:, None], K2, d[None, :])
                               + 0.2 * J2("relu", "relu", d[:, None], K2, d[None, :]) * H2, atol=1e-12)
    with pytest.raises(ValueError, match="C_W"):
        nngp_ntk(XA, 3, C_b=0.0, C_W=[1.0, 1.0], activation="relu")


def test_width_exponents():
    lazy, mf = width_exponents(0.5), width_exponents(0.0)
    assert lazy["neuron_displacement"].exponent == -0.5 and mf["neuron_displacement"].exponent == 0.0
    assert lazy["parameter_displacement"].exponent == 0.0 and mf["parameter_displacement"].exponent == 0.5
    assert lazy["ntk_change"].exponent == -1.0 and lazy["ntk_change"].bound == -0.5
    assert "ntk_change" not in mf
    with pytest.raises(ValueError, match="alpha_exponent"):
        width_exponents(1.5)
