import numpy as np
import pytest

from sims.relu1d import draw_relu1d_init, train_relu1d_gd
from theory.relu1d import (PAPER_X, PAPER_Y, check_data, empirical_weights, frozen_limit_loss, large_step,
                           reduced_gd, side_moments, tangent_kernel)


def test_limit_loss_by_hand():
    """Per side the data (1,1), (2,-2), (3,1) [mirrored: (-1,-1), (-2,2), (-3,-1)] have a least-squares line with
    slope 0 and residuals (1/3, -8/3, 1/3)... computed directly: 1/2 sum_j p_j r_j^2 on both sides."""
    p = np.full(6, 1.0)
    x, y = PAPER_X[3:], PAPER_Y[3:]
    s, t = np.polyfit(x, y, 1)
    per_side = 0.5 * np.sum((y - s * x - t) ** 2)
    assert frozen_limit_loss(PAPER_X, PAPER_Y, p) == pytest.approx(2 * per_side, rel=1e-12)


def test_tangent_kernel_equals_explicit_jacobian():
    rng = np.random.default_rng(0)
    a, w = rng.normal(size=(1, 7)), rng.normal(size=(1, 7))
    b = np.zeros_like(a)
    x = PAPER_X
    pre = a[0][:, None] * x + b[0][:, None]
    act = (pre > 0).astype(float)
    J = np.concatenate([(w[0][:, None] * act * x).T, (w[0][:, None] * act).T, (np.maximum(pre, 0)).T,
                        np.ones((6, 1))], axis=1)
    A = tangent_kernel(x, side_moments(a, b, w))[0]
    assert np.allclose(A, J @ J.T, rtol=1e-12)


def test_full_gd_converges_to_the_frozen_limit_without_crossing():
    a0, w0 = draw_relu1d_init(16, 50, seed=3)
    p = empirical_weights(256, 50, seed=4)
    h = large_step(PAPER_X, p, side_moments(a0, np.zeros_like(a0), w0))
    red = reduced_gd(a0, w0, PAPER_X, PAPER_Y, p, h, 20000)
    ok = red.crossing_epoch < 0
    assert ok.sum() > 10
    assert np.all(red.loss[ok, -1] >= frozen_limit_loss(PAPER_X, PAPER_Y, p[ok]) - 1e-12)   # L* is a lower bound
    assert np.median(red.loss[ok, -1] - frozen_limit_loss(PAPER_X, PAPER_Y, p[ok])) < 1e-3


def test_numba_kernel_agrees_with_the_array_api_trainer():
    a0, w0 = draw_relu1d_init(16, 60, seed=5)
    p = empirical_weights(256, 60, seed=6)
    h = large_step(PAPER_X, p, side_moments(a0, np.zeros_like(a0), w0))
    a = train_relu1d_gd(a0, w0, PAPER_X, PAPER_Y, p, h, 300, record_loss=True, use_numba=True)
    b = train_relu1d_gd(a0, w0, PAPER_X, PAPER_Y, p, h, 300, record_loss=True, use_numba=False, chunk_epochs=300)
    assert np.array_equal(a.crossing_epoch, b.crossing_epoch)
    m = a.crossing_epoch < 0
    assert np.allclose(a.loss[m], b.loss[m], rtol=0, atol=1e-12)


def test_torch_backend_agrees():
    pytest.importorskip("torch")
    a0, w0 = draw_relu1d_init(8, 20, seed=1)
    p = empirical_weights(64, 20, seed=2)
    a = train_relu1d_gd(a0, w0, PAPER_X, PAPER_Y, p, 0.05, 100)
    b = train_relu1d_gd(a0, w0, PAPER_X, PAPER_Y, p, 0.05, 100, backend="torch")
    assert np.array_equal(a.crossing_epoch, b.crossing_epoch) and np.allclose(a.final_loss, b.final_loss, atol=1e-12)


@pytest.mark.parametrize("call,match", [
    (lambda: check_data([-1.0, 1.0, 2.0], [0.0, 1.0, 2.0]), "negative x"),
    (lambda: check_data([-1.0, -2.0, 0.0, 1.0, 2.0], [0.0] * 5), "must not contain 0"),
    (lambda: train_relu1d_gd(np.ones((1, 2)), np.ones((1, 2)), PAPER_X, PAPER_Y, np.full(6, 1 / 6), 0.0, 5), "h"),
    (lambda: draw_relu1d_init(0, 3), "width"), (lambda: draw_relu1d_init(4, 3, init="xavier"), "init"),
    (lambda: empirical_weights(0, 3), "N"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
