"""asv benchmarks for 1-D ReLU GD (Holzmueller & Steinwart, arXiv:2002.04861)."""
from __future__ import annotations

import numpy as np

from sims.relu1d import draw_relu1d_init, train_relu1d
from theory.relu1d import PAPER_X, PAPER_Y, empirical_weights, large_step, reduced_gd, side_moments

from ._timing import interleaved_ratio
from .references_relu1d import reference_per_network_gd, reference_vectorised_gd


def _setup(n, B=200):
    a0, w0 = draw_relu1d_init(n, B, seed=1)
    p = empirical_weights(n * n, B, seed=2)
    return a0, w0, p, large_step(PAPER_X, p, side_moments(a0, np.zeros_like(a0), w0))


def relu1d_ratios(n=64, B=400, epochs=300):
    """Network-epochs/s of the compiled trainer over (a) the per-network loop and (b) the straightforward
    batched array trainer (fresh temporaries every epoch); and (c) the batched array trainer's time over
    the reduced system's. Crossed networks stop in all of them, so the work compared is the same."""
    a0, w0, p, h = _setup(n, B)
    def fast():
        return train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, h, epochs)

    def batch():
        return train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, h, epochs, check_every=epochs, use_numba=False)
    k = 40
    r_ref = interleaved_ratio(fast, lambda: reference_per_network_gd(a0[:k], w0[:k], p[:k], h[:k], epochs, PAPER_X, PAPER_Y),
                              pairs=3, scale=B / k)
    r_batch = interleaved_ratio(fast, batch, pairs=5)
    r_red = interleaved_ratio(lambda: reduced_gd(a0, w0, PAPER_X, PAPER_Y, p, h, epochs), batch, pairs=5)
    return r_ref.median, r_batch.median, r_red.median


def vectorised_reference_ratios(n=64, B=400, epochs=300):
    """Speed of our trainers over the research code's vectorised NumPy GD
    (:func:`benchmarks.references_relu1d.reference_vectorised_gd`, every network in one (B, n, P)
    array, a pattern check after every update), same networks and epochs, all agreeing on every
    crossing epoch. Returns the ratios of (a) the array-API trainer (the torch/CuPy path, run here
    on NumPy) checking only at the end (``check_every = epochs``: the same work as the reference,
    which retires nothing), (b) the same at the default ``check_every = 50`` (crossed networks leave
    every 50 updates) and (c) the compiled trainer."""
    a0, w0, p, h = _setup(n, B)
    ref = lambda: reference_vectorised_gd(a0, w0, p, h, epochs, PAPER_X, PAPER_Y)       # noqa: E731

    def array_api(check_every):
        return lambda: train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, h, epochs, check_every=check_every,
                                    use_numba=False)
    return tuple(interleaved_ratio(f, ref, pairs=3).median
                 for f in (array_api(epochs), array_api(50),
                           lambda: train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, h, epochs)))


def decide_ratio(n, B=100, epochs=5000):
    """Time to run GD with the never-cross certificate (every 500 epochs) on B networks: full n-neuron
    trainer (compiled) over the reduced system (compiled). Both decide the same networks."""
    a0, w0, p, h = _setup(n, B)
    reduced_gd(a0[:2], w0[:2], PAPER_X, PAPER_Y, p[:2], h[:2], 2, certify_every=1, record_loss=False)   # compile
    train_relu1d(a0[:2], w0[:2], PAPER_X, PAPER_Y, p[:2], h[:2], 2, certify=True, check_every=1)
    return interleaved_ratio(lambda: reduced_gd(a0, w0, PAPER_X, PAPER_Y, p, h, epochs, certify_every=500,
                                                record_loss=False),
                             lambda: train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, h, epochs, certify=True, check_every=500),
                             pairs=3, warmup=False).median


class Relu1DDecide:
    """Cost of deciding the bad event (crossing or certificate): full GD / reduced system, as n grows."""
    params = [16, 64, 256]
    param_names = ["n"]
    timeout = 600
    number = 1
    repeat = 1

    def track_full_over_reduced(self, n):
        return decide_ratio(n)


class Relu1DGD:
    params = [16, 256, 1024]
    param_names = ["n"]
    timeout = 300

    def setup(self, n):
        self.a0, self.w0, self.p, self.h = _setup(n)

    def time_full_gd_200_epochs(self, n):
        train_relu1d(self.a0, self.w0, PAPER_X, PAPER_Y, self.p, self.h, 200)

    def time_reduced_gd_200_epochs(self, n):
        reduced_gd(self.a0, self.w0, PAPER_X, PAPER_Y, self.p, self.h, 200)


class Relu1DRatios:
    timeout = 600
    number = 1
    repeat = 1

    def setup_cache(self):
        return relu1d_ratios()

    def track_compiled_vs_per_network_loop(self, res):
        return res[0]

    def track_compiled_vs_batched_array_trainer(self, res):
        return res[1]

    def track_reduced_vs_batched_full(self, res):
        return res[2]


class Relu1DVsVectorisedReference:
    """Our trainers over the research code's vectorised NumPy GD (issue 23; target >= 3x for the
    array-API trainer, which is the GPU path)."""
    timeout = 600
    number = 1
    repeat = 1

    def setup_cache(self):
        return vectorised_reference_ratios()

    def track_array_api_vs_vectorised_reference(self, res):
        return res[0]

    def track_array_api_check_every_50_vs_vectorised_reference(self, res):
        return res[1]

    def track_compiled_vs_vectorised_reference(self, res):
        return res[2]
