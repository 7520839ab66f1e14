import numpy as np
import pytest

from sims.relu1d import draw_relu1d_init, train_relu1d
from theory.relu1d import (PAPER_X, PAPER_Y, check_data, empirical_weights, frozen_limit_loss, large_step,
                           neurons_at, reduced_gd, side_moments, tangent_kernel)
from theory.relu1d import frozen_pattern_certificate


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
    a = train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, h, 300, record_loss=True, use_numba=True)
    b = train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, h, 300, record_loss=True, use_numba=False, check_every=300)
    assert np.array_equal(a.crossing_epoch, b.crossing_epoch)
    m = a.crossing_epoch < 0
    assert np.allclose(a.loss[m], b.loss[m], rtol=0, atol=1e-12)


@pytest.mark.parametrize("check_every", [1, 37, 300])
def test_linearised_array_trainer_is_exact_up_to_every_crossing(check_every):
    """The array-API path trains at the frozen mask M0; it must match the true ReLU trainer (numba)
    on every network, crossed ones included, up to and at the crossing update, whatever the chunking."""
    a0, w0 = draw_relu1d_init(16, 60, seed=5)
    p = empirical_weights(256, 60, seed=6)
    h = large_step(PAPER_X, p, side_moments(a0, np.zeros_like(a0), w0))
    a = train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, h, 300, record_loss=True, use_numba=True)
    b = train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, h, 300, record_loss=True, use_numba=False,
                     check_every=check_every)
    assert (a.crossing_epoch >= 0).sum() >= 5
    assert np.array_equal(a.crossing_epoch, b.crossing_epoch) and np.array_equal(a.stop_epoch, b.stop_epoch)
    assert np.array_equal(np.isnan(a.loss), np.isnan(b.loss))
    assert np.allclose(a.loss, b.loss, rtol=0, atol=1e-12, equal_nan=True)
    assert np.allclose(a.final_loss, b.final_loss, rtol=0, atol=1e-12)
    for u, v in zip(a.params, b.params):
        assert np.allclose(u, v, rtol=0, atol=1e-10)


def test_torch_backend_agrees():
    pytest.importorskip("torch")
    a0, w0 = draw_relu1d_init(8, 20, seed=1)
    p = empirical_weights(64, 20, seed=2)
    a = train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, 0.05, 100)
    b = train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, 0.05, 100, backend="torch")
    assert np.array_equal(a.crossing_epoch, b.crossing_epoch) and np.allclose(a.final_loss, b.final_loss, atol=1e-12)


