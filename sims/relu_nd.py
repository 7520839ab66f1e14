r"""Two-layer ReLU networks on d-dimensional inputs under GD: the star dataset of Holzmueller & Steinwart.

arXiv:2002.04861 (JMLR 2022), Section 6 (2-D "star" data): k rays at angles 2 pi i/k, three points
per ray at radii (1 - dist, 1, 1 + dist) with labels (1, -2, 1). Network
f(x) = c + sum_i w_i relu(a_i . x + b_i), He initialisation for fan-in d (a_i ~ N(0, (2/d) I_d),
w ~ N(0, 2/n), b = c = 0: every hyperplane passes through the origin), loss
L = 1/2 sum_j p_j (f(x_j) - y_j)^2 with weights p from an empirical sample of N = n^2 points.

While the activation pattern 1[a_i . x_j + b_i > 0] is unchanged, f restricted to one ray's data is
affine in the radius, so the loss cannot go below the per-ray weighted least-squares loss
:func:`theory.relu_nd.ray_limit_loss` (a lower bound for every frozen network); fitting the labels
(1, -2, 1) along a ray needs a kink between its points. The formulas (the ray bound, the step) live
in :mod:`theory.relu_nd`; their names are importable from here too.
"""
from __future__ import annotations

import math

import numpy as np

from twolayer import checks as _checks

from theory.relu_nd import check_data as _check, ntk_large_step, ray_limit_loss

from .backends import as_seed_sequence

__all__ = ["star_dataset", "draw_relu_nd_init", "ntk_large_step", "ray_limit_loss", "train_relu_nd_gd"]


def star_dataset(k: int = 11, dist: float = 0.1):
    """Points (3k, 2) and labels (3k,) of the star dataset (ray i at angle 2 pi i / k)."""
    k = _checks.integer("k", k, minimum=1)
    if not 0 < _checks.real("dist", dist) < 1:
        raise ValueError(f"dist must lie in (0, 1), got {dist!r}")
    ang = 2 * np.pi * np.arange(k) / k
    u = np.stack([np.cos(ang), np.sin(ang)], axis=-1)
    r = np.array([1 - dist, 1.0, 1 + dist])
    X = (u[:, None, :] * r[None, :, None]).reshape(-1, 2)
    return X, np.tile([1.0, -2.0, 1.0], k)


def draw_relu_nd_init(n: int, d: int, n_nets: int, seed=0):
    """He initialisation: A (n_nets, n, d) ~ N(0, 2/d), w (n_nets, n) ~ N(0, 2/n); b = c = 0."""
    n, d, n_nets = (_checks.integer(name, v, minimum=1) for name, v in (("n (width)", n), ("d", d), ("n_nets", n_nets)))
    rng = np.random.Generator(np.random.PCG64(as_seed_sequence(seed)))
    return rng.normal(0, math.sqrt(2.0 / d), (n_nets, n, d)), rng.normal(0, math.sqrt(2.0 / n), (n_nets, n))


def train_relu_nd_gd(A0, w0, X, y, p, h, n_epochs: int, *, threshold=None, stop_at_crossing: bool = True):
    """Full-batch GD of every network for ``n_epochs`` (or until its activation pattern changes).

    Parameters
    ----------
    A0 : array_like (B, n, d); w0 : (B, n); X : (P, d); y : (P,); p : (B, P) or (P,); h : float or (B,)
    threshold : array_like (B,), optional
        Loss level whose first undercut is recorded (e.g. ``(1 - 1e-6) * ray_limit_loss``: the
        network has left the frozen-pattern regime in function space).
    stop_at_crossing : bool
        Stop a network at its first pattern change (else run every network to ``n_epochs``).

    Returns
    -------
    crossing_epoch : (B,) int, first epoch with a pattern change (-1: none)
    below_epoch : (B,) int, first epoch with loss < threshold (-1: none, or no threshold)
    final_loss : (B,) loss at the last epoch run
    """
    A0 = _checks.array("A0", A0)
    if A0.ndim != 3:
        raise ValueError(f"A0 must have shape (B, n, d), got {A0.shape}")
    B, n, d = A0.shape
    w0 = _checks.array("w0", w0)
    if w0.shape != (B, n):
        raise ValueError(f"w0 must have shape {(B, n)}, got {w0.shape}")
    X, y, p = _check(X, y, p, B)
    if X.shape[1] != d:
        raise ValueError(f"X has {X.shape[1]} features but A0 has d = {d}")
    h = np.broadcast_to(_checks.array("h", h, finite=False), (B,)).copy()
    if np.any(~np.isfinite(h)) or np.any(h <= 0):
        raise ValueError("h (step size) must be finite and > 0")
    n_epochs = _checks.integer("n_epochs", n_epochs, minimum=0)
    from ._relu_nd_numba import gd_nd_kernel
    thr = np.full(B, -np.inf) if threshold is None else np.broadcast_to(np.asarray(threshold, float), (B,)).copy()
    crossing, below, final = np.empty(B, dtype=np.int64), np.empty(B, dtype=np.int64), np.empty(B)
    A, w, Xc = np.ascontiguousarray(A0, dtype=float).copy(), np.ascontiguousarray(w0, dtype=float).copy(), \
        np.ascontiguousarray(X)
    P_ = Xc.shape[0]
    _checks.kernel_arrays("gd_nd_kernel", A0=(A, (B, n, d), float), w0=(w, (B, n), float), p=(p, (B, P_), float),
                          h=(h, (B,), float), X=(Xc, (P_, d), float), y=(y, (P_,), float), threshold=(thr, (B,), float))
    gd_nd_kernel(A, np.zeros((B, n)), w, np.zeros(B), p, h, Xc, y,
                 int(n_epochs), crossing, final, thr, below, bool(stop_at_crossing))
    return crossing, below, final
