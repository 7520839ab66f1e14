r"""Distances between empirical particle laws (mean-field analysis of two-layer nets).

Mei, Montanari & Nguyen, arXiv:1804.06561: in the mean-field scaling the empirical law of the
neurons (u_j, theta_j) follows a width-independent PDE, so the laws at widths m and 2m approach each
other. The sliced Wasserstein distance (Bonneel et al. 2015) compares such laws in any dimension:

    SW_p(mu, nu)^p = E_{w ~ Unif(S^{d-1})} W_p(w#mu, w#nu)^p,

with the 1-D W_p of two empirical measures computed exactly from their quantile functions
(sizes may differ): W_p^p = int_0^1 |F^{-1}(q) - G^{-1}(q)|^p dq, a finite sum over the merged
breakpoints k/n and l/m. The projections are drawn from ``seed`` (Monte Carlo over directions).
"""
from __future__ import annotations

import numpy as np

from twolayer import checks as _checks

from .backends import as_seed_sequence

__all__ = ["wasserstein_1d", "sliced_wasserstein"]


def wasserstein_1d(a, b, p: float = 2.0):
    """Exact W_p between the empirical laws of the columns of ``a`` (n, L) and ``b`` (m, L).

    Returns shape (L,) (or a float for 1-D inputs). Equal weights 1/n and 1/m.
    """
    a, b = _checks.array("a", a), _checks.array("b", b)
    p = _checks.real("p", p, minimum=1.0)
    vec = a.ndim == 1
    if a.ndim not in (1, 2) or b.ndim != a.ndim:
        raise ValueError(f"a and b must have shapes (n, L) and (m, L) (or (n,) and (m,)), got {a.shape} and {b.shape}")
    a, b = (a[:, None], b[:, None]) if vec else (a, b)
    if a.shape[1] != b.shape[1] or len(a) < 1 or len(b) < 1:
        raise ValueError(f"a and b must have shapes (n, L) and (m, L), got {a.shape} and {b.shape}")
    n, m = len(a), len(b)
    t = np.union1d(np.arange(n + 1) / n, np.arange(m + 1) / m)
    mid, w = 0.5 * (t[1:] + t[:-1]), np.diff(t)
    ia = np.minimum((mid * n).astype(np.int64), n - 1)
    ib = np.minimum((mid * m).astype(np.int64), m - 1)
    d = np.abs(np.sort(a, axis=0)[ia] - np.sort(b, axis=0)[ib]) ** p
    out = (w @ d) ** (1.0 / p)
    return float(out[0]) if vec else out


def sliced_wasserstein(x, y, *, n_projections: int = 256, p: float = 2.0, seed=0) -> float:
    """Sliced W_p between the empirical laws of the rows of x (n, d) and y (m, d).

    ``n_projections`` directions uniform on the sphere, drawn from ``seed`` (the same directions
    for both laws, so distances computed with one seed are comparable).
    """
    x, y = _checks.array("x", x), _checks.array("y", y)
    p = _checks.real("p", p, minimum=1.0)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must have shapes (n, d) and (m, d), got {x.shape} and {y.shape}")
    n_projections = _checks.integer("n_projections", n_projections, minimum=1)
    w = np.random.default_rng(as_seed_sequence(seed)).standard_normal((x.shape[1], int(n_projections)))
    w /= np.linalg.norm(w, axis=0, keepdims=True)
    return float(np.mean(wasserstein_1d(x @ w, y @ w, p) ** p) ** (1.0 / p))
