r"""Full gradient descent of many 1-D two-layer ReLU networks at once (Holzmueller & Steinwart, arXiv:2002.04861).

f(x) = c + sum_i w_i relu(a_i x + b_i); loss 1/2 sum_j p_j (f(x_j) - y_j)^2; full-batch GD with a
per-network step h. Initialisations: ``"he"`` (a ~ N(0, 2), w ~ N(0, 2/n), b = c = 0, the paper's)
and ``"swapped"`` (a ~ N(0, 2/n), w ~ N(0, 2): the negative control). A crossing is any change of
the activation pattern 1[a_i x_j + b_i > 0] at a data point, checked after every epoch against the
initial pattern -- so a neuron whose slope flips sign within one step changes the pattern of every
data point on both sides and is caught too. Networks that cross leave the batch (compaction).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from theory.relu1d import check_data, frozen_limit_loss

from .backends import as_seed_sequence, get_backend

__all__ = ["GDResult", "draw_relu1d_init", "train_relu1d_gd", "crossing_task"]


@dataclass(frozen=True)
class GDResult:
    """Per-network outcome.

    crossing_epoch : (B,) int, first epoch with a pattern change (-1: none by the cap)
    final_loss : (B,) loss at the crossing epoch, or at the cap
    limit_loss : (B,) L* of the frozen pattern for the network's weights p
    loss : (B, n_epochs+1) or None, the whole loss curve when ``record_loss``
    """

    crossing_epoch: np.ndarray
    final_loss: np.ndarray
    limit_loss: np.ndarray
    loss: np.ndarray | None


def draw_relu1d_init(n: int, n_nets: int, seed=0, init: str = "he"):
    """Initial (a, w) of shape (n_nets, n); b = c = 0."""
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n (width) must be an integer >= 1, got {n!r}")
    if init not in ("he", "swapped"):
        raise ValueError(f"init must be 'he' or 'swapped', got {init!r}")
    rng = np.random.Generator(np.random.PCG64(as_seed_sequence(seed)))
    va, vw = (2.0, 2.0 / n) if init == "he" else (2.0 / n, 2.0)
    return rng.normal(0, math.sqrt(va), (n_nets, n)), rng.normal(0, math.sqrt(vw), (n_nets, n))


def train_relu1d_gd(a0, w0, x, y, p, h, n_epochs: int, *, backend="numpy", record_loss: bool = False,
                    chunk_epochs: int = 50, use_numba: bool = True) -> GDResult:
    """Full-batch GD of every network until its pattern changes or ``n_epochs``.

    Parameters
    ----------
    a0, w0 : array_like, shape (B, n)
    x, y : array_like, shape (P,)
    p : array_like, shape (B, P) or (P,)
    h : float or array_like (B,), > 0
    n_epochs : int
    backend : str
        Any backend of :func:`sims.backends.get_backend` (float64).
    chunk_epochs : int
        Finished networks are removed from the batch every ``chunk_epochs`` epochs (array-API path).
    use_numba : bool
        On the NumPy backend, run the fused compiled kernel (same arithmetic; a network stops at
        its crossing epoch, so ``final_loss`` is the loss at that epoch).
    """
    x, y, p = check_data(x, y, p)
    a0, w0 = np.atleast_2d(np.asarray(a0, float)), np.atleast_2d(np.asarray(w0, float))
    B, n = a0.shape
    h = np.broadcast_to(np.asarray(h, float), (B,)).copy()
    if np.any(~np.isfinite(h)) or np.any(h <= 0):
        raise ValueError("h (step size) must be finite and > 0")
    if not isinstance(n_epochs, (int, np.integer)) or n_epochs < 0:
        raise ValueError(f"n_epochs must be an integer >= 0, got {n_epochs!r}")
    p = np.broadcast_to(p, (B, x.size)).copy()
    bk = get_backend(backend)
    if bk.kind == "numpy" and use_numba:
        from ._relu1d_numba import gd_kernel
        crossing = np.empty(B, dtype=np.int64)
        final = np.empty(B)
        curve = np.full((B, n_epochs + 1), np.nan) if record_loss else np.empty((1, 1))
        gd_kernel(a0.copy(), np.zeros_like(a0), w0.copy(), np.zeros(B), p, h, x, y, int(n_epochs), crossing, final,
                  curve, bool(record_loss))
        return GDResult(crossing, final, frozen_limit_loss(x, y, p), curve if record_loss else None)
    xp = bk.xp
    X, Y = bk.asarray(x), bk.asarray(y)
    a, w = bk.asarray(a0), bk.asarray(w0)
    b = xp.zeros_like(a)
    c = xp.zeros((B,), dtype=bk.dtype, device=getattr(a, "device", None))
    P, Hs = bk.asarray(p), bk.asarray(h)
    pattern0 = (a[:, :, None] * X + b[:, :, None]) > 0
    idx = np.arange(B)
    crossing = np.full(B, -1, dtype=np.int64)
    final = np.empty(B)
    curve = np.full((B, n_epochs + 1), np.nan) if record_loss else None

    def loss_of(a, b, w, c, P):
        f = c[:, None] + xp.sum(w[:, :, None] * xp.maximum(a[:, :, None] * X + b[:, :, None], 0.0 * X), axis=1)
        return 0.5 * xp.sum(P * (f - Y) ** 2, axis=1), f

    t = 0
    while t < n_epochs and idx.size:
        steps = min(chunk_epochs, n_epochs - t)
        hit_at = np.full(idx.size, -1, dtype=np.int64)
        hit_loss = np.full(idx.size, np.nan)
        for s in range(steps):
            pre = a[:, :, None] * X + b[:, :, None]                      # (B, n, P)
            act = pre > 0
            L, f = loss_of(a, b, w, c, P)
            just = hit_at == t + s                                       # crossed at the previous update
            if record_loss or just.any():
                Lh = bk.to_numpy(L)
                hit_loss[just] = Lh[just]
                if record_loss:
                    curve[idx, t + s] = Lh
            r = P * (f - Y)                                              # dL/df
            ract = xp.where(act, r[:, None, :], 0.0 * r[:, None, :])
            gw = xp.sum(xp.where(act, pre, 0.0 * pre) * r[:, None, :], axis=2)
            ga = w * xp.sum(ract * X, axis=2)
            gb = w * xp.sum(ract, axis=2)
            gc = xp.sum(r, axis=1)
            hh = Hs[:, None]
            a, b, w, c = a - hh * ga, b - hh * gb, w - hh * gw, c - Hs * gc
            changed = xp.any(((a[:, :, None] * X + b[:, :, None]) > 0) != pattern0, axis=(1, 2))
            ch = bk.to_numpy(changed) & (hit_at < 0)
            hit_at[ch] = t + s + 1
        L, _ = loss_of(a, b, w, c, P)
        Ln = bk.to_numpy(L)
        if record_loss:
            curve[idx, t + steps] = Ln
        done = hit_at >= 0
        crossing[idx[done]] = hit_at[done]
        last = hit_at == t + steps
        hit_loss[last] = Ln[last]
        final[idx] = np.where(done, hit_loss, Ln)       # crossed networks: the loss at their crossing epoch
        keep = ~done
        if not keep.all():
            k = xp.asarray(np.nonzero(keep)[0], device=getattr(a, "device", None))    # int64 indices
            a, b, w, c, P, Hs, pattern0 = (xp.take(v, k, axis=0) for v in (a, b, w, c, P, Hs, pattern0))
            idx = idx[keep]
        t += steps
    return GDResult(crossing, final, frozen_limit_loss(x, y, p), curve)


def crossing_task(n: int, n_nets: int, n_epochs: int, init: str = "he", step: str = "large", *, seed):
    """One sweep task (:func:`sims.sweep.run_sweep`): first pattern-change epochs of ``n_nets`` networks.

    Width n, weights p from an empirical sample of N = n^2 points, GD on the paper's data with the
    large step h = 1/lambda_max (``step="large"``) or h = 0.01/n (``"small"``), run on the
    width-independent reduced system (exact until the first crossing, which is what it reports).
    Returns {"crossing_epoch": (n_nets,) int (-1: none by the cap), "final_loss": (n_nets,)}.
    """
    from theory.relu1d import PAPER_X, PAPER_Y, empirical_weights, large_step, reduced_gd, side_moments
    if step not in ("large", "small"):
        raise ValueError(f"step must be 'large' or 'small', got {step!r}")
    ss = as_seed_sequence(seed)
    s_init, s_data = ss.spawn(2)
    a0, w0 = draw_relu1d_init(n, n_nets, seed=s_init, init=init)
    p = empirical_weights(n * n, n_nets, seed=s_data)
    h = (large_step(PAPER_X, p, side_moments(a0, np.zeros_like(a0), w0)) if step == "large"
         else np.full(n_nets, 0.01 / n))
    red = reduced_gd(a0, w0, PAPER_X, PAPER_Y, p, h, int(n_epochs))
    idx = np.where(red.crossing_epoch >= 0, red.crossing_epoch, red.loss.shape[1] - 1)
    return {"crossing_epoch": red.crossing_epoch, "final_loss": red.loss[np.arange(n_nets), idx]}
