"""Wide-network GD simulator: layer-wise NTK and GD step against autograd, function-space
linearisation against parameter-space linearisation (torch.func.jvp), kernels, bad input."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from sims.wide_training import (LearningRateWarning, SimulationDivergedError, WideMLP, empirical_ntk, forward,
                                init_params, train_gd)

RNG = np.random.default_rng(7)
X = RNG.standard_normal((6, 4))
Y = np.sin(X[:, 0])
XT = RNG.standard_normal((3, 4))

MODELS = [
    WideMLP((4, 7), "tanh", "ntk", sigma_w=1.3, sigma_b=0.4, lr_weights=(0.5, 1.5), lr_biases=(2.0, 0.3)),
    WideMLP((4, 5, 6), "erf", "ntk", sigma_w=1.3, sigma_b=0.4),
    WideMLP((4, 5, 6), "relu", "standard", sigma_w=1.4, sigma_b=0.2, lr_weights=(0.1, 0.2, 0.3)),
    WideMLP((4, 9), "tanh", "scaled", sigma_w=1.2, sigma_b=0.3, alpha=2.0),
    WideMLP((4, 9), "linear", "ntk", sigma_w=1.0, sigma_b=0.0),
]


def _torch_reference(model, params):
    """Flat trainable tensors (with grad), their rate multipliers, and f(x) built with autograd."""
    torch = pytest.importorskip("torch")
    flat, rates = [], []
    for (W, b), (li, lo, cW, cb, sW, sB, rW, rb) in zip(params, model.layers()):
        flat.append(torch.tensor(W, requires_grad=True))
        rates.append(rW)
        if b is not None:
            flat.append(torch.tensor(b, requires_grad=True))
            rates.append(rb)
    act = {"tanh": torch.tanh, "erf": lambda z: torch.erf(z / np.sqrt(2)), "relu": torch.relu,
           "linear": lambda z: z}[model.activation]

    def f(x, s, tensors=None):
        tensors = flat if tensors is None else tensors
        h, k = torch.as_tensor(x), 0
        for l, (li, lo, cW, cb, *_r) in enumerate(model.layers()):
            z = cW * h @ tensors[k][s].T
            k += 1
            if cb > 0:
                z = z + cb * tensors[k][s]
                k += 1
            h = act(z)
        return z[..., 0]
    return torch, flat, rates, f


@pytest.mark.parametrize("model", MODELS, ids=lambda m: f"{m.parameterization}-{len(m.widths)}-{m.activation}")
def test_layerwise_ntk_equals_the_autograd_jacobian_gram(model):
    params = init_params(model, 2, seed=3)
    torch, flat, rates, f = _torch_reference(model, params)
    Xa = np.vstack([X, XT])
    got = empirical_ntk(model, params, Xa)
    for s in range(2):
        J = []
        for i in range(len(Xa)):
            g = torch.autograd.grad(f(Xa[i:i + 1], s)[0], flat)
            J.append(torch.cat([np.sqrt(r) * gi[s].reshape(-1) for gi, r in zip(g, rates)]))
        J = torch.stack(J).detach().numpy()
        np.testing.assert_allclose(got[s], J @ J.T, rtol=1e-12, atol=1e-12)
    got2 = empirical_ntk(model, params, X, XT)
    np.testing.assert_allclose(got2, got[:, :6, 6:], rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("loss", ["sum", "mean"])
@pytest.mark.parametrize("model", MODELS[:4], ids=lambda m: f"{m.parameterization}-{len(m.widths)}")
def test_gd_step_equals_autograd_step(model, loss):
    params = init_params(model, 2, seed=4)
    torch, flat, rates, f = _torch_reference(model, params)
    eta = 0.02
    c = 1.0 if loss == "sum" else len(X)
    L = sum(0.5 * ((f(X, s) - torch.as_tensor(Y)) ** 2).sum() / c for s in range(2))
    grads = torch.autograd.grad(L, flat)
    expected = [(t - eta * r * g).detach().numpy() for t, g, r in zip(flat, grads, rates)]
    res = train_gd(model, X, Y, eta=eta, n_steps=1, n_seeds=2, params0=params, loss=loss, allow_unstable=True)
    got = [a for W, b in res.params for a in (W, b) if a is not None]
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)


def test_function_space_linear_model_equals_parameter_space_linearisation():
    torch = pytest.importorskip("torch")
    from torch.func import jvp
    model = MODELS[1]
    params = init_params(model, 1, seed=5)
    _, flat, rates, f = _torch_reference(model, params)
    theta0 = [t.detach().clone() for t in flat]
    Xa = np.vstack([X, XT])
    eta, steps = 0.1, 25
    res = train_gd(model, X, Y, eta=eta, n_steps=steps, n_seeds=1, params0=params, X_test=XT, n_records=steps + 1,
                   allow_unstable=True)

    def flin(delta, x):
        out, tangent = jvp(lambda *ts: f(x, 0, list(ts)), tuple(theta0), tuple(delta))
        return out + tangent
    delta = [torch.zeros_like(t) for t in theta0]
    for _ in range(steps):
        d = [t.clone().requires_grad_(True) for t in delta]
        L = 0.5 * ((flin(d, X) - torch.as_tensor(Y)) ** 2).sum()
        g = torch.autograd.grad(L, d)
        delta = [t - eta * r * gi for t, gi, r in zip(delta, g, rates)]
    np.testing.assert_allclose(res.f_lin[-1, 0], flin(delta, Xa).detach().numpy(), rtol=1e-10, atol=1e-12)
    assert res.steps[-1] == steps


def test_infinite_width_kernels_are_the_exact_two_layer_means():
    """Two layers: E f_0 f_0 = K and E Theta_0 = H at any width; 4000 members, |z| < 5 per entry."""
    for model in (MODELS[0].with_(widths=(4, 50)), MODELS[3].with_(widths=(4, 50), alpha=3.0),
                  WideMLP((4, 50), "relu", "standard", sigma_w=1.4, sigma_b=0.2, lr_weights=(0.25, 0.02))):
        params = init_params(model, 4000, seed=6)
        K, H = model.infinite_width_kernels(X)
        th = empirical_ntk(model, params, X)
        z = (th.mean(0) - H) / (th.std(0, ddof=1) / np.sqrt(4000))
        assert np.abs(z).max() < 5, model
        f0 = forward(model, params, X)
        prod = f0[:, :, None] * f0[:, None, :]
        z = (prod.mean(0) - K) / (prod.std(0, ddof=1) / np.sqrt(4000))
        assert np.abs(z).max() < 5, model


def test_backends_agree_and_members_do_not_depend_on_ensemble_size():
    pytest.importorskip("torch")
    model = MODELS[1]
    a = train_gd(model, X, Y, eta=0.05, n_steps=10, n_seeds=3, seed=11, X_test=XT)
    b = train_gd(model, X, Y, eta=0.05, n_steps=10, n_seeds=3, seed=11, X_test=XT, backend="torch")
    c = train_gd(model, X, Y, eta=0.05, n_steps=10, n_seeds=1, seed=11, X_test=XT)
    np.testing.assert_allclose(a.f, b.f, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(a.sup_ntk_change, b.sup_ntk_change, rtol=1e-10)
    np.testing.assert_array_equal(a.f[:, :1], c.f)
    d = train_gd(model, X, Y, eta=0.05, n_steps=10, n_seeds=3, seed=11, X_test=XT)
    np.testing.assert_array_equal(a.f, d.f)


@pytest.mark.parametrize("P", [131, 200])
def test_torch_half_block_gram_equals_numpy_syrk(P):
    """From 128 points on, torch builds the symmetric NTK Grams from two half-height products and
    mirrors them (NumPy uses syrk): same NTK to 1e-12, odd P included."""
    pytest.importorskip("torch")
    model = MODELS[1]
    Xb = np.random.default_rng(3).standard_normal((P, 4))
    a = empirical_ntk(model, init_params(model, 2, seed=1), Xb)
    b = empirical_ntk(model, init_params(model, 2, seed=1, backend="torch"), Xb, backend="torch")
    np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


def test_particles_and_displacements_are_consistent():
    model = MODELS[3]
    r = train_gd(model, X, Y, eta=0.05, n_steps=5, n_seeds=2, seed=1, n_records=3, record_ntk=True,
                 record_particles=True)
    p0, p1 = r.particles("initial"), r.particles("final")
    np.testing.assert_array_equal(r.particle_history[0], p0)
    np.testing.assert_array_equal(r.particle_history[-1], p1)
    np.testing.assert_allclose(r.ntk[0], r.ntk0, rtol=1e-14)
    np.testing.assert_allclose(np.sqrt(((r.ntk - r.ntk0) ** 2).sum((2, 3))), r.ntk_change, rtol=1e-12)
    assert p0.shape == (2, 9, 4 + 2)
    np.testing.assert_allclose(np.linalg.norm(p1 - p0, axis=2).mean(1), r.neuron_displacement[-1], rtol=1e-12)
    np.testing.assert_allclose(np.sqrt(((p1 - p0) ** 2).sum((1, 2))), r.param_distance[-1], rtol=1e-12)
    assert np.all(r.param_distance[0] == 0) and np.all(r.ntk_change[0] == 0)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="parameterization"):
        WideMLP((4, 5), parameterization="mup")
    with pytest.raises(ValueError, match="alpha"):
        WideMLP((4, 5), parameterization="scaled")
    with pytest.raises(ValueError, match="alpha"):
        WideMLP((4, 5), alpha=2.0)
    with pytest.raises(ValueError, match="two layers"):
        WideMLP((4, 5, 5), parameterization="scaled", alpha=1.0)
    with pytest.raises(ValueError, match="widths"):
        WideMLP((4, 0))
    with pytest.raises(ValueError, match="lr_weights"):
        WideMLP((4, 5), lr_weights=(1.0,))
    with pytest.raises(ValueError, match="activation"):
        WideMLP((4, 5), activation="softsign")
    m = MODELS[1]
    with pytest.raises(ValueError, match="X must have shape"):
        train_gd(m, X[:, :3], Y, eta=0.1, n_steps=1)
    with pytest.raises(ValueError, match="Y must be"):
        train_gd(m, X, Y[:-1], eta=0.1, n_steps=1)
    with pytest.raises(ValueError, match="Y must be"):
        train_gd(m, X, np.where(Y > 0, np.nan, Y), eta=0.1, n_steps=1)
    with pytest.raises(ValueError, match="loss"):
        train_gd(m, X, Y, eta=0.1, n_steps=1, loss="l1")
    with pytest.raises(ValueError, match="eta"):
        train_gd(m, X, Y, eta=-0.1, n_steps=1)


def test_learning_rate_above_eta_crit_warns_or_raises_naming_it():
    m = MODELS[1]
    r = train_gd(m, X, Y, eta=1e-3, n_steps=0, n_seeds=4, seed=2)
    crit, emax = r.eta_crit.min(), r.eta_max.min()
    assert crit < emax
    with pytest.raises(ValueError, match="eta_crit"):
        train_gd(m, X, Y, eta=1.01 * emax, n_steps=1, n_seeds=4, seed=2)
    if crit < 0.999 * emax:
        with pytest.warns(LearningRateWarning, match="eta_crit"):
            train_gd(m, X, Y, eta=0.5 * (crit + emax), n_steps=1, n_seeds=4, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train_gd(m, X, Y, eta=0.9 * crit, n_steps=1, n_seeds=4, seed=2)


def test_divergence_stops_with_the_step_number():
    m = WideMLP((4, 20), "relu", "ntk", sigma_w=1.4)
    with pytest.raises(SimulationDivergedError, match=r"at step \d+ .* member \d"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            train_gd(m, X, 100 * Y, eta=50.0, n_steps=2000, n_seeds=2, seed=1, allow_unstable=True)
