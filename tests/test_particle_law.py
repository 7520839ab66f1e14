"""Exact 1-D Wasserstein distances between empirical laws and the sliced distance."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import wasserstein_distance

from sims.particle_law import sliced_wasserstein, wasserstein_1d

finite = st.floats(-100, 100, allow_nan=False)


@given(arrays(float, st.integers(1, 40), elements=finite), arrays(float, st.integers(1, 40), elements=finite))
@settings(max_examples=60, deadline=None)
def test_w1_matches_scipy(a, b):
    assert wasserstein_1d(a, b, 1) == pytest.approx(wasserstein_distance(a, b), rel=1e-9, abs=1e-9)


@given(arrays(float, st.integers(1, 30), elements=finite), st.floats(-10, 10), st.sampled_from([1.0, 2.0, 3.0]))
@settings(max_examples=40, deadline=None)
def test_shift_and_equal_size_sorted_matching(a, s, p):
    assert wasserstein_1d(a, a + s, p) == pytest.approx(abs(s), abs=1e-9)
    b = np.random.default_rng(0).standard_normal(a.size)
    ref = np.mean(np.abs(np.sort(a) - np.sort(b)) ** p) ** (1 / p)
    assert wasserstein_1d(a, b, p) == pytest.approx(ref, rel=1e-10)


def test_sliced_distance_of_a_translation_and_of_duplicated_samples():
    x = np.random.default_rng(1).standard_normal((500, 3))
    c = np.array([0.3, -0.4, 1.2])
    # translation by c: every projection shifts by w.c, so SW2^2 = mean (w.c)^2 over the directions
    w = np.random.default_rng(np.random.SeedSequence(9)).standard_normal((3, 64))
    w /= np.linalg.norm(w, axis=0)
    assert sliced_wasserstein(x, x + c, n_projections=64, seed=9) == pytest.approx(np.sqrt(np.mean((c @ w) ** 2)))
    assert sliced_wasserstein(x, np.vstack([x, x]), seed=2) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="shapes"):
        sliced_wasserstein(x, x[:, :2])
    with pytest.raises(ValueError, match="p must"):
        wasserstein_1d(x[:, 0], x[:, 1], 0.5)
