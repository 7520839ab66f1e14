"""asv benchmarks of wide-network training (Lee et al. arXiv:1902.06720): the layer-wise empirical
NTK and batched GD of ensembles. ``track_*`` return ratios against :mod:`benchmarks.references_wide`
measured in the same run."""
from __future__ import annotations

import numpy as np

from sims.wide_training import WideMLP, empirical_ntk, init_params, train_gd

from ._timing import backend_or_skip, interleaved_ratio
from .references_wide import reference_ntk_autograd, reference_training_loop
from . import backend_params

D = 16


def _data(P, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((P, D))
    return X, np.tanh(X[:, 0])


def _model(width):
    return WideMLP((D, width), "erf", "ntk", sigma_w=1.5, sigma_b=0.3)


def ntk_speed_ratio(width: int = 1024, P: int = 256, backend: str = "torch"):
    """Empirical NTK on P points: layer-wise batched vs per-sample autograd loop (one network)."""
    X, _ = _data(P)
    model = _model(width)
    params = init_params(model, 1, seed=0, backend=backend)
    reps = 5                                # ours takes a few ms: time 5 calls per sample
    return interleaved_ratio(lambda: [empirical_ntk(model, params, X, backend=backend) for _ in range(reps)],
                             lambda: reference_ntk_autograd(X, width), pairs=5, scale=reps).median


def ensemble_speed_ratio(n_seeds: int = 64, width: int = 512, P: int = 16, n_steps: int = 50,
                         backend: str = "torch"):
    """(batched ensemble vs per-seed autograd loop, batched vs loop over seeds of our own trainer);
    ours also trains the linearised model and evaluates the NTK at every step."""
    X, Y = _data(P)
    model = _model(width)
    eta = 0.5 * float(train_gd(model, X, Y, eta=1e-6, n_steps=0, n_seeds=4, backend=backend).eta_crit.min())
    ref_seeds = max(n_seeds // 8, 1)

    def ours():
        return train_gd(model, X, Y, eta=eta, n_steps=n_steps, n_seeds=n_seeds, backend=backend, n_records=5)
    r_ref = interleaved_ratio(ours, lambda: reference_training_loop(X, Y, width, ref_seeds, eta, n_steps),
                              pairs=3, scale=n_seeds / ref_seeds)
    r_loop = interleaved_ratio(ours, lambda: [train_gd(model, X, Y, eta=eta, n_steps=n_steps, n_seeds=1, seed=s,
                                                       backend=backend, n_records=5) for s in range(ref_seeds)],
                               pairs=3, scale=n_seeds / ref_seeds)
    return r_ref.median, r_loop.median


class WideNTK:
    """Layer-wise empirical NTK of a two-layer net on 256 points."""

    params = (backend_params(), [256, 1024])
    param_names = ["backend", "width"]
    timeout = 300

    def setup(self, backend, width):
        self.bk = backend_or_skip(backend)
        self.X, _ = _data(256)
        self.model = _model(width)
        self.params_ = init_params(self.model, 1, seed=0, backend=self.bk)

    def time_empirical_ntk(self, backend, width):
        empirical_ntk(self.model, self.params_, self.X, backend=self.bk)


class WideTraining:
    """GD of an ensemble of width-512 nets on 16 points, 20 steps (with linearisation and NTK)."""

    params = (backend_params(), [1, 64])
    param_names = ["backend", "n_seeds"]
    timeout = 600

    def setup(self, backend, n_seeds):
        self.bk = backend_or_skip(backend)
        self.X, self.Y = _data(16)
        self.model = _model(512)

    def time_train(self, backend, n_seeds):
        train_gd(self.model, self.X, self.Y, eta=0.05, n_steps=20, n_seeds=n_seeds, backend=self.bk, n_records=3)

    def peakmem_train(self, backend, n_seeds):
        train_gd(self.model, self.X, self.Y, eta=0.05, n_steps=20, n_seeds=n_seeds, backend=self.bk, n_records=3)


class WideRatios:
    """Ratios of the closing note (torch CPU): NTK vs per-sample autograd, ensemble vs seed loop."""

    timeout = 900

    def setup(self):
        backend_or_skip("torch")

    def track_ntk_width1024_256pts_vs_autograd(self):
        return ntk_speed_ratio(1024, 256)

    def track_ensemble64_width512_vs_autograd_seed_loop(self):
        return ensemble_speed_ratio()[0]
