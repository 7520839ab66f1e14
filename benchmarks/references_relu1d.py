"""Research-code references for 1-D ReLU GD (Holzmueller & Steinwart, arXiv:2002.04861).

Baselines of record for the speed ratios of :mod:`sims.relu1d` (issue 23). Written from the
description of how the research codes do it, not from their source:

- :func:`reference_per_network_gd`: one network at a time, fresh arrays every epoch;
- :func:`reference_vectorised_gd`: the research code's vectorised NumPy trainer: every network in one
  (B, n, P) array, full-batch GD for a fixed number of epochs with ``einsum`` contractions, and
  the activation pattern compared with the initial one after every update, so that the Monte Carlo
  knows which networks ever crossed. Networks that crossed keep training (nothing is retired).

Conventions as in :func:`sims.relu1d.train_relu1d`: f(x) = c + sum_i w_i relu(a_i x + b_i), loss
1/2 sum_j p_j (f(x_j) - y_j)^2, b = c = 0 at the start, step ``h`` per network.
"""
from __future__ import annotations

import numpy as np

__all__ = ["reference_per_network_gd", "reference_vectorised_gd"]


def reference_per_network_gd(a, w, p, h, epochs, x, y):
    """One network at a time, fresh arrays every epoch; returns the crossing epochs (-1: none).

    Parameters
    ----------
    a, w : ndarray, shape (B, n)
    p : ndarray, shape (B, P)
    h : ndarray, shape (B,)
    epochs : int
    x, y : ndarray, shape (P,)
    """
    out = []
    for i in range(a.shape[0]):
        ai, bi, wi, ci = a[i].copy(), np.zeros_like(a[i]), w[i].copy(), 0.0
        pat0 = (np.outer(ai, x) + bi[:, None]) > 0
        hit = -1
        for t in range(epochs):
            pre = np.outer(ai, x) + bi[:, None]
            act = pre > 0
            f = ci + (wi[:, None] * np.maximum(pre, 0)).sum(0)
            r = p[i] * (f - y)
            ga = wi * (act * r * x).sum(1)
            gb = wi * (act * r).sum(1)
            gw = (np.maximum(pre, 0) * r).sum(1)
            ai, bi, wi, ci = ai - h[i] * ga, bi - h[i] * gb, wi - h[i] * gw, ci - h[i] * r.sum()
            if np.any(((np.outer(ai, x) + bi[:, None]) > 0) != pat0):
                hit = t + 1
                break
        out.append(hit)
    return np.array(out)


def reference_vectorised_gd(a, w, p, h, epochs, x, y):
    """All networks at once, a fixed number of epochs; returns the first crossing epochs (-1: none).

    Parameters as :func:`reference_per_network_gd`.

    Returns
    -------
    ndarray of int, shape (B,)
        Number of updates after which the pattern first differed from the initial one.
    """
    a, w = a.copy(), w.copy()
    b = np.zeros_like(a)
    c = np.zeros(a.shape[0])
    hh = h[:, None]
    pat0 = (a[:, :, None] * x + b[:, :, None]) > 0
    first = np.full(a.shape[0], -1)
    for t in range(epochs):
        pre = a[:, :, None] * x + b[:, :, None]                     # (B, n, P)
        act = pre > 0
        rel = np.maximum(pre, 0)
        f = c[:, None] + np.einsum("bn,bnp->bp", w, rel)
        r = p * (f - y)
        ga = w * np.einsum("bnp,bp->bn", act, r * x)
        gb = w * np.einsum("bnp,bp->bn", act, r)
        gw = np.einsum("bnp,bp->bn", rel, r)
        a, b, w, c = a - hh * ga, b - hh * gb, w - hh * gw, c - h * r.sum(1)
        crossed = np.any(((a[:, :, None] * x + b[:, :, None]) > 0) != pat0, axis=(1, 2))
        first = np.where((first < 0) & crossed, t + 1, first)
    return first
