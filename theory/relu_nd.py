r"""Formulas of two-layer ReLU networks on d-dimensional inputs (Holzmueller & Steinwart, arXiv:2002.04861).

Network f(x) = c + sum_i w_i relu(a_i . x + b_i), loss L = 1/2 sum_j p_j (f(x_j) - y_j)^2
(docs/THEORY.md E). While the activation pattern 1[a_i . x_j + b_i > 0] is unchanged, f restricted
to the data of one ray (points with the same direction) is affine in the radius, so
:func:`ray_limit_loss`, the per-ray weighted least-squares loss, bounds the loss of every frozen
network from below (the paper's Section 6, star data set). :func:`ntk_large_step` is the step
1/lambda_max of the weighted tangent kernel, the d-dimensional analogue of
:func:`theory.relu1d.large_step`. The simulation (GD of many networks, the star data) is
:mod:`sims.relu_nd`.
"""
from __future__ import annotations

import numpy as np

from twolayer import checks as _checks

__all__ = ["check_data", "ntk_large_step", "ray_limit_loss"]


def check_data(X, y, p, B=None):
    """Checked (X (P, d), y (P,), p (..., P) or (B, P) when ``B`` is given)."""
    X, y = _checks.array("X", X), _checks.array("y", y)
    if X.ndim != 2 or y.shape != (X.shape[0],) or not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise ValueError("X must be finite (P, d) and y finite (P,)")
    p = _checks.array("p", p)
    if p.ndim < 1 or p.shape[-1] != X.shape[0] or np.any(p < 0) or not np.all(np.isfinite(p)):
        raise ValueError("p must be non-negative finite weights, one per data point")
    if B is not None:
        p = np.broadcast_to(p, (B, X.shape[0])).copy()
    return X, y, p


def ntk_large_step(A, w, X, p):
    """h = 1/lambda_max(P^1/2 Theta P^1/2) with Theta the tangent kernel (all parameters) at (A, b = 0, w, c = 0).

    Theta(x, x') = sum_i [w_i^2 1_i(x) 1_i(x') (x . x' + 1) + relu_i(x) relu_i(x')] + 1; shapes
    A (B, n, d), w (B, n), X (P, d), p (B, P) or (P,) -> (B,).
    """
    X, _, p = check_data(X, np.zeros(len(X)), p, A.shape[0])
    pre = np.einsum("bnd,pd->bnp", A, X)
    act = (pre > 0).astype(float)
    rel = np.maximum(pre, 0)
    wa = w[:, :, None] * act
    K = np.einsum("bnp,bnq->bpq", wa, wa) * (X @ X.T + 1) + np.einsum("bnp,bnq->bpq", rel, rel) + 1
    sp = np.sqrt(p)
    return 1.0 / np.linalg.eigvalsh(sp[:, :, None] * K * sp[:, None, :])[:, -1]


def ray_limit_loss(X, y, p, tol: float = 1e-9):
    """1/2 sum_rays min_{s,t} sum_{j in ray} p_j (y_j - s |x_j| - t)^2: lower bound on the loss of any network
    whose activation pattern equals one with every kink off the data (f affine in |x| on each ray).

    Rays are groups of points with the same direction (to ``tol``); p (..., P) -> (...).
    """
    X, y, p = check_data(X, y, p)
    rad = np.linalg.norm(X, axis=1)
    if np.any(rad == 0):
        raise ValueError("X must not contain the origin")
    u = X / rad[:, None]
    out = np.zeros(p.shape[:-1])
    seen = np.zeros(len(X), bool)
    for j in range(len(X)):
        if seen[j]:
            continue
        g = np.linalg.norm(u - u[j], axis=1) < tol
        seen |= g
        ps, rs, ys = p[..., g], rad[g], y[g]
        W = np.maximum(ps.sum(-1), 1e-300)
        mr, my = (ps * rs).sum(-1) / W, (ps * ys).sum(-1) / W
        sxx = (ps * (rs - mr[..., None]) ** 2).sum(-1)
        sxy = (ps * (rs - mr[..., None]) * (ys - my[..., None])).sum(-1)
        syy = (ps * (ys - my[..., None]) ** 2).sum(-1)
        out = out + 0.5 * (syy - np.where(sxx > 0, sxy**2 / np.where(sxx > 0, sxx, 1), 0.0))
    return out