@pytest.mark.parametrize("call,match", [
    (lambda: check_data([-1.0, 1.0, 2.0], [0.0, 1.0, 2.0]), "x must hold at least two points on each side of 0, got 1 negative"),
    (lambda: check_data([-1.0, -2.0, 0.0, 1.0, 2.0], [0.0] * 5), "must not contain 0"),
    (lambda: train_relu1d(np.ones((1, 2)), np.ones((1, 2)), PAPER_X, PAPER_Y, np.full(6, 1 / 6), 0.0, 5), "h"),
    (lambda: draw_relu1d_init(0, 3), "width"), (lambda: draw_relu1d_init(4, 3, init="xavier"), "init"),
    (lambda: empirical_weights(0, 3), "N"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def _paper_nets(n, B, seed):
    a0, w0 = draw_relu1d_init(n, B, seed=seed)
    p = empirical_weights(n * n, B, seed=seed + 100)
    return a0, w0, p, large_step(PAPER_X, p, side_moments(a0, np.zeros_like(a0), w0))


def test_certificate_distance_is_the_excess_loss():
    """L = L* + |psi|^2 / 2 exactly in the frozen pattern (psi = M^-1/2 u_hat)."""
    a0, w0, p, h = _paper_nets(8, 40, 1)
    red = reduced_gd(a0, w0, PAPER_X, PAPER_Y, p, h, 300, record_loss=False)
    m = red.status == "cap"
    cert = frozen_pattern_certificate(PAPER_X, PAPER_Y, p[m], h[m], neurons_at(a0[m], w0[m], red.M[m]), red.c[m])
    excess = red.final_loss[m] - frozen_limit_loss(PAPER_X, PAPER_Y, p[m])
    assert np.allclose(0.5 * cert.psi_norm**2, excess, rtol=1e-9, atol=1e-14)


def test_certificate_refuses_degenerate_and_marginal_networks():
    a0, w0, p, h = _paper_nets(8, 3, 2)
    th = np.stack([np.abs(a0), np.zeros_like(a0), w0], axis=-1)          # every neuron on the + side
    cert = frozen_pattern_certificate(PAPER_X, PAPER_Y, p, h, th, np.zeros(3))
    assert cert.degenerate.all() and not cert.certified.any()
    th = np.stack([a0, 0.999999 * np.abs(a0), w0], axis=-1)              # kinks at -0.999999: at the inner point
    th[:, :, 2] *= 1e-3
    cert = frozen_pattern_certificate(PAPER_X, PAPER_Y, p, h, th, np.zeros(3))
    assert not cert.certified.any()
    with pytest.raises(ValueError, match="theta"):
        frozen_pattern_certificate(PAPER_X, PAPER_Y, p, h, th[..., :2], np.zeros(3))


@pytest.mark.parametrize("n", [4, 16])
def test_certified_networks_never_cross_under_full_gd(n):
    """Soundness on the full n-neuron system: networks certified by the full trainer, resumed for 30 000 GD
    updates from their parameters, never change pattern and converge to L*."""
    a0, w0, p, h = _paper_nets(n, 200, 3)
    res = train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, h, 60_000, certify=True, check_every=250)
    m = res.status == "certified"
    assert m.sum() >= 20 and set(np.unique(res.status)) <= {"crossed", "certified", "cap"}
    a, b, w, c = (v[m] for v in res.params)
    more = train_relu1d(a, w, PAPER_X, PAPER_Y, p[m], h[m], 30_000, b0=b, c0=c)
    assert np.all(more.status == "cap")
    assert np.all(more.final_loss - frozen_limit_loss(PAPER_X, PAPER_Y, p[m]) < 1e-8)


def test_reduced_gd_certifies_what_the_full_trainer_certifies():
    a0, w0, p, h = _paper_nets(8, 100, 4)
    full = train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, h, 40_000, certify=True, check_every=500)
    red = reduced_gd(a0, w0, PAPER_X, PAPER_Y, p, h, 40_000, certify_every=500, record_loss=False)
    ok = red.status != "degenerate"          # all neurons on one side: no certificate; the full trainer goes on
    assert np.array_equal(full.status[ok], red.status[ok]) and not np.any(full.status[~ok] == "certified")
    same = (full.status == "certified") & (red.stop_epoch <= 10_000)   # later, reduced_gd checks every t // 20 epochs
    assert same.sum() > 20 and np.array_equal(full.stop_epoch[same], red.stop_epoch[same])


def test_sgd_streams_are_per_network_and_backend_independent():
    a0, w0, p, h = _paper_nets(8, 6, 5)
    kw = dict(optimizer="sgd", batch_size=4, seed=11, record_loss=True, check_every=40)
    r6 = train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, 0.3 * h, 200, **kw)
    again = train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, 0.3 * h, 200, **kw)
    assert np.array_equal(r6.loss, again.loss, equal_nan=True)
    other = train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, 0.3 * h, 200, **{**kw, "seed": 12})
    assert not np.array_equal(r6.loss, other.loss, equal_nan=True)
    pytest.importorskip("torch")
    rt = train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, 0.3 * h, 200, backend="torch", **kw)
    assert np.array_equal(r6.status, rt.status)
    assert np.allclose(r6.loss, rt.loss, rtol=0, atol=1e-12, equal_nan=True)


