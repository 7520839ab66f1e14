r"""Criticality of deep MLPs at initialisation for any activation: (C_b, C_W) with a fixed point K*
of the kernel recursion at which both susceptibilities equal one.

Roberts, Yaida & Hanin, arXiv:2106.10165, chapter 5 (conventions of :mod:`theory.effective_theory`:
K^(l+1) = C_b + C_W <sigma(z)^2>_{K^(l)}, z ~ N(0, K)). The single-input recursion's derivative
and the response of the off-diagonal kernel define

    chi_par(K)  = C_W d<sigma^2>_K / dK = C_W <sigma(z)^2 (z^2 - K)>_K / (2 K^2),      (RYH 5.1)
    chi_perp(K) = C_W <sigma'(z)^2>_K,

and a critical initialisation has K* = C_b + C_W <sigma^2>_{K*} with chi_par(K*) = chi_perp(K*) = 1,
so the kernel neither explodes nor vanishes with depth (perturbations of K and of the angle between
inputs decay only as a power of the depth). Eliminating C_W = 1 / <sigma'^2>_K leaves one equation
in K,

    f(K) = <sigma^2 (z^2 - K)>_K / (2 K^2 <sigma'^2>_K) - 1 = 0,   C_b(K) = K - <sigma^2>_K / <sigma'^2>_K >= 0,

solved here by a scan in log K and Brent's method. Two universality classes are degenerate:

* scale-invariant activations (ReLU, linear, leaky ReLU): f = 0 and C_b = 0 for every K, a line of
  critical points at C_b = 0, C_W = 1 / <sigma'^2>;
* the K* = 0 class (tanh, erf: sigma(0) = 0, sigma'(0) != 0): criticality is reached only as
  K* -> 0, at C_b = 0, C_W = 1 / sigma'(0)^2, so the scan finds no root at K* > 0.

Activations such as SWISH and GELU have critical points at K* > 0 (RYH section 5.3.4), which is
what :func:`critical_points` finds. Gaussian expectations use scipy.integrate.quad on each half
line (adaptive, so near-kinks of sigma at large K are resolved).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.integrate import quad
from scipy.optimize import brentq

from twolayer import checks as _checks

from .activations import Activation, get_activation

__all__ = ["CriticalPoint", "susceptibilities", "critical_points"]

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@dataclass(frozen=True)
class CriticalPoint:
    """A critical initialisation: bias and weight variances, the fixed point K* and the
    susceptibilities there (both 1 up to the root-finding tolerance). ``scale_invariant``: a whole
    line of critical points (any K* at these C_b, C_W); K_star is then NaN."""

    C_b: float
    C_W: float
    K_star: float
    chi_parallel: float
    chi_perp: float
    scale_invariant: bool = False


def _gauss(h, K: float) -> float:
    """<h(z)>, z ~ N(0, K), integrated over x = z / sqrt(K) on each half line."""
    s = math.sqrt(K)

    def integrand(x):
        return float(h(s * x)) * _INV_SQRT_2PI * math.exp(-0.5 * x * x)
    lo = quad(integrand, -np.inf, 0.0, epsabs=0.0, epsrel=1e-11, limit=200)[0]
    hi = quad(integrand, 0.0, np.inf, epsabs=0.0, epsrel=1e-11, limit=200)[0]
    return lo + hi


def _moments(act: Activation, K: float):
    g = lambda z: float(act.g(np.asarray(z)))
    dg = lambda z: float(act.dg(np.asarray(z)))
    s2 = _gauss(lambda z: g(z) ** 2, K)
    d2 = _gauss(lambda z: dg(z) ** 2, K)
    par = _gauss(lambda z: g(z) ** 2 * (z * z - K), K) / (2.0 * K * K)
    return s2, d2, par


def susceptibilities(K: float, C_W: float, activation) -> tuple[float, float]:
    """(chi_par, chi_perp) of one layer at kernel K and weight variance C_W (module docstring).

    Parameters
    ----------
    K : float
        Single-input kernel of the layer below (> 0).
    C_W : float
    activation : str or Activation
        A registered name or an :class:`theory.activations.Activation` (needs g and g').
    """
    K = _checks.positive("K", K)
    C_W = _checks.positive("C_W", C_W)
    _, d2, par = _moments(get_activation(activation), K)
    return C_W * par, C_W * d2


def critical_points(activation, *, K_min: float = 1e-2, K_max: float = 1e3, n_grid: int = 120,
                    xtol: float = 1e-10) -> list[CriticalPoint]:
    """Every critical point with K* in [K_min, K_max] (module docstring), smallest K* first.

    Parameters
    ----------
    activation : str or Activation
    K_min, K_max : float
        Range of K* scanned (log grid of ``n_grid`` points, then Brent's method on each sign
        change of f with C_b >= 0 at the root).
    xtol : float
        Absolute tolerance on K*.

    Returns
    -------
    list of CriticalPoint
        Empty when there is none at K* > 0 in the range (e.g. the K* = 0 class); one point with
        ``scale_invariant=True`` when f vanishes on the whole grid.
    """
    act = get_activation(activation)
    K_min, K_max = _checks.positive("K_min", K_min), _checks.positive("K_max", K_max)
    if K_max <= K_min:
        raise ValueError(f"K_max must exceed K_min, got K_min={K_min}, K_max={K_max}")
    if isinstance(n_grid, bool) or not isinstance(n_grid, (int, np.integer)) or n_grid < 3:
        raise ValueError(f"n_grid must be an integer >= 3, got {n_grid!r}")
    Ks = np.geomspace(K_min, K_max, int(n_grid))
    mom = np.array([_moments(act, K) for K in Ks])                   # (n_grid, 3): <s^2>, <s'^2>, par
    if not np.all(np.isfinite(mom)) or np.any(mom[:, 1] <= 0):
        raise ValueError(f"activation={act.name!r}: Gaussian moments not finite or <sigma'^2> = 0 on "
                         f"K in [{K_min}, {K_max}]")
    f = mom[:, 2] / mom[:, 1] - 1.0
    C_b = Ks - mom[:, 0] / mom[:, 1]
    if np.all(np.abs(f) < 1e-8) and np.all(np.abs(C_b) < 1e-8 * Ks):
        C_W = float(1.0 / np.median(mom[:, 1]))
        return [CriticalPoint(0.0, C_W, math.nan, 1.0, 1.0, scale_invariant=True)]

    def f_of(K):
        s2, d2, par = _moments(act, K)
        return par / d2 - 1.0

    out = []
    for i in np.flatnonzero(np.sign(f[:-1]) * np.sign(f[1:]) < 0):
        K = brentq(f_of, Ks[i], Ks[i + 1], xtol=xtol, rtol=4 * np.finfo(float).eps)
        s2, d2, par = _moments(act, K)
        C_W = 1.0 / d2
        Cb = K - C_W * s2
        if Cb < -1e-10 * K:         # needs a negative bias variance: not an initialisation
            continue
        out.append(CriticalPoint(max(Cb, 0.0), C_W, K, C_W * par, C_W * d2))
    return out
