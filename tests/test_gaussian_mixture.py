"""Gaussian-mixture sampler, error definitions and Bayes errors (Refinetti et al. 2021)."""
from __future__ import annotations

import numpy as np
import pytest

from sims.gaussian_mixture import GaussianMixture, circle_mixture, classification_error, mse_error, xor_mixture
from theory.bayes_error import xor_bayes_error


def test_sampler_moments_follow_the_convention():
    g = xor_mixture(50, 0.3, rho=0.7)
    X, y, c = g.sample(40_000, seed=1)
    assert X.shape == (40_000, 50) and set(np.unique(y)) == {-1.0, 1.0}
    assert np.mean(y == 1) == pytest.approx(0.7, abs=0.01)
    np.testing.assert_allclose(np.bincount(c) / c.size, g.probs, atol=0.01)
    for a in range(4):
        Xa = X[c == a]
        np.testing.assert_allclose(Xa.mean(0), g.centres[a], atol=5 * np.sqrt(0.3 / len(Xa)))
        assert Xa[:, 2:].var() == pytest.approx(0.3, rel=0.02)
    assert np.linalg.norm(g.centres[0]) == pytest.approx(1.0)


def test_general_covariances_and_reproducibility():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((2, 3, 3))
    cov = A @ A.transpose(0, 2, 1) + 0.5 * np.eye(3)
    g = GaussianMixture(np.array([[1.0, 0, 0], [0, 1.0, 0]]) * np.sqrt(3), [1, -1], cov=cov, rho=0.4)
    X, y, c = g.sample(60_000, seed=2)
    for a in range(2):
        np.testing.assert_allclose(np.cov(X[c == a].T), cov[a], atol=0.08)
    X2, _, _ = g.sample(10, seed=2, n_seeds=3)
    X3, _, _ = g.sample(10, seed=2, n_seeds=1)
    np.testing.assert_array_equal(X2[:1], X3)


def test_error_definitions_count_ties_half():
    y = np.array([1.0, -1.0, 1.0, -1.0])
    assert classification_error(np.array([2.0, -1.0, 0.0, 0.5]), y) == pytest.approx((0 + 0 + 0.5 + 1) / 4)
    assert mse_error(np.array([1.0, -1.0, 0.0, 0.0]), y) == pytest.approx(0.5 * 2 / 4)
    with pytest.raises(ValueError, match="non-finite"):
        classification_error(np.array([np.nan, 0, 0, 0]), y)


@pytest.mark.parametrize("Delta", [0.05, 0.3, 1.0])
def test_xor_bayes_error_closed_form_matches_monte_carlo(Delta):
    exact = xor_bayes_error(Delta)
    est, se = xor_mixture(8, Delta).bayes_error(200_000, seed=3)
    assert abs(est - exact) < 5 * se
    # and the Bayes rule sign(|x2| - |x1|) attains it
    X, y, _ = xor_mixture(8, Delta).sample(200_000, seed=4)
    err = classification_error(np.abs(X[:, 1]) - np.abs(X[:, 0]), y)
    assert abs(err - exact) < 5 * np.sqrt(exact * (1 - exact) / 200_000)


def test_bayes_error_limits_and_circle_mixture():
    assert xor_bayes_error(1e-3) < 1e-12
    assert xor_bayes_error(1e4) == pytest.approx(0.5, abs=0.01)
    # rotated XOR = circle mixture with 2 clusters per label; same Bayes error
    c = circle_mixture(6, 2, 0.3)
    est, se = c.bayes_error(100_000, seed=5)
    assert abs(est - xor_bayes_error(0.3)) < 5 * se


def test_bad_mixtures_are_named():
    mu = np.eye(2) * np.sqrt(2)
    with pytest.raises(ValueError, match="rho"):
        GaussianMixture(mu, [1, -1], Delta=1.0, rho=1.0)
    with pytest.raises(ValueError, match="both classes"):
        GaussianMixture(mu, [1, 1], Delta=1.0)
    with pytest.raises(ValueError, match="exactly one"):
        GaussianMixture(mu, [1, -1])
    with pytest.raises(ValueError, match="positive definite"):
        GaussianMixture(mu, [1, -1], cov=np.diag([1.0, -1.0]))
    with pytest.raises(ValueError, match="cov must have shape"):
        GaussianMixture(mu, [1, -1], cov=np.eye(3))
    with pytest.raises(ValueError, match="labels"):
        GaussianMixture(mu, [1, -1, 1], Delta=1.0)
    with pytest.raises(ValueError, match="Delta"):
        GaussianMixture(mu, [1, -1], Delta=-1.0)
    with pytest.raises(ValueError, match="probs"):
        GaussianMixture(mu, [1, -1], Delta=1.0, probs=[0.5, 0.6])
    with pytest.raises(ValueError, match="X must have shape"):
        xor_mixture(4, 1.0).log_posterior_ratio(np.zeros((3, 5)))
