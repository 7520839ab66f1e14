"""asv benchmarks of simulation kernels not covered by the other ``bench_*`` files.

* Refinetti et al., arXiv:2102.11742: online SGD of the random-features readout on the XOR
  Gaussian mixture (:func:`sims.mixture_sgd.simulate_rf_sgd`) and the mixture's sampler.
* Holzmueller & Steinwart, arXiv:2002.04861: GD of 1-D ReLU nets on every backend and every
  optimiser (:func:`sims.relu1d.train_relu1d`), and GD on the 2-D star dataset (:mod:`sims.relu_nd`).
* Mei, Montanari & Nguyen, arXiv:1804.06561 (used by the Chizat et al. arXiv:1812.07956 validation):
  the sliced Wasserstein distance between particle laws (:mod:`sims.particle_law`).
* Lee et al., arXiv:1902.06720: initialisation and forward pass of wide-net ensembles
  (:func:`sims.wide_training.init_params`, :func:`sims.wide_training.forward`).
* ``GPUPeakMemory``: device peak memory of GPU-capable simulators (torch:cuda, CuPy).

Every public simulator with ``backend=`` runs on ["numpy", "torch", "torch:cuda", "cupy"] in some
bench file (``simulate_sgd``: SGDStep; ``empirical_ntk``, ``train_gd``: WideNTK, WideTraining;
``simulate_mixture_sgd``: MixtureSGD; ``sample_init_ensemble``: InitEnsemble; the rest here).
Parameters never depend on the environment; unavailable backends raise NotImplementedError in
setup (asv then skips them).
"""
from __future__ import annotations

import numpy as np

from sims.gaussian_mixture import xor_mixture
from sims.mixture_sgd import random_feature_matrix, simulate_mixture_sgd, simulate_rf_sgd
from sims.particle_law import sliced_wasserstein
from sims.relu1d import draw_relu1d_init, train_relu1d
from sims.relu_nd import draw_relu_nd_init, ntk_large_step, ray_limit_loss, star_dataset, train_relu_nd_gd
from sims.wide_training import WideMLP, forward, init_params, train_gd
from theory.relu1d import PAPER_X, PAPER_Y, empirical_weights

from ._timing import backend_or_skip
from . import backend_params

BACKENDS = backend_params()


# ------------------------------------------------------------------------------------------------
# Refinetti et al. 2021: random features, mixture sampler
# ------------------------------------------------------------------------------------------------
def _rf_problem(D=200):
    """XOR mixture (Delta = 0.1) in D dimensions and a seeded feature matrix F (2D, D)."""
    return xor_mixture(D, 0.1), random_feature_matrix(2 * D, D, seed=0)


class RFSGD:
    """Online SGD of the random-features readout, relu features, D = 200, P = 2D = 400,
    1000 steps (t = 5), 1 or 16 seeds (numpy: ~70 ms and ~0.9 s here)."""

    params = (BACKENDS, [1, 16])
    param_names = ["backend", "n_seeds"]
    timeout = 300

    def setup(self, backend, n_seeds):
        self.bk = backend_or_skip(backend)
        self.mix, self.F = _rf_problem()
        simulate_rf_sgd(self.mix, self.F, 0.5, 0.05, n_seeds=1, n_records=2, backend=self.bk)   # warm-up

    def time_rf_sgd(self, backend, n_seeds):
        simulate_rf_sgd(self.mix, self.F, 0.5, 5.0, n_seeds=n_seeds, n_records=2, backend=self.bk)
        self.bk.synchronize()

    def peakmem_rf_sgd(self, backend, n_seeds):
        simulate_rf_sgd(self.mix, self.F, 0.5, 5.0, n_seeds=n_seeds, n_records=2, backend=self.bk)


class MixtureSample:
    """10 000 samples of the XOR mixture at N = 500 (host draws, then moved to the backend)."""

    params = [BACKENDS]
    param_names = ["backend"]

    def setup(self, backend):
        self.bk = backend_or_skip(backend)
        self.mix = xor_mixture(500, 0.1)

    def time_sample(self, backend):
        self.mix.sample(10_000, seed=0, backend=self.bk)
        self.bk.synchronize()


