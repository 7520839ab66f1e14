"""CUDA backends (torch:cuda, CuPy): parity with NumPy. Skip cleanly without a GPU; with
TWOLAYER_GPU_SMOKE=1 the torch:cuda cases run on torch's CPU device (validations._backends)."""
import numpy as np
import pytest

from sims.teacher_student import TeacherStudent, simulate_sgd
from validations._backends import gpu_smoke, require_backend

pytestmark = pytest.mark.gpu


@pytest.fixture(params=["torch:cuda", "cupy"])
def cuda_backend(request):
    return require_backend(request.param)


@pytest.mark.parametrize("method", ["full", "gram"])
def test_cuda_parity_with_numpy(cuda_backend, method, predrawn_noise):
    p = TeacherStudent(N=128, K=3, M=2, eta=0.7, eta_v=0.2, sigma=0.1, init_overlap=0.3)
    S, n = 4, 300
    noise = predrawn_noise(method, S, n, p.N, p.K + p.M, seed=0)
    kw = dict(alphas=np.linspace(0, n / p.N, 5), n_seeds=S, method=method, noise=noise)
    a = simulate_sgd(p, backend="numpy", **kw)
    b = simulate_sgd(p, backend=cuda_backend, **kw)
    assert np.abs(a.Q - b.Q).max() < 1e-10


def test_cuda_large_ensemble_runs(cuda_backend):
    p = TeacherStudent(N=1000, K=2, M=2, eta=1.0, init_overlap=0.2)
    tr = simulate_sgd(p, 2.0, n_seeds=8 if gpu_smoke() else 256, backend=cuda_backend, n_records=5)   # tiny on CPU
    assert np.all(np.isfinite(tr.eps_g))


def test_cuda_init_ensemble_statistics(cuda_backend):
    from sims.mlp_init import sample_init_ensemble
    X = np.array([[1.0, 0.5, -0.3], [0.2, 1.0, 0.4]])
    a = sample_init_ensemble(X, (64, 64), C_b=0.1, C_W=1.0, activation="tanh", n_members=4000, seed=1,
                             backend=cuda_backend, ntk=True)
    b = sample_init_ensemble(X, (64, 64), C_b=0.1, C_W=1.0, activation="tanh", n_members=4000, seed=2)
    se = np.sqrt(a.G[:, 2, 0, 1].var() / 4000 + b.G[:, 2, 0, 1].var() / 4000)
    assert abs(a.G[:, 2, 0, 1].mean() - b.G[:, 2, 0, 1].mean()) < 5 * se


def test_cuda_wide_training_parity_with_numpy(cuda_backend):
    from sims.wide_training import WideMLP, empirical_ntk, init_params, train_gd
    rng = np.random.default_rng(1)
    X, Xt = rng.standard_normal((8, 5)), rng.standard_normal((3, 5))
    Y = np.tanh(X[:, 0])
    m = WideMLP((5, 64, 32), "tanh", "ntk", sigma_w=1.3, sigma_b=0.2)
    a = train_gd(m, X, Y, eta=0.05, n_steps=30, n_seeds=4, seed=3, X_test=Xt)
    b = train_gd(m, X, Y, eta=0.05, n_steps=30, n_seeds=4, seed=3, X_test=Xt, backend=cuda_backend)
    assert np.abs(a.f - b.f).max() < 1e-10 and np.abs(a.sup_ntk_change - b.sup_ntk_change).max() < 1e-10
    p = init_params(m, 2, seed=0, backend=cuda_backend)
    th = empirical_ntk(m, p, X, backend=cuda_backend)
    p_np = [(cuda_backend.to_numpy(W), cuda_backend.to_numpy(b)) for W, b in p]
    assert np.abs(th - empirical_ntk(m, p_np, X)).max() < 1e-10


@pytest.mark.parametrize("optimizer", ["gd", "sgd", "adam"])
def test_cuda_relu1d_trainer_parity_with_numpy(cuda_backend, optimizer):
    from sims.relu1d import draw_relu1d_init, train_relu1d
    from theory.relu1d import PAPER_X, PAPER_Y, empirical_weights, large_step, side_moments
    a0, w0 = draw_relu1d_init(32, 64, seed=1)
    p = empirical_weights(1024, 64, seed=2)
    h = (large_step(PAPER_X, p, side_moments(a0, np.zeros_like(a0), w0)) if optimizer != "adam" else 0.01)
    kw = dict(optimizer=optimizer, batch_size=3 if optimizer == "sgd" else None, seed=5, record_loss=True,
              check_every=100, certify=optimizer == "gd")
    a = train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, h, 600, use_numba=False, **kw)
    b = train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, h, 600, backend=cuda_backend, **kw)
    assert np.array_equal(a.status, b.status) and np.array_equal(a.stop_epoch, b.stop_epoch)
    assert np.allclose(a.loss, b.loss, rtol=0, atol=1e-10, equal_nan=True)
