"""Ensembles at initialisation: exact NTK, sampler equivalence, reproducibility, bad input."""
import math

import numpy as np
import pytest
from scipy import stats

from sims.backends import get_backend
from sims.mlp_init import reduced_kernel_sampler, sample_init_ensemble

X2 = np.array([[1.0, 0.5, -0.3], [0.2, 1.0, 0.4]])


def test_layerwise_ntk_equals_per_parameter_autograd():
    """Layerwise NTK of output neuron 0 == sum over every parameter of lambda_p df(x)/dp df(x')/dp (torch autograd)."""
    torch = pytest.importorskip("torch")
    widths, C_b, C_W, lb, lw = (7, 5), 0.2, 1.5, 0.7, 1.3
    ens = sample_init_ensemble(X2, widths, C_b=C_b, C_W=C_W, activation="tanh", n_members=3, seed=4, ntk=True,
                               n_out=2, lambda_b=lb, lambda_W=lw, block=3)
    rng = get_backend("numpy").streams(np.random.SeedSequence(4), 1)[0]     # replay the block's draws
    full = (3,) + widths + (2,)
    Ws, bs = [], []
    for l in range(3):
        Ws.append(rng.normal((3, full[l + 1], full[l])) * math.sqrt(C_W / full[l]))
        bs.append(rng.normal((3, 1, full[l + 1])) * math.sqrt(C_b))
    for m in range(3):
        params = [torch.tensor(a[m], requires_grad=True) for pair in zip(Ws, bs) for a in pair]
        grads = []
        for x in X2:
            h = torch.tensor(x)
            for l in range(3):
                z = params[2 * l] @ h + params[2 * l + 1][0]
                h = torch.tanh(z) if l < 2 else z
            grads.append(torch.autograd.grad(h[0], params))
        theta = np.zeros((2, 2))
        for a in range(2):
            for b in range(2):
                for l in range(3):
                    gw = (grads[a][2 * l] * grads[b][2 * l]).sum().item() * lw / full[l]
                    gb = (grads[a][2 * l + 1] * grads[b][2 * l + 1]).sum().item() * lb
                    theta[a, b] += gw + gb
        assert np.allclose(ens.ntk0[m], theta, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_weight_free_ntk_has_the_law_of_the_layerwise_ntk_with_drawn_weights(activation):
    """Conditioning W on its forward products gives the NTK's exact law: means and variances of every
    entry agree with drawn weights (Welch t and Levene tests at 1e-4 each, 8000 members)."""
    kw = dict(C_b=0.1, C_W=1.5, activation=activation, n_members=8000, ntk=True, n_out=3, lambda_b=0.7, lambda_W=1.3)
    a = sample_init_ensemble(X2, (16, 12), seed=1, method="weights", **kw)
    b = sample_init_ensemble(X2, (16, 12), seed=2, method="marginal", **kw)
    for i, j in [(0, 0), (0, 1), (1, 1)]:
        assert stats.ttest_ind(a.ntk[:, i, j], b.ntk[:, i, j], equal_var=False).pvalue > 1e-4
        assert stats.levene(a.ntk0[:, i, j], b.ntk0[:, i, j]).pvalue > 1e-4


@pytest.mark.parametrize("X,C_b", [(X2, 0.0), (np.array([[1.0, 0.5, -0.3], [0.2, 1.0, 0.4], [-0.7, 0.1, 0.9]]), 0.2)],
                         ids=["two-inputs-no-bias", "three-inputs"])
def test_weight_free_ntk_law_with_one_output(X, C_b):
    """One output neuron: below it the backward draw is W~^T D itself (n_l normals, not C n_l), and
    without biases the forward draws share the Gram's eigen-decomposition with the pseudo-inverse.
    Same Welch t / Levene tests as above, every NTK entry, 8000 members. Checked to fail when that
    draw's variance is 1.5x too large or the pseudo-inverse 10 % too small."""
    kw = dict(C_b=C_b, C_W=1.8, activation="relu", n_members=8000, ntk=True, n_out=1, lambda_b=0.5, lambda_W=1.2)
    a = sample_init_ensemble(X, (10, 14), seed=11, method="weights", **kw)
    b = sample_init_ensemble(X, (10, 14), seed=12, method="marginal", **kw)
    for i in range(len(X)):
        for j in range(i, len(X)):
            assert stats.ttest_ind(a.ntk[:, i, j], b.ntk[:, i, j], equal_var=False).pvalue > 1e-4
            assert stats.levene(a.ntk[:, i, j], b.ntk[:, i, j]).pvalue > 1e-4


def test_numbers_do_not_depend_on_the_number_of_threads():
    kw = dict(C_b=0.1, C_W=1.5, activation="tanh", n_members=700, ntk=True, seed=5, block=64, method="marginal")
    runs = [sample_init_ensemble(X2, (9, 7), n_workers=w, **kw) for w in (1, 2, 3)]
    for r in runs[1:]:
        assert np.array_equal(r.G, runs[0].G) and np.array_equal(r.ntk, runs[0].ntk)
        assert np.array_equal(r.z0, runs[0].z0)


def test_marginal_sampler_has_the_law_of_drawn_weights():
    """Mean and variance of G^(3)_01 agree between the two exact samplers (Welch t / Levene tests, 1e-4)."""
    kw = dict(C_b=0.1, C_W=1.0, activation="tanh", n_members=6000)
    a = sample_init_ensemble(X2, (24, 24), seed=1, method="weights", **kw).G[:, 2, 0, 1]
    b = sample_init_ensemble(X2, (24, 24), seed=2, method="marginal", **kw).G[:, 2, 0, 1]
    assert stats.ttest_ind(a, b, equal_var=False).pvalue > 1e-4
    assert stats.levene(a, b).pvalue > 1e-4


def test_reduced_sampler_has_the_law_of_the_full_network():
    G = reduced_kernel_sampler(float(X2[0] @ X2[0]), 3, (12, 12), C_b=0.0, C_W=2.0, activation="relu",
                               n_members=20000, seed=3)
    F = sample_init_ensemble(X2[:1], (12, 12), C_b=0.0, C_W=2.0, activation="relu", n_members=20000, seed=4,
                             method="marginal").G[:, :, 0, 0]
    assert np.allclose(G[:, 0], F[:, 0])                  # layer 1 is deterministic for one input
    for l in (1, 2):
        assert stats.ttest_ind(G[:, l], F[:, l], equal_var=False).pvalue > 1e-4
    assert stats.levene(G[:, 2], F[:, 2]).pvalue > 1e-4


def test_reproducible_given_seed_and_block():
    kw = dict(C_b=0.1, C_W=1.0, activation="relu", n_members=50, block=20)
    a = sample_init_ensemble(X2, (8, 8), seed=9, **kw)
    b = sample_init_ensemble(X2, (8, 8), seed=9, **kw)
    assert np.array_equal(a.G, b.G) and np.array_equal(a.z0, b.z0)


@pytest.mark.parametrize("method", ["weights", "marginal"])
@pytest.mark.parametrize("ntk", [False, True])
def test_numbers_do_not_depend_on_block_budget_or_threads(method, ntk):
    """Stream units fix the random layout: block size, memory budget and thread count change no number."""
    X = np.random.default_rng(0).normal(size=(3, 10))
    kw = dict(C_b=0.1, C_W=1.5, activation="tanh", n_members=1500, seed=3, ntk=ntk, method=method)
    ref = sample_init_ensemble(X, (50, 40), **kw)
    for extra in (dict(block=1), dict(block=300), dict(memory_budget_mb=1.0), dict(n_workers=1),
                  dict(n_workers=2, block=64), dict(block=10**6)):
        e = sample_init_ensemble(X, (50, 40), **kw, **extra)
        assert np.array_equal(e.G, ref.G) and np.array_equal(e.z0, ref.z0), extra
        assert not ntk or np.array_equal(e.ntk, ref.ntk), extra


def test_stream_unit_is_a_power_of_two_within_its_memory():
    from sims.mlp_init import MAX_BLOCK, UNIT_BYTES, stream_unit
    assert stream_unit(1.0) == MAX_BLOCK and stream_unit(10.0 * UNIT_BYTES) == 1
    for b in (1e3, 4.5e4, 1e6):
        u = stream_unit(b)
        assert u & (u - 1) == 0 and u * b <= UNIT_BYTES and (u == MAX_BLOCK or 2 * u * b > UNIT_BYTES)


def test_torch_backend_runs_with_ntk():
    pytest.importorskip("torch")
    e = sample_init_ensemble(X2, (8, 8), C_b=0.1, C_W=1.0, n_members=10, seed=1, backend="torch", ntk=True)
    assert np.all(np.isfinite(e.ntk)) and e.G.shape == (10, 3, 2, 2)


@pytest.mark.parametrize("kwargs,match", [
    (dict(hidden_widths=(0,)), "hidden_widths"), (dict(C_W=-1.0), "C_W"), (dict(C_b=np.nan), "C_b"),
    (dict(n_members=0), "n_members"), (dict(method="exact"), "method"),
    (dict(activation="selu"), "activation"), (dict(n_out=0), "n_out"), (dict(X=np.ones(3)), "X"),
    (dict(backend="jax"), "backend"), (dict(n_workers=0), "n_workers"), (dict(block=0), "block"),
])
def test_bad_input_is_named(kwargs, match):
    base = dict(X=X2, hidden_widths=(4,), C_b=0.0, C_W=1.0, n_members=2)
    base.update(kwargs)
    with pytest.raises(ValueError, match=match):
        sample_init_ensemble(base.pop("X"), base.pop("hidden_widths"), **base)


def test_reduced_sampler_rejects_other_activations():
    with pytest.raises(ValueError, match="activation"):
        reduced_kernel_sampler(1.0, 3, (4,), C_b=0.0, C_W=1.0, activation="tanh", n_members=3)


def test_estimates_api():
    e = sample_init_ensemble(X2, (8, 8), C_b=0.1, C_W=1.0, n_members=200, seed=3, ntk=True)
    k, kse = e.kernel_estimate(3)
    v, vse = e.vertex_estimate(3)
    t, tse = e.ntk_estimate()
    assert k.shape == (2, 2) and v.shape == (2, 2, 2, 2) and t.shape == (2, 2)
    assert np.all(kse > 0) and np.all(vse >= 0) and np.all(tse > 0)
    assert np.allclose(v[0, 0, 0, 0], e.G[:, 2, 0, 0].var(ddof=1))
    with pytest.raises(ValueError, match="ntk"):
        sample_init_ensemble(X2, (8,), C_b=0.1, C_W=1.0, n_members=3).ntk_estimate()
