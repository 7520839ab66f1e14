import numpy as np
import pytest

from sims.relu1d import draw_relu1d_init, train_relu1d
from sims.relu_nd import draw_relu_nd_init, ntk_large_step, ray_limit_loss, star_dataset, train_relu_nd_gd
from theory.relu1d import PAPER_X, PAPER_Y, empirical_weights, frozen_limit_loss, large_step, side_moments


def test_star_dataset_geometry():
    X, y = star_dataset(11, 0.1)
    assert X.shape == (33, 2) and np.allclose(np.sort(np.unique(np.round(np.linalg.norm(X, axis=1), 12))), [0.9, 1, 1.1])
    assert np.array_equal(y[:6], [1, -2, 1, 1, -2, 1])


def test_one_dimensional_case_equals_the_1d_trainer():
    """With d = 1 (rays = the two half-lines) the d-D kernel, the ray-linear loss and the NTK step reduce to the 1-D ones."""
    a0, w0 = draw_relu1d_init(8, 40, seed=1)
    p = empirical_weights(64, 40, seed=2)
    h = large_step(PAPER_X, p, side_moments(a0, np.zeros_like(a0), w0))
    assert np.allclose(ntk_large_step(a0[..., None], w0, PAPER_X[:, None], p), h, rtol=1e-12)
    assert np.allclose(ray_limit_loss(PAPER_X[:, None], PAPER_Y, p), frozen_limit_loss(PAPER_X, PAPER_Y, p), rtol=1e-12)
    ref = train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, h, 400, check_every=400)
    cr, _, L = train_relu_nd_gd(a0[..., None], w0, PAPER_X[:, None], PAPER_Y, p, h, 400)
    assert np.array_equal(cr, ref.crossing_epoch)
    assert np.allclose(L, ref.final_loss, rtol=0, atol=1e-12)


def test_threshold_and_running_past_crossings():
    X, y = star_dataset(5, 0.2)
    A0, w0 = draw_relu_nd_init(6, 2, 10, seed=3)
    p = np.full(15, 1 / 15)
    h = 0.5 * ntk_large_step(A0, w0, X, p)
    cr, below, L = train_relu_nd_gd(A0, w0, X, y, p, h, 300, threshold=np.full(10, np.inf), stop_at_crossing=False)
    assert np.all(below == 0)
    cr2, below2, L2 = train_relu_nd_gd(A0, w0, X, y, p, h, 300, threshold=np.full(10, -1.0), stop_at_crossing=False)
    assert np.all(below2 == -1) and np.array_equal(cr, cr2) and np.array_equal(L, L2)


@pytest.mark.parametrize("call,match", [
    (lambda: star_dataset(0), "k"), (lambda: star_dataset(3, 1.5), "dist"),
    (lambda: draw_relu_nd_init(0, 2, 3), "width"),
    (lambda: train_relu_nd_gd(np.ones((2, 3)), np.ones((2, 3)), np.ones((4, 2)), np.ones(4), np.ones(4), 0.1, 5), "A0"),
    (lambda: train_relu_nd_gd(np.ones((1, 3, 3)), np.ones((1, 3)), np.ones((4, 2)), np.ones(4), np.ones(4), 0.1, 5),
     "features"),
    (lambda: ray_limit_loss(np.zeros((3, 2)), np.ones(3), np.ones(3)), "origin"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
