"""Online SGD on Gaussian mixtures: two-layer net and random features (Refinetti et al. 2021)."""
from __future__ import annotations

import numpy as np
import pytest

from sims.gaussian_mixture import xor_mixture
from validations._backends import require_backend
from sims.mixture_sgd import (MixtureSimulationDivergedError, random_feature_matrix, simulate_mixture_sgd,
                              simulate_rf_sgd)


def test_one_step_matches_the_update_rule():
    mix = xor_mixture(30, 0.2)
    tr = simulate_mixture_sgd(mix, 3, 0.4, t_record=[1 / 30], eta_v=0.2, reg=0.1, seed=4, v0=np.array([0.5, -1, 2.0]))
    # reproduce by hand: same initial weights and the same first sample
    from sims.mixture_sgd import _DataStreams, mixture_initial_weights
    w, v = mixture_initial_weights(30, 3, 1, 4, v0=np.array([0.5, -1, 2.0]))
    X, y = _DataStreams(mix, 4, 1).draw(1)
    x, yy = X[0, 0], y[0, 0]
    lam = w[0] @ x / np.sqrt(30)
    e = yy - v[0] @ np.maximum(lam, 0)
    w1 = (1 - 0.4 * 0.1 / 30) * w[0] + (0.4 / np.sqrt(30)) * (v[0] * (lam > 0) * e)[:, None] * x[None]
    v1 = (1 - 0.2 * 0.1 / 30) * v[0] + (0.2 / 30) * np.maximum(lam, 0) * e
    np.testing.assert_allclose(tr.Q[0, -1], w1 @ w1.T / 30, rtol=1e-12)
    np.testing.assert_allclose(tr.R[0, -1], mix.means @ w1.T / 30, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(tr.v[0, -1], v1, rtol=1e-12)


def test_seeds_are_independent_of_ensemble_size_and_reproducible():
    mix = xor_mixture(40, 0.1)
    a = simulate_mixture_sgd(mix, 2, 0.3, 2.0, n_seeds=3, seed=7, n_records=3, n_test=100)
    b = simulate_mixture_sgd(mix, 2, 0.3, 2.0, n_seeds=1, seed=7, n_records=3, n_test=100)
    np.testing.assert_array_equal(a.Q[:1], b.Q)
    assert np.all((a.test_class >= 0) & (a.test_class <= 1))


def test_torch_parity_with_numpy(torch_backend):
    mix = xor_mixture(40, 0.1)
    a = simulate_mixture_sgd(mix, 3, 0.3, 3.0, n_seeds=2, seed=1, n_records=3, n_test=50, activation="erf")
    b = simulate_mixture_sgd(mix, 3, 0.3, 3.0, n_seeds=2, seed=1, n_records=3, n_test=50, activation="erf",
                             backend="torch")
    np.testing.assert_allclose(a.Q, b.Q, rtol=1e-10)
    np.testing.assert_allclose(a.test_mse, b.test_mse, rtol=1e-10)
    F = random_feature_matrix(20, 40, seed=2)
    c = simulate_rf_sgd(mix, F, 1.0, 2.0, n_seeds=2, seed=3, n_records=3, n_test=50)
    d = simulate_rf_sgd(mix, F, 1.0, 2.0, n_seeds=2, seed=3, n_records=3, n_test=50, backend="torch")
    np.testing.assert_allclose(c.w, d.w, rtol=1e-10, atol=1e-13)


def test_divergence_names_the_step_and_bad_input_is_named():
    mix = xor_mixture(20, 0.5)
    with pytest.raises(MixtureSimulationDivergedError, match="step"):
        simulate_mixture_sgd(mix, 2, 300.0, 50.0, v0=np.array([5.0, 5.0]), n_records=50, activation="linear")
    with pytest.raises(ValueError, match="eta"):
        simulate_mixture_sgd(mix, 2, -1.0, 1.0)
    with pytest.raises(ValueError, match="K"):
        simulate_mixture_sgd(mix, 0, 0.1, 1.0)
    with pytest.raises(ValueError, match="initial_weights"):
        simulate_mixture_sgd(mix, 2, 0.1, 1.0, initial_weights=(np.zeros((1, 2, 3)), np.zeros((1, 2))))
    with pytest.raises(ValueError, match="F must"):
        simulate_rf_sgd(mix, np.ones((5, 3)), 0.1, 1.0)


def test_rf_sgd_approaches_the_population_readout():
    """Long online SGD of the readout reaches the least-squares error (theory with exact moments)."""
    from theory.random_features import GaussianEquivalentFeatures, rf_population_readout
    mix = xor_mixture(20, 0.3)
    F = random_feature_matrix(10, 20, seed=5)
    tr = simulate_rf_sgd(mix, F, 0.05, 5000.0, n_seeds=4, seed=6, n_records=2, n_test=20000)
    feat = GaussianEquivalentFeatures(mix.centres, 0.3, F)
    th = rf_population_readout(feat, mix.labels, mix.probs, covs=[feat.exact_cov(a) for a in range(4)])
    # test-set SE of the 4-seed mean ~ 0.002; the SGD excess at eta = 0.05 is ~ eta E|z|^2/(2P) eps ~ 1e-3
    # (at eta = 2 it is ~ 0.1, which this test detects)
    assert abs(tr.test_mse[:, -1].mean() - th.eps_mse) < 0.01


@pytest.mark.gpu
@pytest.mark.parametrize("spec", ["torch:cuda", "cupy"])
def test_cuda_mixture_sgd_parity_with_numpy(spec):
    spec = require_backend(spec)
    mix = xor_mixture(64, 0.1)
    a = simulate_mixture_sgd(mix, 4, 0.3, 2.0, n_seeds=3, seed=2, n_records=3, n_test=100)
    b = simulate_mixture_sgd(mix, 4, 0.3, 2.0, n_seeds=3, seed=2, n_records=3, n_test=100, backend=spec)
    np.testing.assert_allclose(a.Q, b.Q, rtol=1e-9)
    F = random_feature_matrix(32, 64, seed=2)
    c = simulate_rf_sgd(mix, F, 0.5, 2.0, n_seeds=2, seed=3, n_records=3, n_test=50)
    d = simulate_rf_sgd(mix, F, 0.5, 2.0, n_seeds=2, seed=3, n_records=3, n_test=50, backend=spec)
    np.testing.assert_allclose(c.w, d.w, rtol=1e-9, atol=1e-12)


def test_same_seed_same_numbers_whatever_the_chunk_or_record_times():
    from sims.gaussian_mixture import xor_mixture
    from sims.mixture_sgd import simulate_mixture_sgd
    mix = xor_mixture(20, 0.1)
    a = simulate_mixture_sgd(mix, 3, 0.2, t_record=[0.0, 1.0, 3.0], n_seeds=2, seed=4, chunk=512)
    b = simulate_mixture_sgd(mix, 3, 0.2, t_record=np.linspace(0, 3.0, 7), n_seeds=2, seed=4, chunk=7)
    assert np.array_equal(a.Q[:, 1], b.Q[:, 2]) and np.array_equal(a.R[:, -1], b.R[:, -1])


def test_fit_random_features_is_reproducible_and_names_bad_input():
    from sims.mixture_sgd import fit_random_features, rf_features
    mix = xor_mixture(20, 0.1)
    F = random_feature_matrix(10, 20, seed=1)
    a = fit_random_features(mix, F, 500, train_seed=1, test_seed=2)
    b = fit_random_features(mix, F, 500, train_seed=1, test_seed=2)
    assert np.array_equal(a.coef, b.coef) and a.test_mse == b.test_mse and a.test_class == b.test_class
    assert a.coef.shape == (11,) and 0 <= a.test_class <= 1 and a.test_mse > 0
    X, y, _ = mix.sample(500, seed=1)
    np.testing.assert_allclose(rf_features(X, F) @ a.coef, rf_features(X, F) @ np.linalg.lstsq(rf_features(X, F), y,
                                                                                             rcond=None)[0])
    with pytest.raises(ValueError, match=r"F must have shape \(P, 20\)"):
        fit_random_features(mix, F[:, :5], 500, train_seed=1, test_seed=2)
    with pytest.raises(ValueError, match="n"):
        fit_random_features(mix, F, 11, train_seed=1, test_seed=2)
