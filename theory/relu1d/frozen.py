r"""The frozen-pattern formulas of one-dimensional two-layer ReLU networks (data, moments, L*, step).

Holzmueller & Steinwart, "Training two-layer ReLU networks with gradient descent is inconsistent",
arXiv:2002.04861 (JMLR 2022). Network f(x) = c + sum_i w_i relu(a_i x + b_i), He initialisation
a ~ N(0, 2), w ~ N(0, 2/n), b = c = 0 (all kinks -b_i/a_i start at 0). Loss
L = 1/2 sum_j p_j (f(x_j) - y_j)^2 with weights p_j (an empirical distribution).

While no kink crosses a data point, neuron i is active exactly on the data of its side
sigma = sign(a_i) (x_j with sign(x_j) = sigma) and GD is linear in the neurons (docs/THEORY.md E):
with residuals e_j = p_j (y_j - f(x_j)) and u_sigma = (sum_{j in sigma} x_j e_j, sum_{j in sigma} e_j),
every neuron theta_i = (a_i, b_i, w_i) of side sigma moves as theta_i <- (I + h Q_sigma) theta_i,
Q_sigma = [[0, 0, u0], [0, 0, u1], [u0, u1, 0]], and c <- c + h (u_+[1] + u_-[1]). The function only
depends on Sigma_sigma = sum_{i in sigma} theta_i theta_i^T, so the dynamics is a system of size
independent of n; the product M_sigma(t) of the maps recovers every neuron, theta_i(t) = M_sigma(t)
theta_i(0), hence the first epoch at which a kink reaches a data point.
"""
from __future__ import annotations

import numpy as np

from twolayer import checks as _checks

__all__ = ["PAPER_X", "PAPER_Y", "check_data", "empirical_weights", "frozen_limit_loss", "side_moments",
           "frozen_outputs", "tangent_kernel", "large_step"]

PAPER_X = np.array([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0])
PAPER_Y = np.array([-1.0, 2.0, -1.0, 1.0, -2.0, 1.0])


def check_data(x, y, p=None):
    """Validate 1-D data: finite, no point at 0, at least two points on each side of the origin."""
    x = _checks.array("x", x, ndim=1)
    y = _checks.array("y", y)
    if y.shape != x.shape:
        raise ValueError(f"y must have the shape of x, {x.shape}, got {y.shape}")
    if np.any(x == 0):
        raise ValueError("x must not contain 0 (the initial kinks sit there)")
    for side, name in ((x > 0, "positive"), (x < 0, "negative")):
        if side.sum() < 2:
            raise ValueError(f"x must hold at least two points on each side of 0, got {int(side.sum())} {name}")
    if p is not None:
        p = _checks.array("p", p, shape=(..., x.size))
        if np.any(p < 0):
            raise ValueError(f"p must be non-negative weights, one per data point, got {p[p < 0].flat[0]}")
    return x, y, p


def empirical_weights(N: int, n_nets: int, seed=0, n_points: int = 6) -> np.ndarray:
    """Weights p_j = counts_j / N of an i.i.d. sample of size N from the uniform law on the points; (n_nets, n_points)."""
    N = _checks.integer("N", N, minimum=1)
    n_nets = _checks.integer("n_nets", n_nets, minimum=1)
    n_points = _checks.integer("n_points", n_points, minimum=1)
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


def frozen_outputs(x, Sigma, c):
    """f(x_j) = c + Sigma_sigma[w,a] x_j + Sigma_sigma[w,b] (sigma = sign x_j) while the pattern is frozen.

    x (P,), Sigma (B, 2, 3, 3), c (B,) -> (B, P).
    """
    k = np.where(np.asarray(x) > 0, 0, 1)
    return c[:, None] + Sigma[:, k, 2, 0] * x + Sigma[:, k, 2, 1]


def tangent_kernel(x, Sigma):
    """Tangent kernel of f on the data while the pattern is frozen (docs/THEORY.md E).

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