# ------------------------------------------------------------------------------------------------
# Holzmueller & Steinwart: 1-D ReLU GD on every backend, star data
# ------------------------------------------------------------------------------------------------
class Relu1DBackends:
    """100 width-64 1-D ReLU nets (He init, weights from N = n^2 samples, small step 0.01/n so that
    few cross and the work is fixed), 50 updates; gd on numpy runs the fused Numba kernel, sgd
    (batch 2) and adam the array-API trainer (numpy: ~15 ms gd, ~0.2 s sgd/adam here)."""

    params = (BACKENDS, ["gd", "sgd", "adam"])
    param_names = ["backend", "optimizer"]
    timeout = 300

    def setup(self, backend, optimizer):
        self.bk = backend_or_skip(backend)
        n, B = 64, 100
        self.a0, self.w0 = draw_relu1d_init(n, B, seed=1)
        self.p = empirical_weights(n * n, B, seed=2)
        self.h = np.full(B, 0.01 / n)
        self.kw = dict(optimizer=optimizer, batch_size=2 if optimizer == "sgd" else None, backend=self.bk)
        train_relu1d(self.a0, self.w0, PAPER_X, PAPER_Y, self.p, self.h, 2, **self.kw)       # compile / warm-up

    def time_train(self, backend, optimizer):
        train_relu1d(self.a0, self.w0, PAPER_X, PAPER_Y, self.p, self.h, 50, **self.kw)
        self.bk.synchronize()


def _star_setup(n, n_nets=200, seed=0):
    """The star-data validation's set-up for width n: data, He init for fan-in 2, weights from
    N = n^2 samples, the large step 1/lambda_max of the tangent kernel, the ray-linear loss."""
    X, y = star_dataset(11, 0.1)
    s_init, s_data = np.random.SeedSequence(seed).spawn(2)
    A0, w0 = draw_relu_nd_init(n, 2, n_nets, seed=s_init)
    p = np.random.default_rng(s_data).multinomial(n * n, np.full(len(y), 1 / len(y)), size=n_nets) / (n * n)
    return X, y, A0, w0, p, ntk_large_step(A0, w0, X, p), ray_limit_loss(X, y, p)


class StarGD:
    """GD on the 2-D star data (11 rays, 33 points), 200 nets of width n, 100 epochs run to the end
    (the validation runs 3000), recording the first epoch below the ray-linear loss (n = 16:
    ~0.1 s, n = 64: ~0.5 s here); and the set-up (init, weights, tangent-kernel step; ~50-100 ms)."""

    params = [[16, 64]]
    param_names = ["n"]
    timeout = 300

    def setup(self, n):
        self.X, self.y, self.A0, self.w0, self.p, self.h, self.L = _star_setup(n)
        train_relu_nd_gd(self.A0[:1], self.w0[:1], self.X, self.y, self.p[:1], self.h[:1], 1)      # compile

    def time_train_relu_nd_gd(self, n):
        train_relu_nd_gd(self.A0, self.w0, self.X, self.y, self.p, self.h, 100, threshold=(1 - 1e-6) * self.L,
                         stop_at_crossing=False)

    def time_star_setup(self, n):
        _star_setup(n)


# ------------------------------------------------------------------------------------------------
# particle laws
# ------------------------------------------------------------------------------------------------
class SlicedWasserstein:
    """Sliced W2 between two laws of n particles in d + 2 = 10 dimensions, 256 projections: n = 1024
    is one group of the Chizat et al. validation (~80 ms), 16384 its whole particle pool (~1 s)."""

    params = [[1024, 16384]]
    param_names = ["n"]
    timeout = 120

    def setup(self, n):
        rng = np.random.default_rng(0)
        self.x = rng.standard_normal((n, 10))
        self.y = 1.1 * rng.standard_normal((n, 10)) + 0.1

    def time_sliced_wasserstein(self, n):
        sliced_wasserstein(self.x, self.y, seed=1)

    def peakmem_sliced_wasserstein(self, n):
        sliced_wasserstein(self.x, self.y, seed=1)


