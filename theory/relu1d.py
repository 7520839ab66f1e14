r"""Gradient descent on one-dimensional two-layer ReLU networks with a frozen activation pattern.

Holzmueller & Steinwart, "Training two-layer ReLU networks with gradient descent is inconsistent",
arXiv:2002.04861 (JMLR 2022). Network f(x) = c + sum_i w_i relu(a_i x + b_i), He initialisation
a ~ N(0, 2), w ~ N(0, 2/n), b = c = 0 (all kinks -b_i/a_i start at 0). Loss
L = 1/2 sum_j p_j (f(x_j) - y_j)^2 with weights p_j (an empirical distribution).

While no kink crosses a data point, neuron i is active exactly on the data of its side
sigma = sign(a_i) (x_j with sign(x_j) = sigma) and GD is linear in the neurons (THEORY.md E):
with residuals e_j = p_j (y_j - f(x_j)) and u_sigma = (sum_{j in sigma} x_j e_j, sum_{j in sigma} e_j),
every neuron theta_i = (a_i, b_i, w_i) of side sigma moves as theta_i <- (I + h Q_sigma) theta_i,
Q_sigma = [[0, 0, u0], [0, 0, u1], [u0, u1, 0]], and c <- c + h (u_+[1] + u_-[1]). The function only
depends on Sigma_sigma = sum_{i in sigma} theta_i theta_i^T, so the dynamics is a system of size
independent of n; the product M_sigma(t) of the maps recovers every neuron, theta_i(t) = M_sigma(t)
theta_i(0), hence the first epoch at which a kink reaches a data point.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PAPER_X", "PAPER_Y", "check_data", "empirical_weights", "frozen_limit_loss", "side_moments",
           "tangent_kernel", "large_step", "ReducedTrajectory", "reduced_gd"]

PAPER_X = np.array([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0])
PAPER_Y = np.array([-1.0, 2.0, -1.0, 1.0, -2.0, 1.0])


def check_data(x, y, p=None):
    """Validate 1-D data: finite, no point at 0, at least two points on each side of the origin."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.ndim != 1 or y.shape != x.shape or not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("x and y must be finite 1-D arrays of equal length")
    if np.any(x == 0):
        raise ValueError("x must not contain 0 (the initial kinks sit there)")
    for side, name in ((x > 0, "positive"), (x < 0, "negative")):
        if side.sum() < 2:
            raise ValueError(f"the data need at least two points with {name} x, got {int(side.sum())}")
    if p is not None:
        p = np.asarray(p, float)
        if p.shape[-1] != x.size or np.any(p < 0) or not np.all(np.isfinite(p)):
            raise ValueError("p must be non-negative finite weights, one per data point")
    return x, y, p


def empirical_weights(N: int, n_nets: int, seed=0, n_points: int = 6) -> np.ndarray:
    """Weights p_j = counts_j / N of an i.i.d. sample of size N from the uniform law on the points; (n_nets, n_points)."""
    if not isinstance(N, (int, np.integer)) or N < 1:
        raise ValueError(f"N must be an integer >= 1, got {N!r}")
    rng = np.random.default_rng(seed)
    return rng.multinomial(N, np.full(n_points, 1.0 / n_points), size=n_nets) / N


def frozen_limit_loss(x, y, p) -> np.ndarray:
    """L* = 1/2 sum_sigma min_{s,t} sum_{j in sigma} p_j (y_j - s x_j - t)^2 (weighted least-squares line per side).

    p may be (n_points,) or (..., n_points); returns shape p.shape[:-1].
    """
    x, y, p = check_data(x, y, p)
    out = 0.0
    for side in (x > 0, x < 0):
        xs, ys, ps = x[side], y[side], p[..., side]
        W = ps.sum(-1)
        mx = (ps * xs).sum(-1) / np.where(W > 0, W, 1)
        my = (ps * ys).sum(-1) / np.where(W > 0, W, 1)
        sxx = (ps * (xs - mx[..., None]) ** 2).sum(-1)
        sxy = (ps * (xs - mx[..., None]) * (ys - my[..., None])).sum(-1)
        syy = (ps * (ys - my[..., None]) ** 2).sum(-1)
        out = out + 0.5 * (syy - np.where(sxx > 0, sxy**2 / np.where(sxx > 0, sxx, 1), 0.0))
    return out


def side_moments(a, b, w):
    """Sigma_sigma = sum_{i: sign(a_i) = sigma} theta_i theta_i^T for sigma = +, -; arrays (..., n) -> (..., 2, 3, 3)."""
    th = np.stack([a, b, w], axis=-1)                    # (..., n, 3)
    out = []
    for pos in (True, False):
        m = (a > 0) if pos else (a < 0)
        t = th * m[..., None]
        out.append(np.einsum("...ni,...nj->...ij", t, t))
    return np.stack(out, axis=-3)


def tangent_kernel(x, Sigma):
    """Tangent kernel of f on the data while the pattern is frozen (THEORY.md E).

    Same-side points: [x_j, 1] G_sigma [x_k, 1]^T with G_sigma = Sigma[ab, ab] + Sigma[w, w] I_2; every
    pair gets +1 from the output bias c. Sigma: (..., 2, 3, 3) -> (..., n_points, n_points).
    """
    x = np.asarray(x, float)
    F = np.stack([x, np.ones_like(x)], axis=-1)           # (P, 2)
    A = np.ones(Sigma.shape[:-3] + (x.size, x.size))
    for k, side in enumerate((x > 0, x < 0)):
        G = Sigma[..., k, :2, :2] + Sigma[..., k, 2, 2][..., None, None] * np.eye(2)
        blk = np.einsum("jp,...pq,kq->...jk", F, G, F)
        m = np.outer(side, side)
        A = A + blk * m
    return A


