"""Numba kernel of the ReLU I4 expectation (:func:`theory.gaussian_integrals.relu_I4`).

One scalar evaluation per index tuple: the interpolation integral over t of closed forms (the
derivation is in ``relu_I4``'s docstring). Self-contained (numba's cache follows this file only).
"""
from __future__ import annotations

import math

from numba import njit, prange

_TWO_PI = 2.0 * math.pi


@njit(cache=True, inline="always")
def _orthant2(num, va, vb):
    r = num / math.sqrt(va * vb)
    if r > 1.0:
        r = 1.0
    elif r < -1.0:
        r = -1.0
    return 0.25 + math.asin(r) / _TWO_PI


@njit(cache=True, inline="always")
def _relu_I2(C11, C12, C22):
    det = C11 * C22 - C12 * C12
    if det < 0.0:
        det = 0.0
    r = C12 / math.sqrt(C11 * C22)
    if r > 1.0:
        r = 1.0
    elif r < -1.0:
        r = -1.0
    return (math.sqrt(det) + C12 * (0.5 * math.pi + math.asin(r))) / _TWO_PI


@njit(cache=True, inline="always")
def _given(Sxx, Syy, Szz, Sxy, Sxz, Syz):
    """P(y > 0, z > 0 | x = 0) of a zero-mean triple."""
    return _orthant2(Syz - Sxy * Sxz / Sxx, Syy - Sxy * Sxy / Sxx, Szz - Sxz * Sxz / Sxx)


@njit(cache=True, inline="always")
def _two_step_step_relu(Sxx, Scc, Sdd, Sxc, Sxd, Scd):
    """(E[step(x) step(c) relu(d)], E[step(x) step(d) relu(c)]) of a zero-mean triple, by Stein's
    lemma: E[step(u) step(v) relu(w)] = sum over z in (u, v, w) of S_wz phi_z(0) P(others > 0 | z = 0).
    The two share their three conditional orthant probabilities."""
    p_x = _given(Sxx, Scc, Sdd, Sxc, Sxd, Scd)          # P(c > 0, d > 0 | x = 0)
    p_c = _given(Scc, Sxx, Sdd, Sxc, Scd, Sxd)          # P(x > 0, d > 0 | c = 0)
    p_d = _given(Sdd, Sxx, Scc, Sxd, Scd, Sxc)          # P(x > 0, c > 0 | d = 0)
    fx = p_x / math.sqrt(_TWO_PI * Sxx)
    rc, rd = math.sqrt(_TWO_PI * Scc), math.sqrt(_TWO_PI * Sdd)
    relu_d = Sxd * fx + Scd * p_c / rc + Sdd * p_d / rd
    relu_c = Sxc * fx + Scd * p_d / rd + Scc * p_c / rc
    return relu_d, relu_c


@njit(cache=True, parallel=True)
def relu_I4_kernel(C, t, wt, out):
    """out[j] = E[step(a) step(b) relu(c) relu(d)] for the covariance entries C[j] (n, 10)
    = (C11, C12, C13, C14, C22, C23, C24, C33, C34, C44); t, wt: path nodes and weights."""
    n = C.shape[0]
    for j in prange(n):
        C11, C12, C13, C14, C22, C23, C24, C33, C34, C44 = (C[j, 0], C[j, 1], C[j, 2], C[j, 3], C[j, 4],
                                                            C[j, 5], C[j, 6], C[j, 7], C[j, 8], C[j, 9])
        big = max(max(C11, C22), max(C33, C44))
        ridge = 1e-13 * big + 1e-300
        C11 += ridge
        C22 += ridge
        C33 += ridge
        C44 += ridge
        floor = 1e-3 * ridge
        acc = 0.0
        for q in range(t.shape[0]):
            tq = t[q]
            c12, c13, c14, c23, c24 = tq * C12, tq * C13, tq * C14, tq * C23, tq * C24
            d12 = C11 * C22 - c12 * c12
            S33 = max(C33 - (C22 * c13 * c13 - 2 * c12 * c13 * c23 + C11 * c23 * c23) / d12, floor)
            S44 = max(C44 - (C22 * c14 * c14 - 2 * c12 * c14 * c24 + C11 * c24 * c24) / d12, floor)
            S34 = C34 - (C22 * c13 * c14 - c12 * (c13 * c24 + c14 * c23) + C11 * c23 * c24) / d12
            term = C12 * _relu_I2(S33, S34, S44) / (_TWO_PI * math.sqrt(d12))
            for side in range(2):
                if side == 0:       # given a = 0; x = b
                    Ckk, cx, cyc, cyd, Cxx, cxc, cxd, Ckc, Ckd = C11, c12, c13, c14, C22, c23, c24, C13, C14
                else:               # given b = 0; x = a
                    Ckk, cx, cyc, cyd, Cxx, cxc, cxd, Ckc, Ckd = C22, c12, c23, c24, C11, c13, c14, C23, C24
                Sxx = max(Cxx - cx * cx / Ckk, floor)
                Scc = max(C33 - cyc * cyc / Ckk, floor)
                Sdd = max(C44 - cyd * cyd / Ckk, floor)
                Sxc = cxc - cx * cyc / Ckk
                Sxd = cxd - cx * cyd / Ckk
                Scd = C34 - cyc * cyd / Ckk
                pk = 1.0 / math.sqrt(_TWO_PI * Ckk)
                g_d, g_c = _two_step_step_relu(Sxx, Scc, Sdd, Sxc, Sxd, Scd)
                term += pk * (Ckc * g_d + Ckd * g_c)
            acc += wt[q] * term
        out[j] = 0.25 * _relu_I2(C33, C34, C44) + acc
