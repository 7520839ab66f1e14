"""Numba kernel of the frozen-pattern reduced system (see :func:`theory.relu1d.reduced.reduced_gd`).

Same arithmetic as the NumPy loop, per network and fused over a chunk of epochs: cost O(1) per
network and epoch, parallel over networks.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True)
def _loss(Sig, c, p, x, y, pos, e):
    L = 0.0
    for j in range(x.size):
        k = 0 if pos[j] else 1
        f = c + Sig[k, 2, 0] * x[j] + Sig[k, 2, 1]
        e[j] = p[j] * (y[j] - f)
        L += 0.5 * e[j] * (y[j] - f)
    return L


@njit(cache=True)
def _matmul3(A, B, out, transpose_b):
    """out = A @ B (or A @ B^T) for 3 x 3 matrices; out must not alias A or B."""
    for i in range(3):
        for j in range(3):
            acc = 0.0
            for q in range(3):
                acc += A[i, q] * (B[j, q] if transpose_b else B[q, j])
            out[i, j] = acc


@njit(cache=True, parallel=True)
def reduced_chunk(Sigma, c, M, p, h, x, y, pos, rmin, rmax, has, lo, hi, t0, n_steps, hit, last_loss, curve, record):
    """Advance every network from epoch t0 by up to n_steps; Sigma (B,2,3,3), c (B,), M (B,2,3,3) in place.

    hit[b] = crossing epoch (absolute) or -1; last_loss[b] = loss at the last frozen epoch reached.
    """
    B = c.size
    for b in prange(B):
        e = np.empty(x.size)
        S = Sigma[b]
        Mb = M[b]
        step = np.empty((3, 3))
        tmp = np.empty((3, 3))
        hit[b] = -1
        for s in range(n_steps + 1):
            L = _loss(S, c[b], p[b], x, y, pos, e)
            last_loss[b] = L
            if record:
                curve[b, s] = L
            if s == n_steps:
                break
            for k in range(2):
                u0 = 0.0
                u1 = 0.0
                for j in range(x.size):
                    if pos[j] == (k == 0):
                        u0 += e[j] * x[j]
                        u1 += e[j]
                for i in range(3):
                    for j in range(3):
                        step[i, j] = 1.0 if i == j else 0.0
                step[0, 2] = step[2, 0] = h[b] * u0
                step[1, 2] = step[2, 1] = h[b] * u1
                # S_k <- step S_k step^T ; M_k <- step M_k
                _matmul3(step, S[k], tmp, False)
                _matmul3(tmp, step, S[k], True)
                _matmul3(step, Mb[k], tmp, False)
                Mb[k, :, :] = tmp
            esum = 0.0
            for j in range(x.size):
                esum += e[j]
            c[b] += h[b] * esum
            bad = False
            for k in range(2):
                if not has[b, k]:
                    continue
                for rr in (rmin[b, k], rmax[b, k]):
                    den = Mb[k, 0, 0] + rr * Mb[k, 0, 2]
                    num = Mb[k, 1, 0] + rr * Mb[k, 1, 2]
                    if den <= 0.0:
                        bad = True
                    else:
                        kink = -num / den
                        if kink <= lo or kink >= hi:
                            bad = True
            if bad:
                hit[b] = t0 + s + 1
                break