def large_step(x, p, Sigma) -> np.ndarray:
    """h = 1 / lambda_max(P^1/2 A P^1/2), the large step of the paper (P = diag(p), A the tangent kernel)."""
    A = tangent_kernel(x, Sigma)
    sp = np.sqrt(np.asarray(p, float))
    return 1.0 / np.linalg.eigvalsh(sp[..., :, None] * A * sp[..., None, :])[..., -1]


@dataclass(frozen=True)
class ReducedTrajectory:
    """Reduced-system GD: losses (n_nets, n_epochs+1), first predicted crossing epoch (-1: none by the cap),
    final Sigma and c, and the per-side maps M (n_nets, 2, 3, 3) at the last epoch run."""

    loss: np.ndarray
    crossing_epoch: np.ndarray
    Sigma: np.ndarray
    c: np.ndarray
    M: np.ndarray


def reduced_gd(a0, w0, x, y, p, h, n_epochs: int, *, c0=None) -> ReducedTrajectory:
    """Frozen-pattern GD of many networks with cost independent of their width.

    Parameters
    ----------
    a0, w0 : array_like, shape (n_nets, n)
        Initial slopes and output weights (b = 0).
    x, y : array_like, shape (P,)
    p : array_like, shape (n_nets, P) or (P,)
    h : float or array_like (n_nets,)
    n_epochs : int

    The first epoch at which some neuron theta_i(t) = M_sigma(t) theta_i(0) has a kink -b_i/a_i
    reaching an inner data point (or its slope changing sign) is reported; after it the reduced
    dynamics no longer describes GD, and that network's trajectory is frozen. The check costs O(1)
    per network and epoch (extreme ratios w_i/a_i per side), so the whole run is independent of n.
    """
    x, y, p = check_data(x, y, p)
    a0, w0 = np.atleast_2d(np.asarray(a0, float)), np.atleast_2d(np.asarray(w0, float))
    B, n = a0.shape
    p = np.broadcast_to(p, (B, x.size))
    h = np.broadcast_to(np.asarray(h, float), (B,))
    Sigma = side_moments(a0, np.zeros_like(a0), w0)
    c = np.zeros(B) if c0 is None else np.asarray(c0, float).copy()
    M = np.broadcast_to(np.eye(3), (B, 2, 3, 3)).copy()
    pos = x > 0
    sides = (pos, ~pos)
    sgn = (a0 > 0)
    crossing = np.full(B, -1, dtype=np.int64)
    alive = np.ones(B, bool)
    loss = np.empty((B, n_epochs + 1))
    # inner data points per side: kinks must stay strictly inside (x_-max, x_+min)
    lo, hi = x[~pos].max(), x[pos].min()
    r = w0 / a0
    has = np.stack([sgn.any(-1), (~sgn).any(-1)], axis=-1)                     # (B, 2): side has neurons
    rmin = np.stack([np.where(sgn, r, np.inf).min(-1), np.where(~sgn, r, np.inf).min(-1)], axis=-1)
    rmax = np.stack([np.where(sgn, r, -np.inf).max(-1), np.where(~sgn, r, -np.inf).max(-1)], axis=-1)
    rmin, rmax = np.where(has, rmin, 0.0), np.where(has, rmax, 0.0)
    for t in range(n_epochs + 1):
        f = np.empty((B, x.size))
        for k, side in enumerate(sides):
            f[:, side] = c[:, None] + Sigma[:, k, 2, 0][:, None] * x[side] + Sigma[:, k, 2, 1][:, None]
        e = p * (y - f)
        loss[:, t] = np.where(alive, 0.5 * (e * (y - f)).sum(-1), loss[:, t - 1] if t else 0.0)
        if t == n_epochs:
            break
        Qs = np.zeros((B, 2, 3, 3))
        for k, side in enumerate(sides):
            u0 = (e[:, side] * x[side]).sum(-1)
            u1 = e[:, side].sum(-1)
            Qs[:, k, 0, 2] = Qs[:, k, 2, 0] = u0
            Qs[:, k, 1, 2] = Qs[:, k, 2, 1] = u1
        step = np.eye(3) + h[:, None, None, None] * Qs
        upd = alive[:, None, None, None]
        Sigma = np.where(upd, step @ Sigma @ np.swapaxes(step, -1, -2), Sigma)
        M = np.where(upd, step @ M, M)
        c = np.where(alive, c + h * e.sum(-1), c)
        # neuron i of side k: (a, b)(t) = a_i(0) (M00 + r_i M02, M10 + r_i M12), r_i = w_i(0)/a_i(0).
        # Its slope flips iff M00 + r M02 <= 0 (linear in r) and its kink -(M10 + r M12)/(M00 + r M02)
        # is monotone in r between poles: checking each side's extreme r decides every neuron, O(1).
        out = np.zeros(B, bool)
        for k in range(2):
            for r in (rmin[:, k], rmax[:, k]):
                den = M[:, k, 0, 0] + r * M[:, k, 0, 2]
                num = M[:, k, 1, 0] + r * M[:, k, 1, 2]
                kink = -num / np.where(den > 0, den, 1.0)
                bad = (den <= 0) | (kink <= lo) | (kink >= hi)     # the kink must stay between the inner points
                out |= bad & has[:, k]
        hit = alive & out
        crossing[hit] = t + 1
        alive &= ~hit
    return ReducedTrajectory(loss, crossing, Sigma, c, M)
