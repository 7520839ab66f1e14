"""Helpers shared by the benchmarks: timing, interleaved speed ratios and backend resolution.

Speed ratios are the project's machine-independent figures: both sides run in the same process,
alternately, so that a slow phase of a shared machine (these 2-core machines drift by ~30 % between
runs) slows both. A ratio is the **median over interleaved pairs** (reference, ours), not one sample.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np


def wall_time(fn) -> float:
    """Wall time of one call of ``fn()``, in seconds."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


@dataclass(frozen=True)
class Ratio:
    """A speed ratio from interleaved pairs.

    Attributes
    ----------
    median : float
        Median over pairs of ``scale * t_reference / t_ours`` (> 1: ours is faster).
    samples : ndarray, shape (pairs,)
        The per-pair ratios, in the order measured.
    t_ours, t_reference : float
        Median wall times of one call of each side, in seconds.
    """

    median: float
    samples: np.ndarray
    t_ours: float
    t_reference: float

    @property
    def spread(self) -> float:
        """Relative half-width of the inter-quartile range of the per-pair ratios."""
        q1, q3 = np.quantile(self.samples, [0.25, 0.75])
        return float((q3 - q1) / (2 * self.median))

    def __float__(self) -> float:
        return float(self.median)


def interleaved_ratio(ours, reference, *, pairs: int = 7, scale: float = 1.0, warmup: bool = True,
                      inner: int = 2) -> Ratio:
    """Median speed ratio of ``ours()`` against ``reference()`` over interleaved pairs.

    Parameters
    ----------
    ours, reference : callable
        Zero-argument callables doing the same work (or a known fraction of it: see ``scale``).
    pairs : int
        Number of (reference, ours) pairs; each pair gives one ratio sample. The sides alternate
        which runs first, so that a trend within a pair does not favour one of them.
    scale : float
        Multiplies every sample: the amount of work of ``ours`` over that of ``reference`` (for
        example seeds x steps), so that the ratio compares equal work.
    warmup : bool
        Call each side once before timing (compilation, thread pools, first-call costs).
    inner : int
        Calls of one side in a row within a pair; the side's time is the fastest of them. The
        first call after the other side pays for the other side's thread pool still spinning
        (OpenBLAS, Numba and torch each keep their own): measured on 2 cores, the CG readout
        against a LAPACK solve read 0.5x when second in its pair and 1.6x when first, against
        1.4x back to back. ``inner=2`` times the second, warm, call.

    Returns
    -------
    Ratio
    """
    if int(pairs) < 1:
        raise ValueError(f"pairs must be >= 1, got {pairs!r}")
    if int(inner) < 1:
        raise ValueError(f"inner must be >= 1, got {inner!r}")

    def timed(fn):
        return min(wall_time(fn) for _ in range(int(inner)))

    if warmup:
        ours()
        reference()
    t_o, t_r = np.empty(int(pairs)), np.empty(int(pairs))
    for i in range(int(pairs)):
        if i % 2:
            t_o[i] = timed(ours)
            t_r[i] = timed(reference)
        else:
            t_r[i] = timed(reference)
            t_o[i] = timed(ours)
    samples = scale * t_r / t_o
    return Ratio(float(np.median(samples)), samples, float(np.median(t_o)), float(np.median(t_r)))


def backend_or_skip(spec):
    """The backend ``spec``; NotImplementedError (asv's "skipped") when it cannot run here
    (:func:`sims.backends.runnable_backend`, the test the claims' skips use too). Imported here,
    not at module level: the gate's ``--tree`` measures old trees whose ``sims`` predates it."""
    from sims.backends import runnable_backend
    bk, why = runnable_backend(spec, smoke=False)
    if bk is None:
        raise NotImplementedError(why)
    return bk