def test_adam_matches_torch_optim_adam():
    torch = pytest.importorskip("torch")
    a0, w0, p, _ = _paper_nets(6, 1, 6)
    res = train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, 0.01, 150, optimizer="adam", betas=(0.8, 0.99), eps=1e-7,
                       check_every=150)
    prm = [torch.tensor(v, dtype=torch.float64, requires_grad=True)
           for v in (a0[0], np.zeros(6), w0[0], np.zeros(1))]
    opt = torch.optim.Adam(prm, lr=0.01, betas=(0.8, 0.99), eps=1e-7)
    X, Y, P = (torch.tensor(v) for v in (PAPER_X, PAPER_Y, p[0]))
    for _ in range(int(res.stop_epoch[0])):
        opt.zero_grad()
        f = prm[3] + (prm[2][:, None] * torch.relu(prm[0][:, None] * X + prm[1][:, None])).sum(0)
        (0.5 * (P * (f - Y) ** 2).sum()).backward()
        opt.step()
    for ours, ref in zip(res.params, prm):
        assert np.allclose(ours[0], ref.detach().numpy(), rtol=0, atol=1e-10)


def test_early_stopping_bookkeeping():
    a0, w0, p, h = _paper_nets(8, 5, 7)
    res = train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, 0.01 * h, 1000, p_val=np.full(6, 1 / 6), patience=1,
                       min_delta=1e9, check_every=10, use_numba=False)
    assert np.all(res.status == "early_stopped") and np.all(res.stop_epoch == 20)
    assert np.all(np.isfinite(res.val_loss))


@pytest.mark.parametrize("kw,match", [
    (dict(optimizer="rmsprop"), "optimizer"), (dict(optimizer="sgd"), "batch_size"),
    (dict(optimizer="adam", certify=True), "certify"), (dict(patience=3), "p_val"),
    (dict(check_every=0), "check_every"), (dict(optimizer="adam", betas=(1.0, 0.9)), "betas"),
])
def test_bad_training_options(kw, match):
    with pytest.raises(ValueError, match=match):
        train_relu1d(np.ones((1, 2)), np.ones((1, 2)), PAPER_X, PAPER_Y, np.full(6, 1 / 6), 0.1, 5, **kw)


def test_crossing_kinds_agree_with_full_gd_and_name_the_flips_the_authors_test_misses():
    """At each crossing the reduced state's neurons are the n-neuron GD's: kinks outside (-1, 1)
    (the authors' |b/a| >= 1) and slope sign flips are classified the same from both."""
    from sims.relu1d import paper_networks
    from theory.relu1d import crossing_kinds
    a0, w0, p, h = paper_networks(16, 300, seed=5)
    red = reduced_gd(a0, w0, PAPER_X, PAPER_Y, p, h, 600, record_loss=False)
    full = train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, h, 600, check_every=600)
    ck = crossing_kinds(a0, w0, PAPER_X, red)
    m = red.status == "crossed"
    assert m.sum() > 20 and np.array_equal(red.crossing_epoch, full.crossing_epoch)
    a, b = full.params[:2]
    with np.errstate(divide="ignore"):
        authors = (np.abs(b / a) >= 1).any(-1)
    flip = ((np.sign(a) != np.sign(a0)) | (a == 0)).any(-1)
    np.testing.assert_array_equal(ck["authors_test"][m], authors[m])
    np.testing.assert_array_equal(ck["flip"][m], flip[m])
    assert set(ck["kind"][m]) <= {"kink", "flip", "both"} and set(ck["kind"][~m]) == {""}
    assert np.array_equal(ck["kind"] == "flip", m & ~ck["authors_test"] & ck["flip"])      # the misses


def test_reduced_gd_takes_data_in_any_memory_layout():
    """The compiled chunk needs C order; views of any layout are copied, not refused (same numbers)."""
    from sims.relu1d import paper_networks
    a0, w0, p, h = paper_networks(8, 4, seed=1)
    D = np.stack([PAPER_X, PAPER_Y], 1)                   # columns: strided views
    a = reduced_gd(a0, w0, D[:, 0], D[:, 1], p, h, 50)
    b = reduced_gd(a0, w0, PAPER_X, PAPER_Y, p, h, 50)
    np.testing.assert_array_equal(a.Sigma, b.Sigma)