# ------------------------------------------------------------------------------------------------
# Lee et al. 2019: wide-net helpers
# ------------------------------------------------------------------------------------------------
class WideForward:
    """Parameters and outputs of 128 two-layer erf nets of width 1024 (NTK parameterisation,
    sigma_w = 1.5, sigma_b = 0.3) on 16 points in 8 dimensions: the Lee et al. validation's largest
    ensemble (validations/_wide.py) (numpy: ~30 ms init, ~0.1-0.2 s forward here)."""

    params = [BACKENDS]
    param_names = ["backend"]
    timeout = 120

    def setup(self, backend):
        self.bk = backend_or_skip(backend)
        self.model = WideMLP((8, 1024), "erf", "ntk", sigma_w=1.5, sigma_b=0.3)
        self.X = np.random.default_rng(0).standard_normal((16, 8))
        self.params_ = init_params(self.model, 128, seed=0, backend=self.bk)

    def time_init_params(self, backend):
        init_params(self.model, 128, seed=0, backend=self.bk)
        self.bk.synchronize()

    def time_forward(self, backend):
        forward(self.model, self.params_, self.X, backend=self.bk)


# ------------------------------------------------------------------------------------------------
# GPU peak memory
# ------------------------------------------------------------------------------------------------
def _gpu_workload(name, bk):
    """A zero-argument run of a GPU-capable simulator at a size where device memory matters."""
    if name == "mixture_sgd":
        mix = xor_mixture(500, 0.1)
        return lambda: simulate_mixture_sgd(mix, 4, 0.5, 1.0, n_seeds=64, n_records=2, n_test=200, backend=bk)
    if name == "rf_sgd":
        mix, F = _rf_problem(400)
        return lambda: simulate_rf_sgd(mix, F, 0.5, 2.5, n_seeds=16, n_records=2, n_test=1000, backend=bk)
    if name == "train_gd":
        model = WideMLP((16, 512), "erf", "ntk", sigma_w=1.5, sigma_b=0.3)
        rng = np.random.default_rng(0)
        X = rng.standard_normal((16, 16))
        Y = np.tanh(X[:, 0])
        return lambda: train_gd(model, X, Y, eta=0.05, n_steps=20, n_seeds=64, backend=bk, n_records=3)
    raise ValueError(name)


class GPUPeakMemory:
    """Device memory of one run, in MiB: mixture SGD (N = 500, K = 4, 64 seeds, 500 steps, 200 test
    points), RF SGD (D = 400, P = 800, 16 seeds, 1000 steps, 1000 test points), wide-net GD (width
    512, 64 members, 16 points, 20 steps). torch:cuda: ``torch.cuda.max_memory_allocated`` after
    ``reset_peak_memory_stats``; CuPy keeps no peak counter, so ``peak`` is what the default pool
    holds after the run (freed blocks stay cached: an upper bound of the live peak). ``retained``:
    memory still allocated after the run (leaks, caches). Skipped without CUDA / CuPy."""

    params = (["torch:cuda", "cupy"], ["mixture_sgd", "rf_sgd", "train_gd"])
    param_names = ["backend", "simulator"]
    timeout = 300
    number = 1
    repeat = 1

    def setup(self, backend, simulator):
        self.bk = backend_or_skip(backend)
        self.run = _gpu_workload(simulator, self.bk)
        self.run()                                  # warm-up: context, kernels, library workspaces
        self.bk.synchronize()

    def _measure(self):
        """(peak MiB, retained MiB) of one run."""
        mib = float(2**20)
        if self.bk.kind == "torch":
            import torch
            dev = self.bk.device
            torch.cuda.synchronize(dev)
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(dev)
            base = torch.cuda.memory_allocated(dev)
            self.run()
            torch.cuda.synchronize(dev)
            return torch.cuda.max_memory_allocated(dev) / mib, (torch.cuda.memory_allocated(dev) - base) / mib
        import cupy
        pool = cupy.get_default_memory_pool()
        cupy.cuda.Stream.null.synchronize()
        pool.free_all_blocks()
        base = pool.used_bytes()
        self.run()
        cupy.cuda.Stream.null.synchronize()
        return pool.total_bytes() / mib, (pool.used_bytes() - base) / mib

    def track_peak_mib(self, backend, simulator):
        return self._measure()[0]

    track_peak_mib.unit = "MiB"

    def track_retained_mib(self, backend, simulator):
        return self._measure()[1]

    track_retained_mib.unit = "MiB"
